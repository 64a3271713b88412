"""The fake national marking system (``sync.marking_fake``) on a free port, in a thread,
and an app wired to it."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn

from sync.marking_fake import CHECK_PATH, MarkingFake, mounted
from tests.support.postgres import free_port
from tests.support.shop import NOW

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
        TOKEN, slow_seconds=2.0, clock=lambda: NOW))
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None

    @property
    def online_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/marking{CHECK_PATH}"

    @property
    def local_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/marking/local{CHECK_PATH}"

    def set(self, key: str, status: str) -> None:
        self.fake.statuses[key] = status

    def start(self) -> MarkingServer:
        config = uvicorn.Config(mounted(self.fake, _nothing), host="127.0.0.1",
                                port=self.port, log_level="warning", lifespan="off",
                                timeout_graceful_shutdown=1)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("marking fake did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
            self._server = None
