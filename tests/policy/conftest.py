"""Fixtures for the policy tests.

``detector``: the classifier that request-based policy test cases need. The policy package must
not import the detector, so this returns None until the integration provides one; override it
(e.g. in a top-level conftest) to run ``policies/tests/*`` request-based cases with the real one.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from gateway.request import GatewayRequest
from gateway.signals import Signals


@pytest.fixture(scope="session")
def detector() -> Callable[[GatewayRequest], Signals] | None:
    return None
