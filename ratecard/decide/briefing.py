"""The sentencer briefing: one area's provision, grouped by need, built from the catalog and rules.

This module decides what goes in the briefing and in which order; present/briefing.py turns it into
Markdown or HTML through template files. "Who it is for" is generated from the rule trees the
screen runs (rules/wording.py), next to each rule's own sentence, so the two cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict

from ..case.model import NEED_SECTIONS
from ..labels import BASES, EVIDENCE as EVIDENCE_LABELS, KINDS as KIND_LABELS, MODES as MODE_LABELS, NEEDS as NEED_LABELS
from ..catalog.load import Catalog, Intervention
from ..catalog.diff import CatalogDiff, diff_catalogs
from ..rules.conditions import fields_of
from ..errors import RatecardError
from ..rules.wording import applies_phrase, derived_precise, rule_precise


# how each rule's source is named to a sentencer
BASIS_LABELS = BASES
# interventions that meet no need of the person by themselves (a consultation) are listed under this heading
CONSULTATION_GROUP = ("consultation", KIND_LABELS["consultation"])


class BriefingError(RatecardError):
    """An area or town the catalog does not know."""


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RuleLine(_Out):
    id: str
    kind: str  # criterion | exclusion
    text: str  # the rule author's sentence
    precise: str  # generated from the rule's condition tree
    basis: str | None = None  # in words: from the inspection report, from HMPPS criteria, assumption
    # a criterion only a person can decide: the screen reads "eligible if <by> agrees"
    judgement: bool = False
    by: str | None = None  # who decides it (a judgement)


class Term(_Out):
    id: str
    text: str
    precise: str
    basis: str | None = None


class Entry(_Out):
    id: str
    name: str
    provider: str
    kind: str
    content: str
    needs: tuple[str, ...]
    requirement: str
    rar_days: int | None
    sessions: int | None
    hours: float | None
    weeks: int | None
    length: str  # sessions, hours and weeks in words
    delivery: str
    where: str
    evidence_level: str
    evidence: str
    state: str  # on the briefing date
    status: str  # in words, with waiting time or dates and reason
    capacity: str | None  # places a year, in words
    venue_assumed: bool
    criteria: tuple[RuleLine, ...]
    exclusions: tuple[RuleLine, ...]
    illustrative: tuple[str, ...]
    assumptions: tuple[str, ...]
    source: str | None


class NeedGroup(_Out):
    need: str
    label: str
    entries: tuple[Entry, ...]


class Briefing(_Out):
    title: str
    catalog_name: str
    catalog_edition: str
    catalog_version: str
    catalog_as_of: dt.date
    on: dt.date
    area: str
    area_name: str
    town: str | None
    town_name: str | None
    illustrative_note: str | None
    needs: tuple[NeedGroup, ...]
    unavailable: tuple[Entry, ...]
    terms: tuple[Term, ...]
    changes: CatalogDiff | None = None
    # how many listed entries rest on an assumption (an assumed venue, a rule or fact marked so)
    assumed_entries: int = 0

    @property
    def open_entries(self) -> tuple[Entry, ...]:
        seen: dict[str, Entry] = {}
        for g in self.needs:
            for e in g.entries:
                seen.setdefault(e.id, e)
        return tuple(seen.values())


def place_name(identifier: str) -> str:
    return identifier.replace("_", " ").title()


_ILL = " (illustrative)"


def _mark(iv: Intervention, figure: str) -> str:
    return _ILL if figure in iv.illustrative else ""


def _n(value: float | int, unit: str) -> str:
    v = int(value) if float(value).is_integer() else value
    return f"{v} {unit}{'' if v == 1 else 's'}"


def _length(iv: Intervention) -> str:
    parts = []
    if iv.sessions is not None:
        parts.append(_n(iv.sessions, "session") + _mark(iv, "sessions"))
    if iv.hours is not None:
        parts.append(_n(iv.hours, "hour") + _mark(iv, "hours"))
    if iv.weeks is not None:
        parts.append("over " + _n(iv.weeks, "week") + _mark(iv, "weeks"))
    return ", ".join(parts) if parts else "Not stated in the catalog"


def _requirement(iv: Intervention) -> str:
    days = f"{iv.rar_days} RAR day{'s' if iv.rar_days != 1 else ''}{_mark(iv, 'rar_days')}" if iv.rar_days else None
    text = {
        "accredited_programme": "Accredited programme requirement",
        # a catalog that gives no RAR days (HMPPS's national one) says so: never "uses None"
        "rar": f"Rehabilitation activity requirement (RAR): uses {days}" if days else
               "Rehabilitation activity requirement (RAR); RAR days not given in this catalog",
        "drug_rehabilitation": "Drug rehabilitation requirement (DRR)",
        "alcohol_treatment": "Alcohol treatment requirement (ATR)",
        "unpaid_work": "Unpaid work requirement",
        "none": "No requirement needed",
    }[iv.requires]
    if days and iv.requires != "rar":
        text += f"; counts as {days} within a RAR"
    return text


def _where(iv: Intervention) -> str:
    parts = []
    if iv.where.towns:
        parts.append(", ".join(place_name(t) for t in iv.where.towns))
    if iv.where.offices:
        parts.append("at " + "; ".join(iv.where.offices))
    if iv.where.outreach:
        parts.append("outreach to other places in the area")
    text = "; ".join(parts)
    return text + (" (assumption: the source does not say where it runs; venue to be confirmed)" if iv.where.assumed else "")


_STATE_WORDS = {"open": "open", "waiting_list": "open with a waiting list", "suspended": "suspended", "withdrawn": "withdrawn"}


def _status(iv: Intervention, on: dt.date) -> str:
    st = iv.status_on(on)
    if st.state == "open":
        # no waiting list is a fact only when the catalog gives one; otherwise the wait is unknown
        text = "Open; waiting list not published in this catalog" if "waiting_weeks" in iv.not_given else "Open: no waiting list"
    elif st.state == "waiting_list":
        text = f"Open, with a waiting list of about {_n(st.waiting_weeks or 0, 'week')}{_mark(iv, 'waiting_weeks')}"
    else:
        verb = "Withdrawn" if st.state == "withdrawn" else "Suspended"
        if st.since is None:  # before the day it first runs
            return f"Not running until {st.until}: {st.reason}"
        text = f"{verb} since {st.since}" + (f" until {st.until}" if st.until else "") + f": {st.reason}"
        return text
    if st.until is not None and st.then is not None:
        # a dated change ahead: say when it closes, so nobody is referred to what will not run
        return f"Open until {st.until}; {_STATE_WORDS[st.then]} from {st.until + dt.timedelta(days=1)}: {st.then_reason}. {text}"
    declared = iv.status
    if declared.state == "suspended" and declared.until is not None and declared.until < on:
        # open again after a suspension: a sentencer may remember it closed
        return f"{text}. It was suspended from {declared.since} to {declared.until}: {declared.reason}"
    return text


def _capacity(iv: Intervention) -> str | None:
    if iv.capacity is None:
        return None
    return f"About {_n(iv.capacity, 'place')} a year{_mark(iv, 'capacity')}"


def _entry(iv: Intervention, cat: Catalog, on: dt.date) -> Entry:
    reg = cat.rules.registry
    rules = cat.rules.rules.get(iv.id, ())
    lines = [RuleLine(id=r.id, kind=r.kind, text=r.text, precise=_judged(r, reg) if r.judgement else rule_precise(r, reg),
                      basis=BASIS_LABELS[r.basis] if r.basis else None, judgement=r.judgement,
                      by=r.decider if r.judgement else None) for r in rules]
    provider = cat.providers.get(iv.provider)
    # a catalog without these (not_given) says so rather than inventing them (issue 22: worded fully later)
    mode = (MODE_LABELS[iv.delivery.mode] if iv.delivery.mode else "Not given in this catalog") + (", women only" if iv.delivery.women_only else "")
    return Entry(
        id=iv.id,
        name=iv.name,
        provider=provider.name if provider else iv.provider,
        kind=KIND_LABELS[iv.kind],
        content=iv.content,
        needs=[NEED_LABELS[n] for n in iv.needs],
        requirement=_requirement(iv),
        rar_days=iv.rar_days,
        sessions=iv.sessions,
        hours=iv.hours,
        weeks=iv.weeks,
        length=_length(iv),
        delivery=mode,
        where=_where(iv),
        evidence_level=EVIDENCE_LABELS[iv.evidence.level] if iv.evidence else "Not given in this catalog",
        evidence=iv.evidence.summary if iv.evidence else "The catalog gives no evidence summary.",
        state=iv.status_on(on).state,
        status=_status(iv, on),
        capacity=_capacity(iv),
        venue_assumed=iv.where.assumed,
        criteria=[x for x in lines if x.kind == "criterion"],
        exclusions=[x for x in lines if x.kind == "exclusion"],
        illustrative=list(iv.illustrative),
        assumptions=[" ".join(a.split()) for a in iv.assumptions],
        source=iv.source,
    )


def _judged(r: Any, reg: Any) -> str:
    """A judgement in a briefing: who decides it, and when it needs deciding (its text is shown beside)."""
    when = applies_phrase(r, reg)
    what = "agrees that it is met" if r.kind == "criterion" else "finds that it does not rule the person out"
    return (f"Not decided from case data: eligible if {r.decider} {what}" + (f"; needed only if {when}" if when else "") + ".")


def _unavailable_on(iv: Intervention, on: dt.date) -> bool:
    return not iv.status_on(on).available


def _rests_on_assumption(e: Entry) -> bool:
    return e.venue_assumed or bool(e.assumptions) or any(r.basis == BASIS_LABELS["assumption"] for r in e.criteria + e.exclusions)


def _terms(ivs: list[Intervention], cat: Catalog) -> list[Term]:
    """Every derived fact the listed rules rely on, directly or in turn, with its definition."""
    seen: dict[str, None] = {}
    todo = [f for iv in ivs for r in cat.rules.rules.get(iv.id, ()) for f in r.fields]
    while todo:
        f = todo.pop(0)
        if f in seen or f not in cat.rules.derived:
            continue
        seen[f] = None
        todo.extend(cat.rules.derived[f].uses())
    reg = cat.rules.registry
    return [
        Term(id=d, text=" ".join(cat.rules.derived[d].text.split()), precise=derived_precise(cat.rules.derived[d], reg),
             basis=BASIS_LABELS[b] if (b := cat.rules.derived[d].basis) else None)
        for d in sorted(seen)
    ]


def build_briefing(
    catalog: Catalog,
    area: str,
    *,
    town: str | None = None,
    on: dt.date | None = None,
    since: Catalog | dt.date | None = None,
) -> Briefing:
    """The briefing for one area (and, if given, one town in it) on date `on` (default today).

    With `since`, an earlier catalog or a date, the briefing has a section on what changed since
    then: between the earlier catalog (as of its date) and this one on `on`, or in this catalog
    between that date and `on` (statuses have dates: provision is withdrawn or reopens on a day).
    Raises BriefingError for an area or town the catalog does not have.
    """
    on = on or dt.date.today()
    areas = {a.id: a for a in catalog.info.areas}
    if area not in areas:
        raise BriefingError(f"No area '{area}' in the catalog. Areas: {', '.join(areas)}.")
    the_area = areas[area]
    if town is not None and town not in the_area.towns:
        raise BriefingError(f"No town '{town}' in {the_area.name}. Towns: {', '.join(the_area.towns)}.")

    def reachable(iv: Intervention) -> bool:
        return town is None or town in iv.where.towns or iv.where.outreach

    here = [iv for iv in sorted(catalog.interventions.values(), key=lambda i: (i.name.lower(), i.id))
            if iv.area == area and reachable(iv)]
    open_now = [iv for iv in here if not _unavailable_on(iv, on)]
    closed = [iv for iv in here if _unavailable_on(iv, on)]
    entries = {iv.id: _entry(iv, catalog, on) for iv in here}
    groups = [
        NeedGroup(need=n, label=NEED_LABELS[n], entries=[entries[iv.id] for iv in open_now if n in iv.needs])
        for n in NEED_SECTIONS
    ]
    groups.append(NeedGroup(need=CONSULTATION_GROUP[0], label=CONSULTATION_GROUP[1],
                            entries=[entries[iv.id] for iv in open_now if not iv.needs]))
    if isinstance(since, Catalog):
        changes = diff_catalogs(since, catalog, area=area, old_on=since.info.as_of, new_on=on)
    elif since is not None:
        changes = diff_catalogs(catalog, catalog, area=area, old_on=since, new_on=on)
    else:
        changes = None
    title = f"Interventions for sentencers: {the_area.name}" + (f" ({place_name(town)})" if town else "")
    return Briefing(
        title=title,
        catalog_name=catalog.info.name,
        catalog_edition=catalog.info.edition,
        catalog_version=catalog.version,
        catalog_as_of=catalog.info.as_of,
        on=on,
        area=area,
        area_name=the_area.name,
        town=town,
        town_name=place_name(town) if town else None,
        illustrative_note=" ".join(catalog.info.illustrative_note.split()) if catalog.info.illustrative_note else None,
        needs=[g for g in groups if g.entries],
        unavailable=[entries[iv.id] for iv in closed],
        terms=_terms(open_now, catalog),
        changes=changes,
        assumed_entries=sum(1 for e in entries.values() if _rests_on_assumption(e)),
    )
