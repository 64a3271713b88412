"""The fake national marking system (``sync.marking_fake``) on a free port, in a thread,
and an app wired to it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sync.marking_fake import CHECK_PATH, MarkingFake, mounted
from tests.support.postgres import free_port
from tests.support.shop import NOW
from tests.support.threaded_uvicorn import ThreadedUvicorn

TOKEN = "test-marking-token"


async def _nothing(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})


@dataclass
class MarkingServer:
    port: int = field(default_factory=free_port)
    fake: MarkingFake = field(default_factory=lambda: MarkingFake(
        TOKEN, slow_seconds=6.0, clock=lambda: NOW))  # past any budget the tests set
    _serving: ThreadedUvicorn = field(default_factory=ThreadedUvicorn)

    @property
    def online_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/marking{CHECK_PATH}"

    @property
    def local_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/marking/local{CHECK_PATH}"

    def set(self, key: str, status: str) -> None:
        self.fake.statuses[key] = status

    def start(self) -> MarkingServer:
        self._serving.start(mounted(self.fake, _nothing), self.port, lifespan="off",
                            name="marking fake")
        return self

    def stop(self) -> None:
        self._serving.stop()
