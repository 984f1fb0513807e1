"""Read a Prometheus text exposition into samples: {(name, frozenset(labels)): value}."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client.parser import text_string_to_metric_families

Sample = tuple[str, dict[str, str], float]


def samples(text: str) -> list[Sample]:
    return [(s.name, dict(s.labels), s.value) for family in text_string_to_metric_families(text)
            for s in family.samples]


def total(items: Iterable[Sample], name: str, **match: str) -> float:
    """Sum of the samples named ``name`` whose labels include ``match``."""
    return sum(v for n, labels, v in items if n == name and all(labels.get(k) == x for k, x in match.items()))
