"""Load on a real server on localhost: 8 concurrent clients, 5,000 requests mixing screen and propose
over the example cases, with one uvicorn process (in a thread) and with `ratecard serve --workers 2`
(two processes). Expected: no errors, and every answer byte for byte the Python API's (which is the
CLI's --json: tests/web/test_api.py checks that).

Bounded: a fixed number of requests (RATECARD_LOAD_REQUESTS, default 5,000) and a time limit; each
run takes 20 to 60 s on two busy cores. Speed is not asserted here: benchmarks/bench_serve.py
prints requests a second and p50/p99 latency.
"""

from __future__ import annotations

import os

import pytest

pytest.importorskip("fastapi", reason="the serve extras are not installed: pip install -e '.[test]'")

from ratecard import default_catalog  # noqa: E402
from ratecard.web.app import create_app  # noqa: E402

from .load import make_jobs, run_load, warm_up  # noqa: E402
from .servers import cli_server, thread_server  # noqa: E402

REQUESTS = int(os.environ.get("RATECARD_LOAD_REQUESTS", "5000"))
CLIENTS = 8


@pytest.fixture(scope="module")
def jobs() -> list:
    return make_jobs(REQUESTS)


def _check(result, n: int) -> None:
    print("\n" + result.summary())
    assert result.errors == []
    assert result.mismatches == []
    assert result.requests == n


def test_one_process_8_clients(jobs: list) -> None:
    with thread_server(create_app(default_catalog())) as url:
        warm_up(url, jobs)
        _check(run_load(url, jobs, clients=CLIENTS), len(jobs))


def test_ratecard_serve_with_two_workers_8_clients(jobs: list) -> None:
    with cli_server("--workers", "2") as served:
        warm_up(served.url, jobs)
        _check(run_load(served.url, jobs, clients=CLIENTS), len(jobs))
        log = served.log()
    assert log.count("Started server process") == 2, "two worker processes"
