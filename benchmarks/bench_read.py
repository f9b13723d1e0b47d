"""Reading a table of cases into validated cases (`read_cases`), at national scale. Prints numbers;
asserts nothing (machines here are shared and noisy: quote the CPU times and the ratios).

    python benchmarks/bench_read.py [--cases 262388] [--repeat 3] [--file cases.jsonl] [--formats jsonl,csv,parquet]
                                    [--checkout DIR]

Each reading runs in a fresh child process so that its peak RSS is its own. For each format it
prints the median wall and CPU time (all threads) of --repeat runs and the largest peak RSS.
The CSV and Parquet files are written from the same cases (the CSV as Excel saves it: dotted
columns, lists separated by ';').
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

CHILD = r"""
import sys, time
t, c = time.perf_counter(), time.process_time()
try:
    from ratecard.case.tables import read_cases
except ImportError:  # before the one validation moved to the case model
    from ratecard.case.tables import read_cases
table = read_cases(sys.argv[1])
wall, cpu = time.perf_counter() - t, time.process_time() - c
# the peak of this process's own memory: ru_maxrss would carry the parent's peak over exec
rss = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(wall, cpu, rss, table.frame.height, len(table.errors))
"""


def run(path: Path, checkout: Path = ROOT) -> tuple[float, float, float, int, int]:
    out = subprocess.run([sys.executable, "-c", CHILD, str(path)], check=True, capture_output=True, text=True, cwd=checkout)
    wall, cpu, rss, ok, bad = out.stdout.split()
    return float(wall), float(cpu), int(rss) / 1024, int(ok), int(bad)  # VmHWM is in KiB


def write_other_formats(jsonl: Path, folder: Path, formats: list[str]) -> dict[str, Path]:
    import polars as pl

    paths = {"jsonl": jsonl}
    if not set(formats) & {"csv", "parquet"}:
        return paths
    nested = pl.read_ndjson(jsonl, infer_schema_length=None)
    if "parquet" in formats:
        paths["parquet"] = folder / "cases.parquet"
        nested.write_parquet(paths["parquet"])
    if "csv" in formats:
        flat = nested
        while any(isinstance(t, pl.Struct) for c, t in flat.schema.items() if c not in ("rar_ledger", "events")):
            flat = flat.unnest(*[c for c, t in flat.schema.items() if isinstance(t, pl.Struct) and c not in ("rar_ledger", "events")],
                               separator=".")
        flat = flat.with_columns(
            [pl.col(c).list.join(";") for c, t in flat.schema.items() if isinstance(t, pl.List) and c not in ("rar_ledger", "events")]
            + [pl.col(c).map_elements(lambda v: json.dumps(v.to_list()) if v is not None else None, return_dtype=pl.String)
               for c in ("rar_ledger", "events") if c in flat.columns])
        paths["csv"] = folder / "cases.csv"
        flat.write_csv(paths["csv"])
    return paths


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=262_388)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--file", type=Path, help="a JSON Lines file of cases to read instead of generating one")
    ap.add_argument("--formats", default="jsonl", help="comma-separated: jsonl, csv, parquet")
    ap.add_argument("--checkout", type=Path, default=ROOT, help="read with the ratecard of another checkout (e.g. main's, for a before/after)")
    args = ap.parse_args()
    formats = args.formats.split(",")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start (shared: timings are noisy)")
    with tempfile.TemporaryDirectory() as tmp:
        if args.file:
            jsonl = args.file
        else:
            from generate_caseload import write

            jsonl = Path(tmp) / "cases.jsonl"
            t = time.perf_counter()
            write(args.cases, jsonl)
            print(f"generated {args.cases:,} fictional cases in {time.perf_counter() - t:.1f} s")
        for fmt, path in write_other_formats(jsonl, Path(tmp), formats).items():
            runs = [run(path, args.checkout) for _ in range(args.repeat)]
            wall = statistics.median(r[0] for r in runs)
            cpu = statistics.median(r[1] for r in runs)
            rss = max(r[2] for r in runs)
            ok, bad = runs[-1][3], runs[-1][4]
            print(f"{fmt:8} {path.stat().st_size / 2**20:6.0f} MiB: read and validate median {wall:.2f} s wall, {cpu:.2f} s CPU "
                  f"({1e6 * cpu / max(ok + bad, 1):.1f} us/case CPU), peak RSS {rss:.0f} MiB; {ok:,} cases, {bad} error rows")


if __name__ == "__main__":
    main()
