"""The engine agrees with the reference evaluator where tests/test_engine.py's generated rules
seldom go: interventions of several rules that can fail together while no single rule is decided
(Program.eligibility), and literals naming many text values, which are sent to durable_rules as
flags worked out before the assert (as a large catalog's "lives in one of these towns" criteria)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ratecard.rules.conditions import All, Any_, Cmp, Cond
from ratecard.rules import durable
from ratecard.rules.durable import Engine
from ratecard.rules.forms import compile_program
from ratecard.rules.loader import Rule, RuleSet, _stratify
from ratecard.rules.reference import evaluate

from .strategies import REG, atoms, facts

TOWN = "person.home_town"
TOWNS = tuple(f"town_{i}" for i in range(10))


@st.composite
def towns_condition(draw: st.DrawFn) -> Cond:
    # more values than durable_rules is given as alternatives: each such literal is a worked-out flag
    towns = tuple(draw(st.lists(st.sampled_from(TOWNS), min_size=5, max_size=9, unique=True)))
    if draw(st.booleans()):
        return Any_(tuple(Cmp(TOWN, "eq", t) for t in towns), sugar=("in", TOWN, towns))
    return All(tuple(Cmp(TOWN, "ne", t) for t in towns), sugar=("not_in", TOWN, towns))


@st.composite
def town_rulesets(draw: st.DrawFn) -> RuleSet:
    strata, problems = _stratify({})
    assert not problems
    rules: dict[str, tuple[Rule, ...]] = {}
    k = 0
    for iv in range(draw(st.integers(1, 4))):
        rs = []
        for _ in range(draw(st.integers(1, 4))):
            town = draw(towns_condition())
            how = draw(st.integers(0, 2))
            cond = town if how == 0 else (All if how == 1 else Any_)((town, draw(atoms())))
            rs.append(Rule(f"r{k}", f"rule {k}", draw(st.sampled_from(["criterion", "exclusion"])), cond, f"i{iv}"))
            k += 1
        rules[f"i{iv}"] = tuple(rs)
    return RuleSet({}, strata, rules, REG)


@st.composite
def town_facts(draw: st.DrawFn) -> dict[str, Any]:
    out = draw(facts())
    if draw(st.integers(0, 3)):
        out[TOWN] = draw(st.sampled_from((*TOWNS, "elsewhere")))
    return out


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(town_rulesets(), st.lists(town_facts(), min_size=1, max_size=6))
def test_engine_agrees_with_reference_on_town_lists_and_rules_failing_together(rules, cases):
    program = compile_program(rules)
    engine = Engine(program)
    for f in cases:
        got, want = engine.evaluate(f), evaluate(program, f)
        assert got == want
        # the same order too: a screen lists interventions and rules as the program gives them
        assert list(got.outcomes) == list(want.outcomes) and list(got.eligibility) == list(want.eligibility)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(town_rulesets(), st.lists(town_facts(), min_size=2, max_size=8), st.integers(0, 6), st.integers(1, 3))
def test_answers_forgotten_when_the_eligibility_stage_remembers_too_much_are_the_reference(rules, cases, bound, facts_kept):
    """Past SAID_ENTRIES, the eligibility stage forgets every answer it remembers (and a ruleset
    past MEMO_FACTS its own), and the cases after it (and the same cases again) get the reference
    evaluator's answers still."""
    program = compile_program(rules)
    engine = Engine(program)
    saved = durable.SAID_ENTRIES, durable.MEMO_FACTS
    durable.SAID_ENTRIES, durable.MEMO_FACTS = bound, facts_kept
    try:
        for f in cases + cases:
            got = engine.evaluate(f)
            assert got == evaluate(program, f)
            # counted exactly: what all its rulesets remember, within the bound but for one fact's answer alone
            held = sum(len(a) + len(b) for rs in engine._rulesets[-1] for a, b in filter(None, rs.memo.values()))
            largest = max((len(a) + len(b) for rs in engine._rulesets[-1] for a, b in filter(None, rs.memo.values())), default=0)
            assert engine._said_entries == held <= max(bound, largest)
    finally:
        durable.SAID_ENTRIES, durable.MEMO_FACTS = saved
