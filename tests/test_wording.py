"""Plain-English wording of condition trees: exact for each operator, and faithful to the tree."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ratecard import load_catalog
from ratecard.rules.conditions import ConditionParser, fields_of
from ratecard.rules.fields import base_registry
from ratecard.rules.wording import label, rule_precise, sentence
from ratecard.inputs.yamlio import Document

REPO = Path(__file__).resolve().parents[1]
REG = base_registry()


def cond(raw: dict[str, Any]) -> Any:
    parser = ConditionParser(REG, Document("test.yaml", raw, {}))
    c = parser.parse(raw, ())
    assert c is not None, parser.problems
    return c


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"field": "risk.ogrs3_2yr", "gte": 50}, "OGRS3 two-year score is 50 or more."),
        ({"field": "risk.ogrs3_2yr", "gt": 50}, "OGRS3 two-year score is above 50."),
        ({"field": "risk.ogrs3_2yr", "lt": 50.5}, "OGRS3 two-year score is below 50.5."),
        ({"field": "risk.ogrs3_2yr", "lte": 50}, "OGRS3 two-year score is 50 or less."),
        ({"field": "age", "gte": 18}, "Age when convicted is 18 or more."),
        ({"field": "risk.ovp_2yr", "between": [30, 59.99]}, "OVP two-year score is from 30 to 59.99 (both included)."),
        ({"field": "risk.sara_partner", "in": ["medium", "high"]}, "SARA level towards a partner is medium or high."),
        ({"field": "risk.rosh", "not_in": ["high", "very_high"]}, "Risk of serious harm level (RoSH) is neither high nor very high."),
        ({"field": "risk.rosh", "not_in": ["low"]}, "Risk of serious harm level (RoSH) is not low."),
        ({"field": "person.sex", "eq": "male"}, "Sex is male."),
        ({"field": "person.sex", "ne": "male"}, "Sex is not male."),
        ({"field": "responsivity.veteran", "eq": True}, "They served in the armed forces: yes."),
        ({"field": "responsivity.veteran", "ne": True}, "They served in the armed forces: no."),
        ({"field": "sentence.requirements", "contains": "accredited_programme"}, "Requirements on the order include accredited programme."),
        ({"field": "risk.mappa_level", "present": True}, "MAPPA level is known."),
        ({"not": {"field": "risk.ogrs3_2yr", "gte": 50}}, "OGRS3 two-year score is below 50."),
        ({"not": {"field": "sentence.requirements", "contains": "rar"}}, "Requirements on the order do not include rar."),
        (
            {"any": [{"all": [{"field": "person.sex", "eq": "male"}, {"field": "age", "gte": 18}]}, {"field": "risk.rsr", "gte": 3}]},
            "(sex is male and age when convicted is 18 or more) or RSR score is 3 or more.",
        ),
    ],
)
def test_each_operator_has_an_exact_wording(raw: dict[str, Any], expected: str) -> None:
    got = sentence(cond(raw), REG)
    assert got.lstrip('(')[0].isupper()
    assert got.lower() == expected.lower()


def test_a_list_of_values_inside_an_or_is_bracketed_so_the_parts_stay_apart() -> None:
    c = cond({"any": [{"field": "risk.osp_dc", "in": ["medium", "high"]}, {"field": "risk.osp_iic", "in": ["medium", "high"]}]})
    assert sentence(c, REG) == "(OSP-DC level is medium or high) or (OSP-IIC level is medium or high)."


@settings(max_examples=40, deadline=None)
@given(a=st.integers(0, 100), b=st.integers(0, 100), op=st.sampled_from(["lt", "lte", "gt", "gte", "eq", "ne"]))
def test_a_different_threshold_gives_a_different_sentence(a: int, b: int, op: str) -> None:
    sa = sentence(cond({"field": "risk.ogrs3_2yr", op: a}), REG)
    sb = sentence(cond({"field": "risk.ogrs3_2yr", op: b}), REG)
    assert (sa == sb) == (a == b)
    assert str(a) in sa


def test_every_rule_in_the_default_catalog_is_worded_naming_each_field_it_reads() -> None:
    cat = load_catalog(REPO)
    reg = cat.rules.registry
    rules = cat.rules.all_rules()
    assert rules
    for r in rules:
        text = rule_precise(r, reg)
        assert text.endswith(".")
        for f in r.fields:  # a judgement's applies_when is worded too
            assert label(f, reg).lower() in text.lower(), (r.id, f, text)
        if r.judgement:
            assert text.startswith("Decided by a person")
        elif r.kind == "exclusion":
            assert text.startswith("Ruled out when ")
