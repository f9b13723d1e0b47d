"""What a proposal reads of its screen without making the screen's results (Results.said,
Results.decision), and what it shares between cases (compose._Treats: verdicts and left-out
records, the paragraph's days): each must say what the made result, or the proposal worked out
afresh, says."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ratecard import default_catalog, load_catalog, propose, screen
from ratecard.case.model import Case
from ratecard.decide.proposal import compose, paragraph
from ratecard.decide.results import Results

from .cases import cases
from .test_proposal_unknowns import EXAMPLES, ON

HMPPS = load_catalog(EXAMPLES.parent / "catalogs" / "hmpps-find-and-refer")


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(cases)
def test_a_result_read_without_making_it_says_what_the_made_result_says(case: Case):
    for cat in (default_catalog(), HMPPS):
        results = screen(case, cat, on=ON).results
        assert isinstance(results, Results)
        said = [results.said(i) for i in range(len(results))]
        decided = [results.decision(i) for i in range(len(results))]
        made = list(results)  # made after: reading them said and decided made none
        for s, d, r in zip(said, decided, made):
            assert (s.intervention, s.decision, s.reasons, s.missing, s.to_check, s.availability, s.warnings) == (
                r.intervention, r.decision, r.reasons, r.missing, r.to_check, r.availability, r.warnings)
            assert d == (r.decision, r.reasons)
        # once made, the result itself is what is read
        assert results.said(0) is made[0] and results.decision(0) == (made[0].decision, made[0].reasons)


TOWNS = ("northampton", "kettering", "corby", "daventry", "nowhere")


def _variants(case: Case) -> list[Case]:
    """The case from several homes, with and without transport: what the screen says of each
    intervention's reach differs between them, and the rest of the case does not."""
    return [case.model_copy(update={"id": f"{case.id}-{town}-{transport}",
                                    "person": case.person.model_copy(update={"home_town": town}),
                                    "responsivity": case.responsivity.model_copy(update={"has_transport": transport})})
            for town in TOWNS for transport in (True, None)]


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(cases)
def test_a_proposal_from_what_other_cases_left_is_the_one_worked_out_afresh(case: Case):
    """The verdicts and left-out records kept between cases are keyed by all they read: a proposal
    made with what the case's variants left (other homes, transport) is, byte for byte, the one
    made with nothing kept."""
    for cat in (default_catalog(), HMPPS):
        for on in (ON, dt.date(2018, 6, 1)):
            variants = _variants(case)
            warm = [propose(v, cat, on=on) for v in variants]
            treats = compose._treats(cat)
            kept = dict(treats.verdicts), dict(treats.ruled_out), dict(paragraph._DAYS)
            try:
                for v, w in zip(variants, warm):
                    treats.verdicts.clear()
                    treats.ruled_out.clear()
                    paragraph._DAYS.clear()
                    fresh = propose(v, cat, on=on)
                    assert w.model_dump_json() == fresh.model_dump_json()
                    assert w.text == fresh.text
            finally:
                treats.verdicts.update(kept[0])
                treats.ruled_out.update(kept[1])
                paragraph._DAYS.update(kept[2])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2060, 12, 31)), min_size=1, max_size=30))
def test_a_day_written_after_others_is_the_day_strftime_writes(days: list[dt.date]):
    """The paragraph writes each day once and keeps it: whatever days were written before, a day
    reads as strftime writes it ('1 March 2017'), so a key that lost the day, or part of it, fails."""
    for d in days:
        paragraph._day(d)  # what other proposals left
    for d in reversed(days):
        assert paragraph._day(d) == f"{d:%-d %B %Y}"


def test_a_proposal_copied_keeps_its_parts_and_their_fields_set():
    """A proposal's parts of one class share one frozenset of the fields set (result.made): a copy,
    deep or not, or a copy with changes, has its own set, says what the part says, and leaves the
    part as it was."""
    import copy

    from ratecard import load_case
    from ratecard.decide.proposal.result import PackageItem, Proposal

    p = propose(load_case(EXAMPLES / "community-order-rar-and-bbr-24m.yaml"), default_catalog(), on=ON)
    item = p.package[0]
    before = p.model_dump_json()
    assert item.model_fields_set == set(PackageItem.model_fields)
    for c in (copy.copy(p), copy.deepcopy(p), p.model_copy(), p.model_copy(deep=True)):
        assert c == p and c.model_dump_json() == before and c.model_fields_set == p.model_fields_set
        assert Proposal.model_validate_json(c.model_dump_json()) == p
    for deep in (False, True):
        changed = item.model_copy(update={"name": "Renamed"}, deep=deep)
        assert changed.name == "Renamed" and changed.intervention == item.intervention
        assert changed.model_fields_set == set(PackageItem.model_fields)
        renamed = p.model_copy(update={"case_id": "other"}, deep=deep)
        assert renamed.case_id == "other" and renamed.package == p.package
    # the shared sets are as they were: no copy's changes reached them
    assert item.model_fields_set == set(PackageItem.model_fields) and p.model_dump_json() == before
    assert propose(load_case(EXAMPLES / "community-order-rar-and-bbr-24m.yaml"), default_catalog(), on=ON).package[0] \
        .model_fields_set == set(PackageItem.model_fields)


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(cases)
def test_what_ifs_from_the_screens_own_evaluation_answer_as_the_case_worked_out_again(case: Case):
    # a proposal's confirming answers start from what the screen's engine found of the case
    # (Results.knowledge); without it they work the case out with the reference evaluator
    for cat in (default_catalog(), HMPPS):
        assert screen(case, cat, on=ON).results.knowledge() is not None  # type: ignore[attr-defined]
        from_screen = propose(case, cat, on=ON)
        knowledge = Results.knowledge
        try:
            Results.knowledge = lambda self: None  # type: ignore[method-assign]
            afresh = propose(case, cat, on=ON)
        finally:
            Results.knowledge = knowledge  # type: ignore[method-assign]
        assert from_screen == afresh
        assert from_screen.model_dump_json() == afresh.model_dump_json()
