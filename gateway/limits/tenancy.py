"""Who a client is and what limits apply to it: the auth part of the config, resolved.

A :class:`Tenancy` is built from a validated config and the environment: every key's secret is
kept only as its SHA-256 (``secret_env`` keys are hashed as they are read; ``secret_sha256``
keys are given that way), and each key carries its :class:`~gateway.limits.plan.Rules` (its own
limits and budget and its team's), or None when nothing limits it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from gateway.config import Config
from gateway.limits.plan import Rules


@dataclass(frozen=True)
class KeyRecord:
    id: str
    team: str | None
    digest: bytes
    rules: Rules | None  # None: no limit or budget applies

    def __repr__(self) -> str:  # the digest stays out of logs too
        return f"KeyRecord(id={self.id!r}, team={self.team!r}, limited={self.rules is not None})"


@dataclass(frozen=True)
class Tenancy:
    keys: tuple[KeyRecord, ...]
    allow_anonymous: bool
    budgets: dict[str, float]  # team -> USD per period (for gateway_budget_usd)

    @classmethod
    def build(cls, config: Config, environ: Mapping[str, str]) -> tuple[Tenancy, list[str]]:
        """The tenancy of ``config``; warnings name keys whose variable is unset (never a value)."""
        warnings: list[str] = []
        records: list[KeyRecord] = []
        teams = config.auth.teams
        seen: dict[bytes, str] = {}
        for key in config.auth.keys:
            if key.secret_sha256 is not None:
                digest = bytes.fromhex(key.secret_sha256)
            else:
                assert key.secret_env is not None
                value = environ.get(key.secret_env)
                if not value:
                    warnings.append(f"auth key '{key.id}': environment variable {key.secret_env} is not set; "
                                    "key disabled")
                    continue
                digest = hashlib.sha256(value.encode()).digest()
            if digest in seen:
                warnings.append(f"auth keys '{seen[digest]}' and '{key.id}' have the same secret; "
                                f"'{key.id}' is disabled")
                continue
            seen[digest] = key.id
            team = teams.get(key.team) if key.team is not None else None
            rules = Rules(key.id, key.team, config.state.key_prefix, key.limits, key.budget,
                          team.limits if team else None, team.budget if team else None)
            records.append(KeyRecord(key.id, key.team, digest, None if rules.empty else rules))
        budgets = {name: t.budget.usd for name, t in teams.items() if t.budget is not None}
        return cls(tuple(records), config.auth.allow_anonymous, budgets), warnings

    @property
    def limited(self) -> dict[str, tuple[str, ...]]:
        """Key id -> what can refuse its requests, for every key something limits."""
        return {r.id: r.rules.kinds() for r in self.keys if r.rules is not None}

    def identify(self, presented: str) -> KeyRecord | None:
        """The key whose secret is ``presented``: the SHA-256 is compared with every key's in
        constant time (no early exit, so the time does not tell which key matched)."""
        digest = hashlib.sha256(presented.encode()).digest()
        found: KeyRecord | None = None
        for record in self.keys:
            if hmac.compare_digest(record.digest, digest):
                found = record
        return found
