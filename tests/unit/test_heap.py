"""The heap settler: what is alive at startup and after the first full collections is
frozen out of the collector's sight; garbage is not; then the collector is left alone."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.heap import HeapSettler
from app.settings import Settings


@pytest.fixture
def clean_gc() -> Iterator[None]:
    gc.unfreeze()
    yield
    for callback in [c for c in gc.callbacks
                     if isinstance(getattr(c, "__self__", None), HeapSettler)]:
        gc.callbacks.remove(callback)
    gc.unfreeze()


class Cycle:
    def __init__(self) -> None:
        self.me = self


def test_startup_freezes_what_is_alive_and_not_what_is_garbage(clean_gc: None) -> None:
    alive = Cycle()
    Cycle()  # garbage: a cycle nothing points to
    settler = HeapSettler(settle_after=0)
    settler.start()
    assert settler.frozen == 1
    assert gc.get_freeze_count() > 0
    assert not any(o is alive for o in gc.get_objects())  # frozen: out of the collector's sight
    # The garbage cycle was collected before the freeze: once thawed, only `alive` is there.
    gc.unfreeze()
    assert [o for o in gc.get_objects() if isinstance(o, Cycle)] == [alive]
    assert settler._after_collection not in gc.callbacks  # nothing more to do


def test_the_first_full_collections_freeze_again_then_it_stops(clean_gc: None) -> None:
    settler = HeapSettler(settle_after=2)
    settler.start()
    assert settler.frozen == 1
    gc.collect(1)  # not a full collection: nothing happens
    assert settler.frozen == 1
    late = [Cycle() for _ in range(3)]  # loaded on first use, after startup
    gc.collect()
    assert settler.frozen == 2
    assert not any(o is late[0] for o in gc.get_objects())  # frozen: out of sight
    gc.collect()
    gc.collect()
    assert settler.frozen == 3  # two after startup, then no more
    settler.stop()
    assert settler._after_collection not in gc.callbacks


def test_on_for_a_served_app_off_when_asked_and_for_apps_built_directly() -> None:
    assert Settings.from_env({"STOREPICK_ENV": "development"}).settle_heap is True
    assert Settings.from_env({"STOREPICK_ENV": "development",
                              "STOREPICK_SETTLE_HEAP": "0"}).settle_heap is False
    assert Settings.__dataclass_fields__["settle_heap"].default is False


async def test_once_settled_in_a_running_app_the_collector_calls_it_no_more(
        clean_gc: None) -> None:
    settler = HeapSettler(settle_after=1)
    settler.start()
    assert settler._after_collection in gc.callbacks
    gc.collect()
    assert settler.frozen == 2
    await asyncio.sleep(0)  # taken off the list from the event loop, not mid-iteration
    assert settler._after_collection not in gc.callbacks
    assert gc.get_freeze_count() > 0  # and the heap stays settled while the app serves


def test_stopping_hands_the_frozen_heap_back(clean_gc: None) -> None:
    settler = HeapSettler()
    settler.start()
    assert gc.get_freeze_count() > 0
    settler.stop()
    assert gc.get_freeze_count() == 0


def test_a_stopped_server_exits_without_leak_reports() -> None:
    """Left frozen at exit, zxing-cpp's nanobind printed "leaked 14 types! ... reference
    counting issue" on every stop of a served app: an alarm with nothing behind it."""
    import subprocess
    import sys

    script = ("import app.photo_decode\n"  # holds zxing-cpp objects from import on
              "from app.heap import HeapSettler\n"
              "settler = HeapSettler()\n"
              "settler.start()\n"
              "settler.stop()\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, cwd=Path(__file__).resolve().parents[2], check=False)
    assert done.returncode == 0, done.stderr[-500:]
    assert "leaked" not in done.stderr, done.stderr[:500]
