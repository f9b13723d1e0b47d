"""Who manages the case (NPS or CRC) and the CRC tier, at sentence and after each recorded event;
escalation to the NPS when a CRC case's risk rises. The values come from the rules (derived facts
`allocation` and `tier`, evaluated by the screen); this module only follows them through time."""

from __future__ import annotations

import datetime as dt

from ..case.model import Case, Event
from ..case.coerce import CaseInput, coerce_case
from ..catalog.load import Catalog
from ..case.events import apply_event, events_until
from .findings import Out
from .screen import MissingField, Screen, screen

_ROSH = {"low": "low", "medium": "medium", "high": "high", "very_high": "very high"}


class TierChange(Out):
    date: dt.date | None  # None: at sentence
    event: str  # "sentence", "breach", "motivation_change", "risk_review"
    tier: str | None
    allocation: str | None
    text: str


class Escalation(Out):
    date: dt.date
    reason: str


class Allocation(Out):
    catalog_version: str
    catalog: str
    on: dt.date
    case_id: str
    allocation: str | None  # nps, crc, or None when it cannot be settled
    reason: str
    tier: str | None
    tier_note: str | None
    escalation: Escalation | None
    warnings: tuple[str, ...] = ()  # where the case contradicts itself (a MAPPA category 1 case at level 0)
    history: tuple[TierChange, ...]
    missing: tuple[MissingField, ...]


def _why(case: Case, allocation: str | None, category_1: bool = False) -> str:
    r = case.risk
    rosh = f"risk of serious harm {_ROSH[r.rosh]}" if r.rosh else "risk of serious harm not given"
    mappa = (f"MAPPA level {r.mappa_level}" if r.mappa_level else "not managed under MAPPA") if r.mappa_level is not None else "MAPPA level not given"
    if allocation == "nps":
        cat1 = "MAPPA category 1 (subject to sex offender notification requirements)"
        parts = [p for p, hit in ((rosh, r.rosh in ("high", "very_high")), (mappa, bool(r.mappa_level)), (cat1, category_1)) if hit]
        return "NPS: " + " and ".join(parts) + "."
    if allocation == "crc":
        return f"CRC: {rosh}, {mappa}."
    return f"Cannot say who manages the case: {rosh}, {mappa}."


def _event_text(e: Event) -> str:
    changes = []
    if e.rosh:
        changes.append(f"risk of serious harm {_ROSH[e.rosh]}")
    if e.ogrs3_2yr is not None:
        changes.append(f"OGRS3 {e.ogrs3_2yr:g}")
    if e.mappa_level is not None:
        changes.append(f"MAPPA level {e.mappa_level}")
    if e.motivation:
        changes.append(f"motivation {e.motivation.replace('_', ' ')}")
    head = {"breach": "Breach", "motivation_change": "Change of motivation", "risk_review": "Risk review"}[e.kind]
    return head + (": " + ", ".join(changes) if changes else "")


def allocate(case: CaseInput, catalog: Catalog | None = None, *, on: dt.date | None = None) -> Allocation:
    """Allocation, tier and any escalation of `case` on `on` (default today)."""
    case = coerce_case(case)  # a Case, a dict or a JSON/YAML string (ratecard.case.coerce)
    from ..catalog.load import default_catalog

    catalog = catalog or default_catalog()
    on = on or dt.date.today()
    current = case
    first: Screen = screen(current, catalog, on=on)
    last = first
    history = [TierChange(date=None, event="sentence", tier=first.derived.get("tier"), allocation=first.derived.get("allocation"),
                          text="At sentence")]
    escalation = None
    for e in events_until(case, on):
        current = apply_event(current, e)
        now = screen(current, catalog, on=on)
        history.append(TierChange(date=e.date, event=e.kind, tier=now.derived.get("tier"),
                                  allocation=now.derived.get("allocation"), text=_event_text(e)))
        if escalation is None and last.derived.get("allocation") == "crc" and now.derived.get("allocation") == "nps":
            escalation = Escalation(date=e.date, reason=(
                f"{_event_text(e)} on {e.date}: a CRC case now meeting the NPS threshold "
                f"({_why(current, 'nps', now.derived.get('mappa_category_1') is True)[5:-1]}) must be escalated (referred) to the NPS."))
        last = now
    allocation = last.derived.get("allocation")
    tier = last.derived.get("tier")
    note = "The tier is the CRC's; for an NPS case it is for information only." if allocation == "nps" and tier else None
    if tier is None and "tier" not in catalog.rules.derived:
        note = "The catalog's rules define no tier."
    wanted = sorted({f for name in ("allocation", "tier") if name in catalog.rules.derived and last.derived.get(name) is None
                     for f in _fields_for(name, current, last, catalog, on)})
    registry = catalog.rules.registry
    return Allocation(
        catalog_version=catalog.version, catalog=first.catalog, on=on, case_id=case.id,
        allocation=allocation, reason=_why(current, allocation, last.derived.get("mappa_category_1") is True),
        tier=tier, tier_note=note, warnings=[w.text for w in last.warnings if w.code == "mappa_disagrees"],
        escalation=escalation, history=history,
        missing=[MissingField(field=f, label=registry[f].label if f in registry else f) for f in wanted],
    )


def _fields_for(derived: str, case: Case, scr: Screen, catalog: Catalog, on: dt.date) -> list[str]:
    return list(scr.derived_missing.get(derived, []))
