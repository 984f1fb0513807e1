"""Request ids: the client's own ``x-request-id`` when it is sane, else a new one."""

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
