"""The HTTP protocol the app is served with: uvicorn's h11, with TCP_NODELAY set.

asyncio turns Nagle's algorithm off on a connection only when its listening socket
was made with ``proto=IPPROTO_TCP``. uvicorn's own listener is, but the socket it
shares between several worker processes (``--workers N``) is made with proto 0, so
there every response's body waited for the client's delayed ACK of its headers:
about 40 ms on every request (measured: /healthz 44 ms with two processes, 1 ms
with one). The option is set on every accepted TCP connection here, whichever
socket it came from.
"""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol


class NoDelayH11Protocol(H11Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
