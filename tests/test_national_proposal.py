"""HMPPS's national catalogue, imported: every intervention says what work it is, so a proposal on
it reasons risk first, and a length the catalogue does not publish is a question for the provider,
not for the case."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from ratecard.case.model import load_case
from ratecard.catalog.load import load_catalog
from ratecard.cli import main
from ratecard.decide.proposal import propose

REPO = Path(__file__).resolve().parent.parent
NATIONAL = REPO / "examples" / "catalogs" / "hmpps-find-and-refer"
CASE = REPO / "examples" / "cases" / "national-2026-dv-community-order.yaml"
ON = dt.date(2026, 7, 1)


@pytest.fixture(scope="module")
def catalog():  # type: ignore[no-untyped-def]
    return load_catalog(NATIONAL)


def test_every_imported_intervention_says_what_work_it_is_and_marks_its_targets_as_ours(catalog) -> None:  # type: ignore[no-untyped-def]
    ivs = catalog.interventions
    assert all(iv.work is not None for iv in ivs.values())
    bbr = ivs["building_better_relationships_acp"].work
    assert bbr.kind == "accredited_programme" and bbr.basis["kind"] == "hmpps"
    assert bbr.targets == ["partner_abuse"] and bbr.basis["targets"] == "assumption"
    assert bbr.learning_disability == "adapted" and bbr.basis["learning_disability"] == "hmpps"
    # no offence type published: the risk measures it names (SARA, OVP, OSP, OGRS) say what it is for
    assert "partner_abuse" in ivs["building_choices_moderate_intensity_acp"].work.targets
    assert ivs["new_me_strengths_intimate_partner_violence_offence_acp"].work.targets == ["partner_abuse"]
    assert ivs["help_programme_si"].work.kind == "offending_behaviour"
    assert ivs["stepping_stones_toolkits"].work.targets == ["general_offending"]
    assert "substance" in ivs["stepwise_driving_si"].work.targets
    crs = ivs["dependency_and_recovery_services_crs"].work
    assert crs.kind == "support_service" and crs.targets == [] and crs.basis["targets"] == "hmpps"
    assert ivs["horizon_acp"].work.learning_disability == "not_adapted"
    assert ivs["healthy_identity_intervention_acp"].work.learning_disability == "case_by_case"
    assert ivs["ihorizon_acp"].work.learning_disability is None  # the file does not say


def test_the_partner_abuse_example_names_perpetrator_work_and_says_what_would_settle_it(catalog) -> None:  # type: ignore[no-untyped-def]
    p = propose(load_case(CASE), catalog, on=ON)
    abuse = next(w for w in p.offending if w.target == "partner_abuse")
    names = {o.name: o.why for o in abuse.options}
    assert names["Building Choices: moderate intensity"] == "information_missing"
    assert names["Building Better Relationships"] == "information_missing"
    text = " ".join(p.text.split())
    # it does not say none fits when the answer is still open, and says why
    assert "No domestic abuse perpetrator work can be shown to fit this order yet" in text
    assert "No domestic abuse perpetrator work fits" not in text
    undecided = text.split("No domestic abuse perpetrator work can be shown to fit this order yet")[1].split(". ")[0]
    assert "Building Choices: moderate intensity" in undecided.split("but this catalog does not say how long")[0]
    assert "ask the provider" in undecided
    assert "Building Better Relationships cannot be confirmed without OASys" in text
    assert "Becoming New Me Plus: intimate partner violence offence is not open to the person (in custody)" in text
    # a published criterion that starts with an acronym keeps it ('OVP', 'SARA'), never 'oVP'
    assert not re.search(r"\b[a-z][A-Z]{2,}", text), re.findall(r"\b[a-z][A-Z]{2,}\w*", text)


def test_an_unpublished_length_is_one_question_for_the_provider_not_a_case_field(
        capsys: pytest.CaptureFixture[str]) -> None:
    try:
        main(["propose", str(CASE), "--catalog", str(NATIONAL), "--on", ON.isoformat()])
    except SystemExit as e:
        assert not e.code, e.code
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert "Risk: offending behaviour work" in lines
    assert any(line.startswith("- Domestic abuse perpetrator work") for line in lines)
    assert not any(line.startswith("- weeks") for line in lines)
    found = out.split("Still to find out")[1]
    asks = [" ".join(a.split()) for a in found.split("\n- ")]
    (length,) = [a for a in asks if a.startswith("how long it takes")]
    assert length.startswith("how long it takes (not published in this catalog; ask the provider): ")
    assert "Building Choices: moderate intensity" in length and "Community Led Initiatives (CLI) - peer support" in length


def test_bbr_custody_clause_is_checked_only_for_custody(catalog) -> None:  # type: ignore[no-untyped-def]
    # HMPPS's BBR offence text has a clause for prison; in the community nobody needs to agree it
    from ratecard import screen

    case = load_case(CASE)

    def custody_checks(c):  # type: ignore[no-untyped-def]
        bbr = next(r for r in screen(c, catalog, on=ON).results if r.intervention == "building_better_relationships_acp")
        return [j for j in bbr.to_check if "(Custody)" in j.text and j.applies is not False]

    assert custody_checks(case) == []
    inside = case.model_copy(update={"sentence": case.sentence.model_copy(update={"setting": "custody"})})
    assert custody_checks(inside)
