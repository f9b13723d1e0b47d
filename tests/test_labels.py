"""One label table for every output: it covers every field, need, requirement and value the models
allow, and the rule registry, the briefing and the terminal views all read it."""

from __future__ import annotations

import typing

from ratecard.case.model import NEED_SECTIONS, Requirement
from ratecard.catalog.load import default_catalog
from ratecard.catalog.model import Evidence, Kind, Mode, Requires, Status
from ratecard import labels
from ratecard.rules.fields import base_registry


def test_every_case_field_has_a_label_and_the_registry_uses_it() -> None:
    reg = base_registry()
    unlabelled = sorted(set(reg) - set(labels.FIELDS))
    assert not unlabelled, f"add people's names for {unlabelled} to FIELDS in ratecard/labels.py"
    assert not set(labels.FIELDS) - set(reg), "FIELDS in ratecard/labels.py names fields the case no longer has"
    for path, ft in reg.items():
        assert ft.label == labels.FIELDS[path]


def test_needs_have_one_name_everywhere() -> None:
    assert tuple(labels.NEEDS) == NEED_SECTIONS
    for section in NEED_SECTIONS:
        name = labels.NEEDS[section].lower()
        assert labels.need_words(section) == name
        assert labels.FIELDS[f"needs.{section}.score"].startswith(name)
        assert labels.DERIVED[f"need_{section}"] == f"{name} need"
    assert labels.need("education_training_and_employability") == "Education, training and employment"


def test_every_allowed_code_has_words() -> None:
    assert set(typing.get_args(Requirement)) | set(typing.get_args(Requires)) <= set(labels.REQUIREMENTS)
    assert set(typing.get_args(Kind)) == set(labels.KINDS)
    assert set(typing.get_args(Mode)) == set(labels.MODES)
    assert set(typing.get_args(Evidence.model_fields["level"].annotation)) == set(labels.EVIDENCE)
    assert set(typing.get_args(Status.model_fields["state"].annotation)) == set(labels.STATES)


def test_the_shipped_derived_facts_have_words() -> None:
    assert set(default_catalog().rules.derived) <= set(labels.DERIVED)


def test_values_read_as_words() -> None:
    assert labels.statement("risk.ogrs3_2yr", 18.0) == "OGRS3 two-year score: 18%"
    assert labels.statement("risk.sara_partner", None) == "SARA level towards a partner: not known"
    assert labels.value("moderate_intensity") == "moderate intensity"
    assert labels.value("very_high") == "very high"
    assert labels.value(True) == "yes" and labels.value([]) == "none"
    assert labels.value(["rar", "accredited_programme"], "sentence.requirements") == (
        "rehabilitation activity requirement (RAR), accredited programme requirement")
    assert labels.value("east_northamptonshire", "person.home_town") == "East Northamptonshire"
    assert labels.requirement("accredited_programme") == "accredited programme requirement"


def test_the_briefing_and_the_proposal_paragraph_use_the_table() -> None:
    from ratecard.decide import briefing
    from ratecard.decide.proposal.paragraph import need_words

    assert briefing.NEED_LABELS is labels.NEEDS and briefing.KIND_LABELS is labels.KINDS
    assert need_words("relationships") == "family and relationships"


def test_an_imported_oasys_total_reads_as_its_items() -> None:
    # the HMPPS import names a sum of OASys items by the items; a screen says which items, not the id
    assert labels.field("oasys_total_2_6_7_2_11_4") == "total of OASys items 2.6, 7.2, 11.4"


def test_a_length_the_catalog_does_not_publish_reads_as_a_question_for_the_provider() -> None:
    # the web page lists what is still to find out by field; a catalog figure is not a case field
    assert labels.field("catalog.weeks") == labels.field("bbr.weeks")
    assert "ask the provider" in labels.field("catalog.weeks")
