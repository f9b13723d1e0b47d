"""Batch screening at national scale, in one run: the Polars back end against the per-case durable
path. Prints numbers; asserts nothing (machines here are shared and noisy: read the ratios).

    python benchmarks/bench_batch.py [--cases 262388] [--repeat 3] [--durable-sample 2000]

1. Screen stage: derived facts, rule outcomes and decisions (and, separately, with the missing
   fields) over an in-memory table of the cases; median of --repeat runs. Target: <= 0.5 s.
2. End to end: `ratecard screen-batch CASES.jsonl --out OUT.jsonl` in a child process, wall time
   and peak RSS. Targets: <= 20 s, RSS < 4 GiB.
3. Per case against the durable path: `screen()` on a sample of the same cases.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import polars as pl  # noqa: E402

from generate_caseload import write  # noqa: E402
from ratecard import default_catalog, screen  # noqa: E402
from ratecard.case.model import Case  # noqa: E402
from ratecard.decide.screen_many import batch_program, computed_columns  # noqa: E402
from ratecard.case.tables import read_cases  # noqa: E402

ON = dt.date(2017, 3, 1)


def timed(f, repeat: int) -> tuple[float, object]:
    """Median wall time of `repeat` runs, and the last result. CPU time (all threads) is printed too:
    on a machine shared with other work it says more than the wall time."""
    times, cpus, out = [], [], None
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        out = f()
        times.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    timed.cpu = statistics.median(cpus)  # type: ignore[attr-defined]
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=262_388)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--durable-sample", type=int, default=2000)
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start (shared: timings are noisy)")
    with tempfile.TemporaryDirectory() as tmp:
        cases_path = Path(tmp) / "cases.jsonl"
        t = time.perf_counter()
        write(args.cases, cases_path)
        print(f"generated {args.cases:,} fictional cases ({cases_path.stat().st_size / 2**20:.0f} MiB JSON Lines) in {time.perf_counter() - t:.1f} s")

        cat = default_catalog()
        t = time.perf_counter()
        bp = batch_program(cat)
        print(f"compile for tables: {time.perf_counter() - t:.2f} s")
        t = time.perf_counter()
        table = read_cases(cases_path)
        print(f"read and validate: {time.perf_counter() - t:.2f} s ({table.frame.height:,} valid, {len(table.errors)} error rows)")
        frame = table.frame.with_columns(computed_columns(ON))

        def decisions_only() -> pl.DataFrame:
            lf = bp.decisions(bp.outcomes(bp.derive(frame.lazy(), missing=False), missing=False), missing=False)
            return lf.select([bp.decision_col(iid) for iid in bp.interventions] + [m for iid in bp.interventions for m in bp.mask_cols(iid)]).collect()

        def with_missing() -> pl.DataFrame:
            return bp.screen(frame.lazy()).collect()

        n = frame.height
        s1, _ = timed(decisions_only, args.repeat)
        c1 = timed.cpu  # type: ignore[attr-defined]
        s2, screened = timed(with_missing, args.repeat)
        c2 = timed.cpu  # type: ignore[attr-defined]
        print(f"screen stage (derived facts, rules, decisions), in memory: median {s1:.3f} s wall, {c1:.3f} s CPU "
              f"= {1e6 * s1 / n:.2f} us/case (target 0.5 s)")
        print(f"  ... with missing fields per decision: median {s2:.3f} s wall, {c2:.3f} s CPU = {1e6 * s2 / n:.2f} us/case")
        t = time.perf_counter()
        lines = bp.json_lines(screened)  # type: ignore[arg-type]
        print(f"  ... results as JSON lines: {time.perf_counter() - t:.2f} s ({lines.str.len_bytes().sum() / 2**20:.0f} MiB)")
        del screened, lines

        out = Path(tmp) / "out.jsonl"
        t = time.perf_counter()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, "-m", "ratecard", "screen-batch", str(cases_path), "--on", str(ON), "--out", str(out)],
                       check=True, cwd=ROOT, capture_output=True)
        e2e = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        print(f"end to end, screen-batch JSON Lines -> JSON Lines: {e2e:.1f} s wall, {cpu:.1f} s CPU = {1e6 * e2e / n:.1f} us/case, "
              f"peak RSS {after.ru_maxrss / 2**20:.2f} GiB (targets 20 s, 4 GiB); load average now {os.getloadavg()[0]:.1f}")

        sample = [Case.model_validate_json(x) for x in cases_path.read_text().splitlines()[: args.durable_sample]]
        t, c = time.perf_counter(), time.process_time()
        for case in sample:
            screen(case, cat, on=ON)
        per = (time.perf_counter() - t) / len(sample)
        per_cpu = (time.process_time() - c) / len(sample)
        print(f"durable path, screen() one case at a time: {1e6 * per:.0f} us/case wall, {1e6 * per_cpu:.0f} us/case CPU, "
              f"over {len(sample):,} cases (national: {per * n / 60:.1f} min)")
        print(f"ratio per case, durable / batch end to end: {per / (e2e / n):.0f}x wall, {per_cpu / (cpu / n):.0f}x CPU; "
              f"durable / batch screen stage: {per / (s1 / n):.0f}x wall, {per_cpu / (c1 / n):.0f}x CPU")


if __name__ == "__main__":
    main()
