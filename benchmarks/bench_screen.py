"""Screening speed and memory on the default catalog, durable_rules engine against the plain
reference evaluator, in one run. Prints numbers; asserts nothing (machines here are noisy).

The speed check (issue 21): `screen()` against a bare durable_rules ruleset with as many rules as
the catalog, driven the same way: as many facts asserted a case as the screen calls for, as many
firings drained from them (counted on the same cases), each fact retracted; CPU time a case in the
same run, on cases the process has not screened before. It measures what ratecard adds around the
engine. Target: at most 2x.

    python benchmarks/bench_screen.py [--cases 100000] [--latency 2000] [--no-memo]   (--cases 0: the speed check only)

`--no-memo` sets `ratecard.rules.durable.MEMO_FACTS = 0`: every fact of every case is asserted to
durable_rules, nothing answered from remembered firings (docs/engine.md), for the reading of "the
engine decides each case" in which even a fact seen before must reach it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ratecard import default_catalog, screen  # noqa: E402
from ratecard.case.model import NEED_SECTIONS, UNSCORED_SECTIONS, Case  # noqa: E402
from ratecard.case.facts import case_facts  # noqa: E402
from ratecard.rules.reference import evaluate  # noqa: E402

ON = dt.date(2017, 3, 1)


def generated_case(rnd: random.Random, i: int) -> Case:
    """A fictional case with some fields missing, like cases at court."""

    def maybe(p: float = 0.9) -> bool:
        return rnd.random() < p

    d: dict = {"id": f"gen-{i}"}
    d["person"] = {"sex": rnd.choice(["male", "female"]), "home_town": rnd.choice(["northampton", "corby", "kettering", "daventry"])}
    if maybe():
        d["person"]["date_of_birth"] = dt.date(rnd.randint(1950, 2001), rnd.randint(1, 12), rnd.randint(1, 28))
    d["offence"] = {"category": rnd.choice(["violence", "sexual", "acquisitive", "drugs", "other"]),
                    "intimate_partner_violence": maybe(0.3), "sexual": maybe(0.1), "internet_only": maybe(0.05)}
    d["history"] = {"intimate_partner_violence": maybe(0.3), "sexual": maybe(0.1), "completed_programmes": []}
    if maybe(0.85):
        d["risk"] = {"rosh": rnd.choice(["low", "medium", "high"]), "ogrs3_2yr": round(rnd.uniform(0, 100), 2),
                     "ovp_2yr": round(rnd.uniform(0, 100), 2), "rsr": round(rnd.uniform(0, 6), 2),
                     "osp_dc": rnd.choice(["low", "medium", "not_applicable"]), "osp_iic": "not_applicable",
                     "sara_partner": rnd.choice(["low", "medium", "high", "not_applicable"]), "mappa_level": rnd.choice([0, 0, 0, 1])}
    # unscored sections (finance, emotional wellbeing) say whether the need is identified instead
    d["needs"] = {s: {("identified" if s in UNSCORED_SECTIONS else "score"): maybe(0.4) if s in UNSCORED_SECTIONS else rnd.randint(0, 8),
                      "linked_to_harm": maybe(0.3), "linked_to_reoffending": maybe(0.5)}
                  for s in NEED_SECTIONS if maybe(0.8)}
    d["responsivity"] = {"reads_simple_sentences": maybe(0.9), "mental_health_prevents_group_work": maybe(0.05),
                         "veteran": maybe(0.05), "at_risk_in_group": maybe(0.05)}
    d["motivation"] = rnd.choice(["close_to_change", "not_close_to_change", "low"])
    d["sentence"] = {"type": rnd.choice(["community_order", "suspended_sentence_order", "licence"]),
                     "length_months": rnd.randint(6, 36), "start": dt.date(2017, rnd.randint(1, 2), rnd.randint(1, 28))}
    if d["sentence"]["type"] == "suspended_sentence_order":  # at most 2 years (CJA 2003 s.189(3))
        d["sentence"]["length_months"] = min(d["sentence"]["length_months"], 24)
    return Case.model_validate(d, strict=False)


def engine_traffic(fn, cases: list, engine=None) -> tuple[float, float]:
    """Asserts and firings (the catch-all rule's included) a case that `fn` makes durable_rules do.
    With `engine`, what each case calls for: the firings its rulesets remember from earlier cases
    are forgotten before each case, so every fact is asserted."""
    import ratecard.rules.durable as durable

    dre = durable._dre
    counts = {"asserts": 0, "fired": 0}
    saved = dre.assert_fact, dre.start_action_for_state, dre.complete_and_start_action

    def assert_fact(*a):
        counts["asserts"] += 1
        return saved[0](*a)

    def start(*a):
        got = saved[1](*a)
        counts["fired"] += bool(got)
        return got

    def complete(*a):
        got = saved[2](*a)
        counts["fired"] += bool(got)
        return got

    dre.assert_fact, dre.start_action_for_state, dre.complete_and_start_action = assert_fact, start, complete
    try:
        for c in cases:
            if engine is not None:
                for stage in engine._rulesets:
                    for rs in stage:
                        rs.memo.clear()
            fn(c)
    finally:
        dre.assert_fact, dre.start_action_for_state, dre.complete_and_start_action = saved
    return counts["asserts"] / len(cases), counts["fired"] / len(cases)


def bare_host(n_rules: int, asserts: float, fired: float, cases: int, reuse: bool = True) -> float:
    """CPU seconds a case of a bare durable_rules ruleset of `n_rules` rules (four comparisons each
    after the `kind` test, plus the catch-all ratecard adds), driven as ratecard drives its
    rulesets: `asserts` facts a case, each drained of its firings (`fired` a case in all, the
    catch-all's included) and retracted from the ruleset's one session (`reuse`; without it, as
    ratecard did before: a session made for each fact and deleted after it)."""
    import json

    import durable_rules_engine as dre

    n_rules = min(n_rules, 200)  # a fact holds at most 255 properties
    rules: dict = {f"r{i}": {"all": [{"m": {"$and": [{"kind": "case"}, {f"a{i}": True}, {"$gte": {"b": 0}}, {"$gte": {"c": 0}},
                                                      {"$gte": {"d": 0}}]}}]} for i in range(n_rules)}
    rules["seen"] = {"all": [{"m": {"kind": "case"}}]}
    handle = dre.create_ruleset(f"bare_host_{n_rules}_{os.getpid()}_{time.time_ns()}", json.dumps(rules))
    rnd = random.Random(21)
    n_asserts = max(1, round(asserts * cases))
    per = max(0.0, fired / asserts - 1)  # rules other than the catch-all firing per assert
    facts = []
    for j in range(n_asserts):
        k = min(n_rules, int(per) + (rnd.random() < per - int(per)))
        hit = set(rnd.sample(range(n_rules), k))
        facts.append(json.dumps({"kind": "case", "sid": "s" if reuse else f"s{j}", "b": 1, "c": 1, "d": 1,
                                 **{f"a{i}": i in hit for i in range(n_rules)}}))
    c = time.process_time()
    for j, fact in enumerate(facts):
        state = dre.assert_fact(handle, fact)[1]
        started = dre.start_action_for_state(handle, state)
        msg = started[1] if started else None
        while msg:
            msg = dre.complete_and_start_action(handle, state)
        if reuse:
            dre.retract_fact(handle, fact)
        else:
            dre.delete_state(handle, f"s{j}")
    cpu = (time.process_time() - c) / cases
    if reuse:
        dre.delete_state(handle, "s")
    dre.delete_ruleset(handle)
    return cpu


def rss_mib() -> float:
    """Resident memory now (Linux), in MiB."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return float("nan")


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--latency", type=int, default=2000, help="cases timed one by one for median and p99")
    ap.add_argument("--no-memo", action="store_true", help="remembered firings off: every fact asserted to durable_rules")
    args = ap.parse_args()
    if args.no_memo:
        from ratecard.rules import durable

        durable.MEMO_FACTS = 0
        print("remembered firings off (MEMO_FACTS = 0): every fact asserted to durable_rules")
    cat = default_catalog()
    rnd = random.Random(2017)
    sample = [generated_case(rnd, i) for i in range(args.latency)]
    print(f"catalog {cat.version}: {len(cat.interventions)} interventions, {len(cat.rules.all_rules())} rules, "
          f"{len(cat.rules.derived)} derived facts in {len(cat.rules.strata)} strata; {cat.engine.size[0]} engine rules in {cat.engine.size[1]} rulesets")

    for s in sample[:50]:  # warm up
        screen(s, cat, on=ON)

    def timed(fn) -> list[float]:
        out = []
        for c in sample:
            t = time.perf_counter()
            fn(c)
            out.append(time.perf_counter() - t)
        return out

    runs = {
        "screen (engine, with reasons)": lambda c: screen(c, cat, on=ON),
        "engine evaluate only": lambda c: cat.engine.evaluate(case_facts(c, ON)),
        "reference evaluate only": lambda c: evaluate(cat.program, case_facts(c, ON)),
    }
    med = {}
    for name, fn in runs.items():
        ts = timed(fn)
        med[name] = statistics.median(ts)
        print(f"{name:32s} median {med[name] * 1e3:7.3f} ms   p99 {pct(ts, 0.99) * 1e3:7.3f} ms   ({len(ts)} cases)")
    print(f"ratio engine/reference (evaluate only, medians): {med['engine evaluate only'] / med['reference evaluate only']:.1f}x")

    # The speed check: CPU time a case, screen() against a bare host of as many rules, same run. The
    # cases timed are new to the process (a case screened before is answered mostly from what was
    # remembered of it, which would flatter the screen); the host is driven with what each case
    # calls for (facts ratecard answers from remembered firings counted as asserted, as a bare host
    # has no memory) and, beside it, with only what reached durable_rules.
    n_rules = len(cat.rules.all_rules())
    fresh = [generated_case(random.Random(3), i) for i in range(len(sample))]
    c = time.process_time()
    for s in fresh:
        screen(s, cat, on=ON)
    screen_cpu = (time.process_time() - c) / len(sample)
    first = cat.engine._rulesets[0][0] if cat.engine._rulesets and cat.engine._rulesets[0] else None
    import ratecard.rules.durable as durable

    # with remembered firings off, what reaches durable_rules is what each case calls for
    remembered = hasattr(first, "memo") and durable.MEMO_FACTS > 0
    asserts, fired = engine_traffic(lambda c: screen(c, cat, on=ON), fresh, cat.engine if remembered else None)
    host_cpu = bare_host(n_rules, asserts, fired, len(sample))
    fresh_cpu = bare_host(n_rules, asserts, fired, len(sample), reuse=False)
    print(f"speed check: screen {screen_cpu * 1e3:.3f} ms CPU a case ({asserts:.1f} asserts, {fired:.1f} firings a case called for); "
          f"a bare durable_rules ruleset of {n_rules} rules driven the same way (one session, each fact retracted) "
          f"{host_cpu * 1e3:.3f} ms; ratio {screen_cpu / host_cpu:.2f}x (target 2x)")
    print(f"  (the same bare ruleset with a session made and deleted for each fact, as ratecard drove it before: "
          f"{fresh_cpu * 1e3:.3f} ms; ratio {screen_cpu / fresh_cpu:.2f}x)")
    if remembered:
        more = [generated_case(random.Random(4), i) for i in range(len(sample))]  # new cases again
        sent, sent_fired = engine_traffic(lambda c: screen(c, cat, on=ON), more)
        sent_cpu = bare_host(n_rules, max(sent, 0.01), max(sent_fired, sent, 0.01), len(sample))
        print(f"  (driven with only what reached durable_rules, the rest answered from remembered firings: {sent:.1f} asserts, "
              f"{sent_fired:.1f} firings a case; {sent_cpu * 1e3:.3f} ms; ratio {screen_cpu / sent_cpu:.2f}x)")
    if args.cases <= 0:
        return

    # throughput and memory over many cases: cases are generated on the fly (generation time is
    # excluded) so that memory measured is the screen's, not a list of 100,000 cases
    for name, fn in (("screen (engine)", lambda c: screen(c, cat, on=ON)),
                     ("reference evaluator", lambda c: evaluate(cat.program, case_facts(c, ON)))):
        gc.collect()
        rnd = random.Random(1)
        marks = []
        busy = 0.0
        for i in range(args.cases):
            c = generated_case(rnd, i)
            t = time.perf_counter()
            fn(c)
            busy += time.perf_counter() - t
            if (i + 1) % (args.cases // 4) == 0:
                marks.append(rss_mib())
        print(f"{name:22s} {args.cases} cases: {args.cases / busy:7.0f} cases/s; "
              f"RSS after each quarter: " + ", ".join(f"{m:.1f}" for m in marks) + " MiB")

    # Python-level allocations still live after many screens (tracemalloc slows everything, so fewer cases)
    n = max(args.cases // 20, 1000)
    gc.collect()
    tracemalloc.start()
    rnd = random.Random(2)
    for i in range(n):
        screen(generated_case(rnd, i), cat, on=ON)
        if i == n // 10:
            early = tracemalloc.get_traced_memory()[0]
    gc.collect()
    late, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"traced Python memory over {n} screens: live {early / 2**20:.2f} MiB after {n // 10}, "
          f"{late / 2**20:.2f} MiB after {n}; peak {peak / 2**20:.2f} MiB")
    try:
        import resource

        print(f"process max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    except ImportError:
        pass


if __name__ == "__main__":
    main()
