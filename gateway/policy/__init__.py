"""Routing policy: YAML guards and routes -> an explained :class:`Decision`.

Reads signals and names targets; never computes or calls them (imports none of ``api``,
``backends``, ``classify``, ``observability``). Public API:

* :func:`load_policy` / :func:`load_policy_text` -> :class:`Policy` (raise ``ConfigError``)
* :func:`evaluate` (pure) -> :class:`Decision` (``to_explain()``, ``headers()``)
* :func:`check_zone` / :func:`zone_allowed`: the zone invariant at every backend hop
* :class:`PolicyStore`: current policy, ``reload()``, ``watch()``, ``reload_soon()``
* :func:`run_policy_tests`: ``policies/tests/*.yaml``
"""

from gateway.policy.compiled import Policy, Target
from gateway.policy.decision import Decision
from gateway.policy.evaluate import evaluate, needs_semantics
from gateway.policy.load import load_policy, load_policy_text
from gateway.policy.store import PolicyStore, ReloadResult
from gateway.policy.testcases import CaseResult, run_policy_tests, summary
from gateway.policy.zonecheck import check_zone, zone_allowed

__all__ = [
    "CaseResult",
    "Decision",
    "Policy",
    "PolicyStore",
    "ReloadResult",
    "Target",
    "check_zone",
    "evaluate",
    "load_policy",
    "load_policy_text",
    "needs_semantics",
    "run_policy_tests",
    "summary",
    "zone_allowed",
]
