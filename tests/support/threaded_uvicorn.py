"""An ASGI app served by uvicorn in a thread on a given port, for fakes of other
people's services (the OMS receiver, the national marking system) that tests start,
stop and restart on the same port."""

from __future__ import annotations

import threading
import time
from typing import Any

import uvicorn


class ThreadedUvicorn:
    def __init__(self) -> None:
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self, app: Any, port: int, *, lifespan: str, name: str) -> None:
        """Serve ``app`` on 127.0.0.1:``port``; returns once it accepts connections."""
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                lifespan=lifespan, timeout_graceful_shutdown=0.3)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"{name} did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
            self._server = None
