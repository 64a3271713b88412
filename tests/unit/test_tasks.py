"""Background tasks end at shutdown, every time and within a bound (app.tasks).

The CI run that failed on 3 Dec hung for 120 s stopping a test server: the live
listener was cancelled in the same turn of the loop as a NOTIFY reached it, Python
3.11's ``asyncio.wait_for`` returned the NOTIFY instead of the cancellation, and the
shutdown's ``await task`` waited for a loop that no longer meant to stop."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest

from app import tasks
from app.live_pg import PgChannelsBackend


def _swallowing(cancels_eaten: int | None, ended: list[str]) -> Any:
    """A loop that eats ``cancels_eaten`` cancellations (None: all of them), as a loop
    around 3.11's wait_for does when the cancellation and its result meet."""

    async def run() -> None:
        eaten = 0
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                if cancels_eaten is not None and eaten >= cancels_eaten:
                    ended.append("cancelled")
                    raise
                eaten += 1

    return run()


async def test_a_task_that_eats_a_cancellation_still_ends() -> None:
    ended: list[str] = []
    task = asyncio.create_task(_swallowing(2, ended), name="eater")
    await asyncio.sleep(0)
    task.cancel()  # what the shutdown used to do, once, before awaiting forever
    await asyncio.wait({task}, timeout=0.2)
    assert not task.done()  # the model is faithful: one cancellation is not enough

    assert await tasks.stop(task, grace=2) is True
    assert task.cancelled() and ended == ["cancelled"]


async def test_a_task_that_never_ends_is_left_after_the_grace_and_named(
        caplog: pytest.LogCaptureFixture) -> None:
    ended: list[str] = []
    task = asyncio.create_task(_swallowing(None, ended), name="stubborn-loop")
    await asyncio.sleep(0)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with caplog.at_level(logging.WARNING, logger="storepick.tasks"):
        assert await tasks.stop([task], grace=0.3) is False
    assert loop.time() - started < 1.0
    assert "stubborn-loop" in caplog.text
    task.get_coro().close()  # type: ignore[union-attr]  # the test's own clean-up


async def test_a_task_asked_to_stop_finishes_its_work_before_any_cancel() -> None:
    stop = asyncio.Event()
    finished: list[str] = []

    async def run() -> None:
        await stop.wait()
        await asyncio.sleep(0.05)  # its last round
        finished.append("clean")

    task = asyncio.create_task(run())
    await asyncio.sleep(0)
    stop.set()
    assert await tasks.stop(task, wait_first=2, grace=1) is True
    assert finished == ["clean"] and not task.cancelled()


async def test_what_a_task_raised_is_logged_not_raised(caplog: pytest.LogCaptureFixture
                                                      ) -> None:
    async def broken() -> None:
        raise RuntimeError("disk full")

    task = asyncio.create_task(broken(), name="broken-loop")
    await asyncio.sleep(0.01)
    with caplog.at_level(logging.WARNING, logger="storepick.tasks"):
        assert await tasks.stop(task) is True
    assert "broken-loop ended with an error" in caplog.text


class _QuietConnection:
    """The listener's connection in a test: never reached unless 10 s pass quietly."""

    def is_closed(self) -> bool:
        return False

    async def fetchval(self, *_args: Any, **_kw: Any) -> int:
        return 1


@pytest.mark.parametrize("turns", range(8))
async def test_the_listener_stops_when_a_notify_and_the_shutdown_meet(turns: int) -> None:
    """Every interleaving of a NOTIFY's arrival and the listener's cancellation, a few
    loop turns apart: the listener ends each time (with wait_for, some never did)."""
    backend = PgChannelsBackend("postgresql://unused")
    backend._events = asyncio.Queue()
    incoming: asyncio.Queue[str | None] = asyncio.Queue()
    listener = asyncio.create_task(backend._dispatch(_QuietConnection(), incoming))  # type: ignore[arg-type]
    for _ in range(3):
        await asyncio.sleep(0)  # it waits for a NOTIFY
    incoming.put_nowait(json.dumps({"s": 1, "c": ["store:1"], "d": "x"}))
    for _ in range(turns):
        await asyncio.sleep(0)
    listener.cancel()  # once, as the old shutdown did
    await asyncio.wait({listener}, timeout=1.0)
    assert listener.done(), f"the listener ate its cancellation {turns} turns after a NOTIFY"
    if not listener.cancelled():  # it ended another way: say how
        listener.result()
