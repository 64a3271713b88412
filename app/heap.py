"""The heap, settled: CPython's cyclic collector walks only what changes.

After startup and its first requests a storepick process holds about 180,000 long-lived
objects (modules, SQLAlchemy's mappers and compiled statements, Jinja's templates,
Litestar's routes). Every full collection walks them all: 130–160 ms on the benchmark
machine, a pause in which no scan is answered, several times a minute under load. Those
pauses were the p99 of scans with the outbox relay on (`benchmarks.scan`).

``gc.freeze()`` moves the objects alive at that moment out of the collector's sight (they
are still freed by reference counting; only cycles among them are no longer looked for).
So: freeze once the app has started, after a full collection (nothing already garbage is
frozen), and again right after each of the first few full collections while it serves
(statements compiled and templates loaded on first use): at that instant the collector has
just removed every cycle it could find, so what is frozen is alive. After that the
collector is left as it is. Full collections then take a few milliseconds.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable
from typing import Any

SETTLE_AFTER = 3  # full collections after startup that also freeze what survived them
OLDEST = 2  # CPython's oldest generation: a collection of it is a full one


class HeapSettler:
    """Freezes the long-lived heap at startup and after the first full collections."""

    def __init__(self, settle_after: int = SETTLE_AFTER) -> None:
        self.left = settle_after
        self.frozen = 0  # times frozen, for tests and the curious
        self._soon: Callable[[Callable[[], None]], Any] | None = None

    def start(self) -> None:
        gc.collect()
        self._freeze()
        try:  # once settled, the callback is taken off the list from the event loop
            self._soon = asyncio.get_running_loop().call_soon_threadsafe
        except RuntimeError:
            self._soon = None  # no loop: it stays listed until stop()
        if self.left > 0 and self._after_collection not in gc.callbacks:
            gc.callbacks.append(self._after_collection)

    def stop(self) -> None:
        """At shutdown: the frozen objects go back to the collector, so the interpreter's
        exit frees them as usual (left frozen, extension modules such as zxing-cpp's
        nanobind report them as leaked on every stop)."""
        self._unlist()
        if self.frozen:
            gc.unfreeze()

    def _unlist(self) -> None:
        if self._after_collection in gc.callbacks:
            gc.callbacks.remove(self._after_collection)

    def _freeze(self) -> None:
        gc.freeze()
        self.frozen += 1

    def _after_collection(self, phase: str, info: dict[str, Any]) -> None:
        # "stop" of a full collection: the generations are consistent and hold only what
        # the collector could not free, so freezing them now freezes no garbage.
        if phase != "stop" or info.get("generation") != OLDEST or self.left <= 0:
            return
        self._freeze()
        self.left -= 1
        if self.left <= 0 and self._soon is not None:
            # Not removed here: CPython is iterating over the callbacks' list right now.
            # Every collection, young ones too, calls each listed callback twice.
            self._soon(self._unlist)  # settled: the heap stays frozen while serving
