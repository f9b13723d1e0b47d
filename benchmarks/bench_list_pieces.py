"""Proposals whose "confirm if" answers ask about a list field (the programmes completed before),
on catalogs whose rules name many of its items: CPU a case and peak memory.

Each case is generated (bench_screen.generated_case) with `history.completed_programmes` left out,
so every conditional programme's what-if tries that field. Until the fix, a what-if tried every
combination of every item the catalog names (2^58 on the generated 300-intervention catalog:
MemoryError after 24 GB), so this runs under an address-space limit (default 4 GiB) and prints a
MemoryError as a result rather than taking the machine.

    python benchmarks/bench_list_pieces.py [--cases 100] [--cap-gib 4] [--tree PATH]

`--tree` runs another checkout's ratecard (e.g. main, for a before-and-after in one run).
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def one(name: str, where: str, tree: Path, n_cases: int, cap_gib: float) -> None:
    """One catalog in this process, under the address-space cap."""
    cap = int(cap_gib * (1 << 30))
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    sys.path[:0] = [str(tree), str(HERE)]
    import ratecard
    from bench_screen import ON, generated_case
    from ratecard import default_catalog, propose
    from ratecard.catalog.load import load_catalog
    from ratecard.rules.forms import _atoms

    assert Path(ratecard.__file__).is_relative_to(tree), ratecard.__file__
    catalog = default_catalog() if where == "default" else load_catalog(where)
    items = {a.value for r in catalog.rules.all_rules() if r.condition is not None for a in _atoms(r.condition)
             if getattr(a, "op", "") == "contains" and a.field == "history.completed_programmes"}
    rnd = random.Random(7)
    cases = []
    for i in range(n_cases):
        c = generated_case(rnd, i)
        cases.append(c.model_copy(update={"history": c.history.model_copy(update={"completed_programmes": None})}))
    head = f"{name:>20}: {len(items):>2} items named;"
    print(head, end=" ", flush=True)
    propose(cases[0], catalog, on=ON)  # warm: compiled forms, caches
    times = []
    answers = 0
    for c in cases:
        t = time.process_time()
        p = propose(c, catalog, on=ON)
        times.append(time.process_time() - t)
        answers += sum(a.field == "history.completed_programmes" for it in p.package for a in it.confirm_if)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"propose median {1000 * statistics.median(times):.2f} ms, max {1000 * max(times):.1f} ms CPU; "
          f"{answers} list answers; peak RSS {rss:.0f} MiB", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=100)
    ap.add_argument("--cap-gib", type=float, default=4.0)
    ap.add_argument("--tree", type=Path, default=HERE.parent)
    ap.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    tree = args.tree.resolve()
    if args.one:
        one(args.one[0], args.one[1], tree, args.cases, args.cap_gib)
        return
    sys.path.insert(0, str(HERE))
    from generate_catalog import generate

    print(f"ratecard from {tree}; {args.cases} cases each; address space capped at {args.cap_gib:g} GiB")
    with tempfile.TemporaryDirectory() as tmp:
        catalogs = [("default", "default"), ("hmpps", str(tree / "examples/catalogs/hmpps-find-and-refer"))]
        for n, areas in ((300, 6), (2000, 20)):
            root = Path(tmp) / f"gen{n}"
            generate(root, n, areas, 5, 2017)
            catalogs.append((f"generated {n}x{areas}", str(root)))
        for name, where in catalogs:
            # each apart: a MemoryError can leave an interpreter unable to go on
            r = subprocess.run([sys.executable, __file__, "--one", name, where, "--tree", str(tree), "--cases", str(args.cases),
                                "--cap-gib", str(args.cap_gib)], capture_output=True, text=True)
            print(r.stdout.rstrip(), end="")
            if r.returncode:
                last = (r.stderr.strip().splitlines() or ["?"])[-1]
                print(f" failed: {last[:100]}", end="")
            print()


if __name__ == "__main__":
    main()
