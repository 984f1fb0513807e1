"""Load a policy file: validate, resolve references against the config, lint, compile.

Every problem is reported at once, each naming file, line and key, as a :class:`ConfigError`:

* unknown keys (with a "did you mean" hint), wrong types, thresholds outside [0, 1], invalid
  regular expressions;
* models that are not in the config (``to``, ``fallback``, ``default``, ``model`` conditions),
  entity types or groups that do not exist, endpoints that do not exist;
* duplicate or reserved ids;
* routes that can never be taken: after a route that matches every request and cannot be
  skipped, or into a zone that a guard without condition always denies;
* a ``default`` (or a fallback) whose zone a guard without condition always denies.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
from collections.abc import Iterator
from pathlib import Path
from types import MappingProxyType

from pydantic import ValidationError

from gateway.config import Config
from gateway.errors import ConfigError, ConfigProblem
from gateway.policy.compiled import Guard, Policy, Route, Target
from gateway.policy.conditions import always_true, compile_condition, mentions_semantics
from gateway.policy.entities import KNOWN_ENTITY_TYPES, custom_types
from gateway.policy.schema import (
    ANY_TYPE,
    KNOWN_KEYS,
    REQUESTED,
    RESERVED_IDS,
    Condition,
    PolicySpec,
    StrOps,
)
from gateway.types import ENDPOINTS, Zone
from gateway.yamlsrc import LineMap, PathKey, load_yaml_text, problems_from_validation


def load_policy(path: str | Path, config: Config) -> Policy:
    """Load, check and compile the policy file at ``path`` against ``config``."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ConfigError([ConfigProblem(str(p), None, "", f"cannot read file: {exc.strerror}")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError([ConfigProblem(str(p), None, "", "file is not valid UTF-8")]) from None
    return load_policy_text(text, config, str(p))


def load_policy_text(text: str, config: Config, file: str = "<policy>") -> Policy:
    """Like :func:`load_policy`, from text; ``file`` is the name errors carry."""
    data, linemap = load_yaml_text(text, file)
    if not isinstance(data, dict):
        raise ConfigError([ConfigProblem(file, 1, "", "a policy must be a mapping with version, default, "
                                                      "groups, guards and routes")])
    try:
        spec = PolicySpec.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_by_line(_explain_validation(exc, linemap))) from None
    problems = [*_check_references(spec, config, linemap), *_lint(spec, config, linemap)]
    if problems:
        raise ConfigError(_by_line(problems))
    return _compile(spec, config, text, file)


def _by_line(problems: list[ConfigProblem]) -> list[ConfigProblem]:
    return sorted(problems, key=lambda p: (p.line or 0, p.key))


def _explain_validation(exc: ValidationError, linemap: LineMap) -> list[ConfigProblem]:
    out = []
    errors = exc.errors(include_input=False, include_url=False)
    for err, problem in zip(errors, problems_from_validation(exc, linemap), strict=True):
        message = problem.message.removeprefix("Value error, ")
        last = err["loc"][-1] if err["loc"] else None
        if err["type"] == "extra_forbidden" and isinstance(last, str):
            message = _unknown_key(last, err["loc"][:-1])
        out.append(dataclasses.replace(problem, message=message))
    return out


_STR_OPS = "eq, in, not_in, matches"
_ALLOWED_UNDER = {
    "prompt_tokens": "eq, in, not_in, gte, lte",
    "model": _STR_OPS, "team": _STR_OPS, "key": _STR_OPS, "endpoint": _STR_OPS, "language": _STR_OPS,
    "entities": "any, all, none, min_score, min_count",
    "content": "any, none",
    "categories": "any, all, none, min_score",
    "complexity": "gte, lte",
}


def _unknown_key(key: str, parent: tuple[str | int, ...]) -> str:
    owner = parent[-1] if parent else None
    if len(parent) >= 2 and parent[-2] == "header":
        owner = "model"  # a header's operators are the text operators
    if key in KNOWN_KEYS:
        allowed = _ALLOWED_UNDER.get(owner) if isinstance(owner, str) else None
        return f"'{key}' is not allowed here" + (f" (allowed: {allowed})" if allowed else "")
    close = difflib.get_close_matches(key, KNOWN_KEYS, n=1)
    return f"unknown key '{key}'" + (f" (did you mean '{close[0]}'?)" if close else "")


def _walk(cond: Condition | None, path: PathKey) -> Iterator[tuple[Condition, PathKey]]:
    """Every condition map nested in ``cond``, with its path."""
    if cond is None:
        return
    yield cond, path
    for i, c in enumerate(cond.all_ or []):
        yield from _walk(c, (*path, "all", i))
    for i, c in enumerate(cond.any_ or []):
        yield from _walk(c, (*path, "any", i))
    yield from _walk(cond.not_, (*path, "not"))


def _op_values(ops: StrOps) -> Iterator[tuple[str, PathKey]]:
    if ops.eq is not None:
        yield ops.eq, ("eq",)
    for name, values in (("in", ops.in_), ("not_in", ops.not_in)):
        for i, v in enumerate(values or []):
            yield v, (name, i)


def _check_references(spec: PolicySpec, config: Config, lm: LineMap) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    models = config.models
    known_models = ", ".join(sorted(models))

    def model_ref(name: str, path: PathKey, *, requested_ok: bool = False) -> None:
        if name in models or (requested_ok and name == REQUESTED):
            return
        extra = " or 'requested'" if requested_ok else ""
        problems.append(lm.problem(path, f"unknown model '{name}' (known: {known_models}{extra})"))

    model_ref(spec.default, ("default",))
    if spec.default in models and models[spec.default].kind != "chat":
        problems.append(lm.problem(("default",), f"default '{spec.default}' is an {models[spec.default].kind} model; "
                                                 "default names a chat model (embeddings: default_embedding)"))
    if spec.default_embedding is not None:
        model_ref(spec.default_embedding, ("default_embedding",))
        if spec.default_embedding in models and models[spec.default_embedding].kind != "embedding":
            problems.append(lm.problem(("default_embedding",), f"'{spec.default_embedding}' is a chat model, not "
                                                               "an embedding model (kind: embedding)"))
    types = KNOWN_ENTITY_TYPES | custom_types(config.classifier.recognizers) | set(spec.entity_types)
    for name, members in spec.groups.items():
        if name in types or name == ANY_TYPE:
            problems.append(lm.problem(("groups", name), f"group name '{name}' is an entity type"))
        for i, member in enumerate(members):
            if member in spec.groups:
                problems.append(lm.problem(("groups", name, i),
                                           f"'{member}' is a group; groups list entity types"))
            elif member not in types:
                problems.append(lm.problem(("groups", name, i), _unknown_type(member, types)))

    def check_condition(cond: Condition | None, path: PathKey) -> None:
        for c, p in _walk(cond, path):
            if c.entities is not None:
                ent = c.entities
                for kind, items in (("any", ent.any_), ("all", ent.all_), ("none", ent.none)):
                    for i, item in enumerate(items or []):
                        if item != ANY_TYPE and item not in spec.groups and item not in types:
                            problems.append(lm.problem((*p, "entities", kind, i),
                                                       _unknown_type(item, types, list(spec.groups))))
            if c.model is not None:
                for value, sub in _op_values(c.model):
                    if value != "auto" and value not in models:
                        msg = f"unknown model '{value}' (known: {known_models} or 'auto')"
                        problems.append(lm.problem((*p, "model", *sub), msg))
            if c.endpoint is not None:
                for value, sub in _op_values(c.endpoint):
                    if value not in ENDPOINTS:
                        problems.append(lm.problem((*p, "endpoint", *sub), f"unknown endpoint '{value}' "
                                                   f"(known: {', '.join(sorted(ENDPOINTS))})"))

    for i, g in enumerate(spec.guards):
        check_condition(g.when, ("guards", i, "when"))
    for i, r in enumerate(spec.routes):
        check_condition(r.when, ("routes", i, "when"))
        if r.to is not None:
            model_ref(r.to, ("routes", i, "to"), requested_ok=True)
        for j, fb in enumerate(r.fallback):
            model_ref(fb, ("routes", i, "fallback", j))
        for j, item in enumerate(r.redact):
            if item == ANY_TYPE:
                problems.append(lm.problem(("routes", i, "redact", j), "redact names entity types or groups, not '*'"))
            elif item not in spec.groups and item not in types:
                problems.append(lm.problem(("routes", i, "redact", j), _unknown_type(item, types, list(spec.groups))))
    return problems


def _unknown_type(name: str, types: set[str] | frozenset[str], groups: list[str] | None = None) -> str:
    what = "entity type or group" if groups is not None else "entity type"
    close = difflib.get_close_matches(name, [*types, *(groups or [])], n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else " (declare custom types under entity_types)"
    return f"unknown {what} '{name}'{hint}"


def _lint(spec: PolicySpec, config: Config, lm: LineMap) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    seen: dict[str, str] = {}
    ids = [("guards", i, g.id) for i, g in enumerate(spec.guards)]
    ids += [("routes", i, r.id) for i, r in enumerate(spec.routes)]
    for kind, i, id_ in ids:
        if id_ in RESERVED_IDS:
            problems.append(lm.problem((kind, i, "id"), f"'{id_}' is reserved"))
        elif id_ in seen:
            problems.append(lm.problem((kind, i, "id"), f"duplicate id '{id_}' (also {seen[id_]})"))
        seen.setdefault(id_, f"{kind}[{i}]")

    def zone(model: str) -> Zone | None:
        return config.zone_of_model(model) if model in config.models else None

    always_denied: dict[Zone, str] = {}  # zone -> a guard without condition that denies it
    deniable: set[Zone] = set()
    for g in spec.guards:
        deniable.update(g.deny_zones)
        if always_true(g.when):
            for z in g.deny_zones:
                always_denied.setdefault(z, g.id)

    def denied(model: str, path: PathKey, what: str) -> None:
        z = zone(model)
        if z is not None and z in always_denied:
            problems.append(lm.problem(path, f"{what} '{model}' is in zone {z}, which guard "
                                             f"'{always_denied[z]}' denies to every request"))

    denied(spec.default, ("default",), "default")
    catch_all: str | None = None
    for i, r in enumerate(spec.routes):
        if catch_all is not None:
            problems.append(lm.problem(("routes", i, "id"), f"route '{r.id}' is unreachable: route "
                                                            f"'{catch_all}' before it matches every request"))
            continue
        if r.to is not None and r.to != REQUESTED:
            denied(r.to, ("routes", i, "to"), f"route '{r.id}' is never taken: target")
        for j, fb in enumerate(r.fallback):
            denied(fb, ("routes", i, "fallback", j), "fallback")
        target_zone = zone(r.to) if r.to is not None and r.to != REQUESTED else None
        unskippable = r.action == "block" or (target_zone is not None and target_zone not in deniable)
        if always_true(r.when) and unskippable:
            catch_all = r.id
    return problems


def _compile(spec: PolicySpec, config: Config, text: str, file: str) -> Policy:
    models = {name: Target(name, m.backend, config.zone_of_model(name), m.kind) for name, m in config.models.items()}
    groups = {name: frozenset(members) for name, members in spec.groups.items()}
    guards = tuple(Guard(g.id, compile_condition(g.when, groups, spec.min_score), frozenset(g.deny_zones),
                         mentions_semantics(g.when))
                   for g in spec.guards)
    routes = tuple(
        Route(
            id=r.id,
            matches=compile_condition(r.when, groups, spec.min_score),
            action=r.action,
            target=models[r.to] if r.to is not None and r.to != REQUESTED else None,
            fallback=tuple(models[fb] for fb in r.fallback),
            message=(r.message or f"Request blocked by policy route '{r.id}'.")
            if r.action == "block" else None,
            semantic=mentions_semantics(r.when),
            redact=frozenset(t for item in r.redact for t in groups.get(item, frozenset({item}))),
        )
        for r in spec.routes
    )
    return Policy(
        version=hashlib.sha256(text.encode("utf-8")).hexdigest()[:12],
        source=file,
        default=models[spec.default],
        guards=guards,
        routes=routes,
        models=MappingProxyType(models),
        on_error=config.classifier.on_error,
        min_score=spec.min_score,
        entity_types=_named_types(spec, groups),
        default_embedding=models[spec.default_embedding] if spec.default_embedding is not None else None,
        redact_floor=_lowest_entity_score(spec),
    )


def _lowest_entity_score(spec: PolicySpec) -> float:
    """The lowest score at which any entity condition of the policy counts an entity."""
    scores = [spec.min_score]
    for rule_when in [g.when for g in spec.guards] + [r.when for r in spec.routes]:
        for cond, _ in _walk(rule_when, ()):
            if cond.entities is not None and cond.entities.min_score is not None:
                scores.append(cond.entities.min_score)
    return min(scores)


def _named_types(spec: PolicySpec, groups: dict[str, frozenset[str]]) -> frozenset[str]:
    named: set[str] = set()
    for rule_when in [g.when for g in spec.guards] + [r.when for r in spec.routes]:
        for cond, _ in _walk(rule_when, ()):
            if cond.entities is not None:
                ent = cond.entities
                for item in [*(ent.any_ or []), *(ent.all_ or []), *(ent.none or [])]:
                    if item != ANY_TYPE:
                        named |= groups.get(item, frozenset({item}))
    return frozenset(named)
