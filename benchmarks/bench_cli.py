"""Start-up time of the `ratecard` command as a person runs it: one new process per call.

Prints, for each command, the median and minimum wall time and the median CPU time (user + system,
less sensitive to other work on the machine) over --runs runs, and the ratio of the median wall time
to `python -c pass` measured in the same run, next to the targets of issue 12 (screen at most 0.25 s,
--help at most 0.15 s). Asserts nothing: machines here are shared and noisy.

    python benchmarks/bench_cli.py [--runs 15]
    python benchmarks/bench_cli.py --instructions [--baseline COMMIT]

--instructions counts CPU instructions instead (valgrind's callgrind, which hardly moves with load)
for each command writing plain text to a file, as a PSO's `ratecard screen case.yaml > screen.txt`
does, in this tree and, with --baseline, in that commit (checked out in a temporary worktree),
each command run once first so that the catalog cache and the bytecode are warm.

The catalog cache is warmed first (as after any earlier use); "screen, no catalog cache" shows
the cost without it (RATECARD_NO_CACHE=1). "libraries only" imports click, pydantic (and builds one
model), PyYAML, rich and durable_rules and nothing of ratecard: the floor under any command that
screens. On a machine shared with other work, `chrt -f 50 python benchmarks/bench_cli.py` (as root)
gives numbers close to an idle machine's.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASE = str(ROOT / "examples" / "cases" / "dv-first-conviction-sso-fifties.yaml")
TARGETS = {"--help": 0.15, "screen": 0.25}
LIBRARIES = ("import click, yaml, durable.engine, rich.console, rich.table, rich.text, rich.padding\n"
             "from pydantic import BaseModel\nclass A(BaseModel):\n    x: int = 0")


def _command() -> list[str]:
    script = Path(sys.executable).with_name("ratecard")
    return [str(script)] if script.exists() else [sys.executable, "-m", "ratecard"]


def measure(argv: list[str], runs: int, env: dict[str, str]) -> tuple[float, float, float]:
    """(median wall, min wall, median cpu) in seconds."""
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        r = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        walls.append(time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if r.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed: {r.stderr.decode()[-500:]}")
    return statistics.median(walls), min(walls), statistics.median(cpus)


def _counted(tree: Path, argv: list[str], env: dict[str, str]) -> int:
    # run from the tree itself: `python -m` puts the working folder before PYTHONPATH
    env = {**env, "PYTHONPATH": str(tree)}
    subprocess.run(argv, env=env, cwd=tree, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)  # warm
    r = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *argv], env=env, cwd=tree,
                       capture_output=True, text=True)
    m = re.search(r"Collected : (\d+)", r.stderr)
    if r.returncode != 0 or m is None:
        raise SystemExit(f"callgrind run failed in {tree}: {r.stderr[-2000:]}")
    return int(m.group(1))


def instructions(baseline: str | None) -> None:
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed: apt-get install valgrind")
    out = Path(tempfile.mkdtemp(prefix="ratecard-bench-out-")) / "out.txt"
    env = {**os.environ, "RATECARD_CACHE_DIR": tempfile.mkdtemp(prefix="ratecard-bench-cache-"), "COLUMNS": "100"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    cmd = [sys.executable, "-m", "ratecard"]
    rows = [("python -c pass", [sys.executable, "-c", "pass"]),
            ("--help", [*cmd, "--help"]),
            *((f"{c} > file", [*cmd, c, CASE, *extra, "--on", "2017-03-01", "--out", str(out)])
              for c, extra in (("screen", []), ("propose", []), ("check", ["bbr"]), ("allocate", []))),
            ("screen --json > file", [*cmd, "screen", CASE, "--on", "2017-03-01", "--json", "--out", str(out)])]
    trees = {"now": ROOT}
    holder = None
    if baseline:
        holder = tempfile.TemporaryDirectory()
        trees["before"] = Path(holder.name) / "baseline"
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(trees["before"]), baseline], cwd=ROOT, check=True)
    try:
        counts = {name: {t: _counted(tree, argv, env) for t, tree in trees.items()} for name, argv in rows}
    finally:
        if holder is not None:
            subprocess.run(["git", "worktree", "remove", "--force", str(trees["before"])], cwd=ROOT, check=False)
            holder.cleanup()
    print(f"million instructions a command" + (f", baseline {baseline}:" if baseline else ":"))
    for name, c in counts.items():
        line = f"  {name:<22} now {c['now'] / 1e6:8.0f}"
        if "before" in c:
            line += f"   before {c['before'] / 1e6:8.0f}   ratio {c['now'] / c['before']:.2f}x"
        print(line)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--instructions", action="store_true", help="count instructions (callgrind) instead of timing")
    ap.add_argument("--baseline", help="with --instructions: a commit to compare with")
    args = ap.parse_args()
    if args.instructions:
        instructions(args.baseline)
        return
    cache = tempfile.mkdtemp(prefix="ratecard-bench-cache-")
    env = {**os.environ, "RATECARD_CACHE_DIR": cache, "COLUMNS": "100", "PYTHONPATH": str(ROOT)}
    # As installed: `pip install` byte-compiles the package, so a user's command never compiles
    # ratecard's sources. A shell with PYTHONDONTWRITEBYTECODE set (as some sandboxes and CI images
    # are) would compile them on every run; the warm-up run below writes the bytecode instead.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    cmd = _command()
    subprocess.run([*cmd, "screen", CASE, "--on", "2017-03-01"], env=env, stdout=subprocess.DEVNULL, check=True)
    rows = [
        ("python -c pass", [sys.executable, "-c", "pass"], env),
        # the floor: importing the libraries a screen needs, and nothing of ratecard
        ("libraries only", [sys.executable, "-c", LIBRARIES], {**env, "PYDANTIC_DISABLE_PLUGINS": "__all__"}),
        ("--help", [*cmd, "--help"], env),
        ("screen", [*cmd, "screen", CASE, "--on", "2017-03-01"], env),
        ("screen --json", [*cmd, "screen", CASE, "--on", "2017-03-01", "--json"], env),
        ("screen, no catalog cache", [*cmd, "screen", CASE, "--on", "2017-03-01"], {**env, "RATECARD_NO_CACHE": "1"}),
        ("check", [*cmd, "check", CASE, "bbr", "--on", "2017-03-01"], env),
        ("list", [*cmd, "list"], env),
    ]
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; {args.runs} runs each; command: {' '.join(cmd)}")
    print(f"{'command':<26} {'median s':>9} {'min s':>7} {'cpu s':>7} {'x pass':>7}  target")
    base = None
    for name, argv, e in rows:
        med, low, cpu = measure(argv, args.runs, e)
        base = base or med
        target = TARGETS.get(name)
        verdict = "" if target is None else f"<= {target:.2f} s: {'met' if med <= target else 'NOT met'} (median)"
        print(f"{name:<26} {med:9.3f} {low:7.3f} {cpu:7.3f} {med / base:7.1f}  {verdict}")


if __name__ == "__main__":
    main()
