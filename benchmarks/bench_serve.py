"""Throughput and latency of `ratecard serve` on localhost, beside the floor of a minimal FastAPI app.

    PYTHONPATH=. python benchmarks/bench_serve.py [--requests 5000] [--clients 8] [--one 2000]

1. **The server's own overhead, at one client.** One keep-alive client sends the same `/v1/screen`
   request `--one` times to `ratecard serve` (one worker), then to a minimal FastAPI app under the
   same uvicorn settings that answers every POST with a constant JSON of the same size (the floor:
   what any FastAPI service costs on this machine). The screen itself is timed in the same process
   through the Python API. The server's overhead is its p50 less the screen's own median; the
   target (issue 21) is at most 2x the floor's p50.
   On a shared machine wall and CPU time are mostly waiting and cache misses; with `--instructions N`
   (needs valgrind) the three servers run under callgrind and the instructions each executes for N
   requests are counted after a warm-up: the steadiest figure, and the one the target is read from.
2. **Batches.** Four `/v1/screen-batch` requests at once, each the largest one request may hold
   (minimal cases, whose rows are the longest), while /healthz is asked every 50 ms: each
   answer's status, size and time, the worst health-check wait, and the server's peak RSS.
   `--root DIR` serves another checkout instead, to compare versions in one run.
3. **Throughput.** `ratecard serve` with 1 and then 2 worker processes, `--requests` requests (screen
   and propose, alternately, over the example cases) from `--clients` concurrent keep-alive clients:
   requests a second, p50 and p99 latency, errors, and answers that differ from the Python API's.

The client runs on the same machine and takes CPU too: on two cores the figures are a floor, not a
ceiling. Run the whole script in one go, so that every figure comes from the same machine state.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from tests.web.load import Job, describe, make_jobs, run_load, warm_up  # noqa: E402
from tests.web.servers import ON, case_dict, cli_server, free_port, wait_until_up  # noqa: E402

# the request the one-client comparison sends (an example case, as other systems send it)

CASE = "dv-first-conviction-sso-fifties.yaml"

# The floor: FastAPI and uvicorn with ratecard's own settings (h11, no access log, one worker),
# a POST route that reads the body and answers with constant JSON bytes of the screen's size.
# With a third argument, the same app screens one fixed case on each request instead (the case
# read once, at start): the screen's own cost as a server process pays it, between a client's
# requests on a shared machine, which is what ratecard's server cost is compared after.
FLOOR_APP = """
import datetime as dt, json, sys, uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import Response
body = open(sys.argv[2], "rb").read()
app = FastAPI()
if len(sys.argv) > 3:
    from ratecard import Case, default_catalog, screen
    catalog = default_catalog()
    request_body = json.loads(open(sys.argv[3], "rb").read())
    case = Case.model_validate_json(json.dumps(request_body["case"]))
    on = dt.date.fromisoformat(request_body["on"])
    catalog.engine
    answer = lambda: screen(case, catalog, on=on).model_dump_json()
else:
    answer = lambda: body

@app.post("/v1/screen")
async def screen_route(request: Request) -> Response:
    await request.body()
    return Response(answer(), media_type="application/json")

@app.get("/healthz")
def healthz() -> dict:
    return {"status": "ok"}

uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), http="h11", access_log=False, log_level="warning",
            timeout_keep_alive=5)
"""


def _screen_cost(n: int = 400) -> tuple[float, float, bytes, bytes]:
    """The screen itself through the Python API (the decision and its JSON, as the server answers
    it): median wall time and CPU time per call; the request body and the answer."""
    from ratecard import default_catalog, screen

    catalog = default_catalog()
    case = case_dict(CASE)
    on = dt.date.fromisoformat(ON)
    answer = screen(case, catalog, on=on).model_dump_json().encode()
    for _ in range(50):
        screen(case, catalog, on=on).model_dump_json()
    times = []
    cpu = time.process_time()
    for _ in range(n):
        t = time.perf_counter()
        screen(case, catalog, on=on).model_dump_json()
        times.append(time.perf_counter() - t)
    cpu = (time.process_time() - cpu) / n
    return statistics.median(times), cpu, json.dumps({"case": case, "on": ON}).encode(), answer


@contextlib.contextmanager
def _serve(root: Path, *args: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`ratecard serve ARGS` from the checkout at `root`, on a free port: (its URL, its process)."""
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp, open(Path(tmp) / "log", "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "ratecard", "serve", "--port", str(port), *args], cwd=root,
                                env={**os.environ, "PYTHONPATH": str(root)}, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until_up(port, proc=proc)
            yield f"http://127.0.0.1:{port}", proc
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _one_client(url: str, jobs: list[Job], pid: int) -> dict:
    warm_up(url, jobs[:1])
    run_load(url, jobs[: min(200, len(jobs))], clients=1)  # warm: the first requests pay for imports
    cpu = _cpu_seconds(pid)
    out = describe(run_load(url, jobs, clients=1))
    out["cpu_ms_per_request"] = round((_cpu_seconds(pid) - cpu) * 1000 / len(jobs), 3)
    return out


def overhead(root: Path, n: int) -> dict:
    """The server's own cost per /v1/screen beside the floor's: p50 wall time, and (steadier on a
    shared machine, where wall time is mostly waiting for a core) the server process's CPU time a
    request; each less the screen's own cost for ratecard."""
    screen_s, screen_cpu, body, answer = _screen_cost()
    jobs = [Job("/v1/screen", body, answer)] * n
    with _serve(root) as (url, proc):
        ratecard = _one_client(url, jobs, proc.pid)
    with tempfile.TemporaryDirectory() as tmp:
        answer_file, body_file = Path(tmp) / "answer.json", Path(tmp) / "body.json"
        answer_file.write_bytes(answer)
        body_file.write_bytes(body)
        runs = {}
        for name, extra in (("floor", []), ("screen_alone", [str(body_file)])):
            port = free_port()
            proc = subprocess.Popen([sys.executable, "-c", FLOOR_APP, str(port), str(answer_file), *extra],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                wait_until_up(port, proc=proc)
                runs[name] = _one_client(f"http://127.0.0.1:{port}", jobs if name == "floor" else
                                         [Job(j.path, j.body, answer) for j in jobs], proc.pid)
            finally:
                proc.terminate()
                proc.wait(timeout=20)
    floor, alone = runs["floor"], runs["screen_alone"]
    # the screen's own cost in a server process: the minimal app that screens, less the minimal app
    screen_ms = alone["p50_ms"] - floor["p50_ms"]
    screen_cpu_ms = alone["cpu_ms_per_request"] - floor["cpu_ms_per_request"]
    own = ratecard["p50_ms"] - screen_ms
    own_cpu = ratecard["cpu_ms_per_request"] - screen_cpu_ms
    return {"requests": n, "answer_bytes": len(answer),
            "screen_in_process_ms": round(screen_s * 1000, 3), "screen_in_process_cpu_ms": round(screen_cpu * 1000, 3),
            "screen_in_server_ms": round(screen_ms, 3), "screen_in_server_cpu_ms": round(screen_cpu_ms, 3),
            "ratecard_p50_ms": ratecard["p50_ms"], "ratecard_per_second": ratecard["per_second"],
            "ratecard_cpu_ms": ratecard["cpu_ms_per_request"],
            "floor_p50_ms": floor["p50_ms"], "floor_per_second": floor["per_second"], "floor_cpu_ms": floor["cpu_ms_per_request"],
            "own_overhead_ms": round(own, 3), "overhead_to_floor": round(own / floor["p50_ms"], 2),
            "own_overhead_cpu_ms": round(own_cpu, 3), "cpu_overhead_to_floor": round(own_cpu / floor["cpu_ms_per_request"], 2),
            "errors": ratecard["errors"] + floor["errors"] + alone["errors"], "mismatches": ratecard["mismatches"] + alone["mismatches"]}


def _peak_rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def batches(root: Path, cases: int, at_once: int = 4) -> dict:
    """`at_once` maximal batch requests together against `ratecard serve` run from `root`."""
    import http.client
    import threading

    from tests.web.servers import get

    body = json.dumps({"cases": [{"id": f"c{i:05d}"} for i in range(cases)], "on": ON}).encode()
    with _serve(root) as (url, proc):
        answers: list[tuple[int, int, float]] = []

        def one() -> None:
            c = http.client.HTTPConnection(url.split("//")[1], timeout=600)
            t = time.perf_counter()
            c.request("POST", "/v1/screen-batch", body=body, headers={"Content-Type": "application/json"})
            r = c.getresponse()
            n = len(r.read())  # read, not parsed: parsing here would slow this process's health checks
            answers.append((r.status, n, time.perf_counter() - t))

        threads = [threading.Thread(target=one) for _ in range(at_once)]
        for t in threads:
            t.start()
        waits = []
        while any(t.is_alive() for t in threads):
            t0 = time.perf_counter()
            try:
                get(url, "/healthz")
            except OSError:
                pass
            waits.append(time.perf_counter() - t0)
            time.sleep(0.05)
        rss = _peak_rss_mib(proc.pid)
    return {"cases_per_request": cases, "request_bytes": len(body), "at_once": at_once,
            "answers": [{"status": s, "bytes": n, "seconds": round(t, 2)} for s, n, t in sorted(answers, key=lambda a: a[2])],
            "healthz_worst_s": round(max(waits), 3), "peak_rss_mib": round(rss)}


def _instructions_per_request(cmd: list[str], cwd: Path, body: bytes, n: int) -> float:
    """Instructions the server process executes a /v1/screen request, counted by callgrind after a
    warm-up (callgrind_control zeroes the counters, then dumps them after the n requests)."""
    import glob
    import re

    port = free_port()
    with tempfile.TemporaryDirectory() as d:
        proc = subprocess.Popen(["valgrind", "--tool=callgrind", f"--callgrind-out-file={d}/cg.out",
                                 *[a.replace("{port}", str(port)) for a in cmd]], cwd=cwd,
                                env={**os.environ, "PYTHONPATH": str(cwd)}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_until_up(port, timeout=900, proc=proc)
            url = f"http://127.0.0.1:{port}"
            run_load(url, [Job("/v1/screen", body, b"")] * 30, clients=1)
            subprocess.run(["callgrind_control", "-z", str(proc.pid)], capture_output=True, check=True)
            run_load(url, [Job("/v1/screen", body, b"")] * n, clients=1)
            subprocess.run(["callgrind_control", "-d", str(proc.pid)], capture_output=True, check=True)
        finally:
            proc.terminate()
            proc.wait(timeout=300)
        dumps = sorted(glob.glob(f"{d}/cg.out.*"), key=lambda f: int(f.rsplit(".", 1)[1]))
        text = Path(dumps[0]).read_text(errors="replace")
        m = re.search(r"^(?:summary|totals): (\d+)", text, re.M)
        assert m, "no instruction count in the callgrind dump"
        return int(m.group(1)) / n


def instructions(root: Path, n: int) -> dict:
    _, _, body, answer = _screen_cost(10)
    with tempfile.TemporaryDirectory() as tmp:
        answer_file, body_file = Path(tmp) / "answer.json", Path(tmp) / "body.json"
        answer_file.write_bytes(answer)
        body_file.write_bytes(body)
        here = Path(__file__).resolve().parents[1]
        counts = {
            "ratecard": _instructions_per_request([sys.executable, "-m", "ratecard", "serve", "--port", "{port}"], root, body, n),
            "floor": _instructions_per_request([sys.executable, "-c", FLOOR_APP, "{port}", str(answer_file)], here, body, n),
            "screen_alone": _instructions_per_request([sys.executable, "-c", FLOOR_APP, "{port}", str(answer_file),
                                                       str(body_file)], here, body, n),
        }
    screen = counts["screen_alone"] - counts["floor"]
    own = counts["ratecard"] - screen
    return {"requests": n, **{f"{k}_per_request": round(v) for k, v in counts.items()},
            "screen_per_request": round(screen), "own_per_request": round(own), "own_to_floor": round(own / counts["floor"], 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=5000)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--workers", type=int, nargs="*", default=[1, 2])
    ap.add_argument("--one", type=int, default=2000, help="requests for the one-client overhead comparison (0: skip it)")
    ap.add_argument("--batch-cases", type=int, default=0,
                    help="cases in each of the four batch requests (default: the most one request may hold; 0 with "
                         "--no-batches to skip)")
    ap.add_argument("--no-batches", action="store_true")
    ap.add_argument("--instructions", type=int, default=0, metavar="N",
                    help="also count instructions a request under callgrind, over N requests (100 is enough; needs valgrind)")
    ap.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1],
                    help="the checkout whose server is measured (default this one); the throughput runs use this one")
    args = ap.parse_args()
    print(f"{os.cpu_count()} CPUs; load average before: {os.getloadavg()[0]:.1f}")
    rows: list[dict] = []
    if args.one:
        o = overhead(args.root, args.one)
        print(f"one client, {o['requests']} x /v1/screen ({o['answer_bytes']:,}-byte answer); the screen itself "
              f"{o['screen_in_process_ms']:.2f} ms in a loop in this process, {o['screen_in_server_ms']:.2f} ms "
              f"({o['screen_in_server_cpu_ms']:.2f} ms CPU) in a minimal FastAPI app that screens:\n"
              f"  wall: ratecard p50 {o['ratecard_p50_ms']:.2f} ms ({o['ratecard_per_second']:.0f}/s), so the server's own "
              f"{o['own_overhead_ms']:.2f} ms; minimal FastAPI p50 {o['floor_p50_ms']:.2f} ms ({o['floor_per_second']:.0f}/s): "
              f"{o['overhead_to_floor']:.2f}x the floor (target at most 2x)\n"
              f"  CPU a request: ratecard {o['ratecard_cpu_ms']:.3f} ms, so the server's own {o['own_overhead_cpu_ms']:.3f} ms; "
              f"minimal FastAPI {o['floor_cpu_ms']:.3f} ms: {o['cpu_overhead_to_floor']:.2f}x the floor")
        rows.append({"run": "one client", **o})
    if args.instructions:
        i = instructions(args.root, args.instructions)
        print(f"instructions a /v1/screen request (callgrind, {i['requests']} requests after a warm-up): ratecard "
              f"{i['ratecard_per_request'] / 1e6:.2f} M; minimal FastAPI {i['floor_per_request'] / 1e6:.2f} M; the same app "
              f"screening {i['screen_alone_per_request'] / 1e6:.2f} M, so the screen {i['screen_per_request'] / 1e6:.2f} M and "
              f"the server's own {i['own_per_request'] / 1e6:.2f} M: {i['own_to_floor']:.2f}x the floor (target at most 2x)")
        rows.append({"run": "instructions", **i, "errors": 0, "mismatches": 0})
    if not args.no_batches:
        from ratecard import default_catalog
        from ratecard.web.api import batch_limit

        n = args.batch_cases or batch_limit(default_catalog())
        b = batches(args.root, n)
        print(f"four batch requests at once, {n:,} minimal cases each ({b['request_bytes']:,} bytes): "
              + "; ".join(f"{a['status']} {a['bytes'] / 1e6:.1f} MB in {a['seconds']:.1f} s" for a in b["answers"])
              + f"; /healthz at worst {b['healthz_worst_s']:.2f} s; server peak RSS {b['peak_rss_mib']} MiB")
        rows.append({"run": "batches", **b, "errors": sum(a["status"] != 200 for a in b["answers"]), "mismatches": 0})
    if args.workers:
        jobs = make_jobs(args.requests)
        print(f"{args.requests} requests (screen and propose over the example cases), {args.clients} clients")
        for workers in args.workers:
            with cli_server("--workers", str(workers)) as served:
                warm_up(served.url, jobs)
                result = run_load(served.url, jobs, clients=args.clients)
            print(f"workers={workers}: {result.summary()}")
            rows.append({"run": f"workers={workers}", "workers": workers, **describe(result)})
    print(json.dumps(rows))
    if any(r["errors"] or r["mismatches"] for r in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
