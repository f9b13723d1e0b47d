"""Test helpers for `ratecard serve`: a real uvicorn server on localhost (in a thread, or the CLI in a
subprocess), the example cases as other systems send them, and the CLI's own JSON for them."""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from ..catalog_copy import REPO

ON = "2017-03-01"
CASES = REPO / "examples" / "cases"


def case_dict(name: str) -> dict[str, Any]:
    """An example case as JSON-minded systems hold it: dates as ISO strings."""
    data = yaml.safe_load((CASES / name).read_text(encoding="utf-8"))
    return json.loads(json.dumps(data, default=lambda v: v.isoformat() if isinstance(v, dt.date) else str(v)))


def example_names() -> list[str]:
    return sorted(p.name for p in CASES.glob("*.yaml"))


@lru_cache(maxsize=None)
def cli_json(*args: str) -> Any:
    """What `ratecard ARGS --json` prints, parsed (the CLI run for real, in a subprocess)."""
    r = subprocess.run([sys.executable, "-m", "ratecard", *args, "--json"], capture_output=True, text=True,
                       cwd=REPO, timeout=120)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(port: int, timeout: float = 60.0, proc: subprocess.Popen[bytes] | None = None,
                  log: Callable[[], str] = lambda: "") -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"ratecard serve exited with {proc.returncode}: {log()}")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"no server on 127.0.0.1:{port} after {timeout} s")


@contextlib.contextmanager
def thread_server(app: Any, root_path: str = "") -> Iterator[str]:
    """A real uvicorn server for `app` on a free localhost port, in a thread; yields its base URL."""
    import uvicorn

    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False, lifespan="off", root_path=root_path))
    t = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    t.start()
    try:
        wait_until_up(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        t.join(timeout=10)
        sock.close()


@dataclass
class Served:
    url: str
    proc: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        """What the server wrote to standard error so far (a file, not a pipe: a full pipe would stall it)."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> str:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        return self.log()


@contextlib.contextmanager
def cli_server(*args: str, env: dict[str, str] | None = None, files: int | None = None) -> Iterator[Served]:
    """`ratecard serve ARGS` in a subprocess on a free port, stopped (SIGTERM) afterwards; with
    `files`, the process may open only that many files (its soft and hard limit)."""
    def limit() -> None:
        if files is not None:
            import resource

            resource.setrlimit(resource.RLIMIT_NOFILE, (files, files))

    port = free_port()
    with tempfile.TemporaryDirectory() as d:
        log_path = Path(d) / "serve.log"
        with log_path.open("wb") as log:
            proc = subprocess.Popen([sys.executable, "-m", "ratecard", "serve", "--port", str(port), *args],
                                    cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})},
                                    preexec_fn=limit)
        served = Served(f"http://127.0.0.1:{port}", proc, log_path)
        try:
            wait_until_up(port, proc=proc, log=served.log)
            yield served
        finally:
            served.stop()


def post(base: str, path: str, body: Any, headers: dict[str, str] | None = None) -> tuple[int, Any, dict[str, str]]:
    """POST JSON (or raw bytes) and return (status, parsed JSON or text, headers)."""
    host = base.split("//", 1)[1]
    c = http.client.HTTPConnection(host, timeout=60)
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    c.request("POST", path, body=data, headers={"Content-Type": "application/json", **(headers or {})})
    r = c.getresponse()
    raw = r.read()
    hdrs = {k.lower(): v for k, v in r.getheaders()}
    c.close()
    return r.status, (json.loads(raw) if hdrs.get("content-type", "").startswith("application/json") else raw.decode()), hdrs


def get(base: str, path: str, headers: dict[str, str] | None = None) -> tuple[int, Any, dict[str, str]]:
    host = base.split("//", 1)[1]
    c = http.client.HTTPConnection(host, timeout=60)
    c.request("GET", path, headers=headers or {})
    r = c.getresponse()
    raw = r.read()
    hdrs = {k.lower(): v for k, v in r.getheaders()}
    c.close()
    return r.status, (json.loads(raw) if hdrs.get("content-type", "").startswith("application/json") else raw.decode()), hdrs
