"""A 2,000-intervention catalog's screens in CPU instructions a case, counted by valgrind's callgrind:
bench_scale's wall and CPU times move by a third on a shared machine, an instruction count hardly
at all, so a ratio between two versions of the tree means something. Prints numbers; asserts nothing.

The catalog is bench_scale's (generate_catalog, same seed), the cases are bench_scale's
(`cases_for`), and the run is bench_scale's: 20 cases screened to warm up, the results made so far
forgotten, then cases screened one by one: the first 20 again (not counted: warmed, they are not
what bench_scale's median is made of), then --cases new ones, counted. Loading and compiling the catalog are
not counted (callgrind's instrumentation is switched on only for the counted loop, and the process
ends without tearing the catalog down), so a run takes a minute or two, not half an hour.

Modes: `read` (a screen with every result read: issue 21's 10 ms target), `screen` (the screen
alone; its results are made when read), `dumped` (read and dumped as JSON). `--frozen` freezes
everything made so far out of the cyclic collector first, as `ratecard serve` does once its catalog
is loaded. The collector's share is printed too (its functions' inclusive count).

    python benchmarks/callgrind_scale.py [--mode read|screen|dumped] [--cases 20] [--frozen] [--cache]
                                         [--before COMMIT] [--keep DIR]

--before counts the same on that commit (checked out in a temporary worktree) and prints the ratio;
--keep DIR keeps the catalog and the callgrind output files there (for callgrind_annotate).
Needs `valgrind` (Debian: `apt-get install valgrind`).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

CHILD = r"""
import gc, os, subprocess, sys, time
sys.path.insert(0, "."); sys.path.insert(0, "benchmarks")
from pathlib import Path
from bench_scale import ON, cases_for, forget_results
from ratecard import screen
from ratecard.catalog.load import load_catalog
mode, n, frozen, folder = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1", Path(sys.argv[4])
cat = load_catalog(folder); cat.engine
cases = cases_for(cat, 20 + n)
for c in cases[:20]:  # warm up, as bench_scale does
    screen(c, cat, on=ON)
forget_results(cat)
gc.collect()
if frozen:
    gc.freeze()
run = {"read": lambda c: tuple(screen(c, cat, on=ON).results), "screen": lambda c: screen(c, cat, on=ON),
       "dumped": lambda c: screen(c, cat, on=ON).model_dump_json()}[mode]
for c in cases[:20]:  # bench_scale's first cases, the warmed ones: its median is of the cases after
    run(c)
# instrumentation on from here (callgrind_control answers only while this process runs code: poll)
p = subprocess.Popen(["callgrind_control", "-i", "on", str(os.getpid())], stdout=subprocess.DEVNULL)
while p.poll() is None:
    time.sleep(0)
for c in cases[20:]:
    run(c)
sys.stdout.flush()
os._exit(0)  # no teardown of the catalog counted
"""

GC_FUNCTIONS = ("gc_collect_main", "gc_collect_with_callback", "gc_collect_generations")


def count(tree: Path, mode: str, cases: int, frozen: bool, folder: Path, out: Path,
          cache: bool = False) -> tuple[int, int, dict[str, int]]:
    """Instructions of the counted loop, of it in the cyclic collector, and (with `cache`) every
    event callgrind's cache simulation counted (misses: D1mr, DLmr, ...)."""
    # bytecode compiled first, so that no counted run compiles a module; one hash seed for every run
    # (the order of sets and dicts of strings changes the work done)
    subprocess.run([sys.executable, "-m", "compileall", "-q", "ratecard", "benchmarks"], cwd=tree, check=True)
    r = subprocess.run(["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
                        # the simulated last level is this machine's 2 MiB L2 a core: a miss there goes to L3
                        *(["--cache-sim=yes", "--LL=2097152,16,64"] if cache else []),
                        sys.executable, "-c", CHILD, mode, str(cases), "1" if frozen else "0", str(folder)],
                       cwd=tree, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    m = re.search(r"Collected : ([\d ]+)", r.stderr)
    events = re.search(r"Events +: ([\w ]+)", r.stderr)
    if r.returncode != 0 or m is None:
        raise SystemExit(f"callgrind run failed in {tree} ({mode}):\n{r.stderr[-3000:]}")
    gc = 0
    a = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", str(out)], capture_output=True, text=True)
    for line in a.stdout.splitlines():
        for fn in GC_FUNCTIONS:
            if re.search(rf"[:\s]{fn}\b", line):
                gc = max(gc, int(line.split()[0].replace(",", "")))
    got = dict(zip(events.group(1).split() if events else ["Ir"], map(int, m.group(1).split())))
    return got["Ir"], gc, got


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mode", choices=("read", "screen", "dumped"), default="read")
    ap.add_argument("--cases", type=int, default=20)
    ap.add_argument("--frozen", action="store_true", help="gc.freeze() before the counted loop, as `ratecard serve` does")
    ap.add_argument("--cache", action="store_true",
                    help="simulate the caches too (slower): D1 and L2 misses a case, and an estimate of cycles")
    ap.add_argument("--before", help="a commit to compare with (e.g. b8b63aa)")
    ap.add_argument("--keep", type=Path, help="keep the catalog and callgrind output files in this folder")
    ap.add_argument("--interventions", type=int, default=2000)
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed: apt-get install valgrind")
    sys.path.insert(0, str(REPO / "benchmarks"))
    from generate_catalog import generate

    with tempfile.TemporaryDirectory(prefix="ratecard-callgrind-") as tmp:
        where = args.keep or Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        folder = where / "catalog"
        if not (folder / "catalog").exists():
            generate(folder, args.interventions, 20, 5, 2017)  # bench_scale's defaults
        tag = f"{args.mode}{'-frozen' if args.frozen else ''}"
        now = count(REPO, args.mode, args.cases, args.frozen, folder, where / f"callgrind.now.{tag}", args.cache)
        before = None
        if args.before:
            old = Path(tmp) / "before"
            subprocess.run(["git", "worktree", "add", "--detach", "-q", str(old), args.before], cwd=REPO, check=True)
            try:
                before = count(old, args.mode, args.cases, args.frozen, folder, where / f"callgrind.before.{tag}", args.cache)
            finally:
                subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=REPO, check=False)
        n = args.cases
        print(f"million instructions a case, {args.interventions}-intervention catalog, mode {args.mode}"
              f"{', frozen' if args.frozen else ''}, {n} cases:")
        print(f"  now    {now[0] / n / 1e6:8.2f}   of it in the cyclic collector {now[1] / n / 1e6:7.2f}")
        if before:
            print(f"  before {before[0] / n / 1e6:8.2f}   of it in the cyclic collector {before[1] / n / 1e6:7.2f}"
                  f"   ({args.before})")
            print(f"  ratio  {now[0] / before[0]:8.2f}x")
        if args.cache:
            # an instruction count misses what a screen of a large catalog mostly waits for: its
            # objects are scattered, and reading each intervention's parts misses the caches
            def misses(ev: dict[str, int]) -> tuple[float, float, float]:
                l1 = (ev.get("I1mr", 0) + ev.get("D1mr", 0) + ev.get("D1mw", 0)) / n / 1e6
                l2 = (ev.get("ILmr", 0) + ev.get("DLmr", 0) + ev.get("DLmw", 0)) / n / 1e6
                return l1, l2, ev["Ir"] / n / 1e6 + 10 * l1 + 50 * l2
            print("  million a case: L1 misses, L2 misses (2 MiB simulated), estimated cycles "
                  "(instructions + 10 an L1 miss + 50 an L2 miss)")
            for label, got in (("now", now), ("before", before)):
                if got:
                    l1, l2, est = misses(got[2])
                    print(f"  {label:6s} {l1:8.2f} {l2:8.2f} {est:8.2f}")
        if args.keep:
            print(f"kept in {where}: callgrind_annotate {where / ('callgrind.now.' + tag)}")


if __name__ == "__main__":
    main()
