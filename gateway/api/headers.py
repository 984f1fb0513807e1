"""Request ids: the client's own ``x-request-id`` when it has the shape of a generated id, else a
new one.

A client's id lands in the audit log, the response headers and the logs, so free text must not:
``anna.petrova`` or a card number are not ids. Accepted: a UUID (with or without dashes), or an
optional short prefix (``req_``, ``chatcmpl-``) and then 16 to 64 letters and digits with at least
four digits and at least two letters (what generators of random ids produce).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping

_UUID = re.compile(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}")
_TOKEN = re.compile(r"(?:[A-Za-z]{1,16}[_\-])?(?P<body>[A-Za-z0-9]{16,64})")


def sane_request_id(value: str) -> bool:
    if _UUID.fullmatch(value):
        return True
    m = _TOKEN.fullmatch(value)
    if m is None:
        return False
    body: str = m.group("body")
    digits = sum(ch.isdigit() for ch in body)
    return digits >= 4 and len(body) - digits >= 2


def request_id(headers: Mapping[str, str]) -> str:
    """The client's own ``x-request-id`` when it is a generated-looking id, else a new one."""
    given = headers.get("x-request-id")
    if given and sane_request_id(given):
        return given
    return uuid.uuid4().hex


def header_map(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """The request's headers (the ASGI scope's list: names lower case) as one plain dict, built
    once per request; where a name repeats, its first value counts, as ``Request.headers.get``."""
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in reversed(list(raw))}
