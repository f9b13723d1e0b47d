"""uvicorn's HTTP/1.1 protocol (h11) with the limits a server facing slow or hostile clients needs.

uvicorn holds a half-sent request for as long as the client keeps trickling bytes (more than 130 s
seen), and accepts connections until the process runs out of file descriptors: then asyncio's
accept loop failed on every turn and wrote a traceback each time (1,100 slow connections locked out
every client and wrote 81 MB of log in 45 s). This protocol:

- closes a connection whose request headers are not complete HEADER_SECONDS after it opened (or
  after its previous answer), and one whose body is not complete BODY_SECONDS after its headers;
- keeps at most `max_connections` open: a new connection beyond it closes the one that has waited
  longest for its own headers (at least EVICT_AFTER seconds), so slow clients cannot crowd out a
  quick one; when none has, the new connection gets a 503 and is closed;
- logs what it closed as one line a minute at most, never a line (or a traceback) a connection;
- turns Nagle's algorithm off on every connection. With --workers N, uvicorn binds the listening
  socket itself with proto 0; asyncio then does not set TCP_NODELAY on the connections it
  accepts, and every keep-alive answer after the first waited about 40 ms for the client's
  delayed ACK (uvicorn issue #3149): 48 ms a request with 2 workers against 3 ms with 1.

A module of its own, importable by name, because uvicorn sends its configuration to each worker
process by pickling.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import socket
import time
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_SECONDS = 10.0
BODY_SECONDS = 30.0  # a 1 MiB body at 35 KB/s; a case is a few kilobytes
EVICT_AFTER = 1.0  # a client that has not sent its headers in a second is slow, not busy
MAX_CONNECTIONS = 500  # a worker's open connections (also kept below its file-descriptor limit)
# asyncio accepts up to this many connections at a time before any of them reaches connection_made
# (uvicorn passes its listen backlog, 2,048 by default): serve.py sets the backlog to it
ACCEPT_BATCH = 64
_FILES = resource.getrlimit(resource.RLIMIT_NOFILE)[0]

log = logging.getLogger("ratecard.web")
_BUSY = b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\nretry-after: 1\r\n\r\n"


class _Closures:
    """Counts of connections closed for being slow or surplus, logged once a minute at most."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.since = time.monotonic()
        self.logged = -1e9

    def add(self, why: str) -> None:
        self.counts[why] = self.counts.get(why, 0) + 1
        now = time.monotonic()
        if now - self.logged >= 60:
            what = ", ".join(f"{n} {w}" for w, n in sorted(self.counts.items()))
            log.warning("closed connections (%s) in the last %.0f s: headers must arrive within %.0f s, bodies "
                        "within %.0f s, at most %d connections", what, now - self.since, HEADER_SECONDS, BODY_SECONDS,
                        GuardedH11.max_connections)
            self.counts = {}
            self.since = self.logged = now


_closures = _Closures()


class GuardedH11(H11Protocol):
    # Well below the file-descriptor limit: accepting until the process ran out is what made
    # asyncio's accept loop fail (and log) on every turn. Room for the process's own files, and for
    # connections accepted or closed but not yet through the event loop (a closed transport frees
    # its descriptor a turn later), up to a few accept batches in a burst.
    max_connections = max(16, min(MAX_CONNECTIONS, (_FILES - 64) // 3 if _FILES > 0 else MAX_CONNECTIONS))

    def connection_made(self, transport: Any) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._deadline: asyncio.TimerHandle | None = None
        self._phase: str | None = None  # "headers" or "body" while a deadline runs for it
        self._waiting_since: float | None = None  # waiting for request headers since
        super().connection_made(transport)
        if len(self.connections) > self.max_connections and not self._evict_one():
            _closures.add("over the limit")
            transport.write(_BUSY)
            transport.close()
            return
        self._await_headers()

    def _evict_one(self) -> bool:
        now = self.loop.time()
        slow = [c for c in self.connections if isinstance(c, GuardedH11) and c is not self
                and c._waiting_since is not None and now - c._waiting_since >= EVICT_AFTER]
        if not slow:
            return False
        oldest = min(slow, key=lambda c: c._waiting_since or now)
        _closures.add("slow to send headers, for a new one")
        oldest._close()
        return True

    def _await_headers(self) -> None:
        self._waiting_since = self.loop.time()
        self._arm("headers", HEADER_SECONDS, "slow to send headers")

    def _arm(self, phase: str | None, seconds: float = 0.0, why: str = "") -> None:
        """Start the deadline of `phase`, or with None stop any."""
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self._phase = phase
        if phase is not None:
            self._deadline = self.loop.call_later(seconds, self._expire, why)

    def _expire(self, why: str) -> None:
        self._deadline = None
        _closures.add(why)
        self._close()

    def _close(self) -> None:
        self._arm(None)
        self._waiting_since = None
        if not self.transport.is_closing():
            self.transport.abort()  # no lingering: the point is to free the slot

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.transport.is_closing():
            return
        state = self.conn.their_state
        if state is h11.IDLE:
            if self._phase is None:  # the next request on a kept-alive connection has begun
                self._await_headers()
            return
        self._waiting_since = None
        if state is h11.SEND_BODY:
            if self._phase != "body":
                self._arm("body", BODY_SECONDS, "slow to send a body")
        elif self._phase is not None:  # the request is complete: the app answers it
            self._arm(None)

    def on_response_complete(self) -> None:
        # a kept-alive connection waits for its next request under uvicorn's keep-alive timeout;
        # its headers are timed from their first byte (data_received)
        self._arm(None)
        self._waiting_since = None
        super().on_response_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._arm(None)
        self._waiting_since = None
        super().connection_lost(exc)
