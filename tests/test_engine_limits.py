"""durable_rules' limits, reproduced (issue 10, item 1): rule sets that once failed case by case
(error 303), hung `validate`, or crashed the process must compile in bounded time and decide
exactly as the reference evaluator does.

The big ones run in a subprocess with a timeout: a hang inside durable_rules' C code cannot be
interrupted, and a failed assert there corrupts the process heap, so neither may take the test
run down with it. Each is a few seconds on a quiet machine; the timeout only catches a hang.
docs/engine.md ("Limits of durable_rules") has the measurements.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from ratecard.rules.conditions import All, Any_, Cmp, Cond
from ratecard.rules.fields import FieldType, base_registry
from ratecard.rules.forms import compile_program, relevant_values
from ratecard.rules.loader import Derived, Rule, RuleSet, _stratify
from ratecard.rules.reference import evaluate

REPO = Path(__file__).resolve().parents[1]
HANG = 240  # seconds: far above the few seconds each takes, on a shared and busy machine

def bounded(function: str, timeout: float = HANG) -> None:
    """Run one of this module's functions in a fresh interpreter; fail on a hang or a crash."""
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    code = f"import tests.test_engine_limits as t; t.{function}()"
    try:
        r = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{function} did not finish in {timeout:.0f} s: compiling hangs")
    assert r.returncode == 0, f"{function} failed (exit {r.returncode}):\n{r.stdout[-2000:]}\n{r.stderr[-4000:]}"


def ruleset(rules: dict[str, list[tuple[str, Cond]]], derived: dict[str, Derived] | None = None,
            registry: dict[str, FieldType] | None = None) -> RuleSet:
    """Interventions' rules as (kind, condition); rule ids are '<intervention>.<n>'."""
    reg = registry or base_registry()
    derived = derived or {}
    strata, problems = _stratify(derived)
    assert not problems
    out = {iid: tuple(Rule(f"{iid}.{n}", f"rule {n}", kind, cond, iid) for n, (kind, cond) in enumerate(rs))  # type: ignore[arg-type]
           for iid, rs in rules.items()}
    return RuleSet(derived, strata, out, reg)


def engine_agrees(rules: RuleSet, cases: list[dict[str, Any]]) -> list[Any]:
    """Compile to durable_rules, evaluate every case, compare with the reference; the evaluations."""
    from ratecard.rules.durable import Engine

    program = compile_program(rules)
    engine = Engine(program)
    try:
        out = []
        for f in cases:
            ev = engine.evaluate(f)
            assert ev == evaluate(program, f), f"engine and reference disagree on {f}"
            out.append(ev)
        return out
    finally:
        engine.close()


def every_piece(rules: RuleSet) -> list[dict[str, Any]]:
    """One case per value that matters for each field alone (others missing), and the empty case."""
    cases: list[dict[str, Any]] = [{}]
    for f, values in relevant_values(rules).items():
        cases += [{f: v} for v in values]
    return cases


# ---- many distinct comparisons on one field ---------------------------------------------------


def thresholds(n: int) -> list[float]:
    """n distinct OGRS3 thresholds inside 0..100."""
    return [round(100 * (k + 1) / (n + 1), 2) for k in range(n)]


def test_40_distinct_comparisons_on_one_field_screen_every_value_correctly() -> None:
    # 34 or more made some asserts fail with error 303; here 40 "at least" and 40 "below" thresholds
    ts = thresholds(40)
    rules = ruleset({
        **{f"ge{k}": [("criterion", Cmp("risk.ogrs3_2yr", "gte", t))] for k, t in enumerate(ts)},
        **{f"lt{k}": [("exclusion", Cmp("risk.ogrs3_2yr", "lt", t - 0.5))] for k, t in enumerate(ts)},
    })
    cases = every_piece(rules)
    for f, ev in zip(cases, engine_agrees(rules, cases)):
        v = f.get("risk.ogrs3_2yr")
        for k, t in enumerate(ts):
            # what a user sees: the rule's answer is the comparison's, and unknown without a score
            assert ev.outcomes[f"ge{k}.0"] == (None if v is None else v >= t)
            assert ev.outcomes[f"lt{k}.0"] == (None if v is None else v < t - 0.5)


def hundreds_of_comparisons() -> None:
    ts = thresholds(300)
    rules = ruleset({f"i{k}": [("criterion", Cmp("risk.ogrs3_2yr", "gte", t))] for k, t in enumerate(ts)})
    values = [0.0, 100.0, *ts[::7], *(t - 0.01 for t in ts[::11])]
    for f, ev in zip(values, engine_agrees(rules, [{"risk.ogrs3_2yr": v} for v in values] + [{}])):
        assert all(ev.outcomes[f"i{k}.0"] == (f >= t) for k, t in enumerate(ts))


def test_300_distinct_comparisons_on_one_field_compile_in_bounded_time() -> None:
    # from about 225, durable_rules' create_ruleset never returned and could not be interrupted
    bounded("hundreds_of_comparisons")


def two_thousand_rules_one_field() -> None:
    # 2,000 rules that each set their own threshold on one field: the flavour of a national
    # catalog that made `validate` hang
    ts = [round(0.05 * (k + 1), 2) for k in range(2000)]
    rules = ruleset({f"i{k}": [("criterion", Cmp("risk.ogrs3_2yr", "gte", t))] for k, t in enumerate(ts)})
    values = [0.0, 0.05, 37.5, 50.0, 99.95, 100.0]
    for v, ev in zip(values, engine_agrees(rules, [{"risk.ogrs3_2yr": v} for v in values])):
        assert sum(ev.outcomes[f"i{k}.0"] for k in range(2000)) == sum(v >= t for t in ts)


def test_2000_rules_on_one_field_compile_and_decide() -> None:
    bounded("two_thousand_rules_one_field")


def two_thousand_catalog_rules() -> None:
    import datetime as dt
    import tempfile

    sys.path.insert(0, str(REPO / "benchmarks"))
    from bench_scale import cases_for
    from generate_catalog import generate

    from ratecard.case.facts import case_facts
    from ratecard.catalog.load import load_catalog

    with tempfile.TemporaryDirectory() as tmp:
        summary = generate(Path(tmp), interventions=400, areas=4, rules=5, seed=10)
        assert summary["rules"] == 2000
        cat = load_catalog(Path(tmp))
    program, engine = cat.program, cat.engine
    for c in cases_for(cat, 25, seed=3):
        f = case_facts(c, dt.date(2017, 3, 1))
        assert engine.evaluate(f) == evaluate(program, f)
    engine.close()


def test_2000_rules_of_a_generated_catalog_load_compile_and_decide() -> None:
    # 400 interventions x 5 rules over ages, sex, OGRS3, OVP, needs, areas, towns, `in:` lists
    bounded("two_thousand_catalog_rules", timeout=180)


# ---- long lists: `in:` and `not_in:` of 5,000 towns, through the files and the loader ---------


def _catalog_with_towns(root: Path, towns: list[str], listed: list[str]) -> None:
    import yaml

    (root / "catalog" / "interventions").mkdir(parents=True)
    (root / "rules" / "interventions").mkdir(parents=True)
    dump = lambda p, d: p.write_text(yaml.safe_dump(d, sort_keys=False), encoding="utf-8")  # noqa: E731
    dump(root / "catalog" / "catalog.yaml", {"name": "Towns", "edition": "1", "as_of": "2017-01-01",
                                             "areas": [{"id": "big", "name": "Big", "towns": towns}]})
    dump(root / "catalog" / "providers.yaml", {"providers": [{"id": "p", "name": "P", "kind": "partner", "areas": ["big"]}]})
    entry = {"provider": "p", "area": "big", "kind": "mentoring_and_support", "needs": ["accommodation"],
             "delivery": {"mode": "one_to_one"}, "where": {"outreach": True}, "requires": "none",
             "price": {"amount": 1.0, "unit": "per_session"}, "status": {"state": "open"},
             "evidence": {"level": "unevaluated", "summary": "s"}, "content": "c"}
    dump(root / "catalog" / "interventions" / "all.yaml", {"interventions": [
        {"id": "listed", "name": "For the listed towns", **entry}, {"id": "unlisted", "name": "For the others", **entry}]})
    dump(root / "rules" / "interventions" / "all.yaml", {"interventions": {
        "listed": {"criteria": [{"id": "listed.town", "text": "t", "when": {"field": "person.home_town", "in": listed}}]},
        "unlisted": {"criteria": [{"id": "unlisted.town", "text": "t", "when": {"field": "person.home_town", "not_in": listed}}]},
    }})


def five_thousand_towns() -> None:
    import datetime as dt
    import tempfile

    from ratecard import screen
    from ratecard.case.facts import case_facts
    from ratecard.case.model import Case
    from ratecard.catalog.load import load_catalog

    towns = [f"town_{i:04d}" for i in range(5100)]
    listed = towns[:5000]
    with tempfile.TemporaryDirectory() as tmp:
        _catalog_with_towns(Path(tmp), towns, listed)
        cat = load_catalog(Path(tmp))
    on = dt.date(2017, 3, 1)
    expect = {"town_0000": ("eligible", "ineligible"), "town_4999": ("eligible", "ineligible"),
              "town_5050": ("ineligible", "eligible"), None: ("undetermined", "undetermined")}
    for town, (listed_decision, unlisted_decision) in expect.items():
        case = Case.model_validate({"id": "c", "person": {"home_town": town} if town else {}}, strict=False)
        s = screen(case, cat, on=on)
        assert (s.result("listed").decision, s.result("unlisted").decision) == (listed_decision, unlisted_decision), town
        f = case_facts(case, on)
        assert cat.engine.evaluate(f) == evaluate(cat.program, f)
    cat.engine.close()


def test_in_and_not_in_of_5000_towns_load_compile_and_decide() -> None:
    # `validate` hung on an `in:` of 5,000 towns (exact forms built every subset of the list)
    bounded("five_thousand_towns", timeout=180)


# ---- many derived facts -----------------------------------------------------------------------

SCORED = ["accommodation", "education_training_and_employability", "relationships", "lifestyle_and_associates",
          "drug_misuse", "alcohol_misuse", "thinking_and_behaviour", "attitude"]


def many_derived_flags() -> None:
    rnd = random.Random(260)
    reg = base_registry()
    derived: dict[str, Derived] = {}
    for k in range(260):
        did = f"flag_{k}"
        section = SCORED[k % len(SCORED)]
        cond: Cond = All((Cmp(f"needs.{section}.score", "gte", k % 12 + 1), Cmp("risk.ogrs3_2yr", "gte", float(k % 50 + 10))))
        if k % 3 == 0:
            cond = Any_((cond, Cmp("age", "lt", 18 + k % 40)))
        derived[did] = Derived(did, did, "flag", (), ((True, cond),), otherwise=False)
        reg[did] = FieldType("flag", (), did, "derived")
    rules = ruleset({f"i{k}": [("criterion", Cmp(f"flag_{k}", "eq", True)),
                               ("exclusion", Cmp(f"flag_{(k * 7 + 3) % 260}", "eq", True))] for k in range(260)},
                    derived, reg)
    cases = [{}]
    for _ in range(30):
        f: dict[str, Any] = {}
        for s in SCORED:
            if rnd.random() < 0.8:
                f[f"needs.{s}.score"] = rnd.randint(0, 12)
        if rnd.random() < 0.8:
            f["risk.ogrs3_2yr"] = round(rnd.uniform(0, 100), 2)
        if rnd.random() < 0.8:
            f["age"] = rnd.randint(16, 70)
        cases.append(f)
    cases.append({**{f"needs.{s}.score": 12 for s in SCORED}, "risk.ogrs3_2yr": 100.0, "age": 17})  # every flag true
    engine_agrees(rules, cases)


def test_260_derived_flags_compile_and_decide() -> None:
    # 260 derived flags made `validate` hang; a case where every one is true also meets more than
    # 64 engine conditions at once, which durable_rules cannot traverse (see the next test)
    bounded("many_derived_flags")


# ---- the traversal stack: packing is checked against durable_rules itself ---------------------


def packed_rulesets_stay_within_the_stack() -> None:
    import json

    import durable_rules_engine as dre

    from ratecard.rules import durable

    rnd = random.Random(64)
    keys = [f"k{i}" for i in range(90)]
    for trial in range(40):
        conds: dict[str, list[dict[str, Any]]] = {}
        for r in range(rnd.randint(50, 300)):
            parts: list[dict[str, Any]] = []
            for _ in range(rnd.randint(1, 3)):
                k = rnd.choice(keys[: rnd.choice([10, 40, 90])])
                parts.append(rnd.choice([{k: True}, {k: False}, {"$neq": {k: False}}, {"$gte": {k + "n": rnd.randint(0, 9)}},
                                         {"$lt": {k + "n": rnd.randint(0, 9)}}]))
            conds[json.dumps(parts, sort_keys=True)] = parts
        for c, chunk in enumerate(durable._pack(list(conds), conds)):
            definition = {f"r{i}": {"all": [{"m": durable._and([{"kind": "case"}, *conds[sig]])}]} for i, sig in enumerate(chunk)}
            definition["seen"] = {"all": [{"m": {"kind": "case"}}]}
            handle = dre.create_ruleset(f"t{trial}_{c}", json.dumps(definition))
            for n in range(8):
                fact: dict[str, Any] = {"kind": "case", "sid": f"s{n}"}
                for k in keys:
                    fact[k] = rnd.random() < 0.8 if n else True  # the first fact meets every flag test
                    fact[k + "n"] = rnd.randint(0, 9)
                try:
                    state = dre.assert_fact(handle, json.dumps(fact))[1]
                except Exception as e:
                    print(f"trial {trial}, ruleset {c} ({len(chunk)} rules): {e}", flush=True)
                    os._exit(1)  # the heap is corrupt now: leave without cleaning up
                msg = (dre.start_action_for_state(handle, state) or (None, None))[1]
                while msg:
                    msg = dre.complete_and_start_action(handle, state)
                dre.delete_state(handle, fact["sid"])
            dre.delete_ruleset(handle)


def test_rulesets_are_packed_within_durable_rules_traversal_stack() -> None:
    # A fact meeting more than 64 conditions below one engine node fails with error 303 and
    # corrupts the heap (the next session deleted aborts the process). Random rule sets, packed
    # as the engine packs them, asserted directly: none may fail.
    bounded("packed_rulesets_stay_within_the_stack")


def sixty_five_flags_unpacked() -> None:
    import json

    import durable_rules_engine as dre

    definition: dict[str, Any] = {f"r{i}": {"all": [{"m": {"$and": [{"kind": "case"}, {f"k{i}": True}]}}]} for i in range(65)}
    definition["seen"] = {"all": [{"m": {"kind": "case"}}]}
    handle = dre.create_ruleset("unpacked", json.dumps(definition))
    try:
        dre.assert_fact(handle, json.dumps({"kind": "case", "sid": "s", **{f"k{i}": True for i in range(65)}}))
    except Exception as e:
        print(e, flush=True)
        os._exit(0 if "303" in str(e) else 1)
    os._exit(1)


def test_the_stack_limit_is_durable_rules_own() -> None:
    # the reproducer of the limit the packing keeps to: 65 rules, one flag each, all true
    bounded("sixty_five_flags_unpacked")
