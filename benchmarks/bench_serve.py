"""Throughput and latency of `ratecard serve` on localhost.

    PYTHONPATH=. python benchmarks/bench_serve.py [--requests 5000] [--clients 8]

Starts `ratecard serve` with 1 and then 2 worker processes, sends the requests (screen and propose,
alternately, over the example cases) from concurrent keep-alive clients, and prints requests a
second, p50 and p99 latency, errors, and answers that differ from the Python API's. The client
runs on the same machine and takes CPU too: on two cores the figures are a floor, not a ceiling.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from tests.web.load import describe, make_jobs, run_load, warm_up  # noqa: E402
from tests.web.servers import cli_server  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=5000)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()
    jobs = make_jobs(args.requests)
    print(f"{args.requests} requests (screen and propose over the example cases), {args.clients} clients, "
          f"{os.cpu_count()} CPUs; load average before: {os.getloadavg()[0]:.1f}")
    rows = []
    for workers in args.workers:
        with cli_server("--workers", str(workers)) as served:
            warm_up(served.url, jobs)
            result = run_load(served.url, jobs, clients=args.clients)
        print(f"workers={workers}: {result.summary()}")
        rows.append({"workers": workers, **describe(result)})
    print(json.dumps(rows))
    if any(r["errors"] or r["mismatches"] for r in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
