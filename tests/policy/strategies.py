"""Hypothesis strategies for random configs, policies, signals and requests, plus a naive
reference interpreter of the policy format to check :func:`gateway.policy.evaluate` against.

Reusable by other test packages (e.g. the end-to-end zone-invariant test over HTTP)::

    from tests.policy.strategies import scenarios, reference

    @given(scenarios())
    def test_x(s): policy = s.policy(); ...
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml
from hypothesis import strategies as st

from gateway.config import Config
from gateway.policy import Policy, load_policy_text
from gateway.request import GatewayRequest
from gateway.signals import Entity, Signals

ENTITY_TYPES = ["PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "SECRET", "RU_PASSPORT",
                "LOCATION", "URL"]
BACKENDS = {"local-a": "local", "local-b": "local", "cloud-a": "cloud", "cloud-b": "cloud"}
TEAMS = ["alpha", "beta"]
CLASSES = ["public", "restricted"]
LANGS = ["en", "ru"]
ENDPOINTS = ["chat", "completions", "embeddings", "messages"]


@st.composite
def configs(draw: st.DrawFn) -> Config:
    """Two to five models spread over two local and two cloud backends."""
    n = draw(st.integers(2, 5))
    backend = st.sampled_from(sorted(BACKENDS))
    models = {f"m{i}": {"backend": draw(backend), "model": f"up-{i}"} for i in range(n)}
    backends: dict[str, Any] = {}
    for name, zone in BACKENDS.items():
        kind = {"type": "openai", "base_url": f"http://127.0.0.1:9/{name}"}
        backends[name] = {**kind, "zone": zone}
    on_error = draw(st.sampled_from(["assume_sensitive", "assume_sensitive", "block"]))
    return Config.model_validate({"backends": backends, "models": models,
                                  "classifier": {"on_error": on_error}})


def _str_ops(values: list[str]) -> st.SearchStrategy[Any]:
    v = st.sampled_from(values)
    subset = st.lists(v, min_size=1, max_size=len(values), unique=True)
    return st.one_of(
        v,  # shorthand eq
        subset,  # shorthand in
        st.builds(lambda x: {"eq": x}, v),
        st.builds(lambda x: {"in": x}, subset),
        st.builds(lambda x: {"not_in": x}, subset),
        st.builds(lambda x: {"matches": "^" + re.escape(x[:2])}, v),
    )


def _entity_cond(groups: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    items = st.lists(st.sampled_from([*ENTITY_TYPES, *groups, "*"]), min_size=1, max_size=3, unique=True)
    optional = st.fixed_dictionaries({}, optional={
        "any": items, "all": items, "none": items,
        "min_score": st.sampled_from([0.0, 0.3, 0.5, 0.8, 1.0]), "min_count": st.integers(1, 3)})
    return st.builds(lambda kind, first, rest: {**rest, kind: first},
                     st.sampled_from(["any", "any", "all", "none"]), items, optional)


def _leaf(models: list[str], groups: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(
        st.builds(lambda e: {"entities": e}, _entity_cond(groups)),
        st.builds(lambda e: {"entities": e}, _entity_cond(groups)),  # weight entity conditions up
        st.builds(lambda o: {"model": o}, _str_ops([*models, "auto"])),
        st.builds(lambda o: {"team": o}, _str_ops(TEAMS)),
        st.builds(lambda o: {"header": {"x-data-class": o}}, _str_ops(CLASSES)),
        st.builds(lambda o: {"endpoint": o}, _str_ops(ENDPOINTS)),
        st.builds(lambda o: {"language": o}, _str_ops(LANGS)),
        st.builds(lambda lo, hi: {"prompt_tokens": {"gte": lo, "lte": lo + hi}},
                  st.integers(0, 5000), st.integers(0, 5000)),
    )


def conditions(models: list[str], groups: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Condition maps with at least one leaf (so never trivially true: lint stays quiet)."""
    return st.recursive(
        _leaf(models, groups),
        lambda inner: st.one_of(
            st.builds(lambda xs: {"all": xs}, st.lists(inner, min_size=1, max_size=3)),
            st.builds(lambda xs: {"any": xs}, st.lists(inner, min_size=1, max_size=3)),
            st.builds(lambda x: {"not": x}, inner),
            st.builds(lambda a, b: {**a, **b}, inner, inner),  # a plain map means all
        ),
        max_leaves=4,
    )


@st.composite
def policy_docs(draw: st.DrawFn, config: Config) -> dict[str, Any]:
    models = sorted(config.models)
    n_groups = draw(st.integers(0, 2))
    groups = {f"g{i}": draw(st.lists(st.sampled_from(ENTITY_TYPES), min_size=1, max_size=4, unique=True))
              for i in range(n_groups)}
    cond = conditions(models, list(groups))
    zones = st.sampled_from([["cloud"]] * 6 + [["local"], ["cloud", "local"]])
    guards = [{"id": f"guard-{i}", "when": draw(cond), "deny_zones": draw(zones)}
              for i in range(draw(st.integers(0, 4)))]
    routes: list[dict[str, Any]] = []
    for i in range(draw(st.integers(0, 6))):
        route: dict[str, Any] = {"id": f"route-{i}", "when": draw(cond)}
        if draw(st.integers(0, 5)) == 0:
            route["action"] = "block"
        else:
            route["to"] = draw(st.sampled_from([*models, "requested"]))
            route["fallback"] = draw(st.lists(st.sampled_from(models), max_size=3))
        routes.append(route)
    return {"version": 1, "default": draw(st.sampled_from(models)),
            "min_score": draw(st.sampled_from([0.0, 0.5, 0.7])),
            "groups": groups, "guards": guards, "routes": routes}


@st.composite
def signals(draw: st.DrawFn) -> Signals:
    score = st.sampled_from([0.1, 0.3, 0.5, 0.6, 0.9, 1.0])
    ents = draw(st.lists(st.tuples(st.sampled_from(ENTITY_TYPES), score), max_size=6))
    return Signals(
        entities=tuple(Entity(t, s, 0, i, 0, 1) for i, (t, s) in enumerate(ents)),
        classify_failed=draw(st.integers(0, 7)) == 0,
        prompt_tokens=draw(st.integers(0, 10000)),
        languages=frozenset(draw(st.lists(st.sampled_from(LANGS), max_size=2))),
    )


@st.composite
def requests(draw: st.DrawFn, config: Config) -> GatewayRequest:
    headers = {}
    if draw(st.booleans()):
        headers["x-data-class"] = draw(st.sampled_from(CLASSES))
    return GatewayRequest(
        endpoint=draw(st.sampled_from(ENDPOINTS)), body={},
        model=draw(st.sampled_from([*sorted(config.models), "auto"])), stream=False, request_id="prop",
        headers=headers, key_id=None, team=draw(st.sampled_from([None, *TEAMS])))


@dataclass(frozen=True)
class Scenario:
    config: Config
    doc: dict[str, Any]
    signals: Signals
    request: GatewayRequest

    @property
    def text(self) -> str:
        return yaml.safe_dump(self.doc, sort_keys=False)

    def policy(self) -> Policy:
        return load_policy_text(self.text, self.config, "random.yaml")


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    config = draw(configs())
    return Scenario(config, draw(policy_docs(config)), draw(signals()), draw(requests(config)))


# --- a naive reference interpreter, written apart from gateway.policy.conditions -------------

Tri = bool | None


def _ops(spec: Any) -> dict[str, Any]:
    if isinstance(spec, list):
        return {"in": spec}
    return spec if isinstance(spec, dict) else {"eq": spec}


def _text(spec: Any, value: str | None) -> bool:
    results = []
    for op, arg in _ops(spec).items():
        if op == "eq":
            results.append(value == arg)
        elif op == "in":
            results.append(value in arg)
        elif op == "not_in":
            results.append(value not in arg)
        elif op == "matches":
            results.append(value is not None and re.search(arg, value) is not None)
        elif op == "gte":
            results.append(value is not None and int(value) >= arg)
        elif op == "lte":
            results.append(value is not None and int(value) <= arg)
    return all(results)


def _types(items: list[str], groups: dict[str, list[str]]) -> set[str] | None:
    if "*" in items:
        return None
    out: set[str] = set()
    for it in items:
        out |= set(groups.get(it, [it]))
    return out


def reference_match(cond: dict[str, Any] | None, doc: dict[str, Any], s: Signals, r: GatewayRequest) -> Tri:
    if cond is None:
        return True
    results: list[Tri] = []
    for key, spec in cond.items():
        if key == "all":
            results.append(_kleene_all([reference_match(c, doc, s, r) for c in spec]))
        elif key == "any":
            subs = [reference_match(c, doc, s, r) for c in spec]
            results.append(True if True in subs else (None if None in subs else False))
        elif key == "not":
            sub = reference_match(spec, doc, s, r)
            results.append(None if sub is None else not sub)
        elif key == "entities":
            results.append(None if s.classify_failed else _entities(spec, doc, s))
        elif key == "language":
            if s.classify_failed:
                results.append(None)
            else:
                ops = _ops(spec)
                ok = all(lang not in ops["not_in"] for lang in s.languages) if "not_in" in ops else True
                pos = {k: v for k, v in ops.items() if k != "not_in"}
                results.append(ok and (not pos or any(_text(pos, lang) for lang in s.languages)))
        elif key == "header":
            results.append(all(_text(o, r.headers.get(h.lower())) for h, o in spec.items()))
        elif key == "prompt_tokens":
            results.append(_text(spec, str(s.prompt_tokens)) if "in" not in _ops(spec) else
                           s.prompt_tokens in _ops(spec)["in"])
        else:
            value = {"model": r.model, "team": r.team, "key": r.key_id, "endpoint": r.endpoint}[key]
            results.append(_text(spec, value))
    return _kleene_all(results)


def _kleene_all(results: list[Tri]) -> Tri:
    return False if False in results else (None if None in results else True)


def _entities(spec: dict[str, Any], doc: dict[str, Any], s: Signals) -> bool:
    threshold = spec.get("min_score", doc.get("min_score", 0.5))
    need = spec.get("min_count", 1)
    found = [e.type for e in s.entities if e.score >= threshold]

    def count(items: list[str]) -> int:
        types = _types(items, doc.get("groups", {}))
        return sum(1 for t in found if types is None or t in types)

    ok = True
    if "any" in spec:
        ok &= count(spec["any"]) >= need
    if "none" in spec:
        ok &= count(spec["none"]) < need
    if "all" in spec:
        ok &= all(count([item]) >= need for item in spec["all"])
    return ok


@dataclass(frozen=True)
class Expected:
    route: str
    action: str
    model: str | None
    denied: frozenset[str]


def reference(sc: Scenario) -> Expected:
    """What the contract says the decision must be, computed naively."""
    doc, s, r, cfg = sc.doc, sc.signals, sc.request, sc.config
    denied = frozenset(z for g in doc["guards"] if reference_match(g["when"], doc, s, r) is not False
                       for z in g["deny_zones"])
    if s.classify_failed and cfg.classifier.on_error == "block":
        return Expected("classification-failed", "block", None, denied)
    kind = "embedding" if r.endpoint == "embeddings" else "chat"  # a model only of the request's kind
    for route in doc["routes"]:
        if reference_match(route.get("when"), doc, s, r) is not True:
            continue
        if route.get("action") == "block":
            return Expected(route["id"], "block", None, denied)
        target = r.model if route["to"] == "requested" else route["to"]
        if target not in cfg.models or cfg.models[target].kind != kind or cfg.zone_of_model(target) in denied:
            continue
        return Expected(route["id"], "route", target, denied)
    default = doc["default"] if kind == "chat" else doc.get("default_embedding")
    if default is None or cfg.zone_of_model(default) in denied:
        return Expected("default", "refuse", None, denied)
    return Expected("default", "route", default, denied)
