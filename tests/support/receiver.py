"""A real OMS event receiver on a free port (uvicorn in a thread) that tests can
stop, restart on the same port, and make misbehave."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import uvicorn

from sync.receiver import EventLedger, Faults, ReceiverApp
from tests.support.postgres import free_port

SECRET = "dev-oms-secret"


@dataclass
class Receiver:
    port: int = field(default_factory=free_port)
    app: ReceiverApp = field(default_factory=lambda: ReceiverApp(EventLedger(), Faults(),
                                                                 SECRET))
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/events"

    @property
    def ledger(self) -> EventLedger:
        return self.app.ledger

    @property
    def faults(self) -> Faults:
        return self.app.faults

    def start(self) -> Receiver:
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning",
                                lifespan="on", timeout_graceful_shutdown=1)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("receiver did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
            self._server = None

    def sequences(self, order: str) -> list[int]:
        sequences: list[int] = self.ledger.snapshot()["sequences"].get(order, [])
        return sequences
