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
                           "\u201cThe treatment manager agrees that the group suits them\u201d.")
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
            "Programme would help them; they have completed it before\u201d") in text
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


# ---- the check, the proposal, the briefing and the caseload carry it -----------------------------

REPEAT = REPO / "examples" / "cases" / "drr-acquisitive-high-ogrs3.yaml"


def _repeat_case() -> Case:
    """An example case whose package holds TSP, now having completed TSP before."""
    from ratecard import load_case

    case = load_case(REPEAT)
    return case.model_copy(update={"history": case.history.model_copy(update={"completed_programmes": ["tsp"]})})


def test_the_check_accepts_a_repeat_if_the_treatment_manager_agrees() -> None:
    from ratecard.decide.referral import check_referral

    case = _repeat_case().model_copy(update={"sentence": _repeat_case().sentence.model_copy(
        update={"requirements": ["accredited_programme", "rar"], "rar_days": 20})})
    c = check_referral(case, "tsp", default_catalog(), on=ON)
    assert c.verdict == "accept_if_agreed" and c.decision == "eligible_if_agreed"
    assert [(j.rule, j.by) for j in c.to_agree] == [("tsp.repeat", "the treatment manager")]
    assert not any(w.code == "completed_before" for w in c.warnings)  # said once, as what to agree
    from ratecard.present.checks import check_view
    from rich.console import Console

    console = Console(width=100, record=True, color_system=None)
    console.print(check_view(c))
    text = " ".join(console.export_text().split())
    assert "ACCEPT IF AGREED" in text and "To agree before referring:" in text
    assert "The treatment manager agrees that the person meets this: \u201cA repeat of the Thinking Skills Programme" in text


def test_the_proposal_puts_a_repeat_on_condition_that_the_treatment_manager_agrees_in_words_for_a_court() -> None:
    from ratecard.decide.proposal import propose

    p = propose(_repeat_case(), default_catalog(), on=ON)
    (tsp,) = [i for i in p.package if i.intervention == "tsp"]
    assert tsp.conditional and [j.rule for j in tsp.to_agree] == ["tsp.repeat"] and tsp.confirm_if == ()
    text = " ".join(p.text.split())
    assert ("on condition that the treatment manager agrees that the person meets the published condition \u201cA repeat of the Thinking "
            "Skills Programme would help them; they have completed it before\u201d") in text
    assert "If it is not agreed for Thinking Skills Programme (TSP), rolling, I would propose instead" in text
    assert p.if_not_confirmed is not None and "tsp" not in p.if_not_confirmed.package
    # words for a court: no rule id, no field path, no command
    assert "tsp.repeat" not in text and "history.completed_programmes" not in text and "ratecard" not in text.lower()


def test_the_briefing_says_who_decides_a_repeat() -> None:
    from ratecard.decide.briefing import build_briefing

    b = build_briefing(default_catalog(), "northamptonshire", on=ON)
    tsp = next(e for e in b.open_entries if e.id == "tsp")
    (line,) = [x for x in tsp.criteria if x.id == "tsp.repeat"]
    assert line.judgement and line.by == "the treatment manager"
    assert line.precise.startswith("Not decided from case data: eligible if the treatment manager agrees that it is met; "
                                   "needed only if programmes completed before include tsp")


def test_the_caseload_counts_eligible_if_agreed_apart_from_eligible_demand() -> None:
    from ratecard.decide.caseload import build_caseload

    done = _repeat_case().model_copy(update={"id": "done"})
    fresh = _repeat_case().model_copy(update={"id": "fresh", "history": done.history.model_copy(update={"completed_programmes": []})})
    report = build_caseload([done, fresh] * 60, default_catalog(), on=ON, area="northamptonshire")
    tsp = next(r for r in report.interventions if r.intervention == "tsp")
    assert (tsp.eligible, tsp.eligible_if_agreed) == (60, 60)
    assert tsp.demand <= 60  # the cases eligible only if agreed are no demand
    thinking = next(n for n in report.needs if n.need == "thinking_and_behaviour")
    assert thinking.met + thinking.if_agreed + thinking.undetermined_only + thinking.none == thinking.identified


# ---- the national catalog: figures not given are said so, never shown as None, 0 or () ---------------

NATIONAL = REPO / "examples" / "catalogs" / "hmpps-find-and-refer"
NOT_SAID = ("None", "unknown", "()", "Allocation", "NPS", "CRC")


@pytest.mark.parametrize("name", ["dv-first-conviction-sso-fifties", "drr-acquisitive-high-ogrs3", "woman-corby-family-needs",
                                  "internet-only-sexual-offence"])
def test_the_national_catalog_reads_right_where_a_figure_is_not_given(name: str) -> None:
    import datetime as dt

    from ratecard import load_case
    from ratecard.decide.briefing import build_briefing
    from ratecard.decide.proposal import propose
    from ratecard.decide.referral import check_referral
    from ratecard.present.briefing import render_briefing

    cat = load_catalog(NATIONAL)
    on = dt.date(2026, 7, 1)
    case = load_case(REPO / "examples" / "cases" / f"{name}.yaml")
    p = propose(case, cat, on=on)
    paragraph = p.text.split("\n\n")[0]
    assert not [w for w in NOT_SAID if w in paragraph], paragraph
    assert "weeks, weeks" not in paragraph and p.tier_check.text == "This catalog has no CRC tiers, so no minimum hours apply."
    s = screen(case, cat, on=on)
    from ratecard.case.facts import order_dates

    dates = order_dates(case, on)
    ended = dates is not None and dates[1] < on
    for r in s.results:
        if r.decision != "ineligible":
            assert any(w.code == "length_not_given" for w in r.warnings), r.intervention
        c = check_referral(case, r.intervention, cat, on=on)
        assert "()" not in (c.alternatives_note or "")
        if ended:  # no length to compare, but nothing starts and finishes on an order that has ended
            assert c.verdict == "reject" and c.reasons[0].code == "order_ended" and not c.alternatives, r.intervention
    md = render_briefing(build_briefing(cat, "england_and_wales", on=on), "md")
    assert "uses None" not in md and "no waiting list" not in md and "not\\_given" not in md
    assert "Open; waiting list not published in this catalog" in md
    assert "RAR days not given in this catalog" in md


def test_the_web_page_offers_the_national_catalog_and_names_the_edition_it_used() -> None:
    pytest.importorskip("fastapi", reason="the serve extras are not installed: pip install -e '.[test]'")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    from ratecard.web.app import create_app

    client = TestClient(create_app(default_catalog()), base_url="http://localhost")
    form = client.get("/").text
    assert "HMPPS Find and refer an intervention (national catalogue), edition 2026-06" in form
    assert "BeNCH CRC rate card, Northamptonshire, edition 2017-01" in form
    case = (REPO / "examples" / "cases" / "dv-first-conviction-sso-fifties.yaml").read_bytes()
    on = {"on-day": "1", "on-month": "7", "on-year": "2026"}
    r = client.post("/upload", data={**on, "catalog": "1"}, files={"case_file": ("c.yaml", case, "application/yaml")})
    assert r.status_code == 200
    assert "HMPPS Find and refer an intervention (national catalogue) (2026-06)" in r.text
    assert 'id="screen-agreed"' in r.text and "Eligible if the provider agrees that the person meets this" in r.text
    assert "Managed by" not in r.text  # no NPS and CRC in the national catalogue
    assert '<input type="hidden" name="catalog" value="1">' in r.text  # "change the answers" keeps it
    # a catalog this server does not offer is refused, never replaced by another
    r = client.post("/upload", data={**on, "catalog": "7"}, files={"case_file": ("c.yaml", case, "application/yaml")})
    assert r.status_code == 422 and "not one this server offers" in r.text
    # and the 2017 repeat, on the default catalog
    rep = _repeat_case().model_dump_json(exclude_none=True).encode()
    r = client.post("/upload", data={"on-day": "1", "on-month": "3", "on-year": "2017"},
                    files={"case_file": ("r.json", rep, "application/json")})
    assert 'data-intervention="tsp" data-decision="eligible_if_agreed"' in r.text


def test_screen_batch_csv_carries_the_decision_and_what_to_check(tmp_path: Path) -> None:
    pytest.importorskip("polars")
    from ratecard.decide.screen_many import write_results

    out = tmp_path / "out.csv"
    cases = [_repeat_case().model_copy(update={"id": f"c{i}"}) for i in range(3)]
    write_results(screen_many(cases, default_catalog(), on=ON), out, "csv")
    rows = pl.read_csv(out).filter(pl.col("intervention") == "tsp").to_dicts()
    assert [(r["decision"], r["to_check"]) for r in rows] == [("eligible_if_agreed", "tsp.repeat")] * 3


# ---- the wording agrees with the back ends on when a judgement applies ---------------------------


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from ratecard.rules.completions import eval_tree  # noqa: E402
from ratecard.rules.forms import compile_program  # noqa: E402
from ratecard.rules.loader import Rule, RuleSet  # noqa: E402
from ratecard.rules.wording import label, phrase  # noqa: E402

from .strategies import REG, conds, facts  # noqa: E402


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(conds(), st.sampled_from(["criterion", "exclusion"]), st.lists(facts(), min_size=1, max_size=4))
def test_a_judgements_applies_when_is_worded_from_its_tree_and_every_back_end_applies_it_alike(
        cond: Any, kind: str, cases: list[dict[str, Any]]) -> None:
    r = Rule("j.r", "Published text.", kind, None, "j", judgement=True, source="a test", applies=cond, by="the treatment manager")
    rs = RuleSet({}, (), {"j": (r,)}, REG)
    words = rule_precise(r, REG)
    # the wording: who decides, the published text, and the condition worded from the same tree
    assert words.startswith("Decided by a person (the treatment manager)") and "Published text." in words
    assert f"Only when {phrase(cond, REG)};" in words
    assert all(label(f, REG).lower() in words.lower() for f in r.fields)
    program = compile_program(rs)
    engine = Engine(program)
    for f in cases:
        ref, dur = evaluate(program, f), engine.evaluate(f)
        assert ref == dur
        o = ref.outcomes["j.r"]
        if o is not None:
            # decided: the tree as written gives the same on this case, whatever else it could be
            full = {k: v for k, v in f.items()}
            if set(r.fields) <= set(full):
                assert eval_tree(cond, full, frozenset(full)) is o
        decision = __import__("ratecard.decide.screen", fromlist=["decide"]).decide("j", rs.rules["j"], ref)[0]
        assert decision == {True: "eligible_if_agreed", False: "eligible", None: "eligible_if_agreed"}[o]
