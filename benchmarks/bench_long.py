"""A long run (issue 10): --screens sequential screens of generated cases on the default catalog, as
a service would make them, recording RSS every --every screens and checking that the answers for a
fixed set of probe cases never change (their JSON at each mark against the JSON at the start).

    python benchmarks/bench_long.py [--screens 1000000] [--every 100000] [--probes 24]

Prints one line a mark, then a summary; exits 1 if a probe's answer changed (the smoke test in
tests/test_long_run_smoke.py runs a short version). Cases come from bench_screen's generator
(fields missing as at court, 2% of them with extreme values here); generating them is not timed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_screen import generated_case, rss_mib  # noqa: E402

from ratecard.case.model import LEGAL_RANGES  # noqa: E402

ON = dt.date(2017, 3, 1)
REPO = Path(__file__).resolve().parent.parent


def extreme(case, rnd: random.Random):
    """A case pushed to the edges of its fields' ranges (ages near 0 and 150, scores 0 and 100)."""
    d = case.model_dump(exclude_none=True)
    if rnd.random() < 0.5:
        d["person"]["date_of_birth"] = rnd.choice([dt.date(1870, 1, 1), dt.date(2016, 12, 31), dt.date(1999, 3, 1)])
    if "risk" in d:
        d["risk"].update(ogrs3_2yr=rnd.choice([0.0, 100.0, 74.99, 75.0]), ovp_2yr=rnd.choice([0.0, 100.0, 59.99]))
    # the shortest or longest the law allows for the sentence type (CJA 2003 s.177(5), s.189(3))
    lo, hi, _ = LEGAL_RANGES.get(d["sentence"].get("type", ""), (1, 120, ""))
    d["sentence"]["length_months"] = rnd.choice([lo, hi])
    return type(case).model_validate(d, strict=False)


def probes(n: int) -> list:
    """The example cases, then generated ones: fixed whatever --screens is."""
    from ratecard import load_case

    out = [load_case(p) for p in sorted((REPO / "examples" / "cases").glob("*.yaml"))]
    rnd = random.Random(99)
    i = 0
    while len(out) < n:
        out.append(generated_case(rnd, 10_000_000 + i))
        i += 1
    return out[:n]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--screens", type=int, default=1_000_000)
    ap.add_argument("--every", type=int, default=100_000, help="screens between RSS marks and probe checks")
    ap.add_argument("--probes", type=int, default=24)
    ap.add_argument("--seed", type=int, default=2017)
    args = ap.parse_args()

    from ratecard import default_catalog, screen

    cat = default_catalog()
    probe_cases = probes(args.probes)
    start_json = [screen(c, cat, on=ON).model_dump_json() for c in probe_cases]
    print(f"pid {os.getpid()}, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; catalog {cat.version}, "
          f"{len(cat.interventions)} interventions; {len(probe_cases)} probe cases")
    print(f"{'screens':>10} {'RSS MiB':>8} {'ms/screen':>10} {'cpu ms':>7}  probes")
    rss0 = rss_mib()
    print(f"{0:>10,} {rss0:8.1f} {'':>10} {'':>7}  answers recorded")
    rnd = random.Random(args.seed)
    changed: list[str] = []
    marks: list[float] = []
    busy = cpu = 0.0
    t_all = time.perf_counter()
    for i in range(1, args.screens + 1):
        c = generated_case(rnd, i)
        if rnd.random() < 0.02:
            c = extreme(c, rnd)
        w, p = time.perf_counter(), time.process_time()
        screen(c, cat, on=ON)
        busy += time.perf_counter() - w
        cpu += time.process_time() - p
        if i % args.every == 0 or i == args.screens:
            now = [screen(pc, cat, on=ON).model_dump_json() for pc in probe_cases]
            diff = [pc.id for pc, a, b in zip(probe_cases, start_json, now) if a != b]
            changed += [d for d in diff if d not in changed]
            n = args.every if i % args.every == 0 else i % args.every
            marks.append(rss_mib())
            print(f"{i:>10,} {marks[-1]:8.1f} {busy / n * 1e3:10.3f} {cpu / n * 1e3:7.3f}  "
                  + ("unchanged" if not diff else "CHANGED: " + ", ".join(diff)), flush=True)
            busy = cpu = 0.0
    total = time.perf_counter() - t_all
    print(f"done: {args.screens:,} screens in {total:.0f} s wall (with case generation); RSS {rss0:.1f} MiB at the start, "
          f"{marks[0]:.1f} at the first mark, {marks[-1]:.1f} at the end (growth after the first mark "
          f"{marks[-1] - marks[0]:+.1f} MiB); probes {'unchanged' if not changed else 'CHANGED: ' + ', '.join(changed)}")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
