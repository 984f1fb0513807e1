"""What leaves was judged (invariant 7), end to end: a distinctive value planted in every field
a client can send, and in the obfuscated forms a careless user or an attacker would write,
addressed to a cloud model on every endpoint: the cloud fakes never receive it.

Each case also runs as a control with a harmless value in the same place, which must reach the
cloud: the routes work, so a case that stays local does so because of what was found.
"""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.conftest import Servers
from tests.e2e.harness import KEY, RunningGateway
from tests.e2e.leakcases import CASES, EMAIL, Case
from tests.fakes.common import FakeBehaviour

pytestmark = pytest.mark.e2e


def cloud_received(fakes: list[FakeBehaviour]) -> str:
    """Everything the cloud fakes received: bodies (as sent, and re-serialised) and headers."""
    out = []
    for fake in fakes:
        for rec in fake.requests:
            out.append(rec.raw.decode("utf-8", "replace"))
            out.append(orjson.dumps(rec.body).decode() if rec.body is not None else "")
            out.append(orjson.dumps(rec.headers).decode())
    return "\n".join(out)


def send(gw: RunningGateway, case: Case, value: str) -> httpx.Response:
    body, headers = case.render(value)
    return httpx.post(gw.url + case.path, json=body, timeout=30,
                      headers={"authorization": f"Bearer {KEY}", **headers})


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_planted_value_never_reaches_the_cloud(servers: Servers, case: Case) -> None:
    gw, local, cloud, anthropic = servers
    for fake in (local, cloud, anthropic):
        fake.requests.clear()
    body, headers = case.render(case.value)
    explained = httpx.post(f"{gw.url}/v1/gateway/explain?endpoint={case.endpoint}", json=body, timeout=30,
                           headers={"authorization": f"Bearer {KEY}", **headers}).json()
    assert explained["entities"].get(case.expect), explained
    assert explained["zone"] in ("local", None) and "cloud" in explained["denied_zones"], explained

    r = send(gw, case, case.value)
    assert r.status_code == case.status, r.text
    if case.status == 200:
        assert r.headers["x-gateway-zone"] == "local"
        assert case.expect in r.headers["x-gateway-entities"], r.headers["x-gateway-entities"]
        assert local.requests  # served inside the perimeter
    seen = cloud_received([cloud, anthropic])
    assert case.value not in seen and EMAIL not in seen
    assert not cloud.requests and not anthropic.requests

    control = send(gw, case, case.control)
    assert control.status_code == (200 if case.status == 403 else case.status), control.text
    if control.status_code == 200:
        # Without the value the control goes where the policy sends harmless text, unless the gateway
        # names another reason to keep it in: content it cannot read, or a confidential category
        # (words like "my SSN is" are themselves a sign of personal data).
        reasons = control.headers["x-gateway-content"] or control.headers.get("x-gateway-categories", "")
        assert control.headers["x-gateway-zone"] == ("local" if reasons else case.control_zone), control.headers


json_leaf = st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from(["", "ok", "note", "alpha beta"])
json_values = st.recursive(json_leaf, lambda kids: st.lists(kids, max_size=3)
                           | st.dictionaries(st.sampled_from(["a", "b", "text", "content", "x-y", "name"]), kids,
                                             max_size=3), max_leaves=10)
PATHS = ["messages", "top", "tools", "metadata"]


@st.composite
def planted_bodies(draw: st.DrawFn) -> dict[str, Any]:
    """A valid chat request with random extra structure, the value planted at a random place."""
    body: dict[str, Any] = {"model": "gpt-4o", "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": draw(st.sampled_from(["Summarise this.", [{"type": "text", "text": "Hi"}]]))}]}
    extra = draw(json_values)
    where = draw(st.sampled_from(PATHS))
    if where == "messages":
        body["messages"][1]["extra"] = extra
        holder: Any = body["messages"][1]
        key: Any = "extra"
    elif where == "tools":
        body["tools"] = [{"type": "function", "function": {"name": "f", "parameters": {"x": extra}}}]
        holder, key = body["tools"][0]["function"]["parameters"], "x"
    elif where == "metadata":
        body["metadata"] = {"m": extra}
        holder, key = body["metadata"], "m"
    else:
        body["x_extra"] = extra
        holder, key = body, "x_extra"
    while isinstance(holder[key], (dict, list)) and holder[key] and draw(st.booleans()):
        holder = holder[key]
        key = draw(st.sampled_from(sorted(holder))) if isinstance(holder, dict) else draw(
            st.integers(0, len(holder) - 1))
    if isinstance(holder[key], dict):
        holder[key][draw(st.sampled_from(["note", EMAIL]))] = f"contact {EMAIL}"
    elif isinstance(holder[key], list):
        holder[key].append(EMAIL)
    else:
        holder[key] = draw(st.sampled_from([EMAIL, f"write to {EMAIL} today", {"to": EMAIL}]))
    return body


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=planted_bodies())
def test_a_value_at_a_random_place_never_reaches_the_cloud(servers: Servers, body: dict[str, Any]) -> None:
    gw, _, cloud, anthropic = servers
    cloud.requests.clear()
    r = httpx.post(gw.url + "/v1/chat/completions", json=body, timeout=30,
                   headers={"authorization": f"Bearer {KEY}"})
    assert r.status_code == 200, r.text
    assert r.headers["x-gateway-zone"] == "local"
    assert EMAIL not in cloud_received([cloud, anthropic])
