"""Time `propose` on the default catalog (or --catalog) over a few hundred cases: the example cases
and seeded variations of them (needs, sex, home town, order length, RAR cap). Prints the median
and 99th percentile per case; the target is a median of at most 5 ms.

With --opcodes N, instead: what a proposal adds to its screen, in Python bytecode instructions a
case, by module and by function, on N of bench_screen's generated cases (the ones
bench_instructions.py counts in CPU instructions). The count is exact and the same from run to
run, whatever the load, so it shows where the proposal's own cost is; C code (the engine,
string formatting, dictionaries) is not in it. About 50 times slower than plain running.

    PYTHONPATH=. python benchmarks/bench_proposal.py [--cases 400] [--catalog DIR]
    PYTHONPATH=. python benchmarks/bench_proposal.py --opcodes 100 [--top 30]
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

from ratecard import load_case, load_catalog
from ratecard.case.model import Case
from ratecard.decide.proposal import propose
from ratecard.decide.screen import screen

ROOT = Path(__file__).resolve().parents[1]
ON = dt.date(2017, 3, 1)
TOWNS = ["northampton", "kettering", "corby", "wellingborough", "daventry", "east_northamptonshire", "south_northamptonshire"]


def variants(examples: list[Case], n: int, seed: int = 2017) -> list[tuple[Case, int | None]]:
    rng = random.Random(seed)
    out: list[tuple[Case, int | None]] = [(c, None) for c in examples]
    while len(out) < n:
        base = rng.choice(examples)
        needs = base.needs.model_copy(update={
            s: v.model_copy(update={"score": rng.randint(0, 8)}) if v is not None and v.score is not None else v
            for s, v in base.needs})
        person = base.person.model_copy(update={"sex": rng.choice(["male", "female"]), "home_town": rng.choice(TOWNS)})
        sentence = base.sentence.model_copy(update={"length_months": rng.choice([6, 12, 18, 24, 36]), "start": None})
        case = base.model_copy(update={"id": f"variant-{len(out)}", "needs": needs, "person": person, "sentence": sentence})
        out.append((case, rng.choice([None, 5, 10, 15, 20, 30])))
    return out


def timed(fn, items) -> list[float]:  # type: ignore[no-untyped-def]
    times = []
    for item in items:
        t0 = time.perf_counter()
        fn(item)
        times.append((time.perf_counter() - t0) * 1000)
    return times


def report(label: str, ms: list[float]) -> None:
    ms = sorted(ms)
    p99 = ms[min(len(ms) - 1, int(0.99 * len(ms)))]
    print(f"{label:<10} median {statistics.median(ms):6.2f} ms   p99 {p99:6.2f} ms   max {ms[-1]:6.2f} ms   ({len(ms)} cases)")


def opcodes(run: Callable[[], Any]) -> collections.Counter[tuple[str, int, str]]:
    """Bytecode instructions executed by `run`, by function (file, line, name)."""
    counts: collections.Counter[tuple[str, int, str]] = collections.Counter()

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        if event == "call":
            frame.f_trace_opcodes, frame.f_trace_lines = True, False
        elif event == "opcode":
            code = frame.f_code
            counts[(code.co_filename.rsplit("ratecard/", 1)[-1], code.co_firstlineno, code.co_name)] += 1
        return tracer

    sys.settrace(tracer)
    try:
        run()
    finally:
        sys.settrace(None)
    return counts


def added_opcodes(n: int, top: int, catalog: Any) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_screen import ON as SCREEN_ON, generated_case  # the cases bench_instructions.py counts

    rnd = random.Random(2017)
    cases = [generated_case(rnd, i) for i in range(n)]
    for c in cases:  # warm up: per-catalog tables and the shared parts of results
        propose(c, catalog, on=SCREEN_ON)
    screened = opcodes(lambda: [screen(c, catalog, on=SCREEN_ON) for c in cases])
    proposed = opcodes(lambda: [propose(c, catalog, on=SCREEN_ON) for c in cases])
    extra = {k: v - screened.get(k, 0) for k, v in proposed.items()}
    print(f"bytecode instructions a case, {n} generated cases: screen {sum(screened.values()) / n:,.0f}, "
          f"propose {sum(proposed.values()) / n:,.0f}, added by the proposal {sum(extra.values()) / n:,.0f}")
    by_file: collections.Counter[str] = collections.Counter()
    for (f, _, _), v in extra.items():
        by_file[f] += v
    for f, v in by_file.most_common(12):
        print(f"  {v / n:8,.0f}  {f}")
    print("by function:")
    for (f, line, name), v in sorted(extra.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {v / n:8,.0f}  {f}:{line} {name}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=400)
    ap.add_argument("--catalog", type=Path, default=None)
    ap.add_argument("--examples", type=Path, default=ROOT / "examples" / "cases")
    ap.add_argument("--opcodes", type=int, default=0, metavar="N",
                    help="count what a proposal adds to its screen in bytecode instructions, on N generated cases")
    ap.add_argument("--top", type=int, default=25, help="with --opcodes: how many functions to list")
    args = ap.parse_args()
    catalog = load_catalog(args.catalog)
    if args.opcodes:
        added_opcodes(args.opcodes, args.top, catalog)
        return
    examples = [load_case(p) for p in sorted(args.examples.glob("*.yaml"))]
    if not examples:
        raise SystemExit(f"no example cases in {args.examples}")
    cases = variants(examples, args.cases)
    for case, cap in cases[:20]:  # warm up: engine compilation and first-call costs
        propose(case, catalog, on=ON, rar_days=cap)
    print(f"catalog {catalog.info.name} ({catalog.info.edition}), {len(catalog.interventions)} interventions, version {catalog.version}")
    report("screen", timed(lambda cc: screen(cc[0], catalog, on=ON), cases))
    report("propose", timed(lambda cc: propose(cc[0], catalog, on=ON, rar_days=cc[1]), cases))


if __name__ == "__main__":
    main()
