"""The running policy, and its hot reload.

:class:`PolicyStore` holds one compiled :class:`Policy`. A request reads ``store.current`` once
and evaluates against that object to the end, so a reload never changes a decision half-way
("in-flight requests finish under the policy they started with"). A reload loads, validates and
lints the file, runs the policy tests that name it, and only then swaps the reference (a single
attribute assignment, atomic under the GIL). Any failure keeps the running policy, logs why
(file, line, key, failing case names: never request content) and is reported through the
injected ``on_reload(result, version)`` callback (for ``gateway_policy_reloads_total`` and
``gateway_policy_info``).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from gateway.config import Config
from gateway.errors import ConfigError, ConfigProblem
from gateway.filewatch import ReloadsFile, file_digest
from gateway.policy.compiled import Policy
from gateway.policy.decision import Decision
from gateway.policy.evaluate import evaluate
from gateway.policy.load import load_policy
from gateway.policy.testcases import Classify, run_policy_tests
from gateway.request import GatewayRequest
from gateway.signals import Signals

ReloadStatus = Literal["success", "error"]
OnReload = Callable[[ReloadStatus, str], None]

_log = logging.getLogger("gateway.policy")


@dataclass(frozen=True)
class ReloadResult:
    status: ReloadStatus
    version: str  # the version running after the reload (the old one when it failed)
    previous: str
    problems: tuple[str, ...] = ()  # why it failed: load problems or failing policy tests
    changed: bool = True  # False when the file's content was unchanged (watch only)

    @property
    def ok(self) -> bool:
        return self.status == "success"


class PolicyStore(ReloadsFile[ReloadResult]):
    def __init__(self, config: Config, policy: Policy, *, path: str | Path,
                 tests_dir: str | Path | None = None, classify: Classify | None = None,
                 on_reload: OnReload | None = None, logger: logging.Logger | None = None) -> None:
        self._config = config
        self._policy = policy
        self._path = Path(path)
        self._tests_dir = Path(tests_dir) if tests_dir is not None else None
        self._classify = classify
        self._on_reload = on_reload
        self._log = logger or _log
        self._lock = threading.Lock()  # one reload at a time; readers never wait
        self._tasks: set[asyncio.Task[ReloadResult]] = set()

    @classmethod
    def open(cls, config: Config, *, path: str | Path | None = None,
             tests_dir: str | Path | None = None, classify: Classify | None = None,
             on_reload: OnReload | None = None, test_on_start: bool = False) -> PolicyStore:
        """Load the config's policy (or ``path``); raise :class:`ConfigError` if it does not load
        (or, with ``test_on_start``, if its policy tests fail)."""
        p = Path(path) if path is not None else config.resolve_path(config.policy)
        policy = load_policy(p, config)
        store = cls(config, policy, path=p, tests_dir=tests_dir, classify=classify, on_reload=on_reload)
        if test_on_start:
            failures = store._test(policy)
            if failures:
                raise _tests_failed(str(p), failures)
        if on_reload is not None:
            on_reload("success", policy.version)
        return store

    @property
    def current(self) -> Policy:
        """The running policy. Read it once per request and keep the object."""
        return self._policy

    @property
    def classify(self) -> Classify | None:
        """The classifier that request-based policy tests use at reload."""
        return self._classify

    @property
    def path(self) -> Path:
        return self._path

    def evaluate(self, signals: Signals, request: GatewayRequest) -> Decision:
        return evaluate(self._policy, signals, request)

    def reload(self, *, force: bool = True) -> ReloadResult:
        """Load, lint and test the policy file; install it only if all of that succeeds.
        ``force=False`` skips a file whose content equals the running version."""
        with self._lock:
            previous = self._policy.version
            if not force and (file_digest(self._path) or "")[:12] == previous:
                return ReloadResult("success", previous, previous, changed=False)
            try:
                candidate = load_policy(self._path, self._config)
                failures = self._test(candidate)
                if failures:
                    raise _tests_failed(str(self._path), failures)
            except ConfigError as exc:
                problems = tuple(str(p) for p in exc.problems)
                self._log.error("policy reload refused, keeping version %s:\n%s",
                                previous, "\n".join(problems))
                self._notify("error", previous)
                return ReloadResult("error", previous, previous, problems)
            except Exception as exc:  # never let a reload take the running policy down
                self._log.exception("policy reload failed, keeping version %s", previous)
                self._notify("error", previous)
                return ReloadResult("error", previous, previous, (f"unexpected error: {type(exc).__name__}",))
            removed = sorted({g.id for g in self._policy.guards} - {g.id for g in candidate.guards})
            if removed:
                self._log.warning("POLICY RELOAD REMOVES GUARDS %s (version %s -> %s): requests they "
                                  "kept out of a zone may now reach it", ", ".join(removed), previous,
                                  candidate.version)
            self._policy = candidate
            self._log.info("policy reloaded: version %s (was %s)", candidate.version, previous)
            self._notify("success", candidate.version)
            return ReloadResult("success", candidate.version, previous, changed=candidate.version != previous)

    def _test(self, policy: Policy) -> list[str]:
        if self._tests_dir is None or not self._tests_dir.is_dir():
            return []
        results = run_policy_tests(policy, self._tests_dir, self._classify)
        return [str(r) for r in results if not r.ok]

    def _notify(self, status: ReloadStatus, version: str) -> None:
        if self._on_reload is None:
            return
        try:
            self._on_reload(status, version)
        except Exception:
            self._log.exception("on_reload callback failed")


def _tests_failed(file: str, failures: list[str]) -> ConfigError:
    return ConfigError([ConfigProblem(file, None, "", f"policy test failed: {f}") for f in failures])
