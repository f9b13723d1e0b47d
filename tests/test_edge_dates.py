"""Issue 10 item 4: edge dates compute or give a typed error naming the field; never an
AssertionError or OverflowError from the date arithmetic."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ratecard import CaseError, allocate, check_referral, propose, screen
from ratecard.case.facts import BeyondCalendar, add_months
from ratecard.case.model import parse_case

ROOT = Path(__file__).resolve().parent.parent
RUNS = [
    lambda c, on: screen(c, on=on),
    lambda c, on: propose(c, on=on),
    lambda c, on: check_referral(c, "bbr", on=on),
    lambda c, on: allocate(c, on=on),
]
BODY = ("person: {sex: male, date_of_birth: 1980-01-01, home_town: northampton}\n"
        "risk: {rosh: low, ogrs3_2yr: 60, sara_partner: high}\noffence: {intimate_partner_violence: true}\n"
        "needs: {relationships: {score: 5}, thinking_and_behaviour: {score: 6}}\n")


@pytest.mark.parametrize("run", RUNS)
def test_an_order_starting_in_december_9999_names_the_start_date(run) -> None:
    case = parse_case("id: a\n" + BODY + "sentence: {type: community_order, start: 9999-12-01, length_months: 1}\n")
    with pytest.raises(CaseError) as e:
        run(case, dt.date(2017, 3, 1))
    (p,) = e.value.problems
    assert p.field == "sentence.start" and "9999-12-31" in p.message


@pytest.mark.parametrize("run", RUNS)
def test_a_reference_date_of_31_december_9999_names_the_field_and_the_date(run) -> None:
    case = parse_case("id: a\n" + BODY + "sentence: {type: community_order, length_months: 12}\n")
    with pytest.raises(CaseError) as e:
        run(case, dt.date(9999, 12, 31))
    (p,) = e.value.problems
    assert p.field == "sentence.length_months" and "--on" in p.message


def test_a_proposal_whose_programme_would_end_after_9999_says_so() -> None:
    # the order fits the calendar, a waiting list plus the programme does not: _barriers overflowed
    # born 40 years before: a date of birth giving an age over 150 is refused (case/facts.py)
    case = parse_case("id: a\n" + BODY.replace("1980-01-01", "9960-01-01") + "sentence: {type: community_order, start: 9999-06-01, length_months: 6, "
                      "requirements: [rar, accredited_programme], rar_days: 10}\n")
    p = propose(case, on=dt.date(9999, 6, 1))
    assert any("past the calendar" in r.text for r in p.not_proposed)


def test_a_proposal_at_the_start_of_the_calendar_computes() -> None:
    case = parse_case("id: a\n" + BODY.replace("date_of_birth: 1980-01-01, ", "")
                      + "sentence: {type: community_order, start: 0001-01-01, length_months: 1}\n")
    propose(case, on=dt.date(1, 1, 5), margin_weeks=26)


def test_propose_on_9999_12_31_is_an_input_error_not_a_traceback(tmp_path: Path) -> None:
    case = tmp_path / "case.yaml"
    case.write_text("id: a\n" + BODY + "sentence: {type: community_order, length_months: 12}\n")
    r = subprocess.run([sys.executable, "-m", "ratecard", "propose", str(case), "--on", "9999-12-31"],
                       env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "sentence.length_months" in r.stderr


@given(d=st.dates(), months=st.integers(0, 1200))
def test_add_months_gives_a_date_or_says_it_is_beyond_the_calendar(d: dt.date, months: int) -> None:
    try:
        out = add_months(d, months)
    except BeyondCalendar:
        assert d.year + (d.month - 1 + months) // 12 > dt.MAXYEAR
        return
    assert (out.year - d.year) * 12 + out.month - d.month == months
    assert out.day == d.day or (out.day < d.day and (out + dt.timedelta(days=1)).day == 1)
