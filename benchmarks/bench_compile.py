"""How long a catalog takes to load and compile when one rule is pathological, and how soon it is refused.

    PYTHONPATH=. python benchmarks/bench_compile.py [--root DIR] [--timeout 300] [--max-gib 3]

Each scenario is the default catalog plus one hostile addition, loaded in a fresh interpreter
(`load_catalog` and the durable_rules engine, as `ratecard validate` does), with wall time, peak
memory and the outcome: loaded, refused (with the file and line named), or killed by the timeout or
the memory cap. `--root` points at another checkout of ratecard, to measure a version before a
change on the same machine in the same run. The last rows run `ratecard validate` itself, start-up
included: what a person waits for before the refusal.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]

# number fields a rule may name (each of 0 to 12 at least)
NUMS = ["needs.accommodation.score", "needs.education_training_and_employability.score", "needs.relationships.score",
        "needs.lifestyle_and_associates.score", "needs.drug_misuse.score", "needs.alcohol_misuse.score",
        "needs.thinking_and_behaviour.score", "needs.attitude.score", "risk.ogrs3_2yr", "risk.ovp_2yr", "risk.rsr",
        "sentence.length_months", "sentence.rar_days", "age", "months_left"]


def cycle(n: int) -> dict:
    """n two-term clauses round a cycle of n number fields: field i at least one threshold, or
    field i+1 below another (the last clause joins back to the first field)."""
    return {"all": [{"any": [{"field": NUMS[i], "gte": 2 + i % 5},
                             {"field": NUMS[(i + 1) % n], "lt": 2 + (3 * i) % 7}]} for i in range(n)]}


def build(root: Path, scenario: str) -> None:
    """The default catalog (from HERE, so that every version loads the same files) plus the scenario."""
    import shutil

    import yaml

    shutil.copytree(HERE / "catalog", root / "catalog")
    shutil.copytree(HERE / "rules", root / "rules")
    kind, _, size = scenario.partition(":")
    n = int(size or 0)

    def add_rule(when: dict) -> None:
        p = root / "rules" / "interventions" / "sova.yaml"
        data = yaml.safe_load(p.read_text())
        data["interventions"]["sova_mentoring"]["criteria"].append({"id": "sova_mentoring.added", "text": "Added.", "when": when})
        p.write_text(yaml.safe_dump(data, sort_keys=False))

    if kind == "cycle":
        add_rule(cycle(n))
    elif kind in ("in", "not_in"):
        towns = [f"town_{i:05d}" for i in range(n)]
        p = root / "catalog" / "catalog.yaml"
        data = yaml.safe_load(p.read_text())
        data["areas"][0]["towns"] = list(data["areas"][0]["towns"]) + towns
        p.write_text(yaml.safe_dump(data, sort_keys=False))
        add_rule({"field": "person.home_town", kind: towns})
    elif kind in ("chain", "loop", "sums"):
        p = root / "rules" / "derived.yaml"
        data = yaml.safe_load(p.read_text())
        for i in range(n):
            if kind == "sums":
                term = "needs.accommodation.score" if i == n - 1 else f"added_{i + 1}"
                data["derived"].append({"id": f"added_{i}", "text": "t", "type": "number", "sum": [term]})
                continue
            if kind == "chain":
                when = {"field": "age", "gte": 18} if i == 0 else {"field": f"added_{i - 1}", "eq": True}
            else:
                when = {"field": f"added_{(i + 1) % n}", "eq": True}
            data["derived"].append({"id": f"added_{i}", "text": "t", "type": "flag",
                                    "cases": [{"value": True, "when": when}], "otherwise": False})
        p.write_text(yaml.safe_dump(data, sort_keys=False))
    elif kind != "default":
        raise SystemExit(f"unknown scenario {scenario}")


CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from ratecard.catalog.load import load_catalog
t = time.perf_counter()
try:
    cat = load_catalog({path!r})
    cat.engine
    out = "loaded"
except RecursionError:
    out = "RecursionError"
except Exception as e:
    msg = str(e).splitlines()
    out = "refused: " + (msg[1].strip() if len(msg) > 1 else msg[0])[:160]
print(json.dumps({{"seconds": time.perf_counter() - t, "outcome": out,
                   "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}}))
"""


def run(cmd: list[str], timeout: float, max_gib: float, env: dict[str, str] | None = None,
        cwd: str | None = None) -> tuple[float, float, str, str]:
    """Wall and CPU seconds (the CPU time of the child: on a shared machine the steadier figure),
    standard output and standard error."""
    def cap() -> None:
        limit = int(max_gib * 1024 ** 3)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, preexec_fn=cap, env=env, cwd=cwd)
        out, err = r.stdout, r.stderr
    except subprocess.TimeoutExpired:
        out, err = "", f"killed after {timeout:.0f} s"
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, out, err


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", type=Path, default=HERE, help="the ratecard checkout to measure (default this one)")
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--max-gib", type=float, default=3.0, help="address-space cap for each run (protects a shared machine)")
    ap.add_argument("scenarios", nargs="*", default=["default", "cycle:11", "cycle:12", "cycle:13", "in:5000",
                                                      "not_in:9990", "chain:2000", "loop:330", "sums:2000"])
    args = ap.parse_args()
    root = str(args.root.resolve())
    print(f"ratecard at {root}; load average {os.getloadavg()[0]:.1f}; {os.cpu_count()} CPUs")
    rows = []
    for scenario in args.scenarios:
        with tempfile.TemporaryDirectory() as tmp:
            build(Path(tmp), scenario)
            _, cpu, out, err = run([sys.executable, "-c", CHILD.format(root=root, path=tmp)], args.timeout, args.max_gib)
            if out.strip():
                row = json.loads(out.strip().splitlines()[-1])
            else:
                tail = (err.strip().splitlines() or ["?"])[-1]
                row = {"seconds": cpu, "outcome": tail if "killed" in tail else f"failed: {tail[:160]}", "peak_mib": None}
            row.update(scenario=scenario, process_cpu_seconds=round(cpu, 3))
            rows.append(row)
            peak = f"{row['peak_mib']:,} MiB" if row["peak_mib"] is not None else "?"
            print(f"{scenario:>12}: load+compile {row['seconds']:7.2f} s wall (process {cpu:6.2f} s CPU)  peak {peak:>10}  "
                  f"{row['outcome']}", flush=True)
            if scenario.startswith("cycle") or scenario.startswith("loop"):
                # what a person waits for: the whole command, start-up included
                env = {**os.environ, "PYTHONPATH": root, "RATECARD_NO_CACHE": "1"}
                wall, cpu, out, err = run([sys.executable, "-m", "ratecard", "validate", tmp], args.timeout, args.max_gib, env,
                                          cwd=root)
                tail = (err.strip().splitlines() or out.strip().splitlines() or ["?"])[-1].strip()
                print(f"{'':>12}  ratecard validate: {wall:.2f} s wall, {cpu:.2f} s CPU: {tail[:120]}", flush=True)
                rows.append({"scenario": scenario + " (ratecard validate)", "seconds": round(wall, 3),
                             "process_cpu_seconds": round(cpu, 3), "outcome": tail[:150]})
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
