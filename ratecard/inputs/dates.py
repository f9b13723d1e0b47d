"""Dates as people write them: 2017-03-01, or 01/03/2017 with the day first (as in the UK).

One reader for every path that takes a date written as text: case files (YAML and JSON), CSV cells,
rows of a batch, and the command line's --on. The US order (month first) is never read: 03/30/2017
is refused as "there is no month 30", and a date whose year is not written in four figures
(30/07/99, 17-03-01) is refused with the form to write, never guessed with a pivot year.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

_ISO = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_UK = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")
# what a date with a short year looks like, so the message can say what to write instead
_SHORT_YEAR = re.compile(r"[0-9]{1,2}[/.-][0-9]{1,2}[/.-][0-9]{1,3}|[0-9]{1,3}-[0-9]{1,2}-[0-9]{1,2}")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")

FORMS = "YYYY-MM-DD (2017-03-01) or DD/MM/YYYY (01/03/2017, day first)"


class DateTextError(ValueError):
    """Text that is not a date ratecard reads; the message says what to write."""


def parse_date(text: str) -> dt.date:
    """The date written in `text` (surrounding spaces allowed). Raises DateTextError."""
    t = text.strip()
    iso = _ISO.fullmatch(t)
    uk = None if iso else _UK.fullmatch(t)
    if iso:
        y, m, d = (int(x) for x in iso.groups())
    elif uk:
        d, m, y = (int(x) for x in uk.groups())
    elif _SHORT_YEAR.fullmatch(t):
        raise DateTextError(f"has a year of fewer than four figures, which could be read more than one way; "
                            f"write the year in full: {FORMS}")
    else:
        raise DateTextError(f"should be a date written {FORMS}")
    if y < 1:
        raise DateTextError("is not a date ratecard can use: the year must be from 1 to 9999")
    if not 1 <= m <= 12:
        hint = " (the month comes second: DD/MM/YYYY)" if uk and 1 <= d <= 12 else ""
        raise DateTextError(f"is not a real date: there is no month {m}{hint}; write {FORMS}")
    days = calendar.monthrange(y, m)[1]
    if not 1 <= d <= days:
        raise DateTextError(f"is not a real date: {_MONTHS[m - 1]} {y} has {days} days; check the day and month")
    return dt.date(y, m, d)
