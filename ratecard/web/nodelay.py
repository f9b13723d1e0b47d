"""uvicorn's HTTP/1.1 protocol (h11) with Nagle's algorithm off on every connection.

With --workers N, uvicorn binds the listening socket itself with proto 0; asyncio then does not
set TCP_NODELAY on the connections it accepts, and every keep-alive answer after the first waits
about 40 ms for the client's delayed ACK (uvicorn issue #3149, open when this was written).
Measured here with one client: 48 ms a request with 2 workers against 3 ms with 1. Setting the
option on each connection fixes it whatever the path. A module of its own, importable by name,
because uvicorn sends its configuration to each worker process by pickling.
"""

from __future__ import annotations

import socket
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol


class NoDelayH11(H11Protocol):
    def connection_made(self, transport: Any) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
