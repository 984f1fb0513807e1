"""The ``x-gateway-*`` response headers and request ids."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping

_REQUEST_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")


def request_id(headers: Mapping[str, str]) -> str:
    """The client's own ``x-request-id`` when it is a sane token, else a new one."""
    given = headers.get("x-request-id")
    if given and _REQUEST_ID.fullmatch(given):
        return given
    return uuid.uuid4().hex


def entities_header(counts: Mapping[str, int]) -> str:
    return ",".join(f"{t}:{n}" for t, n in sorted(counts.items()))


def decision_headers(request_id: str, route: str, backend: str, zone: str,
                     entities: Mapping[str, int]) -> dict[str, str]:
    return {
        "x-gateway-request-id": request_id,
        "x-gateway-rule": route,
        "x-gateway-backend": backend,
        "x-gateway-zone": zone,
        "x-gateway-entities": entities_header(entities),
    }
