"""Running the app under uvicorn for `ratecard serve`.

Logging is set up here, not left to uvicorn's defaults: uvicorn's access log writes the client's
address and the query string; ratecard's (web.guard) writes the method, path, status and time.
Messages that a client can make the server repeat (a malformed request, a refused connection)
are written once a minute at most, with a count, and without a traceback: a flood of clients is
not a flood of log.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import resource
import socket
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any


LOG_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"once_a_minute": {"()": "ratecard.web.serve.OnceAMinute"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"}},
    "loggers": {
        "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "uvicorn.error": {"level": "INFO", "filters": ["once_a_minute"]},
        "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},  # never: it logs addresses and queries
        "asyncio": {"handlers": ["stderr"], "level": "WARNING", "propagate": False, "filters": ["once_a_minute"]},
        "ratecard.web": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
    },
}


class OnceAMinute(logging.Filter):
    """Warnings and errors: each kind of message once a minute at most, with how many were left
    out, and never with a traceback (its frames are the server's; its text could quote a request).
    Information (start-up, shutdown) passes as it is."""

    def __init__(self) -> None:
        super().__init__()
        self.last: dict[tuple[str, Any], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        key = (record.name, record.msg)
        now = time.monotonic()
        since, dropped = self.last.get(key, (-1e9, 0))
        if now - since < 60:
            self.last[key] = (since, dropped + 1)
            return False
        self.last[key] = (now, 0)
        if record.exc_info and record.exc_info[1] is not None:
            record.msg = f"{record.getMessage()} ({type(record.exc_info[1]).__name__})"
            record.args = None
        record.exc_info = record.exc_text = None
        if dropped:
            record.msg = f"{record.getMessage()} (and {dropped} more like it in the last minute)"
            record.args = None
        return True


def quiet_records() -> None:
    """Log records without the caller's file and line, or the thread, process and multiprocessing
    names: no format here shows them, and working them out was most of the cost of the access line
    written each request (the knobs the logging documentation gives for this, under Optimization)."""
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def allowed_hosts(host: str, extra: Sequence[str] = ()) -> list[str]:
    """The names the Host header may give, for a server listening on `host` (see guard.Guard):
    this machine's loopback names; the address listened on; on every interface (0.0.0.0, ::) any
    address and this machine's own names; and the names given with --allowed-host."""
    from .guard import ANY_ADDRESS, LOOPBACK_NAMES

    names = set(LOOPBACK_NAMES) | {h.strip().lower() for h in extra if h.strip()}
    if host in ("0.0.0.0", "::", ""):
        names |= {ANY_ADDRESS, socket.gethostname().lower(), socket.getfqdn().lower()}
    elif not _loopback(host):
        names.add(host.lower())
    return sorted(names)


def _more_file_descriptors() -> int:
    """Raise this process's open-file limit to its hard limit (workers inherit it): each connection
    is one, and the connection limit (protocol.py) is kept below it. Returns the limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
    if want > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
            soft = want
        except (ValueError, OSError):
            pass
    return soft


def startup_notes(host: str, token: bool, hosts: Sequence[str]) -> list[str]:
    """What `ratecard serve` says before it starts: what the token protects, and what is open."""
    from .guard import ANY_ADDRESS

    names = ", ".join(h if h != ANY_ADDRESS else "any address" for h in hosts)
    notes = [f"answering requests addressed to {names} (add names with --allowed-host)."]
    if token:
        notes.append("RATECARD_API_TOKEN is set: every /v1 request needs 'Authorization: Bearer <token>'. It does not "
                     "cover the web page (/, /edit, /result, /upload), /static, /openapi.json or /healthz: sign-in to "
                     "the page belongs to the court's reverse proxy (docs/http.md).")
    elif not _loopback(host):
        notes.append("RATECARD_API_TOKEN is not set: anyone who can reach this address can use the API and the page.")
    if not _loopback(host):
        notes.insert(0, f"serving on {host}, reachable from other machines. Put it behind the court's reverse proxy "
                        "(TLS and sign-in) and set RATECARD_API_TOKEN; see docs/http.md.")
    return notes


def run(host: str = "127.0.0.1", port: int = 8000, catalog: str | Path | None = None, workers: int = 1,
        root_path: str = "", extra_hosts: Sequence[str] = ()) -> None:
    """Serve the web page and API until interrupted. The catalog is loaded (and checked) first."""
    try:
        import uvicorn

        from . import app as _app  # noqa: F401 - fails here, with advice, if fastapi is missing
    except ImportError as e:
        from ..extras import missing

        raise missing("serve", e.name) from None
    from ..catalog.load import load_catalog

    if catalog is not None:
        path = Path(catalog).resolve()
        load_catalog(path)  # a bad catalog is an error now, with its file and line, not in every worker
        os.environ["RATECARD_CATALOG"] = str(path)
    else:
        os.environ.pop("RATECARD_CATALOG", None)
    hosts = allowed_hosts(host, extra_hosts)
    os.environ["RATECARD_ALLOWED_HOSTS"] = ",".join(hosts)
    _more_file_descriptors()
    from .protocol import ACCEPT_BATCH, GuardedH11  # after the limit is raised: it sizes the connection limit from it

    for note in startup_notes(host, bool(os.environ.get("RATECARD_API_TOKEN")), hosts):
        print(f"ratecard: {note}", file=sys.stderr)
    uvicorn.run("ratecard.web.app:app_from_env", factory=True, host=host, port=port, workers=workers, http=GuardedH11,
                root_path=root_path, access_log=False, log_config=LOG_CONFIG, server_header=False,
                # a case is a few kilobytes: keep idle keep-alive connections short, and refuse absurd headers
                timeout_keep_alive=5, h11_max_incomplete_event_size=64 * 1024,
                # also how many connections asyncio accepts at once, before the protocol can close any
                backlog=ACCEPT_BATCH)
