"""PolicyStore: atomic swap, last good policy, policy tests on reload, watch, SIGHUP, races."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from gateway.errors import ConfigError
from gateway.policy import PolicyStore, evaluate
from tests.policy.util import example_config, req, sig

TO_CLOUD = """\
version: 1
default: local-llama
routes:
  - {id: auto-cloud, when: {model: auto}, to: gpt-4o}
"""
TO_LOCAL = """\
version: 1
default: local-llama
routes:
  - {id: auto-local, when: {model: auto}, to: local-llama}
"""
INVALID = """\
version: 1
default: local-llama
routes:
  - {id: auto-cloud, when: {model: auto}, to: gpt-5}
"""
TESTS = """\
policy: ../policy.yaml
cases:
  - name: auto goes to the cloud
    signals: {model: auto}
    expect: {zone: cloud}
"""


def version_of(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def write(path: Path, text: str) -> None:
    """Replace the file the way editors do: write aside, then rename over it."""
    tmp = path.with_suffix(".tmp~")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    p = tmp_path / "policy.yaml"
    write(p, TO_CLOUD)
    return p


def test_open_reload_and_callback(policy_file: Path) -> None:
    calls: list[tuple[str, str]] = []
    store = PolicyStore.open(example_config(), path=policy_file, on_reload=lambda r, v: calls.append((r, v)))
    v1 = store.current.version
    assert calls == [("success", v1)]
    assert store.evaluate(sig(), req()).route == "auto-cloud"

    write(policy_file, TO_LOCAL)
    result = store.reload()
    assert result.ok and result.changed and result.previous == v1 and result.version == store.current.version
    assert store.evaluate(sig(), req()).route == "auto-local"
    assert calls[-1] == ("success", result.version)


def test_invalid_policy_never_installs(policy_file: Path, caplog: pytest.LogCaptureFixture) -> None:
    calls: list[tuple[str, str]] = []
    store = PolicyStore.open(example_config(), path=policy_file, on_reload=lambda r, v: calls.append((r, v)))
    before = store.current
    write(policy_file, INVALID)
    with caplog.at_level(logging.ERROR, logger="gateway.policy"):
        result = store.reload()
    assert not result.ok and result.version == before.version
    assert store.current is before
    assert calls[-1] == ("error", before.version)
    assert any("routes[0].to: unknown model 'gpt-5'" in p for p in result.problems)
    assert "unknown model 'gpt-5'" in caplog.text and "keeping version " + before.version in caplog.text


def test_missing_file_keeps_running_policy(policy_file: Path) -> None:
    store = PolicyStore.open(example_config(), path=policy_file)
    before = store.current
    policy_file.unlink()
    assert not store.reload().ok
    assert store.current is before


def test_reload_runs_policy_tests(policy_file: Path, tmp_path: Path) -> None:
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "policy.yaml").write_text(TESTS)
    (tests / "other.yaml").write_text(
        "policy: ../elsewhere.yaml\ncases: [{name: x, signals: {}, expect: {zone: local}}]\n")
    store = PolicyStore.open(example_config(), path=policy_file, tests_dir=tests, test_on_start=True)
    before = store.current
    write(policy_file, TO_LOCAL)  # valid, but breaks its own test
    result = store.reload()
    assert not result.ok and store.current is before
    assert len(result.problems) == 1
    assert "policy test failed: FAIL" in result.problems[0]
    assert "zone: expected 'cloud', got 'local'" in result.problems[0]
    write(policy_file, TO_CLOUD + "# a comment changes the version\n")
    assert store.reload().ok and store.current is not before


def test_open_refuses_failing_tests(policy_file: Path, tmp_path: Path) -> None:
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "policy.yaml").write_text(TESTS.replace("zone: cloud", "zone: local"))
    with pytest.raises(ConfigError, match="policy test failed"):
        PolicyStore.open(example_config(), path=policy_file, tests_dir=tests, test_on_start=True)


def test_in_flight_requests_keep_their_policy(policy_file: Path) -> None:
    store = PolicyStore.open(example_config(), path=policy_file)
    snapshot = store.current  # a request reads the policy once...
    write(policy_file, TO_LOCAL)
    assert store.reload().ok
    d = evaluate(snapshot, sig(), req())  # ...and finishes under it
    assert d.route == "auto-cloud" and d.policy_version == snapshot.version


def test_reload_race_threads(policy_file: Path) -> None:
    """Threads evaluate in a tight loop while valid and invalid files are swapped in: every
    evaluation sees one complete policy, and the invalid one never runs."""
    config = example_config()
    store = PolicyStore.open(config, path=policy_file)
    versions: dict[str, str] = {}
    for text, route in ((TO_CLOUD, "auto-cloud"), (TO_LOCAL, "auto-local")):
        write(policy_file, text)
        assert store.reload().ok
        versions[store.current.version] = route
    stop = threading.Event()
    errors: list[str] = []
    counts = [0] * 4

    def reader(i: int) -> None:
        while not stop.is_set():
            d = store.evaluate(sig(), req())
            if versions.get(d.policy_version) != d.route:
                errors.append(f"{d.policy_version} -> {d.route}")
            counts[i] += 1

    threads = [threading.Thread(target=reader, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    outcomes = []
    try:
        deadline = time.monotonic() + 1.5
        texts = [TO_CLOUD, INVALID, TO_LOCAL, INVALID]
        i = 0
        while time.monotonic() < deadline:
            write(policy_file, texts[i % 4])
            outcomes.append(store.reload().ok)
            assert store.current.version in versions
            i += 1
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors
    assert all(c > 0 for c in counts)
    assert True in outcomes and False in outcomes


async def test_reload_race_tasks(policy_file: Path) -> None:
    store = PolicyStore.open(example_config(), path=policy_file)
    good = {version_of(TO_CLOUD): "auto-cloud", version_of(TO_LOCAL): "auto-local"}
    seen: set[str] = set()
    stop = asyncio.Event()

    async def requests() -> None:
        while not stop.is_set():
            policy = store.current
            await asyncio.sleep(0.001)  # the request is in flight while a reload may land
            d = evaluate(policy, sig(), req())
            assert good[d.policy_version] == d.route
            seen.add(d.policy_version)

    tasks = [asyncio.create_task(requests()) for _ in range(8)]
    for text in (INVALID, TO_LOCAL, INVALID, TO_CLOUD, INVALID):
        write(policy_file, text)
        result = await store.areload()
        assert result.ok is (text is not INVALID)
        assert store.current.version in good
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.gather(*tasks)
    assert len(seen) >= 2


async def wait_for(predicate, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_watch_picks_up_changes(policy_file: Path) -> None:
    calls: list[tuple[str, str]] = []
    store = PolicyStore.open(example_config(), path=policy_file, on_reload=lambda r, v: calls.append((r, v)))
    v1 = store.current.version
    stop = asyncio.Event()
    watcher = asyncio.create_task(store.watch(stop_event=stop, debounce_ms=100))
    try:
        await asyncio.sleep(0.3)  # let the watcher start
        (policy_file.parent / "unrelated.txt").write_text("x")
        write(policy_file, TO_LOCAL)
        await wait_for(lambda: store.current.version != v1)
        assert store.evaluate(sig(), req()).route == "auto-local"
        v2 = store.current.version
        write(policy_file, INVALID)
        await wait_for(lambda: calls[-1][0] == "error")
        assert store.current.version == v2
    finally:
        stop.set()
        await asyncio.wait_for(watcher, 5)


WITH_GUARD = """\
version: 1
default: local-llama
guards:
  - {id: pii-local, when: {entities: {any: [EMAIL_ADDRESS]}}, deny_zones: [cloud]}
routes:
  - {id: auto-cloud, when: {model: auto}, to: gpt-4o}
"""


async def test_a_file_written_in_two_steps_is_loaded_once_whole(policy_file: Path) -> None:
    """The first half of the new file is a valid policy without the guard; it must never run."""
    write(policy_file, WITH_GUARD)
    store = PolicyStore.open(example_config(), path=policy_file)
    versions: list[str] = []
    stop = asyncio.Event()
    watcher = asyncio.create_task(store.watch(stop_event=stop, debounce_ms=50, settle=0.6))
    try:
        await asyncio.sleep(0.3)
        half = WITH_GUARD.split("guards:")[0] + "routes:\n  - {id: auto-cloud, when: {model: auto}, to: gpt-4o}\n"
        with policy_file.open("w") as f:  # step one: a valid policy with no guard at all
            f.write(half)
        for _ in range(10):
            versions.append(store.current.version)
            await asyncio.sleep(0.05)
        write(policy_file, WITH_GUARD + "# edited\n")  # step two, 0.5 s later: the whole file
        await wait_for(lambda: "edited" in policy_file.read_text() and store.current.version != versions[0])
        versions.append(store.current.version)
    finally:
        stop.set()
        await asyncio.wait_for(watcher, 5)
    assert store.current.guards and store.current.guards[0].id == "pii-local"
    half_version = hashlib.sha256(half.encode()).hexdigest()[:12]
    assert half_version not in versions


def test_removing_a_guard_is_logged_loudly(policy_file: Path, caplog: pytest.LogCaptureFixture) -> None:
    write(policy_file, WITH_GUARD)
    store = PolicyStore.open(example_config(), path=policy_file)
    write(policy_file, TO_CLOUD)
    with caplog.at_level(logging.WARNING, logger="gateway.policy"):
        assert store.reload().ok
    assert any("REMOVES GUARDS pii-local" in r.getMessage() and r.levelno == logging.WARNING
               for r in caplog.records)


async def test_sighup_reloads(policy_file: Path) -> None:
    store = PolicyStore.open(example_config(), path=policy_file)
    v1 = store.current.version
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGHUP, store.reload_soon, loop)
    try:
        write(policy_file, TO_LOCAL)
        os.kill(os.getpid(), signal.SIGHUP)
        await wait_for(lambda: store.current.version != v1, timeout=5)
    finally:
        loop.remove_signal_handler(signal.SIGHUP)
