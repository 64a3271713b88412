"""A real OMS event receiver on a free port (uvicorn in a thread) that tests can
stop, restart on the same port, and make misbehave."""

from __future__ import annotations

from dataclasses import dataclass, field

from sync.receiver import EventLedger, Faults, ReceiverApp
from tests.support.postgres import free_port
from tests.support.threaded_uvicorn import ThreadedUvicorn

SECRET = "dev-oms-secret"


@dataclass
class Receiver:
    port: int = field(default_factory=free_port)
    app: ReceiverApp = field(default_factory=lambda: ReceiverApp(EventLedger(), Faults(),
                                                                 SECRET))
    _serving: ThreadedUvicorn = field(default_factory=ThreadedUvicorn)

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
        self._serving.start(self.app, self.port, lifespan="on", name="receiver")
        return self

    def stop(self) -> None:
        self._serving.stop()

    def sequences(self, order: str) -> list[int]:
        sequences: list[int] = self.ledger.snapshot()["sequences"].get(order, [])
        return sequences
