"""Stories from the inspection (DOMAIN.md section 6), checked after sentence with the default catalog."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from pathlib import Path

import pytest
from click.testing import CliRunner

from ratecard import Case, Catalog, default_catalog, load_catalog
from ratecard.catalog.load import default_catalog_path
from ratecard.cli import cli
from ratecard.case.events import case_on
from ratecard.decide.ledger import rar_ledger
from ratecard.decide.referral import check_referral
from ratecard.decide.screen import screen

from .catalog_copy import CatalogCopy

ON = dt.date(2017, 3, 1)

pytestmark = pytest.mark.skipif(not (default_catalog_path() / "catalog.yaml").exists(), reason="default catalog not present")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return default_catalog()


def man(**over: Any) -> Case:
    """A man convicted of violence against his partner, on a suspended sentence order with a RAR."""
    data: dict[str, Any] = {
        "id": "story",
        "person": {"sex": "male", "date_of_birth": "1965-03-02", "home_town": "northampton", "area": "northamptonshire"},
        "offence": {"category": "violence", "intimate_partner_violence": True, "sexual": False, "internet_only": False,
                    "female_partner": True},
        "history": {"intimate_partner_violence": False, "sexual": False, "completed_programmes": []},
        "risk": {"rosh": "medium", "ogrs3_2yr": 55.0, "ovp_2yr": 35.0, "osp_dc": "not_applicable", "osp_iic": "not_applicable",
                 "rsr": 1.2, "sara_partner": "medium", "sara_others": "low", "mappa_level": 0},
        "needs": {"relationships": {"score": 6, "linked_to_harm": True, "linked_to_reoffending": True},
                  "thinking_and_behaviour": {"score": 5, "linked_to_reoffending": True}, "attitude": {"score": 3}},
        "responsivity": {"learning_disability": False, "reads_simple_sentences": True, "needs_interpreter": False,
                         "mental_health_prevents_group_work": False, "veteran": False, "care_responsibilities": False,
                         "at_risk_in_group": False, "has_transport": True},
        "motivation": "close_to_change",
        "sentence": {"type": "suspended_sentence_order", "length_months": 24, "start": "2017-01-09", "rar_days": 20,
                     "requirements": ["rar", "accredited_programme"]},
    }
    for path, value in over.items():
        *head, last = path.split("__")
        d = data
        for k in head:
            d = d.setdefault(k, {})
        if value is None:
            d.pop(last, None)
        else:
            d[last] = value
    return Case.model_validate_json(json.dumps(data))


def codes(findings: list[Any]) -> list[str]:
    return [f.code for f in findings]


def test_resolve_is_rejected_as_withdrawn_and_alternatives_are_offered(catalog: Catalog) -> None:
    c = check_referral(man(), "resolve", catalog, on=ON)
    assert c.verdict == "reject"
    assert "withdrawn" in codes(c.reasons)
    assert c.alternatives, "a rejection must offer what the officer can refer to instead"
    s = screen(man(), catalog, on=ON)
    resolve_needs = set(catalog.interventions["resolve"].needs)
    for a in c.alternatives:
        assert s.result(a.intervention).decision == "eligible"
        assert set(a.shared_needs) <= resolve_needs and a.shared_needs
        assert check_referral(man(), a.intervention, catalog, on=ON).verdict != "reject"


def test_bbr_within_a_rar_is_lawful_and_warned_without_either_it_is_rejected(catalog: Catalog) -> None:
    # Criminal Justice Act 2003 s.200A: the activities of a RAR may include an accredited programme
    case = man(sentence__requirements=["rar"])
    assert screen(case, catalog, on=ON).result("bbr").decision == "eligible"
    c = check_referral(case, "bbr", catalog, on=ON)
    assert c.verdict == "accept_with_warnings" and "programme_within_rar" in codes(c.warnings)
    assert "s.200A" in next(w.text for w in c.warnings if w.code == "programme_within_rar")
    # with neither a programme requirement nor a RAR there is no lawful route
    c = check_referral(man(sentence__requirements=["curfew"], sentence__rar_days=None), "bbr", catalog, on=ON)
    assert c.verdict == "reject" and codes(c.reasons) == ["requirement_missing"]
    assert "accredited programme requirement" in c.reasons[0].text
    # with the requirement on the order the same referral goes through
    assert check_referral(man(), "bbr", catalog, on=ON).verdict != "reject"


def test_twenty_rar_days_two_used_three_months_left_warns(catalog: Catalog) -> None:
    case = man(sentence__length_months=12, sentence__start="2016-06-01",
               rar_ledger=[{"date": "2016-07-05", "kind": "activity", "intervention": "bold_moves_victim_awareness"},
                           {"date": "2016-07-12", "kind": "activity", "intervention": "bold_moves_victim_awareness"}])
    ledger = rar_ledger(case, ON, catalog)
    assert ledger is not None
    assert (ledger.rar_days, ledger.days_used, ledger.days_left) == (20, 2, 18)
    assert 12 <= (ledger.weeks_left or 0) <= 14
    c = check_referral(case, "bold_moves_victim_awareness", catalog, on=ON)
    assert {"behind_pace", "idle"} <= set(codes(c.warnings))
    assert c.rar is not None and c.rar.days_left == 18


def test_the_pace_warning_goes_away_when_days_are_being_delivered(catalog: Catalog) -> None:
    weekly = [{"date": str(dt.date(2017, 1, 9) + dt.timedelta(weeks=i)), "kind": "activity"} for i in range(7)]
    ledger = rar_ledger(man(rar_ledger=weekly), ON, catalog)
    assert ledger is not None and ledger.days_used == 7
    assert not {"behind_pace", "idle"} & set(codes(ledger.warnings))


def test_supervision_recorded_as_rar_is_flagged_and_not_counted(catalog: Catalog) -> None:
    case = man(rar_ledger=[{"date": "2017-01-16", "kind": "supervision"}, {"date": "2017-01-23", "kind": "supervision"},
                           {"date": "2017-02-20", "kind": "activity", "intervention": "bold_moves_victim_awareness"}])
    c = check_referral(case, "bold_moves_motivation", catalog, on=ON)
    assert c.rar is not None and c.rar.days_used == 1 and c.rar.days_left == 19
    assert codes(c.rar.flagged) == ["supervision_as_rar", "supervision_as_rar"]
    assert "supervision_as_rar" in codes(c.warnings)


def test_a_course_that_cannot_finish_on_illustrative_figures_is_a_warning_to_confirm(catalog: Catalog, tmp_path: Path) -> None:
    case = man(sentence__length_months=12, sentence__start="2016-09-01")
    c = check_referral(case, "bold_moves_safer_relationships", catalog, on=ON)
    # its waiting list and length are illustrative: never the ground of a rejection
    assert c.verdict == "accept_with_warnings" and "cannot_finish" not in codes(c.reasons)
    assert "illustrative" in next(w.text for w in c.warnings if w.code == "cannot_finish")
    # the same figures vouched for by the provider refuse the referral
    copy = CatalogCopy(tmp_path)
    copy.intervention("bold_moves_safer_relationships", lambda e: e.__setitem__(
        "illustrative", [f for f in e["illustrative"] if f not in ("weeks", "waiting_weeks")]))
    real = load_catalog(copy.root)
    c = check_referral(case, "bold_moves_safer_relationships", real, on=ON)
    assert c.verdict == "reject" and "cannot_finish" in codes(c.reasons)
    weeks_left = (dt.date(2017, 9, 1) - ON).days / 7
    for a in c.alternatives:
        assert a.weeks_to_finish is None or a.weeks_to_finish <= weeks_left


def test_missing_information_is_named_not_guessed(catalog: Catalog) -> None:
    case = man(risk__sara_partner=None)
    c = check_referral(case, "bbr", catalog, on=ON)
    # information not given is never a rejection: the check cannot be settled yet
    assert c.verdict == "undetermined" and c.decision == "undetermined"
    assert "risk.sara_partner" in [m.field for m in c.missing]


def test_group_placement_for_someone_at_risk_in_groups_is_unsuitable_with_no_invented_alternative(catalog: Catalog) -> None:
    case = man(offence__category="sexual", offence__sexual=True, responsivity__at_risk_in_group=True,
               sentence__requirements=["unpaid_work"], sentence__rar_days=None, sentence__unpaid_work_hours=150)
    for pid in ("upw_group_wellingborough", "upw_group_corby"):
        c = check_referral(case, pid, catalog, on=ON)
        assert c.verdict == "reject"
        # the placement's own eligibility rule says why, with its id
        assert [x.rule for x in c.reasons if x.code == "ineligible"] == [f"{pid}.at_risk_in_group"]
        assert c.alternatives == ()
        assert c.alternatives_note and "no suitable unpaid work placement" in c.alternatives_note.lower()


def test_a_woman_on_a_mixed_placement_is_told_she_may_ask_for_a_women_only_one(catalog: Catalog) -> None:
    case = man(person__sex="female", offence__intimate_partner_violence=False, risk__sara_partner="not_applicable",
               sentence__requirements=["unpaid_work"], sentence__rar_days=None, sentence__unpaid_work_hours=100,
               responsivity__care_responsibilities=True)
    c = check_referral(case, "upw_group_wellingborough", catalog, on=ON)
    assert c.verdict == "accept_with_warnings"
    assert {"women_only_available", "care_responsibilities"} <= set(codes(c.warnings))


def test_events_up_to_the_reference_date_are_applied_before_checking(catalog: Catalog) -> None:
    case = man(events=[{"date": "2017-02-01", "kind": "risk_review", "ogrs3_2yr": 20.0},
                       {"date": "2017-06-01", "kind": "risk_review", "ogrs3_2yr": 80.0}])
    assert case_on(case, ON).risk.ogrs3_2yr == 20.0
    assert check_referral(case, "tsp", catalog, on=ON).decision == "ineligible"
    assert check_referral(case, "tsp", catalog, on=dt.date(2017, 7, 1)).decision == "eligible"


def test_cli_check_json_carries_what_a_court_relies_on(tmp_path: Any) -> None:
    p = tmp_path / "case.json"
    p.write_text(man().model_dump_json())
    res = CliRunner().invoke(cli, ["check", str(p), "resolve", "--on", "2017-03-01", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    for key in ("catalog_version", "on", "case_id", "intervention", "verdict", "reasons", "warnings", "alternatives"):
        assert key in out
    assert out["on"] == "2017-03-01" and out["verdict"] == "reject"
    again = CliRunner().invoke(cli, ["check", str(p), "resolve", "--on", "2017-03-01", "--json"])
    assert again.output == res.output


def test_cli_check_unknown_intervention_exits_1_without_traceback(tmp_path: Any) -> None:
    import subprocess
    import sys

    p = tmp_path / "case.json"
    p.write_text(man().model_dump_json())
    r = subprocess.run([sys.executable, "-m", "ratecard", "check", str(p), "resolv", "--on", "2017-03-01"],
                       capture_output=True, text=True)
    assert r.returncode == 1
    assert "resolve" in r.stderr and "Traceback" not in r.stderr


def test_a_rar_activity_needing_more_days_than_are_left_is_rejected(catalog: Catalog) -> None:
    days = [{"date": str(dt.date(2017, 1, 9) + dt.timedelta(days=i)), "kind": "activity"} for i in range(16)]
    case = man(rar_ledger=days)
    c = check_referral(case, "bold_moves_victim_awareness", catalog, on=ON)  # 6 RAR days, 4 left
    assert c.verdict == "reject" and "rar_days_short" in codes(c.reasons)
    assert "only 4 are left" in next(f.text for f in c.reasons if f.code == "rar_days_short")
    for a in c.alternatives:
        assert (catalog.interventions[a.intervention].rar_days or 0) <= 4


def test_the_drug_service_needs_a_drug_rehabilitation_requirement(catalog: Catalog) -> None:
    drugs = dict(offence__category="drugs", needs__drug_misuse={"score": 6, "linked_to_reoffending": True})
    c = check_referral(man(**drugs), "s2s_drr_group", catalog, on=ON)
    assert c.verdict == "reject"
    assert any(f.code == "requirement_missing" and "drug rehabilitation" in f.text for f in c.reasons)
    ok = check_referral(man(**drugs, sentence__requirements=["rar", "drug_rehabilitation"]), "s2s_drr_group", catalog, on=ON)
    assert "requirement_missing" not in codes(ok.reasons)


def test_a_placement_needs_unpaid_work_on_the_order(catalog: Catalog) -> None:
    c = check_referral(man(), "upw_group_wellingborough", catalog, on=ON)
    assert c.verdict == "reject"
    assert any(f.code == "requirement_missing" and "unpaid work" in f.text for f in c.reasons)


def test_horizon_is_rejected_for_someone_who_has_completed_it(catalog: Catalog) -> None:
    sexual = dict(offence__category="sexual", offence__sexual=True, offence__intimate_partner_violence=False,
                  risk__osp_dc="medium", risk__osp_iic="medium", sentence__requirements=["accredited_programme"],
                  sentence__rar_days=None)
    first = check_referral(man(**sexual), "horizon", catalog, on=ON)
    assert first.decision == "eligible"
    again = check_referral(man(**sexual, history__completed_programmes=["horizon"]), "horizon", catalog, on=ON)
    assert again.verdict == "reject" and again.decision == "ineligible"


def test_a_woman_outside_northampton_cannot_be_referred_to_the_good_loaf_and_is_offered_ormiston(catalog: Catalog) -> None:
    woman = dict(person__sex="female", person__home_town="corby", offence__intimate_partner_violence=False,
                 risk__sara_partner="not_applicable", responsivity__has_transport=None,
                 needs__emotional_wellbeing={"identified": True})
    c = check_referral(man(**woman), "c2c_rar_good_loaf", catalog, on=ON)
    assert c.verdict == "reject" and "not_reachable" in codes(c.reasons)
    assert "Corby" in c.reasons[0].text
    assert "ormiston_family_support" in [a.intervention for a in c.alternatives]
    # with her own transport it is her choice to travel: a warning, not a rejection
    driving = check_referral(man(**{**woman, "responsivity__has_transport": True}), "c2c_rar_good_loaf", catalog, on=ON)
    assert "not_reachable" not in codes(driving.reasons) and "not_near_home" in codes(driving.warnings)


def test_no_transport_to_a_placement_is_a_warning_unless_it_is_in_the_home_town(catalog: Catalog) -> None:
    case = man(person__home_town="wellingborough", responsivity__has_transport=False,
               sentence__requirements=["unpaid_work"], sentence__rar_days=None, sentence__unpaid_work_hours=100)
    c = check_referral(case, "upw_group_wellingborough", catalog, on=ON)
    assert c.verdict == "accept" and "no_transport" not in codes(c.warnings)
    c = check_referral(man(person__home_town=None, responsivity__has_transport=False, sentence__requirements=["unpaid_work"],
                           sentence__rar_days=None, sentence__unpaid_work_hours=100), "upw_group_wellingborough", catalog, on=ON)
    assert "no_transport" in codes(c.warnings)


def test_a_day_on_a_course_bought_under_another_requirement_does_not_count_as_a_rar_day(catalog: Catalog) -> None:
    case = man(rar_ledger=[{"date": "2017-02-01", "kind": "activity", "intervention": "bbr"},
                           {"date": "2017-02-08", "kind": "activity", "intervention": "bold_moves_motivation"}])
    ledger = rar_ledger(case, ON, catalog)
    assert ledger is not None and ledger.days_used == 1
    assert codes(ledger.flagged) == ["not_rar_activity"] and "accredited programme" in ledger.flagged[0].text


def test_cannot_finish_does_not_round_the_time_left_up_to_the_course_length(catalog: Catalog) -> None:
    # 41 days (5 weeks 6 days) left; the course takes 6 weeks
    case = man(sentence__length_months=12, sentence__start="2016-04-11")
    c = check_referral(case, "bold_moves_victim_awareness", catalog, on=ON)
    text = next(f.text for f in c.reasons + c.warnings if f.code == "cannot_finish")
    assert "6 weeks to complete" in text and "5 weeks and 6 days left" in text
