"""The case as it stands on a date: the assessment at sentence with the events recorded since
applied in date order. Allocation, tier and referral checks read this, never the raw case."""

from __future__ import annotations

import datetime as dt

from .model import Case, Event


def events_until(case: Case, on: dt.date) -> list[Event]:
    """Events on or before `on`, oldest first (a stable sort keeps same-day events in file order)."""
    return sorted((e for e in case.events or () if e.date <= on), key=lambda e: e.date)


def apply_event(case: Case, event: Event) -> Case:
    """The case after one event: the values the event carries replace the case's own."""
    risk_update = {
        k: v
        for k, v in (("rosh", event.rosh), ("ogrs3_2yr", event.ogrs3_2yr), ("mappa_level", event.mappa_level))
        if v is not None
    }
    update: dict[str, object] = {}
    if risk_update:
        update["risk"] = case.risk.model_copy(update=risk_update)
    if event.motivation is not None:
        update["motivation"] = event.motivation
    return case.model_copy(update=update) if update else case


def case_on(case: Case, on: dt.date) -> Case:
    """The case with every event up to `on` applied."""
    for e in events_until(case, on):
        case = apply_event(case, e)
    return case
