"""Policy test cases (``policies/tests/*.yaml``) and their runner.

A file names the policy it tests (a path relative to the test file) and lists cases::

    policy: ../default.yaml
    cases:
      - name: an e-mail address stays local
        signals: {entities: {EMAIL_ADDRESS: 0.9}, model: auto}
        expect: {route: default, model: local-llama, zone: local}
      - name: a harmless question goes to the cloud      # needs the detector
        request: {endpoint: chat, body: {model: auto, messages: [{role: user, content: "hi"}]}}
        expect: {zone: cloud}

``signals`` are bare detector output: ``entities`` maps a type to a score (a float), a count (an
int, each at score 1.0) or ``{score, count}``, or is a list of types; plus ``classify_failed``,
``prompt_tokens``, ``language``, ``content`` (kinds that cannot be read as text), ``categories``
(``{name: score}``) and ``complexity`` (the semantic model's scores; ``semantic_failed``), and the request
facts ``model`` (default ``auto``), ``endpoint`` (default ``chat``), ``team``, ``key``,
``headers``. A ``request`` case runs the classifier the caller injects; without one it is
reported as an error, never as passed.

``expect`` checks only the fields it names: ``route``, ``action`` (route/block/refuse) or
``block: true``, ``model``, ``backend``, ``zone``, ``guards`` (as a set), ``fallbacks``,
``message``, ``redact`` (the types the route pseudonymises, as a set).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from gateway.config import Config
from gateway.errors import ConfigError, ConfigProblem
from gateway.policy.compiled import Policy
from gateway.policy.decision import Decision
from gateway.policy.evaluate import evaluate
from gateway.policy.load import load_policy
from gateway.request import GatewayRequest
from gateway.signals import FAILED, NOT_NEEDED, Entity, Semantic, Signals
from gateway.types import Category, ContentKind, Endpoint
from gateway.yamlsrc import load_yaml_file, problems_from_validation

Classify = Callable[[GatewayRequest], Signals]
Status = Literal["pass", "fail", "error"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EntitySpec(_Strict):
    score: float = Field(1.0, ge=0.0, le=1.0)
    count: int = Field(1, ge=1)


class SignalsSpec(_Strict):
    entities: dict[str, float | int | EntitySpec] | list[str] = {}
    classify_failed: bool = False
    prompt_tokens: int = Field(0, ge=0)
    language: str | list[str] = []
    content: list[ContentKind] = []
    categories: dict[Category, float] = {}  # semantic scores; with complexity: the model's output
    complexity: float | None = Field(None, ge=0.0, le=1.0)
    semantic_failed: bool = False
    model: str = "auto"
    endpoint: Endpoint = "chat"
    team: str | None = None
    key: str | None = None
    headers: dict[str, str] = {}


class RequestSpec(_Strict):
    endpoint: Endpoint = "chat"
    body: dict[str, Any]
    model: str | None = None  # default: the body's model, else auto
    team: str | None = None
    key: str | None = None
    headers: dict[str, str] = {}


class Expect(_Strict):
    route: str | None = None
    action: Literal["route", "block", "refuse"] | None = None
    block: bool | None = None
    model: str | None = None
    backend: str | None = None
    zone: Literal["local", "cloud"] | None = None
    guards: list[str] | None = None
    fallbacks: list[str] | None = None
    message: str | None = None
    redact: list[str] | None = None


class Case(_Strict):
    name: str = Field(min_length=1)
    request: RequestSpec | None = None
    signals: SignalsSpec | None = None
    expect: Expect

    @model_validator(mode="after")
    def _one_input(self) -> Case:
        if (self.request is None) == (self.signals is None):
            raise ValueError("a case needs exactly one of 'request' or 'signals'")
        return self


class PolicyTestFile(_Strict):
    policy: str = Field(min_length=1)
    description: str | None = None
    cases: list[Case] = Field(min_length=1)


@dataclass(frozen=True)
class CaseResult:
    file: str
    line: int | None
    name: str
    status: Status
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "pass"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        head = f"{self.status.upper()} {where} {self.name}"
        if not self.message:
            return head
        return head + "\n" + "\n".join("  " + ln for ln in self.message.splitlines())


def summary(results: list[CaseResult]) -> str:
    counts = {s: sum(1 for r in results if r.status == s) for s in ("pass", "fail", "error")}
    return f"{counts['pass']} passed, {counts['fail']} failed, {counts['error']} errors"


def policy_of_test_file(path: Path) -> Path:
    """The resolved path of the policy a test file names (without validating the rest)."""
    data, _ = load_yaml_file(path)
    name = data.get("policy") if isinstance(data, dict) else None
    if not isinstance(name, str):
        raise ConfigError([ConfigProblem(str(path), None, "policy",
                                         "the test file needs 'policy: <path to the policy file>'")])
    return (path.parent / name).resolve()


def run_policy_tests(target: Policy | Config, directory: str | Path,
                     classify: Classify | None = None) -> list[CaseResult]:
    """Run every ``*.yaml`` test file in ``directory``.

    With a :class:`Config`, each file's policy is loaded against it (a policy that fails to load
    is one error result). With a :class:`Policy`, only the files that name that policy's source
    file run; the others test other policies and are ignored.
    """
    results: list[CaseResult] = []
    cache: dict[Path, Policy | ConfigError] = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        try:
            spec, lines = _load_test_file(path)
        except ConfigError as exc:
            results.extend(CaseResult(p.file, p.line, p.key or "(file)", "error", p.message)
                           for p in exc.problems)
            continue
        policy_path = (path.parent / spec.policy).resolve()
        policy: Policy | ConfigError
        if isinstance(target, Policy):
            if Path(target.source).resolve() != policy_path:
                continue
            policy = target
        else:
            if policy_path not in cache:
                try:
                    cache[policy_path] = load_policy(policy_path, target)
                except ConfigError as exc:
                    cache[policy_path] = exc
            policy = cache[policy_path]
        if isinstance(policy, ConfigError):
            results.append(CaseResult(str(path), lines.get(-1), "(policy)", "error",
                                      f"policy {spec.policy} does not load:\n{policy}"))
            continue
        for i, case in enumerate(spec.cases):
            results.append(_run_case(policy, case, str(path), lines.get(i), classify))
    return results


def _load_test_file(path: Path) -> tuple[PolicyTestFile, dict[int, int | None]]:
    data, linemap = load_yaml_file(path)
    try:
        spec = PolicyTestFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError([dataclasses.replace(p, message=p.message.removeprefix("Value error, "))
                           for p in problems_from_validation(exc, linemap)]) from None
    lines = {i: linemap.line_of(("cases", i)) for i in range(len(spec.cases))}
    lines[-1] = linemap.line_of(("policy",))
    return spec, lines


def _run_case(policy: Policy, case: Case, file: str, line: int | None,
              classify: Classify | None) -> CaseResult:
    if case.signals is not None:
        signals, request = _from_signals(case.signals)
    else:
        assert case.request is not None
        request = _from_request(case.request)
        if classify is None:
            return CaseResult(file, line, case.name, "error",
                              "request-based case needs a classifier (run it with the detector: "
                              "gateway policy test)")
        try:
            signals = classify(request)
        except Exception as exc:  # the classifier's failure is this case's error, not the run's
            return CaseResult(file, line, case.name, "error", f"classifier failed: {type(exc).__name__}")
    decision = evaluate(policy, signals, request)
    diffs = _compare(case.expect, decision)
    if not diffs:
        return CaseResult(file, line, case.name, "pass")
    return CaseResult(file, line, case.name, "fail", "\n".join([*diffs, "decision: " + _brief(decision)]))


def _from_signals(s: SignalsSpec) -> tuple[Signals, GatewayRequest]:
    entities: list[Entity] = []
    items = {t: 1.0 for t in s.entities} if isinstance(s.entities, list) else s.entities
    for type_, value in items.items():
        if isinstance(value, EntitySpec):
            score, count = value.score, value.count
        elif isinstance(value, int):
            score, count = 1.0, value
        else:
            score, count = value, 1
        entities.extend(Entity(type_, score, 0, 0, 0, 0) for _ in range(count))
    langs = [s.language] if isinstance(s.language, str) else s.language
    semantic = FAILED if s.semantic_failed else (
        Semantic({str(c): v for c, v in s.categories.items()}, s.complexity or 0.0)
        if s.categories or s.complexity is not None else NOT_NEEDED)
    signals = Signals(tuple(entities), s.classify_failed, s.prompt_tokens, frozenset(langs),
                      content=frozenset(s.content), semantic=semantic)
    headers = {k.lower(): v for k, v in s.headers.items()}
    request = GatewayRequest(endpoint=s.endpoint, body={}, model=s.model, stream=False,
                             request_id="policy-test", headers=headers, key_id=s.key, team=s.team)
    return signals, request


def _from_request(r: RequestSpec) -> GatewayRequest:
    model = r.model if r.model is not None else str(r.body.get("model", "auto"))
    headers = {k.lower(): v for k, v in r.headers.items()}
    return GatewayRequest(endpoint=r.endpoint, body=r.body, model=model, stream=bool(r.body.get("stream")),
                          request_id="policy-test", headers=headers, key_id=r.key, team=r.team)


def _compare(expect: Expect, d: Decision) -> list[str]:
    checks: list[tuple[str, object, object]] = [
        ("route", expect.route, d.route), ("action", expect.action, d.action),
        ("model", expect.model, d.model), ("backend", expect.backend, d.backend),
        ("zone", expect.zone, d.zone), ("message", expect.message, d.message),
    ]
    out = [f"{name}: expected {want!r}, got {got!r}" for name, want, got in checks
           if want is not None and want != got]
    if expect.block is not None and expect.block != (d.action == "block"):
        out.append(f"block: expected {expect.block}, got action {d.action!r}")
    if expect.guards is not None and set(expect.guards) != set(d.guards):
        out.append(f"guards: expected {sorted(expect.guards)}, got {sorted(d.guards)}")
    if expect.fallbacks is not None and list(expect.fallbacks) != list(d.fallbacks):
        out.append(f"fallbacks: expected {expect.fallbacks}, got {list(d.fallbacks)}")
    if expect.redact is not None and set(expect.redact) != set(d.redact):
        out.append(f"redact: expected {sorted(expect.redact)}, got {list(d.redact)}")
    return out


def _brief(d: Decision) -> str:
    skipped = "; ".join(f"{r}: {why}" for r, why in d.skipped) or "none"
    return (f"route={d.route} action={d.action} model={d.model} zone={d.zone} "
            f"guards=[{', '.join(d.guards)}] skipped=[{skipped}]")
