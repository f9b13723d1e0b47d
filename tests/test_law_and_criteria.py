"""Issue 18 where a rule test cannot reach: impossible values refused with the statute named (a rule
test's case must load), the same refusals on the table path, what a sentencer is told a rule rests
on, opening dates and waiting lists in time, and the words of the age warnings."""

from __future__ import annotations

import datetime as dt

import pytest

from ratecard import CaseError, default_catalog, parse_case, screen
from ratecard.catalog.model import Status
from ratecard.case.tables import from_records

ON = dt.date(2017, 3, 1)


def _case(**sentence: object) -> dict[str, object]:
    return {"id": "c", "person": {"sex": "male", "date_of_birth": "1980-01-01"},
            "sentence": {"start": "2017-02-13", **sentence}}


IMPOSSIBLE = [
    ({"type": "community_order", "length_months": 12, "requirements": ["unpaid_work"], "unpaid_work_hours": 20}, "s.199(2)"),
    ({"type": "community_order", "length_months": 12, "requirements": ["unpaid_work"], "unpaid_work_hours": 301}, "s.199(2)"),
    ({"type": "community_order", "length_months": 37}, "s.177(5)"),
    ({"type": "suspended_sentence_order", "length_months": 5}, "s.189(3)"),
    ({"type": "suspended_sentence_order", "length_months": 25}, "s.189(3)"),
]


@pytest.mark.parametrize(("sentence", "statute"), IMPOSSIBLE)
def test_an_impossible_sentence_is_refused_naming_the_statute(sentence: dict[str, object], statute: str) -> None:
    import json

    with pytest.raises(CaseError) as e:
        parse_case(json.dumps(_case(**sentence)))
    assert statute in str(e.value) and "Criminal Justice Act 2003" in str(e.value)
    assert "sentence" in str(e.value)


@pytest.mark.parametrize(("sentence", "statute"), IMPOSSIBLE)
def test_the_table_path_refuses_what_the_case_model_refuses(sentence: dict[str, object], statute: str) -> None:
    table = from_records([_case(**sentence), _case(type="community_order", length_months=36)])
    assert table.frame.height == 1
    assert len(table.errors) == 1 and statute in str(table.errors[0])


def test_a_licence_may_run_longer_than_any_order() -> None:
    import json

    assert parse_case(json.dumps(_case(type="licence", length_months=60))).sentence.length_months == 60


@pytest.mark.parametrize(("offence", "says"), [
    ({"conviction_date": "2017-03-01"}, "after sentence.start"),
    ({"conviction_date": "1989-12-31"}, "Children and Young Persons Act 1933 s.50"),
])
def test_an_impossible_conviction_date_is_refused(offence: dict[str, str], says: str) -> None:
    import json

    case = {**_case(type="community_order", length_months=12), "offence": offence}
    with pytest.raises(CaseError) as e:
        parse_case(json.dumps(case))
    assert says in str(e.value)
    table = from_records([case])
    assert table.frame.height == 0 and says in str(table.errors[0])


def test_hmpps_is_the_basis_only_of_programmes_hmpps_publishes() -> None:
    """A sentencer reads 'from HMPPS criteria': it must be true. The local services' own rules (their
    age rules among them) rest on the report or are this catalog's assumptions."""
    published = {"bbr", "tsp", "resolve", "horizon", "ihorizon"}
    rules = default_catalog().rules.rules
    wrong = [r.id for iid, rs in rules.items() if iid not in published for r in rs if r.basis == "hmpps"]
    assert wrong == []
    adult = [r for iid, rs in rules.items() if iid not in published for r in rs if r.id.endswith(".adult")]
    assert adult and all(r.basis == "report" for r in adult)


def test_a_programme_that_opens_later_is_not_running_before_and_open_from_that_day() -> None:
    st = Status(state="open", opens=dt.date(2017, 1, 1))
    before, day = st.on(dt.date(2016, 12, 31)), st.on(dt.date(2017, 1, 1))
    assert (before.state, before.until, before.then) == ("suspended", dt.date(2016, 12, 31), "open")
    assert "2017-01-01" in (before.reason or "")
    assert day.state == "open"
    assert st.changes() == [(dt.date(2017, 1, 1), "suspended", "open", "first runs")]


def test_a_suspension_can_end_in_a_waiting_list() -> None:
    st = Status(state="suspended", since=dt.date(2016, 7, 1), until=dt.date(2016, 12, 31), waiting_weeks=4, reason="staff")
    after = st.on(dt.date(2017, 1, 2))
    assert (after.state, after.waiting_weeks) == ("waiting_list", 4)
    assert st.on(dt.date(2016, 8, 1)).state == "suspended"
    assert st.changes()[-1] == (dt.date(2017, 1, 1), "suspended", "waiting_list", None)


def test_a_status_that_opens_after_it_closes_is_refused() -> None:
    with pytest.raises(ValueError, match="before 'opens'"):
        Status(state="open", opens=dt.date(2017, 6, 1), until=dt.date(2017, 1, 1), reason="ends")


def _screen(**offence: object) -> object:
    import json

    case = {"id": "y", "person": {"sex": "female", "date_of_birth": "1999-03-20"}, "offence": offence,
            "sentence": {"type": "community_order", "length_months": 12, "start": "2017-03-27"}}
    return screen(json.dumps(case), on=ON)


def test_the_under_18_warning_says_youth_order_and_why_the_date_was_used() -> None:
    s = _screen()
    (w,) = [w for w in s.warnings if w.code == "under_18"]  # type: ignore[attr-defined]
    assert "youth rehabilitation order" in w.text and "no conviction date is given" in w.text
    assert "sentence.start" not in w.text  # a later order start changes nothing
    assert s.age.basis == "reference_date" and s.age.years == 17  # type: ignore[attr-defined]


def test_with_a_conviction_date_the_age_is_taken_then() -> None:
    s = _screen(conviction_date="2017-03-20")
    assert (s.age.basis, s.age.years, s.age.on) == ("conviction", 18, dt.date(2017, 3, 20))  # type: ignore[attr-defined]
    # convicted at 18 but 17 on the reference date: an adult order, and still a warning
    assert [w.code for w in s.warnings if w.code == "under_18"]  # type: ignore[attr-defined]
