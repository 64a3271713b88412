"""Every accepted connection answers without Nagle's delay, also on a listening socket
made the way uvicorn makes the one its worker processes share (proto 0), where asyncio
leaves Nagle on and each response's body waited about 40 ms for the client's ACK."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from app.server_protocol import NoDelayH11Protocol


async def tiny(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.mark.parametrize(("protocol", "nodelay"), [(NoDelayH11Protocol, True),
                                                   (H11Protocol, False)])
async def test_connections_from_a_shared_worker_socket_have_nodelay(
        protocol: type, nodelay: bool) -> None:
    listener = socket.socket(family=socket.AF_INET)  # as uvicorn's Config.bind_socket
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(tiny, http=protocol, lifespan="off",
                                           log_level="warning"))
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        while not server.started:  # noqa: ASYNC110 (uvicorn gives a flag, not an event)
            await asyncio.sleep(0.01)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert (await reader.readuntil(b"ok")).startswith(b"HTTP/1.1 200")
        (connection,) = server.server_state.connections
        accepted = connection.transport.get_extra_info("socket")
        assert bool(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)) is nodelay
        writer.close()
    finally:
        server.should_exit = True
        await serving
