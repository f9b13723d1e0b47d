"""Explanations are shared between cases (rules/explain.py): what one case is told is missing must be
what would be worked out for it alone."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ratecard.rules import explain
from ratecard.rules.explain import Explainer
from ratecard.rules.forms import compile_program
from ratecard.rules.reference import derive

from .strategies import facts, rulesets


def _everything(program, k):
    why = Explainer(program, k)
    return ({rid: why.rule_missing(rid) for rid in program.rules},
            {d: why.field_missing(d) for d in program.derived})


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rulesets(), st.lists(facts(), min_size=2, max_size=8))
def test_explanations_remembered_from_other_cases_are_those_worked_out_afresh(rules, cases):
    program = compile_program(rules)
    shared = explain._shared(program)
    for f in cases + cases[::-1]:
        k = derive(program, f)
        remembered = _everything(program, k)
        kept, shared.missing = shared.missing, {}
        try:
            assert remembered == _everything(program, k)
        finally:
            shared.missing = kept
