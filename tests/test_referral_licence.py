"""Referral checks a court officer ran on 2017-03-01: work on licence is not a court requirement,
unpaid work cannot be part of a licence, and information not given leaves the check undetermined
(never a rejection) with the alternatives the screen finds eligible for the same need."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ratecard import Catalog, default_catalog
from ratecard.case.model import load_case
from ratecard.catalog.load import default_catalog_path
from ratecard.cli import cli
from ratecard.decide.referral import check_referral
from ratecard.decide.screen import screen

from .test_referral import ON, man

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "cases"
LICENCE = EXAMPLES / "high-rosh-mappa-licence-nps.yaml"
SECTIONS_MISSING = EXAMPLES / "partner-violence-sara-high-sections-missing.yaml"

pytestmark = pytest.mark.skipif(not (default_catalog_path() / "catalog.yaml").exists(), reason="default catalog not present")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return default_catalog()


def run(*args: str) -> tuple[int, str]:
    r = CliRunner().invoke(cli, ["check", *args, "--on", "2017-03-01", "--exit-code"], terminal_width=200)
    return r.exit_code, " ".join(r.output.split())


def unpaid_work(catalog: Catalog) -> list[str]:
    ids = sorted(iv.id for iv in catalog.interventions.values() if iv.requires == "unpaid_work")
    assert ids
    return ids


# 1. an accredited programme on licence is a licence condition, not a court requirement


def test_a_programme_on_licence_is_licence_work_and_the_court_is_not_blamed() -> None:
    code, out = run(str(LICENCE), "bbr")
    assert "ACCEPT WITH WARNINGS" in out and code == 3
    assert "court must impose" not in out and "has no accredited programme requirement" not in out
    assert "an accredited programme is a licence condition, not a court requirement" in out
    assert "would be licence work" in out
    # the case records [supervision] only: the officer is told to check the licence
    assert "licence conditions recorded do not provide for it: check them" in out


def test_licence_conditions_not_recorded_are_to_be_checked(catalog: Catalog) -> None:
    case = man(sentence__type="licence", sentence__rar_days=None, sentence__requirements=None)
    c = check_referral(case, "bbr", catalog, on=ON)
    assert c.verdict == "accept_with_warnings"
    assert not c.reasons
    text = " ".join(w.text for w in c.warnings if w.code == "licence_work")
    assert "licence conditions are not recorded in the case: check" in text
    assert "court must" not in text


def test_a_programme_recorded_in_the_licence_conditions_needs_no_check(catalog: Catalog) -> None:
    case = man(sentence__type="licence", sentence__rar_days=None, sentence__requirements=["accredited_programme"])
    c = check_referral(case, "bbr", catalog, on=ON)
    assert c.verdict == "accept_with_warnings"
    text = " ".join(w.text for w in c.warnings if w.code == "licence_work")
    assert "licence work" in text and "not a court requirement" in text
    assert "check" not in text


# 2. unpaid work is a requirement of a community or suspended sentence order only


def test_unpaid_work_cannot_be_part_of_a_licence(catalog: Catalog) -> None:
    for pid in unpaid_work(catalog):
        code, out = run(str(LICENCE), pid)
        assert "REJECT" in out and code == 4, pid
        assert ("Unpaid work is a requirement of a community or suspended sentence order; "
                "it cannot be part of a licence.") in out
        assert "Tell the court" not in out and "court" not in out.replace("community or suspended sentence order", "")


def test_unpaid_work_cannot_be_part_of_post_sentence_supervision(catalog: Catalog) -> None:
    case = man(sentence__type="post_sentence_supervision", sentence__rar_days=None, sentence__requirements=["unpaid_work"])
    for pid in unpaid_work(catalog):
        c = check_referral(case, pid, catalog, on=ON)
        assert c.verdict == "reject"
        mine = [f for f in c.reasons if f.code == "not_on_licence"]
        assert len(mine) == 1 and "cannot be part of post-sentence supervision" in mine[0].text
        assert not [f for f in c.reasons if f.code == "requirement_missing"]
        assert not (c.alternatives_note or "").count("court")


def test_no_transport_warning_only_for_a_placement_away_from_home(catalog: Catalog) -> None:
    case = man(sentence__requirements=["unpaid_work"], sentence__rar_days=None, sentence__unpaid_work_hours=100,
               responsivity__has_transport=False)  # lives in Northampton
    home = check_referral(case, "upw_northampton", catalog, on=ON)
    assert "no_transport" not in [w.code for w in home.warnings]
    assert "check how the person will get to Northampton" not in " ".join(w.text for w in home.warnings)
    away = check_referral(case, "upw_group_wellingborough", catalog, on=ON)
    assert any(w.code == "no_transport" and "Wellingborough" in w.text for w in away.warnings)


# 3. information not given: undetermined, with the eligible alternatives for the same need


def test_requirements_not_given_is_undetermined_with_the_eligible_alternatives(catalog: Catalog) -> None:
    code, out = run(str(SECTIONS_MISSING), "bbr")
    assert "UNDETERMINED" in out and "REJECT" not in out and code == 5
    assert "The order's requirements are not given" in out and "requirements on the order" in out
    assert "No other eligible intervention" not in out
    assert "Bold Moves" in out

    case = load_case(SECTIONS_MISSING)
    c = check_referral(case, "bbr", catalog, on=ON)
    assert c.verdict == "undetermined"
    assert [m.field for m in c.missing] == ["sentence.requirements"]
    assert c.alternatives and c.alternatives_note is None
    scr = screen(case, catalog, on=ON)
    eligible = {r.intervention for r in scr.results if r.decision == "eligible"}
    bold = {a.intervention for a in c.alternatives if a.intervention.startswith("bold_moves")}
    # partner-abuse work is replaced only by partner-abuse work (the catalog's `work.targets`)
    assert bold == {"bold_moves_safer_relationships"} and bold <= eligible
    # the alternative says what it, too, cannot settle yet
    assert all(any("requirements are not given" in w for w in a.warnings) for a in c.alternatives if a.intervention in bold)


def test_missing_information_with_a_known_bar_is_still_a_rejection(catalog: Catalog) -> None:
    # requirements not given, and the order is too short for the programme: the known bar decides
    case = man(sentence__requirements=None, sentence__rar_days=None, sentence__length_months=6)
    c = check_referral(case, "bbr", catalog, on=ON)
    assert c.verdict == "reject"
    assert {"information_missing", "ineligible"} <= {f.code for f in c.reasons}


def test_propose_on_licence_agrees_with_check_on_unpaid_work_and_drug_work() -> None:
    # the proposal and the referral check say the same thing of the same order
    from ratecard import propose

    root = Path(__file__).resolve().parents[1]
    case = load_case(root / "examples" / "cases" / "high-rosh-mappa-licence-nps.yaml")
    p = propose(case, default_catalog(), on=ON)
    left = {n.intervention: n for n in p.not_proposed}
    for iid, iv in default_catalog().interventions.items():
        if iv.requires == "unpaid_work" and iid in left:
            assert left[iid].why in ("not_on_licence", "no_eligible_provision"), iid
            assert "Would need" not in left[iid].text
        verdict = check_referral(case, iid, default_catalog(), on=ON).verdict
        if iid in [i.intervention for i in p.package]:
            assert verdict != "reject", (iid, "proposed, but the check rejects it")
    assert "needs its own requirement" not in p.text
    drug = [i for i in p.package if default_catalog().interventions[i.intervention].requires == "drug_rehabilitation"]
    assert all(i.requirement == "supervision" for i in drug)
