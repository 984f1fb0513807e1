"""Keys, per-key and per-team limits (requests and tokens per minute) and budgets (USD per day,
week or month), shared by every replica through Redis or kept in this process.

Pure parts: :mod:`~gateway.limits.gcra` (the algorithm), :mod:`~gateway.limits.periods`,
:mod:`~gateway.limits.plan` (what to check for a key), :mod:`~gateway.limits.verdict` (the
decision, headers and errors). Stores: :mod:`~gateway.limits.local` and
:mod:`~gateway.limits.redis_store`, behind :class:`~gateway.limits.limiter.Limiter`. Keys:
:mod:`~gateway.limits.tenancy` and its hot-reloading :mod:`~gateway.limits.tenancy_store`.
"""

from gateway.limits.limiter import Limiter, LimitEvents
from gateway.limits.plan import Plan, Rules
from gateway.limits.tenancy import KeyRecord, Tenancy
from gateway.limits.tenancy_store import TenancyStore
from gateway.limits.verdict import Verdict

__all__ = ["KeyRecord", "LimitEvents", "Limiter", "Plan", "Rules", "Tenancy", "TenancyStore", "Verdict",
           "estimate_tokens"]


def estimate_tokens(body_bytes: int) -> int:
    """Tokens a request is counted at before its usage is known: about four bytes a token."""
    return body_bytes // 4
