"""Running the app under uvicorn for `ratecard serve`.

Logging is set up here, not left to uvicorn's defaults: uvicorn's access log writes the client's
address and the query string; ratecard's (web.guard) writes the method, path, status and time.
"""

from __future__ import annotations

import ipaddress
import os
import sys
from pathlib import Path
from typing import Any


LOG_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"}},
    "loggers": {
        "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "uvicorn.error": {"level": "INFO"},
        "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},  # never: it logs addresses and queries
        "ratecard.web": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
    },
}


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run(host: str = "127.0.0.1", port: int = 8000, catalog: str | Path | None = None, workers: int = 1,
        root_path: str = "") -> None:
    """Serve the web page and API until interrupted. The catalog is loaded (and checked) first."""
    try:
        import uvicorn

        from . import app as _app  # noqa: F401 - fails here, with advice, if fastapi is missing
        from .nodelay import NoDelayH11
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
    if not _loopback(host):
        print(f"ratecard: serving on {host}, reachable from other machines. Put it behind the court's reverse "
              "proxy (TLS and sign-in) and set RATECARD_API_TOKEN; see the README.", file=sys.stderr)
    uvicorn.run("ratecard.web.app:app_from_env", factory=True, host=host, port=port, workers=workers, http=NoDelayH11,
                root_path=root_path, access_log=False, log_config=LOG_CONFIG, server_header=False,
                # a case is a few kilobytes: keep idle keep-alive connections short, and refuse absurd headers
                timeout_keep_alive=5, h11_max_incomplete_event_size=64 * 1024)
