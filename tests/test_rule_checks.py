"""Issue 10 item 1 (catalogs that looked valid and silently corrupted decisions) and issue 12's
catalog editors: every condition must be able to go both ways, derived ids cannot collide with the
engine's names, and messages say what to write, in our words, naming places by id."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from ratecard import load_catalog
from ratecard.case.model import Case
from ratecard.errors import CatalogError, Problem
from ratecard.rules.fields import CASE_FIELDS
from tests.catalog_copy import REPO, CatalogCopy

RULE_FILE = ("rules", "interventions", "sova.yaml")
ORIGINAL = "{field: age, gte: 18}"
WHERE = "interventions.sova_mentoring.criteria[sova_mentoring.adult].when"


@pytest.fixture
def cat(tmp_path: Path) -> CatalogCopy:
    return CatalogCopy(tmp_path)


def _problems(cat: CatalogCopy) -> list[Problem]:
    with pytest.raises(CatalogError) as e:
        load_catalog(cat.root)
    return e.value.problems


def _with_when(cat: CatalogCopy, when: str) -> Problem:
    """The one problem of the sova criterion's condition rewritten as `when` (YAML flow text)."""
    path = cat.root.joinpath(*RULE_FILE)
    text = path.read_text()
    assert ORIGINAL in text
    path.write_text(text.replace(ORIGINAL, when, 1))
    (p,) = _problems(cat)
    assert p.file == str(path) and p.field.startswith(WHERE), p
    return p


def _add_derived(cat: CatalogCopy, did: str, used_by_sova: bool = True) -> list[Problem]:
    path = cat.root / "rules" / "derived.yaml"
    path.write_text(path.read_text() + f"  - id: {did}\n    text: A fact.\n    type: flag\n"
                    "    cases: [{value: true, when: {field: age, gte: 18}}]\n    otherwise: false\n")
    if used_by_sova:
        rules = cat.root.joinpath(*RULE_FILE)
        rules.write_text(rules.read_text().replace(ORIGINAL, f"{{field: {did}, eq: true}}", 1))
    return _problems(cat)


# ---- id collisions ----------------------------------------------------------------------


@pytest.mark.parametrize("did", ["stage", "kind", "sid"])
def test_a_derived_fact_named_like_an_engine_key_is_refused(cat: CatalogCopy, did: str) -> None:
    # 'stage' plus one criterion using it: validate said OK, and a 17-year-old screened eligible for 31 of 32
    problems = _add_derived(cat, did)
    assert any(p.field == f"derived[{did}].id" and "reserved for the engine" in p.message for p in problems)


@pytest.mark.parametrize(("did", "why"), [("person__sex", "'__'"), ("risk__rosh__x", "'__'"), ("person_sex", "person.sex"),
                                          ("needs_relationships_score", "needs.relationships.score"), ("age", "already a computed field")])
def test_a_derived_fact_that_is_or_flattens_to_a_field_is_refused(cat: CatalogCopy, did: str, why: str) -> None:
    # a fact named person__sex made the engine and the reference disagree on 159 of 317 cases
    problems = _add_derived(cat, did)
    assert any(p.field == f"derived[{did}].id" and why in p.message for p in problems), problems


def test_a_derived_fact_defined_twice_is_refused(cat: CatalogCopy) -> None:
    problems = _add_derived(cat, "allocation", used_by_sova=False)
    assert any("defined twice" in p.message for p in problems)


# ---- impossible conditions --------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "says"),
    [
        ("{field: person.home_town, eq: Northampton}", "write northampton"),
        ("{field: person.home_town, in: [kettering, Corby]}", "write corby"),
        ("{field: person.home_town, eq: barnsley}", "not a town of any area"),
        ("{field: person.home_town, ne: northamton}", "did you mean northampton"),
        ("{field: person.area, eq: northants}", "did you mean northamptonshire"),
        ("{field: history.completed_programmes, contains: BBR}", "write bbr"),
        ("{field: history.completed_programmes, contains: bbrr}", "did you mean bbr"),
        ("{field: risk.ogrs3_2yr, gt: 100}", "can never hold"),
        ("{field: needs.relationships.score, gte: 13}", "whole number from 0 to 12"),
        ("{field: needs.relationships.score, between: [12.5, 20]}", "can never hold"),
        ("{field: sentence.length_months, lt: 1}", "can never hold"),
        ("{field: months_left, gt: 120}", "can never hold"),
        ("{field: age, lt: 0}", "can never hold"),
        ("{field: risk.rosh, not_in: [low, medium, high, very_high]}", "can never hold"),
        ("{field: pni_need_score, gt: 8}", "can never hold"),
        ("{field: pni_domain_thinking, eq: 3}", "can never hold"),
    ],
)
def test_a_condition_that_can_never_hold_is_refused_naming_the_rule(cat: CatalogCopy, when: str, says: str) -> None:
    p = _with_when(cat, when)
    assert "sova_mentoring.adult" in p.field
    assert says in p.message, p.message


@pytest.mark.parametrize(
    "when",
    [
        "{field: risk.ogrs3_2yr, gte: 0}",
        "{field: risk.ogrs3_2yr, lte: 100}",
        "{field: risk.ogrs3_2yr, between: [0, 100]}",
        "{field: risk.ogrs3_2yr, ne: 101}",
        "{field: needs.relationships.score, lt: 13}",
        "{field: age, gte: 0}",
        "{field: risk.rosh, in: [low, medium, high, very_high]}",
        "{field: person.sex, in: [male, female]}",
        "{field: offence.sexual, in: [true, false]}",
        "{field: allocation, in: [nps, crc]}",
        "{field: pni_need_score, lte: 8}",
    ],
)
def test_a_condition_that_always_holds_is_refused_with_the_advice_to_drop_it(cat: CatalogCopy, when: str) -> None:
    p = _with_when(cat, when)
    assert "always holds" in p.message and "drop it" in p.message and "present: true" in p.message


@pytest.mark.parametrize(
    "when",
    [
        "{field: risk.ogrs3_2yr, between: [0, 49.99]}",
        "{field: risk.ogrs3_2yr, gte: 100}",
        "{field: needs.relationships.score, in: [0, 12]}",
        "{field: age, lt: 18.5}",
        "{field: risk.rosh, in: [low, medium, high]}",
        "{field: person.home_town, ne: northampton}",
        "{field: history.completed_programmes, contains: horizon}",
        "{field: pni_need_score, gte: 8}",
    ],
)
def test_conditions_that_can_go_either_way_are_accepted(cat: CatalogCopy, when: str) -> None:
    path = cat.root.joinpath(*RULE_FILE)
    path.write_text(path.read_text().replace(ORIGINAL, when, 1))
    load_catalog(cat.root)


def _schema_bounds() -> dict[str, tuple[float, float]]:
    """Each bounded number field's minimum and maximum, from the JSON Schema pydantic writes for
    the Case model: a path to the constraints that does not go through the rule loader."""
    schema = Case.model_json_schema()
    defs = schema.get("$defs", {})
    out: dict[str, tuple[float, float]] = {}

    def walk(node: dict[str, Any], prefix: str) -> None:
        for name, prop in node.get("properties", {}).items():
            options = prop.get("anyOf", [prop])
            for o in options:
                if "$ref" in o:
                    walk(defs[o["$ref"].split("/")[-1]], f"{prefix}{name}.")
                elif "maximum" in o and "minimum" in o:
                    out[f"{prefix}{name}"] = (o["minimum"], o["maximum"])

    walk(schema, "")
    return out


def test_the_bounds_are_the_case_models_own(cat: CatalogCopy) -> None:
    bounds = _schema_bounds()
    assert {"risk.ogrs3_2yr", "needs.attitude.score", "sentence.length_months"} <= set(bounds)
    conds = []
    for field, (lo, hi) in sorted(bounds.items()):
        if field in ("needs.finance.score", "needs.emotional_wellbeing.score") or field not in CASE_FIELDS:
            continue
        conds += [f"{{field: {field}, gt: {hi}}}", f"{{field: {field}, lt: {lo}}}", f"{{field: {field}, gte: {lo}}}"]
    path = cat.root.joinpath(*RULE_FILE)
    path.write_text(path.read_text().replace(ORIGINAL, "{all: [" + ", ".join(conds) + "]}", 1))
    problems = _problems(cat)
    assert len(problems) == len(conds)
    assert sum("can never hold" in p.message for p in problems) == 2 * len(conds) // 3


# ---- catalog editors (issue 12) ---------------------------------------------------------


def test_a_misspelt_derived_fact_gets_a_did_you_mean(cat: CatalogCopy) -> None:
    p = _with_when(cat, "{field: need_finanse, eq: true}")
    assert p.field == WHERE + ".field"
    assert "Did you mean need_finance?" in p.message


def test_a_misspelt_case_field_gets_a_did_you_mean(cat: CatalogCopy) -> None:
    assert "risk.ogrs3_2yr" in _with_when(cat, "{field: risk.ogrs_2yr, gt: 50}").message


def test_a_rule_on_a_field_no_case_can_give_is_refused(cat: CatalogCopy) -> None:
    p = _with_when(cat, "{field: needs.finance.score, gte: 2}")
    assert "no case can give 'needs.finance.score'" in p.message and "needs.finance.identified" in p.message


def test_yes_where_a_rule_wants_a_flag_says_to_write_true(cat: CatalogCopy) -> None:
    p = _with_when(cat, "{field: offence.sexual, eq: yes}")
    assert "write true or false" in p.message


def test_a_catalog_entry_is_named_by_its_id(cat: CatalogCopy) -> None:
    cat.intervention("bbr", lambda e: e.update(hours="lots"))
    (p,) = _problems(cat)
    assert p.field == "interventions[bbr].hours"
    assert p.message == "should be a number, not 'lots'"


def test_a_misspelt_catalog_key_gets_a_did_you_mean(cat: CatalogCopy) -> None:
    cat.intervention("bbr", lambda e: e.update(sesions=e.pop("sessions")))
    (p,) = _problems(cat)
    assert (p.field, p.message) == ("interventions[bbr].sesions", "unknown field; did you mean 'sessions'?")


MUTATIONS = [
    lambda e: e.update(hours={"a": 1}),
    lambda e: e.update(hours=[1]),
    lambda e: e.update(hours=True),
    lambda e: e.update(sessions=2.5),
    lambda e: e.update(needs="relationships"),
    lambda e: e.update(needs=[]),
    lambda e: e.update(kind="programme"),
    lambda e: e.update(name=""),
    lambda e: e.update(price={"amount": -1, "unit": "per_day"}),
    lambda e: e.update(status={"state": "withdrawn"}),
    lambda e: e.update(status={"state": "suspended", "since": "0", "reason": "x"}),
    lambda e: e.update(delivery=None),
    lambda e: e.update(where={"towns": ["Northampton"]}),
    lambda e: e.pop("provider"),
    lambda e: e.update(illustrative=["colour"]),
]


@pytest.mark.parametrize("mutate", MUTATIONS)
def test_catalog_messages_are_in_our_own_words(cat: CatalogCopy, mutate: Any) -> None:
    cat.intervention("bbr", mutate)
    for p in _problems(cat):
        assert not re.search(r"Value error|Input should|given:|a mapping|Field required|Extra inputs", p.message), p
        assert not re.search(r"\.\d+(\.|$)", p.field), p.field  # list items by id or [n], never .0.
        assert p.field.startswith("interventions[bbr]"), p.field


def test_a_catalog_date_given_as_digits_is_refused(cat: CatalogCopy) -> None:
    cat.info(lambda d: d.update(as_of="0"))
    (p,) = _problems(cat)
    assert p.field == "as_of" and "YYYY-MM-DD" in p.message


def test_the_shipped_rules_have_no_condition_that_cannot_go_both_ways() -> None:
    # loading applies every check above; the default catalog must pass them all
    assert load_catalog().rules.derived


def test_yaml_written_by_pyyaml_is_read_the_same(cat: CatalogCopy) -> None:
    # catalog_copy rewrites files with yaml.safe_dump (YAML 1.1 style, quoting what 1.1 would misread)
    cat.intervention("bbr", lambda e: e.update(content="yes: 010 at 1:30"))
    assert load_catalog(cat.root).interventions["bbr"].content == "yes: 010 at 1:30"


def test_an_intervention_without_work_among_described_ones_is_warned_with_file_and_line(cat: CatalogCopy) -> None:
    # the proposal reasons risk first from 'work'; one left out would be weighed by its needs alone
    cat.intervention("sova_mentoring", lambda d: d.pop("work"))
    loaded = load_catalog(cat.root)
    (w,) = [w for w in loaded.warnings if w.field == "sova_mentoring.work"]
    assert w.file.endswith(".yaml") and w.line is not None and "no 'work' entry" in w.message
    assert not [w for w in load_catalog(REPO).warnings if w.field.endswith(".work")]
