"""The one rule for unknowns (issue 8): a result is unknown only when two ways of filling in the
missing case fields would give different answers. Checked against brute force (rules/completions.py),
which fills every missing field with each of its relevant values and evaluates the trees as written.

- Soundness, always: whatever the program decides, every completion agrees with.
- Completeness: where every completion agrees, the program decides. Exact for every condition with
  respect to its direct inputs, so always for rules and derived facts that read case fields only, and
  on the default catalog for up to three missing fields.
"""

from __future__ import annotations

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ratecard import default_catalog
from ratecard.rules.completions import Spread, relevant_values, spread
from ratecard.rules.conditions import All, Any_, Cmp
from ratecard.rules.forms import compile_program
from ratecard.rules.loader import Evaluation, Rule, RuleSet
from ratecard.rules.reference import evaluate
from ratecard.decide.screen import decide

from .strategies import REG, facts, rulesets

_SETTINGS = dict(deadline=None, suppress_health_check=list(HealthCheck))


# what every completion gives an intervention (rules/completions.py Spread.eligible): eligible
# passes, ineligible fails (eligible if agreed: none fails, some wait on a judgement)
_ONE = {"eligible": {True}, "ineligible": {False}}


def _decision(rules: RuleSet, iid: str, ev: Evaluation) -> str:
    """The screen's own decision (decide/screen.py), from the evaluation."""
    return decide(iid, rules.rules[iid], ev)[0]


def _check(rules: RuleSet, ev: Evaluation, sp: Spread, complete_for: set[str] | None) -> None:
    """Soundness for everything; completeness for the derived facts, rules and interventions in
    `complete_for` (None: all of them)."""
    def wanted(x: str) -> bool:
        return complete_for is None or x in complete_for

    for d, seen in sp.derived.items():
        possible = ev.possible.get(d)
        if possible is None:
            lo, hi = ev.bounds[d]
            assert all(lo <= v <= hi for v in seen), (d, seen, (lo, hi))
            if wanted(d) and len(seen) == 1:
                assert lo == hi, (d, "decided by every completion but left open", seen, (lo, hi))
            continue
        assert seen <= possible, (d, "a completion gives a value ruled out", seen, possible)
        if wanted(d) and len(seen) == 1:
            assert len(possible) == 1, (d, "decided by every completion but left open", seen, possible)
    # a judgement's outcome is whether it applies (its applies_when, or always): sound and complete
    # as any condition; whether it is met, a person decides
    for rid, seen_o in sp.outcomes.items():
        o = ev.outcomes[rid]
        if o is not None:
            assert seen_o == {o}, (rid, "decided, but a completion disagrees", o, seen_o)
        elif wanted(rid):
            assert len(seen_o) == 2, (rid, "every completion agrees but left unknown", seen_o)
    for iid, seen_e in sp.eligible.items():
        d = _decision(rules, iid, ev)
        if d == "eligible_if_agreed":
            # sound: no completion is ineligible; complete: some completion waits on a judgement
            # (one whose applies_when reads a derived fact may be left open though no completion
            # applies it: the evaluator is exact only with respect to each condition's direct inputs)
            assert False not in seen_e, (iid, "eligible if agreed, but a completion is ineligible", seen_e)
            if wanted(iid):
                assert None in seen_e, (iid, "eligible if agreed, but no completion waits on a judgement", seen_e)
        elif d != "undetermined":
            assert seen_e == _ONE[d], (iid, "decided, but a completion disagrees", d, seen_e)
        elif wanted(iid):
            # undetermined: some completion fails, another passes (or waits on a judgement)
            assert False in seen_e and len(seen_e) >= 2, (iid, "every completion agrees but left undetermined", seen_e)


@settings(max_examples=250, **_SETTINGS)
@given(rulesets(), facts())
def test_generated_rules_are_sound_and_complete_where_conditions_read_case_fields(rs, fs):
    try:
        sp = spread(rs, fs, limit=3000)
    except ValueError:
        assume(False)
    ev = evaluate(compile_program(rs), fs)
    # with no derived fact in between, each condition is exact (every prime implicant is checked)
    direct = {d.id for d in rs.derived.values() if not any(u in rs.derived for u in d.uses())}
    direct |= {r.id for r in rs.all_rules() if not any(f in rs.derived for f in r.fields)}
    direct |= {iid for iid, r in rs.rules.items() if all(x.id in direct for x in r)}
    _check(rs, ev, sp, direct)


CAT = default_catalog()
VALUES = relevant_values(CAT.rules)
FIELDS = sorted(VALUES)


@st.composite
def partial_facts(draw: st.DrawFn, max_missing: int = 3) -> dict:
    """Every field the default rules read, each at one of its relevant values, then 1 to 3 removed."""
    full = {f: draw(st.sampled_from(VALUES[f])) for f in FIELDS}
    drop = draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=max_missing, unique=True))
    return {f: v for f, v in full.items() if f not in drop}


@settings(max_examples=150, **_SETTINGS)
@given(partial_facts())
def test_default_catalog_is_sound_and_complete_with_up_to_three_fields_missing(fs):
    _check(CAT.rules, CAT.engine.evaluate(fs), spread(CAT.rules, fs), None)


def test_a_condition_that_every_answer_decides_is_decided():
    """Kleene logic on the tree calls this unknown when sex is missing; every answer makes it hold."""
    cond = Any_((All((Cmp("person.sex", "eq", "male"), Cmp("risk.osp_dc", "eq", "high"))),
                 All((Cmp("person.sex", "eq", "female"), Cmp("risk.rsr", "gte", 3.0)))))
    rs = RuleSet({}, (), {"x": (Rule("x.r", "r", "criterion", cond, "x"),)}, REG)
    program = compile_program(rs)
    assert evaluate(program, {"risk.osp_dc": "high", "risk.rsr": 5.0}).outcomes["x.r"] is True
    assert evaluate(program, {"risk.osp_dc": "high", "risk.rsr": 1.0}).outcomes["x.r"] is None
    assert evaluate(program, {"risk.osp_dc": "low", "risk.rsr": 1.0}).outcomes["x.r"] is False
