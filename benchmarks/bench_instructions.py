"""Screen and propose cost in CPU instructions a case, this tree against a baseline commit, counted
by valgrind's callgrind: unlike wall time, the count hardly moves on a shared, noisy machine, so a
ratio between two versions means something. Prints numbers; asserts nothing.

Issue 21's targets: a screen at most 4 million instructions a case, a proposal at most 6 million
(8.08 and 12.98 at 9b066b6). A screen's results are made when they are read, so the screen is also
counted with every result read, and read and dumped with `model_dump_json()` (the JSON the CLI and
the HTTP API give): a caller that shows every result pays those. With --baseline, the same is counted on that commit too (checked out
in a temporary worktree) and the ratio printed. Each version screens and proposes the cases of its
own `benchmarks/bench_screen.generated_case` (seeded; half with missing fields); the cost of
starting Python, importing and compiling the catalog is measured by a run that does neither and
taken off.

    python benchmarks/bench_instructions.py [--baseline COMMIT] [--cases 200]

Needs `valgrind` (Debian: `apt-get install valgrind`); takes a few minutes (callgrind runs the
interpreter about 50 times slower).
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
TARGETS = {"screen": 4.0, "propose": 6.0}  # million instructions a case (issue 21)
# a screen's results are made when read: besides the screen alone, a screen with every result read,
# and with the whole screen dumped as JSON (what --json and the HTTP API pay), against the same target
MODES = {"screen": "screen", "screen_read": "screen", "screen_dumped": "screen", "propose": "propose"}
SAID = {"screen": "screen", "screen_read": "screen, every result read", "screen_dumped": "screen, read and dumped as JSON",
        "propose": "propose"}

CHILD = """
import random, sys
sys.path.insert(0, "."); sys.path.insert(0, "benchmarks")
from bench_screen import generated_case, ON
from ratecard import default_catalog, screen, propose
cat = default_catalog(); cat.engine
rnd = random.Random(2017)
cases = [generated_case(rnd, i) for i in range(int(sys.argv[2]))]
screen(cases[0], cat, on=ON); propose(cases[0], cat, on=ON)
if sys.argv[1] == "screen":
    for c in cases: screen(c, cat, on=ON)
elif sys.argv[1] == "screen_read":
    for c in cases: tuple(screen(c, cat, on=ON).results)
elif sys.argv[1] == "screen_dumped":
    for c in cases: screen(c, cat, on=ON).model_dump_json()
elif sys.argv[1] == "propose":
    for c in cases: propose(c, cat, on=ON)
"""


def instructions(tree: Path, mode: str, cases: int) -> int:
    # one hash seed for every run: with Python's random one, the order of sets and dicts of strings
    # (and so the work done) changes between runs, and the same commit counted 3.25 and 3.16 M
    r = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-c", CHILD,
                        mode, str(cases)], cwd=tree, capture_output=True, text=True,
                       env={**os.environ, "PYTHONHASHSEED": "0"})
    m = re.search(r"Collected : (\d+)", r.stderr)
    if r.returncode != 0 or m is None:
        raise SystemExit(f"callgrind run failed in {tree} ({mode}):\n{r.stderr[-3000:]}")
    return int(m.group(1))


def per_case(tree: Path, cases: int) -> dict[str, float]:
    # bytecode compiled first: a counted run that compiles a changed module (the first after an
    # edit, or in a new worktree) would count the compiling too
    subprocess.run([sys.executable, "-m", "compileall", "-q", "ratecard", "benchmarks"], cwd=tree, check=True)
    base = instructions(tree, "none", cases)
    return {mode: (instructions(tree, mode, cases) - base) / cases / 1e6 for mode in MODES}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--baseline", help="a commit to compare with (e.g. 9b066b6)")
    ap.add_argument("--cases", type=int, default=200)
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed: apt-get install valgrind")
    now = per_case(REPO, args.cases)
    before = None
    if args.baseline:
        with tempfile.TemporaryDirectory() as tmp:
            old = Path(tmp) / "baseline"
            subprocess.run(["git", "worktree", "add", "--detach", "-q", str(old), args.baseline], cwd=REPO, check=True)
            try:
                before = per_case(old, args.cases)
            finally:
                subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=REPO, check=False)
    print(f"million instructions a case, {args.cases} generated cases" + (f", baseline {args.baseline}:" if before else ":"))
    for mode, of in MODES.items():
        line = (f"  {SAID[mode]:32s} now {now[mode]:6.2f}   target {TARGETS[of]:4.1f}: "
                f"{'met' if now[mode] <= TARGETS[of] else 'NOT met'}")
        if before:
            line += f"   before {before[mode]:6.2f}   ratio {now[mode] / before[mode]:.2f}x"
        print(line)


if __name__ == "__main__":
    main()
