"""A bounded load client for `ratecard serve`, shared by the load test and benchmarks/bench_serve.py.

Concurrent clients on localhost, each with its own keep-alive connection, take requests from one
fixed list (screen and propose, alternately, over the example cases) until it is used up. Every
answer is compared byte for byte with the Python API's answer to the same request.
"""

from __future__ import annotations

import http.client
import json
import statistics
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from ratecard import default_catalog, propose, screen

from .servers import ON, case_dict, example_names


@dataclass(frozen=True)
class Job:
    path: str
    body: bytes
    expected: bytes


def make_jobs(n: int) -> list[Job]:
    """n requests mixing /v1/screen and /v1/propose over every example case, with expected answers."""
    import datetime as dt

    on = dt.date.fromisoformat(ON)
    catalog = default_catalog()
    distinct = []
    for name in example_names():
        case = case_dict(name)
        body = json.dumps({"case": case, "on": ON}).encode()
        distinct.append(Job("/v1/screen", body, screen(case, catalog, on=on).model_dump_json().encode()))
        distinct.append(Job("/v1/propose", body, propose(case, catalog, on=on).model_dump_json().encode()))
    return [distinct[i % len(distinct)] for i in range(n)]


@dataclass
class Result:
    requests: int = 0
    errors: list[str] = field(default_factory=list)  # transport errors and non-200 answers
    mismatches: list[str] = field(default_factory=list)  # 200 answers that differ from the Python API
    latencies: list[float] = field(default_factory=list)  # seconds
    elapsed: float = 0.0

    @property
    def per_second(self) -> float:
        return self.requests / self.elapsed if self.elapsed else 0.0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0

    def summary(self) -> str:
        return (f"{self.requests} requests in {self.elapsed:.1f} s: {self.per_second:.0f} requests/s, "
                f"p50 {self.percentile(0.5) * 1000:.1f} ms, p99 {self.percentile(0.99) * 1000:.1f} ms, "
                f"mean {statistics.fmean(self.latencies) * 1000 if self.latencies else 0:.1f} ms; "
                f"{len(self.errors)} errors, {len(self.mismatches)} answers different from the Python API")


def run_load(base: str, jobs: list[Job], clients: int = 8, timeout: float = 600.0) -> Result:
    """Send every job once, from `clients` threads; stops by itself after `timeout` seconds at most."""
    host = base.split("//", 1)[1]
    result = Result()
    lock = threading.Lock()
    next_job = iter(range(len(jobs)))
    deadline = time.monotonic() + timeout

    def client() -> None:
        conn = http.client.HTTPConnection(host, timeout=60)
        while time.monotonic() < deadline:
            with lock:
                i = next(next_job, None)
            if i is None:
                break
            job = jobs[i]
            t0 = time.perf_counter()
            try:
                conn.request("POST", job.path, body=job.body, headers={"Content-Type": "application/json"})
                r = conn.getresponse()
                data = r.read()
                status = r.status
            except (OSError, http.client.HTTPException) as e:
                conn.close()
                conn = http.client.HTTPConnection(host, timeout=60)
                with lock:
                    result.errors.append(f"{job.path}: {type(e).__name__}: {e}")
                continue
            took = time.perf_counter() - t0
            with lock:
                result.requests += 1
                result.latencies.append(took)
                if status != 200:
                    result.errors.append(f"{job.path}: HTTP {status}: {data[:200]!r}")
                elif data != job.expected:
                    result.mismatches.append(f"{job.path}: answer differs from the Python API")
        conn.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout + 60)
    result.elapsed = time.perf_counter() - started
    return result


def warm_up(base: str, jobs: list[Job]) -> None:
    """One of each distinct request, so that start-up costs are not counted."""
    seen: set[tuple[str, bytes]] = set()
    for job in jobs:
        if (job.path, job.body) not in seen:
            seen.add((job.path, job.body))
            run_load(base, [job], clients=1)


def describe(result: Result) -> dict[str, Any]:
    return {"requests": result.requests, "per_second": round(result.per_second, 1),
            "p50_ms": round(result.percentile(0.5) * 1000, 2), "p99_ms": round(result.percentile(0.99) * 1000, 2),
            "errors": len(result.errors), "mismatches": len(result.mismatches)}
