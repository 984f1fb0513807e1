"""The detector's worker processes: results, fairness, timeouts and dead workers replaced."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator

import pytest

from gateway.classify.pool import DetectorPool, WorkerFailed, balanced_cut
from gateway.classify.service import ClassifyService
from gateway.config import ClassifierConfig
from gateway.outbound import outbound
from tests.fakes.server import child_pids

pytestmark = pytest.mark.e2e

CFG = ClassifierConfig(workers=1)
WORKER = "gateway.classify.workerproc"


async def wait_for(condition: object, seconds: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():  # type: ignore[operator]
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


@pytest.fixture
async def pool() -> AsyncIterator[DetectorPool]:
    p = DetectorPool(CFG, 1, grace=0.0)
    await p.start()
    yield p
    await p.aclose()


async def test_scans_in_a_worker(pool: DetectorPool) -> None:
    ((result,),) = await pool.run("a", [[("scan", "mail jane@example.com", -1)]], timeout=30)
    assert [s.type for s in result.spans] == ["EMAIL_ADDRESS"]
    assert pool.status().ready == 1 and pool.pids() and os.getpid() not in pool.pids()


async def test_a_killed_worker_is_replaced_and_readiness_says_so(pool: DetectorPool) -> None:
    (pid,) = pool.pids()
    os.kill(pid, signal.SIGKILL)
    await wait_for(lambda: not pool.ready, 5)  # /readyz tells the truth meanwhile
    with pytest.raises((WorkerFailed, TimeoutError)):
        await pool.run("b", [[("scan", "hello", -1)]], timeout=0.5)
    await wait_for(lambda: pool.ready, 120)
    assert pool.status().restarts == 1 and pool.pids() != [pid]
    ((result,),) = await pool.run("c", [[("scan", "call +1 415 555 0100", -1)]], timeout=30)
    assert result.spans


async def test_a_detection_past_its_time_is_stopped(pool: DetectorPool) -> None:
    (pid,) = pool.pids()
    long_text = "Jane Doe wrote to John Smith about Mary Major. " * 90
    with pytest.raises(TimeoutError):
        await pool.run("slow", [[("scan", long_text, -1)]], timeout=0.01)
    await wait_for(lambda: pool.pids() != [pid] and pool.ready, 120)  # killed and replaced
    assert pool.status().restarts == 1


async def test_one_huge_request_does_not_hold_the_queue(pool: DetectorPool) -> None:
    chunk = "The quarterly report covers sales in the northern region and the plans for next year. " * 45
    huge = asyncio.create_task(pool.run("huge", [[("scan", chunk, -1)]] * 30, timeout=300))
    await asyncio.sleep(0.05)  # the huge request is queued first
    small = await pool.run("small", [[("scan", "mail jane@example.com", -1)]], timeout=300)
    assert small[0][0].spans
    assert not huge.done()  # the small one was served between the huge one's batches
    await huge


async def test_service_with_process_workers_stops_cleanly() -> None:
    svc = ClassifyService(ClassifierConfig(workers=2))
    await svc.start()
    pids = child_pids(os.getpid(), WORKER)
    assert len(pids) == 2
    try:
        signals = await asyncio.gather(*(svc.classify(outbound("chat", {"messages": [
            {"role": "user", "content": f"call me at +7 912 345-67-{i:02d}"}]})) for i in range(4)))
        assert all("PHONE_NUMBER" in s.counts(0.5) for s in signals)
    finally:
        await svc.aclose()
    for pid in pids:  # no process left behind
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


@pytest.mark.parametrize("sizes,cut", [([470, 128], 1), ([1, 1, 1, 1], 2), ([10, 1, 1, 1, 1], 1),
                                       ([1, 1, 1, 10], 3), ([5, 5], 1)])
def test_balanced_cut(sizes: list[int], cut: int) -> None:
    assert balanced_cut(sizes) == cut


async def test_a_quiet_pool_reads_one_requests_texts_in_parallel_in_order() -> None:
    pool = DetectorPool(ClassifierConfig(workers=2), 2, grace=0.0)
    await pool.start()
    try:
        items = [("scan", "mail jane@example.com", -1), ("ids", "nothing to see", 7),
                 ("scan", "call +1 415 555 0100", -1)]
        # two idle workers and nothing queued: the batch goes out in two pieces
        assert [len(p) for _, p in pool._spread([items])] == [1, 2]
        assert [i for i, _ in pool._spread([items, items[:1]])] == [0, 1]  # as many pieces as workers
        ((mail, nothing, phone),) = await pool.run("a", [items], timeout=60)
        assert [s.type for s in mail.spans] == ["EMAIL_ADDRESS"]
        assert not nothing.spans
        assert [s.type for s in phone.spans] == ["PHONE_NUMBER"]
        split = await pool.run("b", [items, items[::-1]], timeout=60)
        assert [[r.spans for r in batch] for batch in split] == [
            [mail.spans, (), phone.spans], [phone.spans, (), mail.spans]]
    finally:
        await pool.aclose()


async def test_a_quiet_pool_scores_semantics_alongside_the_detection() -> None:
    svc = ClassifyService(ClassifierConfig(workers=2, semantic=True))
    await svc.start()
    try:
        request = outbound("chat", {"messages": [
            {"role": "user", "content": "Our Q3 revenue fell 18% before the announcement; draft the board note."}]})
        ahead = svc.semantic_ahead(request)  # two idle workers, nothing queued, nothing scored yet
        assert ahead is not None
        signals = await svc.classify(request)
        early = await ahead
        assert not signals.classify_failed and early == await svc.semantic(request)  # the same score
        assert svc.semantic_ahead(request) is None  # scored and cached: nothing to start
        other = outbound("chat", {"messages": [{"role": "user", "content": "Write a haiku about autumn rain."}]})
        busy = [asyncio.ensure_future(svc.classify(outbound("chat", {"messages": [
            {"role": "user", "content": f"call me at +7 912 345-67-{i:02d} " * 40}]}))) for i in range(6)]
        await wait_for(lambda: svc._pool is not None and svc._pool.idle_workers() < 2, 10)
        assert svc.semantic_ahead(other) is None  # a busy pool: scored later, only if the policy needs it
        await asyncio.gather(*busy)
    finally:
        await svc.aclose()
