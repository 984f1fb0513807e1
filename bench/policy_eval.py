"""Microbenchmark: evaluate() on policies of 10 and 100 routes.

    python bench/policy_eval.py [--number 20000]

Each policy has 4 guards (entities, header, team, language) and N routes mixing every kind of
condition; the measured requests fall through every route to the default (the worst case),
match the first route, or carry personal data so a guard fires and cloud routes are skipped.
"""

from __future__ import annotations

import argparse
import sys
import timeit
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gateway.config import load_config
from gateway.policy import Policy, evaluate, load_policy_text
from gateway.request import GatewayRequest
from gateway.signals import Entity, Signals

ROOT = Path(__file__).resolve().parents[1]


def make_policy(n_routes: int) -> dict[str, object]:
    routes: list[dict[str, object]] = []
    for i in range(n_routes):
        kind = i % 5
        when: dict[str, object]
        if kind == 0:
            when = {"all": [{"model": {"in": ["gpt-4o", "claude"]}}, {"header": {"x-tenant": f"tenant-{i}"}}]}
        elif kind == 1:
            when = {"entities": {"any": ["personal", "financial"], "min_count": 3 + i}}
        elif kind == 2:
            when = {"team": {"matches": f"^team-{i}$"}, "prompt_tokens": {"gte": 100_000 + i}}
        elif kind == 3:
            when = {"any": [{"key": f"key-{i}"}, {"not": {"endpoint": ["chat", "messages", "embeddings",
                                                                        "completions"]}}]}
        else:
            when = {"language": {"in": ["de", "fr"]}, "entities": {"none": ["secrets"]}}
        routes.append({"id": f"r{i}", "when": when, "to": ["gpt-4o", "claude", "local-llama"][i % 3],
                       "fallback": ["claude", "local-llama"]})
    routes[0] = {"id": "r0", "when": {"header": {"x-first": "yes"}}, "to": "gpt-4o", "fallback": ["claude"]}
    return {
        "version": 1, "default": "local-llama",
        "groups": {"personal": ["PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "RU_PASSPORT"],
                   "financial": ["CREDIT_CARD", "IBAN_CODE"], "secrets": ["SECRET"]},
        "guards": [
            {"id": "pii", "when": {"entities": {"any": ["personal", "financial", "secrets"]}},
             "deny_zones": ["cloud"]},
            {"id": "hdr", "when": {"header": {"x-data-class": ["restricted", "confidential"]}},
             "deny_zones": ["cloud"]},
            {"id": "team", "when": {"team": "clinical"}, "deny_zones": ["cloud"]},
            {"id": "ru", "when": {"language": "ru"}, "deny_zones": ["cloud"]},
        ],
        "routes": routes,
    }


def request(headers: dict[str, str] | None = None) -> GatewayRequest:
    return GatewayRequest(endpoint="chat", body={}, model="auto", stream=False, request_id="bench",
                          headers=headers or {"user-agent": "bench", "x-tenant": "none"}, team="analytics")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--number", type=int, default=20000)
    args = parser.parse_args()
    config = load_config(ROOT / "config.example.yaml")
    clean = Signals(prompt_tokens=420, languages=frozenset({"en"}))
    personal = Signals((Entity("EMAIL_ADDRESS", 0.95, 0, 0, 3, 20), Entity("PERSON", 0.85, 0, 0, 30, 40),
                        Entity("LOCATION", 0.7, 1, 0, 0, 6)), prompt_tokens=420, languages=frozenset({"en"}))
    cases = [
        ("fall through to default", clean, request()),
        ("first route matches", clean, request({"x-first": "yes"})),
        ("guard fires, 3 entities", personal, request()),
    ]
    print(f"evaluate() time, best of 5 x {args.number} runs, Python {sys.version.split()[0]}")
    print(f"{'routes':>6}  {'case':<26} {'us/eval':>8}")
    for n in (10, 100):
        policy: Policy = load_policy_text(yaml.safe_dump(make_policy(n)), config, f"bench-{n}.yaml")
        for name, signals, req in cases:
            def run(p: Policy = policy, s: Signals = signals, r: GatewayRequest = req) -> None:
                evaluate(p, s, r)

            run()
            best = min(timeit.repeat(run, number=args.number, repeat=5))
            print(f"{n:>6}  {name:<26} {best / args.number * 1e6:>8.2f}")


if __name__ == "__main__":
    main()
