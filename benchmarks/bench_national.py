"""The national caseload (262,388 fictional cases) through every batch command, in one run: each
command end to end in a fresh process with its CPU time and peak memory, and each stage of it
timed on its own, so that reading the cases (ratecard/case/tables.py) shows apart from the rules
and the writing. Prints numbers; asserts nothing (the machine is shared: read CPU time, not wall).

    python benchmarks/bench_national.py [--cases 262388] [--keep DIR] [--only caseload,jsonl,...] [--baseline DIR]

`--baseline DIR` runs each command in another checkout too (e.g. `git worktree add --detach DIR
COMMIT`, or `git archive COMMIT | tar -x -C DIR`), right before this one, and prints the ratio of
CPU times: the machine is shared, and a ratio from one run moves less than either time.

Issue 21's targets, on the national caseload:
- `ratecard caseload`: at most 1.5 GiB peak and 20 s CPU;
- `ratecard screen-batch --out x.jsonl`: at most 0.8 GiB and 12 s CPU, the same bytes as before
  (the SHA-256 of the output is printed to compare with an earlier run);
- `screen-batch --out x.parquet`: at most 10 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

ON = "2017-03-01"
TARGETS = {"caseload": (1.5, 20.0, None), "jsonl": (0.8, 12.0, None), "parquet": (None, None, 10.0)}

# Run as a child: each stage's wall and CPU time and the RSS after it, one JSON object a line.
STAGES = r"""
import datetime as dt, json, os, sys, time, resource
sys.path.insert(0, sys.argv[1])
mode, cases, out = sys.argv[2], sys.argv[3], sys.argv[4]
on = dt.date(2017, 3, 1)
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**30
last = [time.perf_counter(), time.process_time()]
def stage(name):
    w, c = time.perf_counter(), time.process_time()
    print(json.dumps({"stage": name, "wall": w - last[0], "cpu": c - last[1], "rss": rss()}), flush=True)
    last[:] = [time.perf_counter(), time.process_time()]
from ratecard import default_catalog
from ratecard.case.tables import read_cases
from ratecard.decide.screen_many import screen_many, write_results
cat = default_catalog(); cat.engine
stage("import and load the catalog")
table = read_cases(cases)
stage("read the cases (case/tables.py)")
result = screen_many(table, cat, on=on)
stage("screen_many (screens when asked)")
if mode == "caseload":
    from ratecard.decide.caseload import build_caseload
    from ratecard.present.caseload import render_caseload
    report = build_caseload(result, cat, on=on)
    stage("needs assessment (aggregation)")
    text = report.model_dump_json(indent=2)
    stage("report as JSON")
else:
    write_results(result, out, mode)
    stage(f"screen and write {mode}")
print(json.dumps({"stage": "peak", "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}), flush=True)
"""


def run_child(argv: list[str], root: Path = ROOT) -> tuple[float, float, float, str]:
    """(wall s, CPU s, peak RSS GiB, stdout) of one command in a fresh process, measured by GNU time
    (RUSAGE_CHILDREN would keep the largest peak of every earlier child), with `root`'s ratecard."""
    t = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", *argv], cwd=root, capture_output=True, text=True)
    wall = time.perf_counter() - t
    last = r.stderr.strip().splitlines()[-1].split()
    if len(last) != 3:
        raise SystemExit(f"{' '.join(argv)} failed:\n{r.stderr[-3000:]}")
    kib, user, system = last
    if r.returncode != 0:
        print(f"    (exit {r.returncode}: {r.stderr.strip().splitlines()[-2] if len(r.stderr.strip().splitlines()) > 1 else ''})")
    return wall, float(user) + float(system), int(kib) / 2**20, r.stdout


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


def run_mode(mode: str, root: Path, label: str, folder: Path, cases: Path) -> float:
    """One command end to end, then again in stages; prints both and returns the CPU seconds."""
    py = sys.executable
    out = folder / {"caseload": "report.json", "jsonl": "out.jsonl", "parquet": "out.parquet", "csv": "out.csv"}[mode]
    if mode == "caseload":
        argv = [py, "-m", "ratecard", "caseload", str(cases), "--on", ON, "--format", "json", "--out", str(out)]
        name = "caseload --format json"
    else:
        argv = [py, "-m", "ratecard", "screen-batch", str(cases), "--on", ON, "--out", str(out)]
        name = f"screen-batch --out x.{mode}"
    # an earlier run's output is deleted first: freeing a gigabyte of page cache is the kernel's
    # work, and would be counted as the command's
    out.unlink(missing_ok=True)
    wall, cpu, peak, _ = run_child(argv, root)
    size = out.stat().st_size / 2**20
    line = f"{name:32s} end to end: {wall:6.1f} s wall {cpu:6.1f} s CPU, peak {peak:5.2f} GiB; output {size:,.0f} MiB"
    if label:
        line = f"[{label}] " + line
    if mode != "caseload":
        line += f", sha256 {sha256(out)}"
    rss_t, cpu_t, wall_t = TARGETS.get(mode, (None, None, None))
    if rss_t is not None:
        line += f"  [targets {rss_t} GiB: {'met' if peak <= rss_t else 'NOT met'}, {cpu_t:.0f} s CPU: {'met' if cpu <= cpu_t else 'NOT met'}]"
    if wall_t is not None:
        line += f"  [target {wall_t:.0f} s: {'met' if wall <= wall_t else 'NOT met'} wall, {'met' if cpu <= wall_t else 'NOT met'} CPU]"
    print(line, flush=True)
    # the same in stages (another fresh process)
    staged = folder / f"staged-{out.name}"
    staged.unlink(missing_ok=True)
    _, _, _, stdout = run_child([py, "-c", STAGES, str(root), mode, str(cases), str(staged)], root)
    for raw in stdout.splitlines():
        s = json.loads(raw)
        if s["stage"] == "peak":
            print(f"    {'peak RSS in the staged run':40s} {s['rss']:5.2f} GiB")
        else:
            print(f"    {s['stage']:40s} {s['wall']:6.2f} s wall {s['cpu']:6.2f} s CPU   RSS after {s['rss']:5.2f} GiB")
    if mode == "parquet":
        print(f"    (Parquet output {pq_digest(out)})")
    sys.stdout.flush()
    return cpu


def pq_digest(path: Path) -> str:
    """The Parquet file's contents (not its bytes: row groups may differ) as a digest of its table."""
    import pyarrow.parquet as pq

    h = hashlib.sha256()
    table = pq.read_table(path).combine_chunks()
    h.update(str(table.schema).encode())
    for batch in table.to_batches(1 << 20):
        h.update(batch.serialize())
    return f"table sha256 {h.hexdigest()[:16]}, {table.num_rows:,} rows"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=int, default=262_388)
    ap.add_argument("--keep", type=Path, help="a folder to keep the generated cases and outputs in")
    ap.add_argument("--only", default="caseload,jsonl,parquet,csv", help="which commands, comma-separated")
    ap.add_argument("--baseline", type=Path, help="another checkout (an earlier commit) to run each command in too, for ratios")
    args = ap.parse_args()
    from generate_caseload import write

    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start (shared: read CPU time)")
    with tempfile.TemporaryDirectory(prefix="ratecard-national-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        cases = folder / f"cases-{args.cases}.jsonl"
        if not cases.exists():
            write(args.cases, cases)
        print(f"{args.cases:,} fictional cases, {cases.stat().st_size / 2**20:.0f} MiB of JSON Lines")
        trees = [("baseline", args.baseline.resolve()), ("this tree", ROOT)] if args.baseline else [("", ROOT)]
        for mode in args.only.split(","):
            cpus = []
            for label, root in trees:
                cpus.append(run_mode(mode, root, label, folder, cases))
            if len(cpus) == 2:
                print(f"    ratio of CPU, this tree / baseline: {cpus[1] / cpus[0]:.2f}")
            sys.stdout.flush()
        print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
