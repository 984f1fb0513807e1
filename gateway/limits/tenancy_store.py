"""The running :class:`Tenancy` (keys, teams, limits), reloaded when the config file changes.

Like the policy store: the config file is watched (its directory, since editors and Kubernetes
config maps replace files rather than write them) and reloaded at once on SIGHUP; a candidate is
the whole config validated again, and only its auth part is taken. A file that does not load
keeps the running tenancy (last good), logs the problems with file and line and is counted.
Requests read ``store.current`` once. Other sections of the config (backends, models, state)
take effect at the next start; a reload that changes them says so in the log.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Literal

from gateway.config import Config, load_config
from gateway.errors import ConfigError
from gateway.filewatch import ReloadsFile, file_digest
from gateway.limits.tenancy import Tenancy

Result = Literal["success", "error"]
OnReload = Callable[[Result, Tenancy], None]

log = logging.getLogger("gateway.auth")


class TenancyStore(ReloadsFile[bool]):
    def __init__(self, config: Config, environ: Mapping[str, str], *, path: str | Path | None = None,
                 on_reload: OnReload | None = None) -> None:
        """``path``: the config file to watch (None: never reloaded)."""
        self._config = config
        self._environ = environ
        self._path = Path(path) if path is not None else None
        self._on_reload = on_reload
        self._tenancy = self._build(config)
        self._digest = file_digest(self._path) if self._path is not None else None
        self._tasks: set[asyncio.Task[bool]] = set()
        self._notify("success")

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def current(self) -> Tenancy:
        """The running keys, teams and limits. Read once per request."""
        return self._tenancy

    def reload(self, *, force: bool = True) -> bool:
        """Load the config file again and take its auth part if it is valid; ``force=False``
        skips a file whose content has not changed. True when the candidate was taken."""
        if self._path is None:
            return False
        digest = file_digest(self._path)
        if not force and digest == self._digest:
            return True
        try:
            config = load_config(self._path)
        except ConfigError as exc:
            log.error("config reload refused, keeping the running keys and limits:\n%s",
                      "\n".join(str(p) for p in exc.problems))
            self._notify("error")
            return False
        for section in ("server", "backends", "models", "cost", "classifier", "policy", "audit", "state"):
            if getattr(config, section) != getattr(self._config, section):
                log.warning("config reload: '%s' changed; it takes effect at the next start", section)
        self._tenancy = self._build(config)
        self._config, self._digest = config, digest
        log.info("config reloaded: %d keys, %d teams", len(self._tenancy.keys), len(config.auth.teams))
        self._notify("success")
        return True

    def _build(self, config: Config) -> Tenancy:
        tenancy, warnings = Tenancy.build(config, self._environ)
        for warning in warnings:
            log.warning("%s", warning)
        return tenancy

    def _notify(self, result: Result) -> None:
        if self._on_reload is not None:
            try:
                self._on_reload(result, self._tenancy)
            except Exception:
                log.exception("on_reload callback failed")
