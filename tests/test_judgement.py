"""Criteria only a person can decide (`judgement: true`): loaded, carried by every back end as
"applies" (or, with applies_when, as the case says), never met, and shown as a first-class answer:
"eligible if the provider agrees that ...", distinct from "undetermined: find out ...". Refused when
written wrong."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from ratecard import default_catalog, screen
from ratecard.case.facts import case_facts
from ratecard.case.model import Case
from ratecard.catalog.load import load_catalog
from ratecard.cli import main
from ratecard.decide.screen_many import screen_many
from ratecard.errors import CatalogError
from ratecard.rules.batch import BatchProgram
from ratecard.rules.durable import Engine
from ratecard.rules.reference import evaluate
from ratecard.rules.wording import rule_precise

from .cases import ON

REPO = Path(__file__).resolve().parent.parent
JUDGED = """\
      - id: tsp.treatment_manager
        text: The treatment manager agrees that the group suits them.
        judgement: true
        basis: report
        source: Inspection report 2017, "Delivery"
"""
EXCLUDED = """\
      - id: tsp.acute_mental_health
        text: Mental health problems acute enough to stop them relating to others in a group.
        judgement: true
        basis: hmpps
        source: a-programme.json, exclusion.mental_health_problem_guide
"""


def _catalog(tmp_path: Path, rule: str = JUDGED, anchor: str = "      - id: tsp.ogrs3\n") -> Path:
    """The shipped catalog with one more rule for TSP, written before `anchor`."""
    root = tmp_path / "cat"
    shutil.copytree(REPO / "catalog", root / "catalog")
    shutil.copytree(REPO / "rules", root / "rules", ignore=shutil.ignore_patterns("tests"))
    f = root / "rules" / "interventions" / "bench_crc.yaml"
    text = f.read_text(encoding="utf-8")
    assert anchor in text
    f.write_text(text.replace(anchor, rule + anchor, 1), encoding="utf-8")
    return root


def _man(ogrs: float | None, completed: list[str] | None = None) -> Case:
    risk = {} if ogrs is None else {"ogrs3_2yr": ogrs}
    history = {} if completed is None else {"completed_programmes": completed}
    return Case.model_validate({"id": "j", "person": {"sex": "male", "date_of_birth": "1980-01-01", "home_town": "northampton",
                                                      "area": "northamptonshire"},
                                "offence": {"category": "acquisitive", "sexual": False}, "history": history,
                                "risk": risk}, strict=False)


def _batch(cat: Any, cases: list[Case]) -> dict[str, dict[str, Any]]:
    """What the Polars batch back end decides for TSP, case by case (screen_many past its small path)."""
    result = screen_many(cases * 60, cat, on=ON)  # more than SMALL_BATCH rows: the batch back end
    lines = [json.loads(x) for x in result.json_lines()][:len(cases)]
    return {str(i): next(r for r in line["results"] if r["intervention"] == "tsp") for i, line in enumerate(lines)}


def test_a_judgement_is_loaded_with_its_text_and_source_and_no_condition(tmp_path: Path) -> None:
    cat = load_catalog(_catalog(tmp_path))
    (r,) = [x for x in cat.rules.rules["tsp"] if x.judgement and x.id == "tsp.treatment_manager"]
    assert r.when is None and r.applies is None and r.fields == () and r.source == 'Inspection report 2017, "Delivery"'
    assert r.kind == "criterion" and r.decider == "the provider"
    # it always applies: the one empty term, which holds for every case
    assert cat.program.rules[r.id].true == ((),) and cat.program.rules[r.id].false == () and cat.program.rules[r.id].judgement
    assert "Decided by a person (the provider)" in rule_precise(r, cat.rules.registry)


def test_only_a_judgement_open_reads_eligible_if_the_provider_agrees_in_every_back_end(tmp_path: Path) -> None:
    cat = load_catalog(_catalog(tmp_path))
    met, failed = _man(80, []), _man(10, [])
    for case in (met, failed):
        facts = case_facts(case, ON)
        ref = evaluate(cat.program, facts)
        assert Engine(cat.program).evaluate(facts) == ref
        assert ref.outcomes["tsp.treatment_manager"] is True  # it applies: a person decides it
    r = screen(met, cat, on=ON).result("tsp")
    assert r.decision == "eligible_if_agreed" and not r.missing
    (j,) = r.to_check
    assert (j.rule, j.by, j.applies) == ("tsp.treatment_manager", "the provider", True)
    assert r.if_agreed == ("eligible if the provider agrees that the person meets this: "
                           "\u201cThe treatment manager agrees that the group suits them.\u201d.")
    assert {x.rule: x.outcome for x in r.reasons}["tsp.treatment_manager"] == "to_check"
    # a criterion case data fails still makes the person ineligible: the judgement does not hide it
    no = screen(failed, cat, on=ON).result("tsp")
    assert no.decision == "ineligible" and no.to_check == () and no.if_agreed is None
    # missing information and a judgement: undetermined, naming both what to find out and what to check
    open_ = screen(_man(None, []), cat, on=ON).result("tsp")
    assert open_.decision == "undetermined" and [m.field for m in open_.missing] == ["risk.ogrs3_2yr"]
    assert [x.rule for x in open_.to_check] == ["tsp.treatment_manager"]
    got = _batch(cat, [met, failed, _man(None, [])])
    assert [(g["decision"], g["to_check"], g["missing"]) for g in got.values()] == [
        ("eligible_if_agreed", ["tsp.treatment_manager"], []), ("ineligible", [], []),
        ("undetermined", ["tsp.treatment_manager"], ["risk.ogrs3_2yr"])]


def test_an_exclusion_only_a_person_can_decide_reads_eligible_unless_they_find_it(tmp_path: Path) -> None:
    cat = load_catalog(_catalog(tmp_path, EXCLUDED, "      - id: tsp.sexual_offence\n"))
    r = screen(_man(80, []), cat, on=ON).result("tsp")
    assert r.decision == "eligible_if_agreed"
    assert r.if_agreed is not None and r.if_agreed.startswith(
        "eligible unless the provider finds that this rules the person out: \u201cMental health problems acute")
    assert r.to_check[0].kind == "exclusion"


def test_eligible_if_agreed_reads_after_eligible_and_before_undetermined(tmp_path: Path) -> None:
    cat = load_catalog(_catalog(tmp_path))
    s = screen(_man(80, []), cat, on=ON)
    order = [r.decision for r in s.in_reading_order()]
    assert "eligible_if_agreed" in order
    first, last = order.index("eligible_if_agreed"), len(order) - 1 - order[::-1].index("eligible_if_agreed")
    assert all(d == "eligible" for d in order[:first])
    assert all(d in ("undetermined", "ineligible") for d in order[last + 1:])


# ---- the 2017 catalog: a repeat of BBR or TSP needs the treatment manager's agreement ------------


def test_a_repeat_of_tsp_opens_the_treatment_managers_judgement_only_when_the_case_says_so() -> None:
    cat = default_catalog()
    done, not_done, unknown = _man(80, ["tsp"]), _man(80, ["bbr"]), _man(80, None)
    r = screen(done, cat, on=ON).result("tsp")
    assert r.decision == "eligible_if_agreed"
    assert r.if_agreed is not None and r.if_agreed.startswith("eligible if the treatment manager agrees that the person meets this: "
                                                              "\u201cA repeat of the Thinking Skills Programme would help them")
    # completed something else: the judgement does not apply, and nothing is to check
    other = screen(not_done, cat, on=ON).result("tsp")
    assert other.decision == "eligible" and other.to_check == ()
    assert {x.rule: x.outcome for x in other.reasons}["tsp.repeat"] == "not_applicable"
    # history not given: eligible if the treatment manager agrees, should it be a repeat; no
    # answer makes the person ineligible, so this is no "undetermined"
    maybe = screen(unknown, cat, on=ON).result("tsp")
    assert maybe.decision == "eligible_if_agreed" and maybe.to_check[0].applies is None and not maybe.missing
    assert "needed only if programmes completed before include tsp" in (maybe.if_agreed or "")
    assert not any(m.field == "history.completed_programmes" for m in maybe.decided_without)
    # every back end agrees
    for case in (done, not_done, unknown):
        facts = case_facts(case, ON)
        assert Engine(cat.program).evaluate(facts).outcomes["tsp.repeat"] == evaluate(cat.program, facts).outcomes["tsp.repeat"]
    got = _batch(cat, [done, not_done, unknown])
    assert [(g["decision"], g["to_check"]) for g in got.values()] == [
        ("eligible_if_agreed", ["tsp.repeat"]), ("eligible", []), ("eligible_if_agreed", ["tsp.repeat"])]


def _run(args: list[str]) -> None:
    try:
        main(args)
    except SystemExit as e:
        assert not e.code, e.code


def test_the_screen_text_and_json_say_who_must_agree_to_what(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = tmp_path / "case.json"
    case.write_text(_man(80, ["tsp"]).model_dump_json(exclude_none=True), encoding="utf-8")
    _run(["screen", str(case), "--on", "2017-03-01"])
    text = " ".join(capsys.readouterr().out.split())
    assert "ELIGIBLE IF AGREED: Thinking Skills Programme" in text or "eligible if agreed" in text
    assert ("Eligible if the treatment manager agrees that the person meets this: \u201cA repeat of the Thinking Skills "
            "Programme would help them; they have completed it before.\u201d") in text
    assert "1 eligible if a person agrees" in text
    _run(["screen", str(case), "--on", "2017-03-01", "--json"])
    tsp = next(r for r in json.loads(capsys.readouterr().out)["results"] if r["intervention"] == "tsp")
    assert tsp["decision"] == "eligible_if_agreed"
    assert tsp["if_agreed"].startswith("eligible if the treatment manager agrees that the person meets this: \u201cA repeat")
    assert tsp["to_check"][0] | {"source": ""} == {"rule": "tsp.repeat", "kind": "criterion", "by": "the treatment manager",
                                                   "text": "A repeat of the Thinking Skills Programme would help them; they have completed it before.",
                                                   "applies": True, "source": "",
                                                   "applies_when": "programmes completed before include tsp"}


# ---- written wrong -----------------------------------------------------------------------------


@pytest.mark.parametrize(("rule", "says"), [
    (JUDGED.replace("judgement: true", "judgement: false"), "write 'judgement: true'"),
    (JUDGED.replace("        source: Inspection report 2017, \"Delivery\"\n", ""), "missing 'source'"),
    (JUDGED + "        when: {field: age, gte: 18}\n", "a judgement has no condition"),
    (JUDGED.replace("        judgement: true\n", ""), "missing 'when'"),  # without 'judgement', an ordinary rule
    (JUDGED + "        applies_when: {field: history.completed_programmes, contains: tspp}\n", "tspp"),
    (JUDGED + "        applies_when: {field: risk.ogrs, gte: 50}\n", "risk.ogrs"),
    (JUDGED + "        by: ''\n", "'by' names who decides"),
    ("      - id: tsp.x\n        text: x\n        when: {field: age, gte: 18}\n        by: the provider\n",
     "'by' is for a judgement"),
])
def test_a_judgement_written_wrong_is_refused_with_the_fix(tmp_path: Path, rule: str, says: str) -> None:
    with pytest.raises(CatalogError, match=says) as e:
        load_catalog(_catalog(tmp_path, rule))
    assert "bench_crc.yaml" in str(e.value)
