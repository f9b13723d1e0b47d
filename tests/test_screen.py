"""The screen on the default catalog: invariants and the boundaries the criteria state."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from ratecard import default_catalog, load_case, load_catalog, screen
from ratecard.catalog.load import default_catalog_path
from ratecard.case.facts import case_facts
from ratecard.rules.reference import evaluate

from .cases import ON, case_dicts, cases, to_case

EXAMPLES = sorted((Path(__file__).parent.parent / "examples" / "cases").glob("*.yaml"))


@settings(max_examples=150, deadline=None)
@given(cases)
def test_engine_agrees_with_reference_on_the_default_catalog(case):
    cat = default_catalog()
    facts = case_facts(case, ON)
    assert cat.engine.evaluate(facts) == evaluate(cat.program, facts)


@settings(max_examples=40, deadline=None)
@given(cases, st.lists(cases, max_size=4))
def test_screening_b_after_others_equals_b_alone(b, before):
    alone = screen(b, on=ON)
    for a in before:
        screen(a, on=ON)
    assert screen(b, on=ON) == alone


@settings(max_examples=40, deadline=None)
@given(case_dicts, st.randoms(use_true_random=False))
def test_order_of_case_fields_changes_nothing(d, rnd):
    def shuffled(x):
        if isinstance(x, dict):
            items = list(x.items())
            rnd.shuffle(items)
            return {k: shuffled(v) for k, v in items}
        return x

    assert screen(to_case(shuffled(d)), on=ON) == screen(to_case(d), on=ON)


def test_catalog_file_layout_and_order_change_nothing(tmp_path):
    """Interventions and rules split over differently named files in another order: same version, same screens."""
    src = default_catalog_path()
    rules_src = src.parent / "rules"
    dst = tmp_path / "shuffled"
    (dst / "catalog" / "interventions").mkdir(parents=True)
    (dst / "rules" / "interventions").mkdir(parents=True)
    shutil.copy(src / "catalog.yaml", dst / "catalog")
    shutil.copy(src / "providers.yaml", dst / "catalog")
    shutil.copy(rules_src / "derived.yaml", dst / "rules")
    rnd = random.Random(3)
    items = [iv for p in sorted((src / "interventions").glob("*.yaml")) for iv in yaml.safe_load(p.read_text())["interventions"]]
    rnd.shuffle(items)
    for i in range(0, len(items), 5):
        (dst / "catalog" / "interventions" / f"z{100 - i}.yaml").write_text(yaml.safe_dump({"interventions": items[i : i + 5]}))
    rules = {}
    for p in sorted((rules_src / "interventions").glob("*.yaml")):
        rules.update(yaml.safe_load(p.read_text())["interventions"])
    keys = list(rules)
    rnd.shuffle(keys)
    for i in range(0, len(keys), 7):
        part = {k: rules[k] for k in keys[i : i + 7]}
        (dst / "rules" / "interventions" / f"a{i}.yaml").write_text(yaml.safe_dump({"interventions": part}))
    shuffled = load_catalog(dst)
    original = default_catalog()
    assert shuffled.version == original.version
    for p in EXAMPLES:
        case = load_case(p)
        assert screen(case, shuffled, on=ON) == screen(case, original, on=ON)


def test_a_changed_criterion_changes_the_version(tmp_path):
    src = default_catalog_path()
    shutil.copytree(src, tmp_path / "catalog")
    shutil.copytree(src.parent / "rules", tmp_path / "rules")
    f = tmp_path / "rules" / "interventions" / "bench_crc.yaml"
    f.write_text(f.read_text().replace("{field: risk.ogrs3_2yr, gte: 50}", "{field: risk.ogrs3_2yr, gte: 51}"))
    changed = load_catalog(tmp_path)
    assert changed.version != default_catalog().version
    case = to_case(_base(risk__ogrs3_2yr=50.5))
    assert screen(case, on=ON).result("tsp").decision == "eligible"
    assert screen(case, changed, on=ON).result("tsp").decision == "ineligible"


def _base(**over) -> dict:
    d = {
        "id": "boundary",
        "person": {"sex": "male", "date_of_birth": "1980-06-15", "home_town": "northampton", "area": "northamptonshire"},
        "offence": {"category": "violence", "intimate_partner_violence": False, "sexual": False, "internet_only": False},
        "history": {"intimate_partner_violence": False, "sexual": False, "violence": True, "completed_programmes": []},
        "risk": {"rosh": "medium", "ogrs3_2yr": 60.0, "ovp_2yr": 40.0, "osp_dc": "not_applicable", "osp_iic": "not_applicable",
                 "rsr": 1.5, "sara_partner": "not_applicable", "sara_others": "low", "mappa_level": 0},
        "sentence": {"type": "community_order", "length_months": 24, "start": "2017-02-01"},
    }
    for path, value in over.items():
        *head, last = path.split("__")
        node = d
        for h in head:
            node = node[h]
        node[last] = value
    return d


@pytest.mark.parametrize(
    "over, intervention, decision",
    [
        ({"risk__ogrs3_2yr": 50.0}, "tsp", "eligible"),
        ({"risk__ogrs3_2yr": 49.99}, "tsp", "ineligible"),
        ({"risk__ovp_2yr": 30.0}, "resolve", "eligible"),
        ({"risk__ovp_2yr": 29.99}, "resolve", "ineligible"),
        ({"risk__ovp_2yr": 59.0}, "resolve", "eligible"),
        ({"risk__ovp_2yr": 59.99}, "resolve", "eligible"),
        ({"risk__ovp_2yr": 60.0}, "resolve", "ineligible"),
        # without a conviction date, age is measured at the order start (2017-02-01 here, before the
        # reference date: the latest the conviction can have been)
        ({"person__date_of_birth": "1999-02-01"}, "tsp", "eligible"),  # 18 on the day the order starts
        ({"person__date_of_birth": "1999-02-02"}, "tsp", "ineligible"),  # 18 the day after
    ],
)
def test_boundaries_are_inclusive_where_the_criteria_say_so(over, intervention, decision):
    assert screen(to_case(_base(**over)), on=ON).result(intervention).decision == decision


def test_missing_information_is_named_not_guessed():
    d = _base()
    del d["risk"]["ogrs3_2yr"]
    s = screen(to_case(d), on=ON)
    tsp = s.result("tsp")
    assert tsp.decision == "undetermined"
    assert [m.field for m in tsp.missing] == ["risk.ogrs3_2yr"]
    assert "risk.ogrs3_2yr" in [m.field for m in s.missing]
    # absent is not zero: with OGRS3 at 0 the same person is ineligible
    d["risk"]["ogrs3_2yr"] = 0.0
    assert screen(to_case(d), on=ON).result("tsp").decision == "ineligible"


def test_a_case_with_no_risk_scores_is_undetermined_for_risk_based_programmes():
    s = screen(load_case(Path(__file__).parent.parent / "examples" / "cases" / "no-risk-scores.yaml"), on=ON)
    for iid in ("tsp", "bbr", "resolve"):
        r = s.result(iid)
        assert r.decision == "undetermined", iid
        assert r.missing and all(m.field.startswith(("risk.", "offence.", "history.")) for m in r.missing)
    assert "allocation" not in s.derived and "tier" not in s.derived


def test_withdrawn_and_unfinishable_provision_carry_warnings():
    s = screen(to_case(_base(sentence__length_months=6)), on=ON)
    assert "withdrawn" in [w.code for w in s.result("resolve").warnings]
    bm = s.result("bold_moves_safer_relationships")
    assert "cannot_finish" in [w.code for w in bm.warnings]


def test_output_records_catalog_version_and_date_and_is_reproducible():
    case = load_case(EXAMPLES[0])
    a = screen(case, on=ON).model_dump_json()
    b = screen(case, load_catalog(), on=ON).model_dump_json()
    assert a == b
    out = json.loads(a)
    assert out["catalog_version"] == default_catalog().version and out["on"] == "2017-03-01"
    assert out["case_id"] == case.id


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_case_screens_every_intervention(path):
    s = screen(load_case(path), on=ON)
    assert sorted(r.intervention for r in s.results) == sorted(default_catalog().interventions)
    for r in s.results:
        assert r.reasons or r.decision == "eligible"
        assert (r.decision == "undetermined") == bool(r.missing)


def test_a_misspelt_home_town_is_flagged_not_silently_treated_as_far_away():
    s = screen(to_case(_base(person__home_town="northamptn")), on=ON)
    assert [w.code for w in s.warnings] == ["unknown_town"]
    assert "northamptn" in s.warnings[0].text
    assert screen(to_case(_base()), on=ON).warnings == ()


def test_the_first_questions_are_about_courses_that_can_be_used_not_withdrawn_ones() -> None:
    # RESOLVE is withdrawn on 2017-03-01: the fields that only it still needs come after every field
    # that would settle a course that is not withdrawn or suspended (far from home is for the PSO to weigh)
    import datetime as dt

    root = Path(__file__).resolve().parents[1]
    s = screen(load_case(root / "examples" / "cases" / "partner-violence-sara-high-sections-missing.yaml"),
               default_catalog(), on=dt.date(2017, 3, 1))
    usable = [r for r in s.results if r.decision == "undetermined" and r.availability not in ("withdrawn", "suspended")]
    settles_usable = [sum(m.field in {x.field for x in r.missing} for r in usable) for m in s.missing]
    assert settles_usable == sorted(settles_usable, reverse=True)
    assert any(r.intervention == "resolve" and r.availability == "withdrawn" and r.missing for r in s.results)
    assert 0 in settles_usable and settles_usable[0] > 0
