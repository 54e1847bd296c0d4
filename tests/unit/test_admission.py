"""The admission limiter in front of ``GET /sync``: so many served at once, a bounded
queue behind them, a quick 503 with a Retry-After for the rest."""

from __future__ import annotations

import asyncio

import pytest

from messenger.domain.errors import ServiceUnavailable
from messenger.entrypoints.admission import Admission


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def _hold(gate: Admission, entered: list[str], name: str, leave: asyncio.Event) -> None:
    async with gate.admit():
        entered.append(name)
        await leave.wait()


async def test_serves_as_many_as_allowed_queues_the_next_and_refuses_the_rest() -> None:
    gate = Admission(2, 1)
    entered: list[str] = []
    leave = {n: asyncio.Event() for n in "abc"}
    tasks = [asyncio.create_task(_hold(gate, entered, n, leave[n])) for n in "abc"]
    await asyncio.sleep(0)
    assert entered == ["a", "b"]
    assert (gate.active, gate.waiting) == (2, 1)

    with pytest.raises(ServiceUnavailable) as refused:
        async with gate.admit():
            raise AssertionError("admitted beyond the queue")
    assert refused.value.code == "service_unavailable"
    assert refused.value.retry_after >= 1

    leave["a"].set()
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert entered == ["a", "b", "c"], "the queued request takes the freed place"
    assert (gate.active, gate.waiting) == (2, 0)
    leave["b"].set()
    leave["c"].set()
    await asyncio.gather(*tasks)
    assert (gate.active, gate.waiting) == (0, 0)
    assert (gate.served, gate.refused) == (3, 1)


async def test_queued_requests_are_served_first_come_first_served() -> None:
    gate = Admission(1, 10)
    order: list[int] = []
    first = asyncio.Event()
    holder = asyncio.create_task(_hold(gate, [], "first", first))
    await asyncio.sleep(0)

    async def one(n: int) -> None:
        async with gate.admit():
            order.append(n)
            await asyncio.sleep(0)

    waiting = [asyncio.create_task(one(n)) for n in range(5)]
    await asyncio.sleep(0)
    assert gate.waiting == 5
    first.set()
    await asyncio.gather(holder, *waiting)
    assert order == [0, 1, 2, 3, 4]


async def test_a_client_that_leaves_the_queue_gives_its_place_back() -> None:
    gate = Admission(1, 1)
    leave = asyncio.Event()
    holder = asyncio.create_task(_hold(gate, [], "a", leave))
    await asyncio.sleep(0)
    gone = asyncio.create_task(_hold(gate, [], "b", asyncio.Event()))
    await asyncio.sleep(0)
    assert gate.waiting == 1
    gone.cancel()
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert gate.waiting == 0
    entered: list[str] = []
    after = asyncio.create_task(_hold(gate, entered, "c", asyncio.Event()))
    await asyncio.sleep(0)
    assert gate.waiting == 1, "the queue place is free again"
    leave.set()
    await holder
    await asyncio.sleep(0)
    assert entered == ["c"]
    after.cancel()
    with pytest.raises(asyncio.CancelledError):
        await after
    assert (gate.active, gate.waiting) == (0, 0)


async def test_a_place_handed_to_a_client_that_just_left_goes_to_the_next() -> None:
    gate = Admission(1, 2)
    leave = asyncio.Event()
    holder = asyncio.create_task(_hold(gate, [], "a", leave))
    await asyncio.sleep(0)
    entered: list[str] = []
    gone = asyncio.create_task(_hold(gate, entered, "b", asyncio.Event()))
    nxt = asyncio.create_task(_hold(gate, entered, "c", asyncio.Event()))
    await asyncio.sleep(0)
    leave.set()
    await asyncio.sleep(0)  # "a" leaves and hands its place to "b" ...
    assert holder.done()
    gone.cancel()  # ... which is cancelled before it runs
    with pytest.raises(asyncio.CancelledError):
        await gone
    await asyncio.sleep(0)
    assert entered == ["c"]
    assert (gate.active, gate.waiting) == (1, 0)
    nxt.cancel()
    with pytest.raises(asyncio.CancelledError):
        await nxt
    assert gate.active == 0


async def test_retry_after_grows_with_the_crowd_turned_away() -> None:
    clock = Clock()
    gate = Admission(1, 0, clock=clock)
    for _ in range(50):  # a request takes 0.5 s in service
        async with gate.admit():
            clock.now += 0.5
    leave = asyncio.Event()
    holder = asyncio.create_task(_hold(gate, [], "a", leave))
    await asyncio.sleep(0)
    hints = []
    for _ in range(40):
        with pytest.raises(ServiceUnavailable) as refused:
            async with gate.admit():
                pass
        hints.append(refused.value.retry_after)
    assert hints[0] == 1
    assert hints[-1] >= 15, "40 turned away at 0.5 s each need about 20 s"
    assert hints == sorted(hints)
    clock.now += 5  # the crowd has been served (or gone) since
    with pytest.raises(ServiceUnavailable) as refused:
        async with gate.admit():
            pass
    assert refused.value.retry_after == 1
    leave.set()
    await holder


async def test_concurrency_zero_admits_everyone() -> None:
    gate = Admission(0, 0)
    entered: list[str] = []
    leave = asyncio.Event()
    tasks = [asyncio.create_task(_hold(gate, entered, str(n), leave)) for n in range(100)]
    await asyncio.sleep(0)
    assert len(entered) == 100
    leave.set()
    await asyncio.gather(*tasks)
