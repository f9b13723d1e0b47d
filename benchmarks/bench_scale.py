"""A national-scale catalog (generated: 2,000 interventions x 5 rules across 20 areas) loaded,
validated, compiled and screened, with the time of each part. Prints numbers; asserts nothing.

Issue 10's targets: validate + compile in at most 10 s, one screen in at most 10 ms; issue 21's,
result building at most 5 us an intervention. Each part is
timed on its own so that a miss can be put down to one of them:

- load + validate: reading the files, the models, the rule checks (`load_catalog` without the next);
- compile_program: the exact forms (ratecard/rules/forms.py), run inside `load_catalog`;
- Engine: the durable_rules rulesets (ratecard/rules/durable.py), split into the Python that builds
  them and durable_rules' own `create_ruleset`;
- screen: one case, median over --cases generated cases, split into the engine's evaluate and the
  rest of screen() (decisions, explanations, the case's lists); its results are made when read, so
  a screen with every result read is timed too (availability, warnings, the result models), and one
  read and dumped as JSON (what --json and the HTTP API pay); each run starts with no results kept
  from an earlier run (results recur across cases: a later case reuses what an earlier one made);
- the engine's parts: asserts and firings a case, and the time in durable_rules' C calls.

Wall and CPU times are both printed: the machine is shared, so wall time includes waiting.
A part that runs past --budget seconds is stopped with a traceback showing where it was.

    python benchmarks/bench_scale.py [--interventions 2000] [--areas 20] [--rules 5] [--cases 200]
                                     [--keep DIR] [--profile] [--budget 900]
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import faulthandler
import gc
import io
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_screen import generated_case, pct, rss_mib  # noqa: E402
from generate_catalog import generate  # noqa: E402

ON = dt.date(2017, 3, 1)


class Clock:
    """Wall and CPU seconds of a block, printed as one line."""

    def __init__(self, budget: float, profile: bool):
        self.budget = budget
        self.profile = profile
        self.results: dict[str, tuple[float, float]] = {}

    @contextmanager
    def part(self, name: str) -> Iterator[None]:
        print(f"... {name}", flush=True)
        faulthandler.dump_traceback_later(self.budget, exit=True)  # a hang in C code cannot be interrupted
        prof = cProfile.Profile() if self.profile else None
        w, c = time.perf_counter(), time.process_time()
        if prof:
            prof.enable()
        try:
            yield
        finally:
            if prof:
                prof.disable()
            wall, cpu = time.perf_counter() - w, time.process_time() - c
            faulthandler.cancel_dump_traceback_later()
            self.results[name] = (wall, cpu)
            print(f"{name:44s} wall {wall:7.2f} s   cpu {cpu:7.2f} s   RSS {rss_mib():6.0f} MiB", flush=True)
            if prof:
                out = io.StringIO()
                pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(15)
                print("\n".join(out.getvalue().splitlines()[:40]))


def cases_for(cat: Any, n: int, seed: int = 2017) -> list[Any]:
    """bench_screen's generated cases, living in the generated catalog's towns."""
    from ratecard.case.model import Case

    rnd = random.Random(seed)
    areas = cat.info.areas
    out = []
    for i in range(n):
        d = generated_case(rnd, i).model_dump(exclude_none=True)
        a = rnd.choice(areas)
        d["person"]["home_town"] = rnd.choice(a.towns)
        if rnd.random() < 0.8:
            d["person"]["area"] = a.id
        out.append(Case.model_validate(d, strict=False))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--interventions", type=int, default=2000)
    ap.add_argument("--areas", type=int, default=20)
    ap.add_argument("--rules", type=int, default=5)
    ap.add_argument("--seed", type=int, default=2017)
    ap.add_argument("--cases", type=int, default=200, help="cases screened one by one for the median")
    ap.add_argument("--keep", type=Path, help="write the catalog here and keep it (default: a temporary folder)")
    ap.add_argument("--profile", action="store_true", help="cProfile each part (slows them; for finding where time goes)")
    ap.add_argument("--budget", type=float, default=900, help="seconds after which a part is stopped with a traceback")
    args = ap.parse_args()
    print(f"pid {os.getpid()}, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; RSS at start {rss_mib():.0f} MiB")

    with tempfile.TemporaryDirectory(prefix="ratecard-scale-") as tmp:
        folder = args.keep or Path(tmp)
        summary = generate(folder, args.interventions, args.areas, args.rules, args.seed)
        print(f"generated: {summary}")
        clock = Clock(args.budget, args.profile)
        run(folder, args, clock)


def run(folder: Path, args: argparse.Namespace, clock: Clock) -> None:
    import durable_rules_engine as dre

    import ratecard.catalog.load as load
    from ratecard import screen
    from ratecard.case.facts import case_facts
    from ratecard.rules import forms
    from ratecard.rules.reference import evaluate
    from ratecard.ruletests import check_rule_tests

    inner: dict[str, float] = {"compile_program": 0.0, "create_ruleset": 0.0}

    def timing(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*a: Any, **k: Any) -> Any:
            t = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                inner[name] += time.perf_counter() - t
        return wrapped

    # timed from the inside: load_catalog runs compile_program, Engine runs create_ruleset
    load.compile_program = timing("compile_program", forms.compile_program)
    create = dre.create_ruleset
    dre.create_ruleset = timing("create_ruleset", create)
    try:
        with clock.part("load_catalog (load + validate + compile_program)"):
            cat = load.load_catalog(folder)
        with clock.part("Engine (durable_rules rulesets)"):
            engine = cat.engine
        with clock.part("rule tests check (as validate does)"):
            check_rule_tests(cat)
    finally:
        load.compile_program = forms.compile_program
        dre.create_ruleset = create
    wall_load = clock.results["load_catalog (load + validate + compile_program)"][0]
    wall_engine = clock.results["Engine (durable_rules rulesets)"][0]
    print(f"  of which load + validate        {wall_load - inner['compile_program']:7.2f} s wall")
    print(f"  of which compile_program        {inner['compile_program']:7.2f} s wall "
          f"({forms.terms_count(cat.program):,} terms)")
    print(f"  of which Engine's Python        {wall_engine - inner['create_ruleset']:7.2f} s wall")
    print(f"  of which create_ruleset (C)     {inner['create_ruleset']:7.2f} s wall "
          f"({engine.size[0]:,} engine rules in {engine.size[1]} rulesets)")
    total = wall_load + wall_engine + clock.results["rule tests check (as validate does)"][0]
    print(f"validate + compile: {total:.2f} s wall (target 10 s); {len(cat.interventions)} interventions, "
          f"{len(cat.rules.all_rules())} rules")

    cases = cases_for(cat, args.cases)
    for c in cases[:20]:  # warm up
        screen(c, cat, on=ON)
    facts = [case_facts(c, ON) for c in cases]
    gc.collect()

    def per_case(fn: Callable[[int], Any]) -> list[float]:
        # CPU time: on a shared machine, wall time is mostly waiting for a core
        out = []
        for i in range(len(cases)):
            t = time.process_time()
            fn(i)
            out.append(time.process_time() - t)
        return out

    runs = {
        "screen (engine, with reasons)": lambda i: screen(cases[i], cat, on=ON),
        "screen, every result read": lambda i: tuple(screen(cases[i], cat, on=ON).results),
        "screen, read and dumped as JSON": lambda i: screen(cases[i], cat, on=ON).model_dump_json(),
        "engine evaluate only": lambda i: engine.evaluate(facts[i]),
        "reference evaluate only": lambda i: evaluate(cat.program, facts[i]),
    }
    med: dict[str, float] = {}
    for name, fn in runs.items():
        forget_results(cat)  # no run reads results (or their JSON) that an earlier run made
        with clock.part(name + f" x {len(cases)}"):
            ts = per_case(fn)
        med[name] = statistics.median(ts)
        print(f"  {name:32s} median {med[name] * 1e3:7.2f} ms CPU   p90 {pct(ts, 0.9) * 1e3:7.2f} ms   "
              f"p99 {pct(ts, 0.99) * 1e3:7.2f} ms")
    n = len(cat.interventions)
    screened, engine_med = med["screen (engine, with reasons)"], med["engine evaluate only"]
    rest = screened - engine_med
    print(f"screen median {screened * 1e3:.2f} ms (target 10 ms): engine evaluate "
          f"{engine_med * 1e3:.2f} ms + screen's own Python about {rest * 1e3:.2f} ms")
    # the results are made when read (decide.results.Results): a caller reading them all pays this too
    read, dumped = med["screen, every result read"], med["screen, read and dumped as JSON"]
    print(f"screen with every result read: median {read * 1e3:.2f} ms (target 10 ms); read and dumped as JSON "
          f"{dumped * 1e3:.2f} ms")
    print(f"result building (target 5 us an intervention): the screen's own Python {rest / n * 1e6:.2f} us an "
          f"intervention; reading every result {(read - screened) / n * 1e6:.2f} us a result more; both "
          f"{(read - engine_med) / n * 1e6:.2f} us an intervention; dumping as JSON {(dumped - read) / n * 1e6:.2f} us "
          "a result more")
    # `ratecard serve` freezes its catalog out of the cyclic collector once loaded (web/app.py
    # app_from_env): full collections no longer walk it. The same screens again, as a worker runs them.
    gc.collect()
    gc.freeze()
    frozen: dict[str, float] = {}
    for name in ("screen (engine, with reasons)", "screen, every result read", "screen, read and dumped as JSON"):
        forget_results(cat)
        ts = per_case(runs[name])
        frozen[name] = statistics.median(ts)
        print(f"  {name + ', frozen':40s} median {frozen[name] * 1e3:7.2f} ms CPU   p90 {pct(ts, 0.9) * 1e3:7.2f} ms   "
              f"p99 {pct(ts, 0.99) * 1e3:7.2f} ms")
    gc.unfreeze()
    print(f"as `ratecard serve` runs it (catalog frozen out of the cyclic collector): screen median "
          f"{frozen['screen (engine, with reasons)'] * 1e3:.2f} ms, every result read "
          f"{frozen['screen, every result read'] * 1e3:.2f} ms, read and dumped "
          f"{frozen['screen, read and dumped as JSON'] * 1e3:.2f} ms (target 10 ms)")
    engine_parts(engine, facts)
    sizes = [len(screen(c, cat, on=ON).model_dump_json().encode()) for c in cases[:20]]
    print(f"one screen result as JSON: median {statistics.median(sizes) / 1024:.0f} KiB "
          f"({len(cat.interventions)} interventions, each with its reasons and warnings)")
    print(f"RSS at the end {rss_mib():.0f} MiB")


def forget_results(cat: Any) -> None:
    """Empty the caches of results made (and of their JSON) where this tree has them, so that a timed
    run makes its results as a process that has not screened these cases before would (the other
    caches, decisions and explanations, stay: the screen alone is timed with them too)."""
    import ratecard.decide.results as results
    import ratecard.decide.screen as screen_mod

    parts = screen_mod._parts(cat)
    for name in ("made", "_listed"):
        getattr(parts, name, {}).clear()
    getattr(results, "_JSON", {}).clear()


def engine_parts(engine: Any, facts: list[dict[str, Any]]) -> None:
    """What the engine's evaluate is made of on this catalog: asserts, firings and the time spent in
    durable_rules' C calls, counted by wrapping them (CPU time: wall time on a shared machine is
    mostly waiting; reading the CPU clock twice a call adds about a microsecond to each)."""
    import durable_rules_engine as dre

    calls = {"assert_fact": 0, "start_action_for_state": 0, "complete_and_start_action": 0, "retract_fact": 0}
    spent = dict.fromkeys(calls, 0.0)
    fired = [0]
    saved = {name: getattr(dre, name) for name in calls}

    def counted(name: str) -> Callable[..., Any]:
        fn = saved[name]

        def wrapped(*a: Any) -> Any:
            t = time.process_time()
            out = fn(*a)
            spent[name] += time.process_time() - t
            calls[name] += 1
            if name != "assert_fact" and name != "retract_fact" and out:
                fired[0] += 1
            return out
        return wrapped

    for name in calls:
        setattr(dre, name, counted(name))
    try:
        t = time.process_time()
        for f in facts:
            engine.evaluate(f)
        whole = time.process_time() - t
    finally:
        for name, fn in saved.items():
            setattr(dre, name, fn)
    k = len(facts)
    in_c = sum(spent.values())
    # (the cases were screened by the runs before: a fact the engine remembers is answered without an assert)
    print(f"engine, a case: {calls['assert_fact'] / k:.1f} asserts (facts not remembered), {fired[0] / k:.0f} firings, over "
          f"{engine.size[1]} rulesets of {engine.size[0]:,} engine rules; durable_rules' C calls "
          f"{in_c / k * 1e3:.2f} ms (assert {spent['assert_fact'] / k * 1e3:.2f}, firings "
          f"{(spent['start_action_for_state'] + spent['complete_and_start_action']) / k * 1e3:.2f}, retract "
          f"{spent['retract_fact'] / k * 1e3:.2f}), evaluate's Python {(whole - in_c) / k * 1e3:.2f} ms "
          f"(CPU, mean of {k} cases; reading the clock around each call adds to both)")


if __name__ == "__main__":
    main()
