"""Start-up time of the `ratecard` command as a person runs it: one new process per call.

Prints, for each command, the median and minimum wall time and the median CPU time (user + system,
less sensitive to other work on the machine) over --runs runs, and the ratio of the median wall time
to `python -c pass` measured in the same run, next to the targets of issue 12 (screen at most 0.25 s,
--help at most 0.15 s). Asserts nothing: machines here are shared and noisy.

    python benchmarks/bench_cli.py [--runs 15]

The catalog cache is warmed first (as after any earlier use); "screen, no catalog cache" shows
the cost without it (RATECARD_NO_CACHE=1). "libraries only" imports click, pydantic (and builds one
model), PyYAML, rich and durable_rules and nothing of ratecard: the floor under any command that
screens. On a machine shared with other work, `chrt -f 50 python benchmarks/bench_cli.py` (as root)
gives numbers close to an idle machine's.
"""

from __future__ import annotations

import argparse
import os
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
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
