"""Keys and their limits from the config: exactly one of secret_env and secret_sha256 (an error
with file and line otherwise), keys known only by their SHA-256, and the store that reloads them
when the config file changes, keeping the last good set when a change does not load."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import pytest

from gateway.config import load_config
from gateway.errors import ConfigError
from gateway.limits import Tenancy, TenancyStore

HEAD = """\
backends:
  local: {type: openai, zone: local, base_url: "http://127.0.0.1:9/v1"}
models:
  m: {backend: local, model: m}
"""
SECRET = "sk-gw-analytics-0123456789"
DIGEST = hashlib.sha256(SECRET.encode()).hexdigest()


def write(tmp: Path, auth: str, name: str = "config.yaml") -> Path:
    path = tmp / name
    path.write_text(HEAD + auth)
    return path


def test_exactly_one_secret_per_key_with_file_and_line(tmp_path: Path) -> None:
    for keys in ("    - {id: a, team: t}\n", f"    - {{id: a, secret_env: X, secret_sha256: {DIGEST}}}\n"):
        path = write(tmp_path, "auth:\n  keys:\n    - {id: ok, secret_env: OK}\n" + keys)
        with pytest.raises(ConfigError) as err:
            load_config(path)
        [problem] = err.value.problems
        assert (problem.file, problem.line, problem.key) == (str(path), 8, "auth.keys[1]")
        assert "exactly one of secret_env and secret_sha256" in problem.message
    path = write(tmp_path, "auth:\n  keys:\n    - {id: a, secret_sha256: abc}\n")
    with pytest.raises(ConfigError, match=r"config.yaml:7: auth.keys\[0\].secret_sha256"):
        load_config(path)
    path = write(tmp_path, "auth:\n  teams:\n    t: {limits: {rpm: 0}}\n")
    with pytest.raises(ConfigError, match=r"config.yaml:7: auth.teams.t.limits.rpm"):
        load_config(path)
    path = write(tmp_path, "state: {redis_url_env: R, on_error: retry}\n")
    with pytest.raises(ConfigError, match=r"config.yaml:5: state.on_error"):
        load_config(path)


def test_keys_by_sha256_or_environment_with_their_rules(tmp_path: Path) -> None:
    path = write(tmp_path, f"""\
auth:
  keys:
    - {{id: analytics, secret_env: GATEWAY_KEY_ANALYTICS, team: analytics, limits: {{rpm: 600, tpm: 200000}},
       budget: {{usd: 100, period: month}}}}
    - {{id: batch, secret_sha256: "{DIGEST.upper()}", team: analytics}}
    - {{id: free, secret_env: FREE}}
    - {{id: missing, secret_env: NOT_SET}}
  teams:
    analytics: {{limits: {{rpm: 2000}}, budget: {{usd: 1000, period: month}}}}
state: {{redis_url_env: GATEWAY_REDIS_URL, on_error: local}}
""")
    tenancy, warnings = Tenancy.build(load_config(path), {"GATEWAY_KEY_ANALYTICS": "env-secret", "FREE": "free"})
    assert warnings == ["auth key 'missing': environment variable NOT_SET is not set; key disabled"]
    batch = tenancy.identify(SECRET)
    assert batch is not None and (batch.id, batch.team) == ("batch", "analytics")
    assert batch.rules is not None and batch.rules.kinds() == ("requests", "budget")  # the team's
    analytics = tenancy.identify("env-secret")
    assert analytics is not None and analytics.rules is not None
    assert analytics.rules.kinds() == ("requests", "tokens", "budget")
    free = tenancy.identify("free")
    assert free is not None and free.rules is None  # nothing limits it: no store call at all
    assert tenancy.identify(SECRET + "x") is None and tenancy.identify("") is None
    assert tenancy.budgets == {"analytics": 1000}
    assert "env-secret" not in repr(tenancy) and DIGEST not in repr(tenancy).lower()


async def test_the_store_reloads_on_change_and_keeps_the_last_good(tmp_path: Path) -> None:
    path = write(tmp_path, "auth:\n  keys:\n    - {id: a, secret_env: A}\n")
    results: list[str] = []
    store = TenancyStore(load_config(path), {"A": "a-secret"}, path=path,
                         on_reload=lambda result, tenancy: results.append(result))
    assert store.current.identify("a-secret") is not None and store.current.identify(SECRET) is None
    stop = asyncio.Event()
    watcher = asyncio.create_task(store.watch(stop_event=stop, debounce_ms=50, settle=0.2))
    await asyncio.sleep(0.3)
    try:
        write(tmp_path, f"auth:\n  keys:\n    - {{id: a, secret_env: A}}\n    - {{id: b, secret_sha256: {DIGEST}}}\n")
        await until(lambda: store.current.identify(SECRET) is not None)
        good = store.current
        write(tmp_path, "auth:\n  keys:\n    - {id: a}\n")  # invalid: refused
        await until(lambda: results[-1:] == ["error"])
        assert store.current is good
        write(tmp_path, "auth:\n  keys: []\n", name="other.yaml")  # another file: ignored
        await asyncio.sleep(0.3)
        assert store.current is good and results == ["success", "success", "error"]
    finally:
        stop.set()
        await watcher
    path.write_text(HEAD + "auth:\n  keys: []\n  allow_anonymous: true\n")
    assert store.reload() and store.current.allow_anonymous and store.current.keys == ()


async def test_a_config_written_in_two_steps_never_runs_without_its_limits(tmp_path: Path) -> None:
    """The first half is a valid config whose key has no limits; it must never be taken."""
    whole = "auth:\n  keys:\n    - {id: a, secret_env: A, limits: {rpm: 5}}\n"
    path = write(tmp_path, whole)
    store = TenancyStore(load_config(path), {"A": "a-secret"}, path=path)
    seen: list[object] = []
    stop = asyncio.Event()
    watcher = asyncio.create_task(store.watch(stop_event=stop, debounce_ms=50, settle=0.6))
    try:
        await asyncio.sleep(0.3)
        with path.open("w") as f:  # step one: the key without its limit
            f.write(HEAD + "auth:\n  keys:\n    - {id: a, secret_env: A}\n")
        for _ in range(10):
            key = store.current.identify("a-secret")
            seen.append(key.rules if key is not None else "gone")
            await asyncio.sleep(0.05)
        write(tmp_path, whole.replace("rpm: 5", "rpm: 7"))  # step two, 0.5 s later
        await until(lambda: _rpm(store) == 7)
    finally:
        stop.set()
        await asyncio.wait_for(watcher, 5)
    assert None not in seen and "gone" not in seen


def _rpm(store: TenancyStore) -> object:
    key = store.current.identify("a-secret")
    limits = None if key is None or key.rules is None else key.rules.key_limits
    return None if limits is None else limits.rpm


async def until(predicate: object, seconds: float = 10) -> None:
    for _ in range(int(seconds / 0.05)):
        if predicate():  # type: ignore[operator]
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")
