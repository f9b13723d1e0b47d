"""From a validated case to the flat facts the rules read: dotted paths to typed values.

Absent and null fields are left out, never filled in: the rules treat a missing fact as unknown.
"""

from __future__ import annotations

import calendar
import functools
import datetime as dt
from typing import Any

from pydantic import BaseModel

from .model import RECORDS, Case
from ..errors import CaseError, Problem

Facts = dict[str, Any]


class BeyondCalendar(ValueError):
    """A date computed from a case falls outside years 1 to 9999, which Python's dates cover."""


# pure on (date, months), and a screen asks for the same few (a sentence's start plus its length,
# a programme's weeks from today) again and again
@functools.lru_cache(maxsize=4096)
def add_months(d: dt.date, months: int) -> dt.date:
    """`d` plus whole months; 31 January + 1 month is the last day of February.
    Raises BeyondCalendar past 9999-12-31 (or before year 1)."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        raise BeyondCalendar(f"{d} + {months} months is after 9999-12-31 or before year 1")
    return dt.date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def whole_years(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def whole_months(start: dt.date, end: dt.date) -> int:
    if end <= start:
        return 0
    n = (end.year - start.year) * 12 + end.month - start.month
    if add_months(start, n) > end:
        n -= 1
    return max(n, 0)


def order_dates(case: Case, on: dt.date) -> tuple[dt.date, dt.date] | None:
    """(start, end) of the order; without a start date the order is taken to start on `on`
    (a proposal at court is for an order that starts on the day of sentence)."""
    s = case.sentence
    if s.length_months is None:
        return None
    start = s.start or on
    try:
        return start, add_months(start, s.length_months)
    except BeyondCalendar:
        field = "sentence.start" if s.start is not None else "sentence.length_months"
        began = f"starting on {start}" if s.start is not None else f"taken to start on the reference date {on}"
        raise CaseError([Problem(f"case {case.id}", None, field, (
            f"the order ({s.length_months} month{'s' if s.length_months != 1 else ''}, {began}) would end after 9999-12-31, the last date ratecard can "
            "count to; check the start date, the length and the reference date (--on)"))]) from None


def age_date(case: Case, on: dt.date) -> tuple[dt.date, str]:
    """The date at which age is measured, and why. Adult or youth is decided at conviction (Criminal
    Justice Act 2003 s.177(1); Criminal Justice and Immigration Act 2008 s.1), so the conviction date
    when the case gives one ("conviction"); otherwise the latest the conviction can have been: the
    order start when it is before the reference date ("order_start"), else the reference date
    ("reference_date"), since a pre-sentence report is written after conviction."""
    return age_when(case.offence.conviction_date, case.sentence.start, on)


def age_when(convicted: dt.date | None, start: dt.date | None, on: dt.date) -> tuple[dt.date, str]:
    """age_date from the dates themselves (tables work them out a row at a time)."""
    if convicted is not None:
        return convicted, "conviction"
    return (start, "order_start") if start is not None and start < on else (on, "reference_date")


def _flatten(prefix: str, data: Any, out: Facts) -> None:
    # walks the validated models themselves: dumping them first cost as much as the walk
    for k, v in data.__dict__.items():
        if v is None or (not prefix and k in _SKIP):
            continue
        t = type(v)
        kind = _KIND.get(t)
        if kind is None:
            kind = _KIND[t] = _kind(t)
        if kind is _VALUE:
            out[prefix + k] = v
        elif kind is _MODEL:
            _flatten(f"{prefix}{k}.", v, out)
        elif kind is _LIST:
            out[prefix + k] = tuple(v)
        # a date: rules cannot use dates; age and months_left stand in for them


_VALUE, _MODEL, _LIST, _DATE = "value", "model", "list", "date"
_KIND: dict[type, str] = {}  # what each type of value in a case is, worked out once per type


def _kind(t: type) -> str:
    if issubclass(t, BaseModel):
        return _MODEL
    if issubclass(t, list):
        return _LIST
    return _DATE if issubclass(t, dt.date) else _VALUE


# the case's id and its after-sentence records are not facts the rules read
_SKIP = frozenset({"id", *RECORDS})


# The oldest age a case can give: rules reason over ages 0 to MAX_AGE (rules/fields.py), so a date
# of birth further back is a mistake to correct, never an age to compare.
MAX_AGE = 150


def date_of_birth_problem(born: dt.date, convicted: dt.date | None, start: dt.date | None, on: dt.date) -> str | None:
    """What is wrong with a date of birth at the reference date `on` (with the conviction and the
    order's start, when given), or None. One test for the one-case path and for tables
    (ratecard/case/tables.py)."""
    if born > on:
        return f"is after the reference date {on}; check the date or --on"
    when, basis = age_when(convicted, start, on)
    if born > when:
        field = "offence.conviction_date" if basis == "conviction" else "sentence.start"
        return f"is after the {'conviction' if basis == 'conviction' else 'order start'} {when}; check the date of birth or {field}"
    age = whole_years(born, when)
    if age > MAX_AGE:
        at = {"conviction": "at conviction", "order_start": "when the order starts"}.get(basis, "on the reference date")
        return f"gives an age of {age} {at}, more than {MAX_AGE}; check the date of birth"
    return None


def case_facts(case: Case, on: dt.date) -> Facts:
    """The facts of a case at a reference date, including the computed `age` (at conviction, see
    age_date) and `months_left`."""
    facts: Facts = {}
    _flatten("", case, facts)
    dates = order_dates(case, on)  # an order past the calendar's end is the first thing to correct
    born = case.person.date_of_birth
    if born is not None:
        wrong = date_of_birth_problem(born, case.offence.conviction_date, case.sentence.start, on)
        if wrong is not None:
            raise CaseError([Problem(f"case {case.id}", None, "person.date_of_birth", wrong)])
        when, _ = age_date(case, on)
        facts["age"] = whole_years(born, when)
    if dates is not None:
        start, end = dates
        facts["months_left"] = whole_months(max(start, on), end)
    return facts
