"""Compile validated conditions into small closures over :class:`Facts`.

A compiled condition returns ``True``, ``False`` or ``None`` (unknown). Unknown arises only when
classification failed: entity and language conditions cannot be decided then. ``all``/``any``/
``not`` combine unknowns by Kleene's three-valued logic, so a condition is unknown only when
its outcome really depends on what the detector would have found. The caller decides what
unknown means: a guard fires unless its condition is definitely false; a route is taken only
when its condition is definitely true (see :mod:`gateway.policy.evaluate`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from gateway.policy.schema import ANY_TYPE, CategoryCond, Condition, ContentCond, EntityCond, NumOps, ScoreOps, StrOps
from gateway.request import GatewayRequest
from gateway.signals import SemanticState, Signals

Tri = bool | None
Matcher = Callable[["Facts"], Tri]


@dataclass(slots=True)
class Facts:
    """What conditions read, gathered once per evaluation (not frozen: built on the hot path,
    never shared). Holds no request text."""

    entities: tuple[tuple[str, float], ...]
    entities_unknown: bool
    model: str
    endpoint: str
    team: str | None
    key: str | None
    headers: Mapping[str, str]
    prompt_tokens: int
    languages: frozenset[str]
    content: frozenset[str]
    categories: Mapping[str, float]
    complexity: float
    semantic: SemanticState

    @classmethod
    def of(cls, signals: Signals, request: GatewayRequest) -> Facts:
        return cls(
            entities=tuple((e.type, e.score) for e in signals.entities),
            entities_unknown=signals.classify_failed,
            model=request.model,
            endpoint=request.endpoint,
            team=request.team,
            key=request.key_id,
            headers=request.headers,
            prompt_tokens=signals.prompt_tokens,
            languages=signals.languages,
            content=signals.content,
            categories=signals.semantic.categories,
            complexity=signals.semantic.complexity,
            semantic=signals.semantic.state,
        )


def _always(_: Facts) -> Tri:
    return True


def compile_condition(cond: Condition | None, groups: Mapping[str, frozenset[str]],
                      min_score: float) -> Matcher:
    """One matcher for a whole condition; a map of several keys is their conjunction."""
    if cond is None:
        return _always
    # Cheap tests first: a conjunction stops at the first False (order does not change the
    # three-valued result).
    parts: list[Matcher] = []
    if cond.model is not None:
        parts.append(_text(cond.model, lambda f: f.model))
    if cond.endpoint is not None:
        parts.append(_text(cond.endpoint, lambda f: f.endpoint))
    if cond.team is not None:
        parts.append(_text(cond.team, lambda f: f.team))
    if cond.key is not None:
        parts.append(_text(cond.key, lambda f: f.key))
    for name, ops in (cond.header or {}).items():
        parts.append(_text(ops, lambda f, n=name: f.headers.get(n)))  # type: ignore[misc]
    if cond.prompt_tokens is not None:
        parts.append(_number(cond.prompt_tokens))
    if cond.language is not None:
        parts.append(_languages(cond.language))
    if cond.content is not None:
        parts.append(_content(cond.content))
    if cond.categories is not None:
        parts.append(_categories(cond.categories))
    if cond.complexity is not None:
        parts.append(_complexity(cond.complexity))
    if cond.entities is not None:
        parts.append(_entities(cond.entities, groups, min_score))
    if cond.all_ is not None:
        parts.append(_all([compile_condition(c, groups, min_score) for c in cond.all_]))
    if cond.any_ is not None:
        parts.append(_any([compile_condition(c, groups, min_score) for c in cond.any_]))
    if cond.not_ is not None:
        parts.append(_not(compile_condition(cond.not_, groups, min_score)))
    if not parts:
        return _always
    return parts[0] if len(parts) == 1 else _all(parts)


def _all(parts: list[Matcher]) -> Matcher:
    def match(f: Facts) -> Tri:
        result: Tri = True
        for p in parts:
            r = p(f)
            if r is False:
                return False
            if r is None:
                result = None
        return result
    return match


def _any(parts: list[Matcher]) -> Matcher:
    def match(f: Facts) -> Tri:
        result: Tri = False
        for p in parts:
            r = p(f)
            if r is True:
                return True
            if r is None:
                result = None
        return result
    return match


def _not(inner: Matcher) -> Matcher:
    def match(f: Facts) -> Tri:
        r = inner(f)
        return None if r is None else not r
    return match


def _str_test(ops: StrOps) -> Callable[[str | None], bool]:
    """A test of one text value; a missing value (None) satisfies only ``not_in``."""
    tests: list[Callable[[str | None], bool]] = []
    if ops.eq is not None:
        eq = ops.eq
        tests.append(lambda v: v == eq)
    if ops.in_ is not None:
        allowed = frozenset(ops.in_)
        tests.append(lambda v: v in allowed)
    if ops.not_in is not None:
        denied = frozenset(ops.not_in)
        tests.append(lambda v: v not in denied)
    if ops.matches is not None:
        rx = re.compile(ops.matches)
        tests.append(lambda v: v is not None and rx.search(v) is not None)
    if len(tests) == 1:
        return tests[0]
    return lambda v: all(t(v) for t in tests)


def _text(ops: StrOps, get: Callable[[Facts], str | None]) -> Matcher:
    test = _str_test(ops)
    return lambda f: test(get(f))


def _languages(ops: StrOps) -> Matcher:
    """Languages are a set: ``eq``/``in``/``matches`` hold when some detected language satisfies
    them; ``not_in`` when none is in the list. Unknown when classification failed."""
    positive = StrOps.model_construct(eq=ops.eq, in_=ops.in_, not_in=None, matches=ops.matches)
    has_positive = ops.eq is not None or ops.in_ is not None or ops.matches is not None
    test = _str_test(positive) if has_positive else None
    denied = frozenset(ops.not_in) if ops.not_in is not None else None

    def match(f: Facts) -> Tri:
        if f.entities_unknown:
            return None
        if denied is not None and not denied.isdisjoint(f.languages):
            return False
        return test is None or any(test(lang) for lang in f.languages)
    return match


def _content(cond: ContentCond) -> Matcher:
    """Content kinds come from the walk over the body, not from the detector: always known."""
    wanted = frozenset(cond.any_) if cond.any_ is not None else None
    banned = frozenset(cond.none) if cond.none is not None else None

    def match(f: Facts) -> Tri:
        if wanted is not None and wanted.isdisjoint(f.content):
            return False
        return banned is None or banned.isdisjoint(f.content)
    return match


def _semantic_known(f: Facts) -> Tri:
    """Semantic conditions: false when the signals were not needed (the decision cannot depend
    on them), unknown when scoring failed (fail closed), else evaluated (None: go on)."""
    if f.semantic == "ok":
        return None
    return None if f.semantic == "failed" else False


def _categories(cond: CategoryCond) -> Matcher:
    threshold = cond.min_score
    any_of = None if cond.any_ is None or ANY_TYPE in cond.any_ else frozenset(cond.any_)
    none_of = None if cond.none is None or ANY_TYPE in cond.none else frozenset(cond.none)
    all_of = frozenset(cond.all_ or ())

    def flagged(f: Facts, among: frozenset[str] | None) -> bool:
        return any(s >= threshold and (among is None or c in among) for c, s in f.categories.items())

    def match(f: Facts) -> Tri:
        if f.semantic != "ok":
            return _semantic_known(f)
        if cond.any_ is not None and not flagged(f, any_of):
            return False
        if cond.none is not None and flagged(f, none_of):
            return False
        return all(f.categories.get(c, 0.0) >= threshold for c in all_of)
    return match


def _complexity(ops: ScoreOps) -> Matcher:
    lo, hi = ops.gte, ops.lte

    def match(f: Facts) -> Tri:
        if f.semantic != "ok":
            return _semantic_known(f)
        return (lo is None or f.complexity >= lo) and (hi is None or f.complexity <= hi)
    return match


def mentions_semantics(cond: Condition | None) -> bool:
    """Does the condition read categories or complexity anywhere?"""
    if cond is None:
        return False
    if cond.categories is not None or cond.complexity is not None:
        return True
    return any(mentions_semantics(c) for c in (*(cond.all_ or ()), *(cond.any_ or ()), cond.not_))


def _number(ops: NumOps) -> Matcher:
    eq, lo, hi = ops.eq, ops.gte, ops.lte
    allowed = frozenset(ops.in_) if ops.in_ is not None else None
    denied = frozenset(ops.not_in) if ops.not_in is not None else None

    def match(f: Facts) -> Tri:
        v = f.prompt_tokens
        return ((eq is None or v == eq) and (lo is None or v >= lo) and (hi is None or v <= hi)
                and (allowed is None or v in allowed) and (denied is None or v not in denied))
    return match


def expand(items: list[str], groups: Mapping[str, frozenset[str]]) -> frozenset[str] | None:
    """The entity types of a list of types and group names; None means any type (``*``)."""
    out: set[str] = set()
    for item in items:
        if item == ANY_TYPE:
            return None
        out |= groups.get(item, frozenset({item}))
    return frozenset(out)


def _counter(types: frozenset[str] | None, threshold: float) -> Callable[[Facts], int]:
    if types is None:
        return lambda f: sum(1 for _, s in f.entities if s >= threshold)
    return lambda f: sum(1 for t, s in f.entities if s >= threshold and t in types)


def _entities(cond: EntityCond, groups: Mapping[str, frozenset[str]], default_score: float) -> Matcher:
    threshold = default_score if cond.min_score is None else cond.min_score
    need = cond.min_count
    any_count = _counter(expand(cond.any_, groups), threshold) if cond.any_ is not None else None
    none_count = _counter(expand(cond.none, groups), threshold) if cond.none is not None else None
    all_counts = ([_counter(expand([item], groups), threshold) for item in cond.all_]
                  if cond.all_ is not None else [])

    def match(f: Facts) -> Tri:
        if f.entities_unknown:
            return None
        if not f.entities:
            return any_count is None and not all_counts
        if any_count is not None and any_count(f) < need:
            return False
        if none_count is not None and none_count(f) >= need:
            return False
        return all(c(f) >= need for c in all_counts)
    return match


def always_true(cond: Condition | None) -> bool:
    """Conservative: True only when the condition holds for every request and every signal."""
    if cond is None:
        return True
    leaves = (cond.entities, cond.content, cond.categories, cond.complexity, cond.model, cond.team, cond.key,
              cond.header, cond.endpoint, cond.prompt_tokens, cond.language)
    if any(leaf is not None for leaf in leaves):
        return False
    if cond.all_ is not None and not all(always_true(c) for c in cond.all_):
        return False
    if cond.any_ is not None and not any(always_true(c) for c in cond.any_):
        return False
    return cond.not_ is None or always_false(cond.not_)


def always_false(cond: Condition | None) -> bool:
    """Conservative: True only when the condition can never hold."""
    if cond is None:
        return False
    if cond.any_ is not None and all(always_false(c) for c in cond.any_):
        return True
    if cond.all_ is not None and any(always_false(c) for c in cond.all_):
        return True
    return cond.not_ is not None and always_true(cond.not_)
