"""The RAR-day ledger: days used and left, supervision wrongly recorded as RAR days, and whether
the days left can still be delivered before the order ends at the pace so far."""

from __future__ import annotations

import datetime as dt

from ..case.model import Case
from ..catalog.load import Catalog
from ..case.facts import order_dates
from .findings import Finding, Out

DEFAULT_IDLE_WEEKS = 4


class RarLedger(Out):
    rar_days: int | None  # the maximum the court imposed
    days_used: int  # distinct days of rehabilitative activity up to the reference date
    days_left: int | None
    last_activity: dt.date | None
    weeks_left: float | None  # on the order, from the reference date
    flagged: tuple[Finding, ...]  # entries that do not count as RAR days
    warnings: tuple[Finding, ...]
    missing: tuple[str, ...]  # case fields needed to check the pace


def _weeks(a: dt.date, b: dt.date) -> float:
    return round((b - a).days / 7, 1)


def rar_ledger(case: Case, on: dt.date, catalog: Catalog, idle_weeks: int = DEFAULT_IDLE_WEEKS) -> RarLedger | None:
    """The ledger of a case with a RAR (None when the order has no RAR and nothing was recorded)."""
    s = case.sentence
    has_rar = s.rar_days is not None or (s.requirements is not None and "rar" in s.requirements)
    if not has_rar and not case.rar_ledger:
        return None
    flagged: list[Finding] = []
    warnings: list[Finding] = []
    missing: list[str] = []
    days: set[dt.date] = set()
    later = 0
    for e in case.rar_ledger or ():
        if e.date > on:
            later += 1
            continue
        what = f" ({e.intervention})" if e.intervention else ""
        if e.kind == "supervision":
            flagged.append(Finding(code="supervision_as_rar", text=f"{e.date}: a supervision contact{what} recorded as a RAR day; it does not count, only rehabilitative activity does."))
            continue
        iv = catalog.interventions.get(e.intervention) if e.intervention else None
        if iv is not None and iv.requires not in ("rar", "none"):
            flagged.append(Finding(code="not_rar_activity", text=f"{e.date}: {iv.name} is delivered under the {iv.requires.replace('_', ' ')} requirement, not the RAR; it does not count as a RAR day."))
            continue
        days.add(e.date)
    if later:
        warnings.append(Finding(code="after_reference_date", text=f"{later} ledger entr{'ies' if later != 1 else 'y'} dated after {on} not counted."))
    used = len(days)
    last = max(days) if days else None
    left = None
    if s.rar_days is None:
        missing.append("sentence.rar_days")
    else:
        left = max(s.rar_days - used, 0)
        if used > s.rar_days:
            warnings.append(Finding(code="over_rar_days", text=f"{used} RAR days recorded, more than the {s.rar_days} the court imposed."))
    if s.length_months is None:
        missing.append("sentence.length_months")
    if s.start is None:
        missing.append("sentence.start")
    weeks_left = None
    dates = order_dates(case, on) if s.start is not None else None
    if dates is not None:
        start, end = dates
        weeks_left = max(_weeks(on, end), 0.0)
        if left and on >= end:
            warnings.append(Finding(code="order_ended", text=f"The order ended on {end} with {left} RAR days not delivered."))
        elif left:
            elapsed = _weeks(start, on)
            # a pace needs some time to show; before that only the idle check speaks
            # with nothing delivered yet there is no pace: the idle check below speaks instead
            if elapsed >= idle_weeks and used:
                ahead = used / elapsed * weeks_left
                if ahead < left:
                    warnings.append(Finding(code="behind_pace", text=(
                        f"At the pace so far ({used} RAR day{'s' if used != 1 else ''} in {elapsed:.0f} weeks) about "
                        f"{ahead:.0f} more would be delivered before the order ends on {end}; {left} are left, "
                        f"with {weeks_left:.0f} weeks to go.")))
            since = last or start
            idle = _weeks(since, on)
            if idle > idle_weeks:
                what = f"since {last}" if last else f"since the order started on {start}"
                warnings.append(Finding(code="idle", text=f"No RAR activity for {idle:.0f} weeks ({what}); {left} RAR days are left."))
    return RarLedger(rar_days=s.rar_days, days_used=used, days_left=left, last_activity=last, weeks_left=weeks_left,
                     flagged=flagged, warnings=warnings, missing=missing)
