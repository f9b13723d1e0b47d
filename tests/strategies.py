"""Hypothesis strategies: cases, facts and whole rule sets, generated."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from ratecard.rules.conditions import All, Any_, Cmp, Cond, Not, Present
from ratecard.rules.fields import base_registry
from ratecard.rules.loader import Derived, Rule, RuleSet, _stratify

REG = base_registry()

NUMERIC = {
    "age": st.integers(10, 90),
    "months_left": st.integers(0, 36),
    "risk.ogrs3_2yr": st.sampled_from([0.0, 29.99, 30.0, 49.99, 50.0, 59.0, 59.99, 60.0, 74.99, 75.0, 100.0]),
    "risk.ovp_2yr": st.floats(0, 100, allow_nan=False),
    "needs.relationships.score": st.integers(0, 12),
}
FLAGS = ["offence.sexual", "responsivity.veteran", "offence.intimate_partner_violence"]
CHOICES = ["person.sex", "risk.rosh", "risk.mappa_level", "risk.sara_partner"]
LISTS = {"sentence.requirements": REG["sentence.requirements"].values, "history.completed_programmes": ("horizon", "bbr", "tsp")}
FIELDS = [*NUMERIC, *FLAGS, *CHOICES, *LISTS]


def value_for(field: str) -> st.SearchStrategy[Any]:
    if field in NUMERIC:
        return NUMERIC[field]
    if field in FLAGS:
        return st.booleans()
    if field in CHOICES:
        return st.sampled_from(REG[field].values)
    return st.lists(st.sampled_from(LISTS[field]), unique=True).map(tuple)


@st.composite
def facts(draw: st.DrawFn, fields: list[str] = FIELDS) -> dict[str, Any]:
    out = {}
    for f in fields:
        if draw(st.booleans()):
            out[f] = draw(value_for(f))
    return out


@st.composite
def atoms(draw: st.DrawFn, extra: dict[str, list[Any]] | None = None) -> Cond:
    pool = FIELDS + list(extra or {})
    field = draw(st.sampled_from(pool))
    if extra and field in extra:
        return Cmp(field, draw(st.sampled_from(["eq", "ne"])), draw(st.sampled_from(extra[field])))
    if draw(st.integers(0, 9)) == 0:
        return Present(field, draw(st.booleans()))
    if field in NUMERIC:
        # rule thresholds are plain numbers (the loader refuses 1e-05), case values may be anything
        value = draw(NUMERIC[field].filter(lambda v: v == 0 or 1e-4 <= abs(v) < 1e15))
        return Cmp(field, draw(st.sampled_from(["eq", "ne", "lt", "lte", "gt", "gte"])), value)
    if field in FLAGS:
        return Cmp(field, draw(st.sampled_from(["eq", "ne"])), draw(st.booleans()))
    if field in CHOICES:
        return Cmp(field, draw(st.sampled_from(["eq", "ne"])), draw(st.sampled_from(REG[field].values)))
    return Cmp(field, "contains", draw(st.sampled_from(LISTS[field])))


def conds(extra: dict[str, list[Any]] | None = None) -> st.SearchStrategy[Cond]:
    return st.recursive(
        atoms(extra),
        lambda inner: st.one_of(
            st.lists(inner, min_size=1, max_size=4).map(lambda ps: All(tuple(ps))),
            st.lists(inner, min_size=1, max_size=4).map(lambda ps: Any_(tuple(ps))),
            inner.map(Not),
        ),
        max_leaves=6,
    )


@st.composite
def rulesets(draw: st.DrawFn) -> RuleSet:
    """A rule set with chained derived facts (choices and a sum) and a few interventions."""
    registry = dict(REG)
    derived: dict[str, Derived] = {}
    extra: dict[str, list[Any]] = {}
    for i in range(draw(st.integers(0, 3))):
        did = f"d{i}"
        values = ("x", "y", "z")
        n = draw(st.integers(1, 3))
        cases = tuple((values[j], draw(conds(extra))) for j in range(n - 1)) + ((values[n - 1], draw(conds(extra))),)
        derived[did] = Derived(did, did, "choice", values, cases, otherwise=values[0])
        from ratecard.rules.fields import FieldType

        registry[did] = FieldType("choice", values, did, "derived")
        extra[did] = list(values)
    strata, problems = _stratify(derived)
    assert not problems
    rules: dict[str, tuple[Rule, ...]] = {}
    k = 0
    for iv in range(draw(st.integers(1, 4))):
        rs = []
        for _ in range(draw(st.integers(0, 3))):
            kind = draw(st.sampled_from(["criterion", "exclusion"]))
            if draw(st.integers(0, 4)) == 0:  # now and then a criterion only a person can decide,
                # half the time only when the case says it applies (applies_when)
                applies = draw(conds(extra)) if draw(st.booleans()) else None
                rs.append(Rule(f"r{k}", f"rule {k}", kind, None, f"i{iv}", judgement=True, source="a test", applies=applies))
            else:
                rs.append(Rule(f"r{k}", f"rule {k}", kind, draw(conds(extra)), f"i{iv}"))
            k += 1
        rules[f"i{iv}"] = tuple(rs)
    return RuleSet(derived, strata, rules, registry)


def dates(lo: dt.date = dt.date(1940, 1, 1), hi: dt.date = dt.date(2020, 12, 31)) -> st.SearchStrategy[dt.date]:
    return st.dates(lo, hi)
