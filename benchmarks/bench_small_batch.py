"""Small batches through `screen_many`, warm (the catalog loaded and one batch already screened),
as `/v1/screen-batch` and the Python API see them. Prints the median wall and CPU time of
--repeat runs for each size; asserts nothing.

Issue 19's targets: 1 case at most 20 ms warm; 100 cases fast enough that /v1/screen-batch can
answer in 0.3 s (this measures the screening, not the server).

    python benchmarks/bench_small_batch.py [--repeat 15] [--sizes 1,10,100,300,1000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

ON = dt.date(2017, 3, 1)
TARGETS = {1: 0.020, 100: 0.3}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--sizes", default="1,10,100,300,1000")
    args = ap.parse_args()
    from generate_caseload import generate

    from ratecard import default_catalog
    from ratecard.decide.screen_many import screen_many

    cat = default_catalog()
    sizes = [int(x) for x in args.sizes.split(",")]
    cases = list(itertools.islice(generate(max(sizes)), max(sizes)))
    for n in sizes:  # warm: the batch program, the engine, Polars' first use
        list(screen_many(cases[:n], cat, on=ON).rows())
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; median of {args.repeat} runs, "
          "screen_many(...).rows() (every result row, as /v1/screen-batch returns them)")
    for n in sizes:
        walls, cpus = [], []
        for _ in range(args.repeat):
            t, c = time.perf_counter(), time.process_time()
            list(screen_many(cases[:n], cat, on=ON).rows())
            walls.append(time.perf_counter() - t)
            cpus.append(time.process_time() - c)
        w, c = statistics.median(walls), statistics.median(cpus)
        target = TARGETS.get(n)
        verdict = "" if target is None else f"  target {target * 1e3:.0f} ms: {'met' if w <= target else 'NOT met'}"
        print(f"{n:6d} cases: {w * 1e3:8.1f} ms wall {c * 1e3:8.1f} ms CPU ({w * 1e3 / n:6.2f} ms a case){verdict}")


if __name__ == "__main__":
    main()
