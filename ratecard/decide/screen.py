"""The screen: every intervention in the catalog as eligible, ineligible or undetermined, with
the rules that decided, the case values they read, what is still missing, and availability.

Eligibility (the rules) and availability (status on the date, reach from home) are separate
answers: a withdrawn course someone is eligible for is "eligible" and "withdrawn", never hidden."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import math
import difflib
from dataclasses import dataclass
from typing import Any

from ..case.model import Case
from ..case.coerce import CaseInput, coerce_case
from ..catalog.load import Catalog, Intervention, per_catalog
from ..catalog.model import StatusOn
from ..case.facts import age_date, case_facts, order_dates
from ..case.needs import disagreements as need_disagreements
from ..rules.explain import Explainer, order_fields
from ..rules.fields import FieldType
from ..rules.loader import Evaluation, Rule, Tri
from ..rules.reference import Knowledge
from ..rules.wording import applies_phrase
from .results import (AVAILABLE, AgeAt, Availability, Decision, FrozenDict, InterventionResult, Judgement, MissingField,
                      Outcome, Reason, Screen, ScreenWarning, WarningCode, agreed_text, built, frozen)
from .responsivity import screen_warnings

__all__ = ["AVAILABLE", "AgeAt", "Availability", "Decision", "InterventionResult", "Judgement", "MissingField", "Outcome",
           "Reason", "Screen", "ScreenWarning", "WarningCode", "agreed_text", "decide", "screen"]

# the old name of ScreenWarning (it shadowed the builtin `Warning`); kept for code that imports it
Warning = ScreenWarning  # noqa: A001


def _label(field: str, registry: dict[str, FieldType]) -> str:
    ft = registry.get(field)
    return ft.label if ft else field


def _outcome(rule: Rule, value: bool | None) -> Outcome:
    if value is None:
        return "unknown"
    if rule.judgement:  # its value is whether it applies
        return "to_check" if value else "not_applicable"
    if rule.kind == "criterion":
        return "met" if value else "not_met"
    return "excluded" if value else "not_excluded"


def decide(iid: str, rules: tuple[Rule, ...], ev: Evaluation) -> tuple[Decision, list[Rule]]:
    """An intervention's decision and the rules that made it."""
    return _decide(rules, ev.outcomes, ev.eligibility.get(iid))


def _decide(rules: tuple[Rule, ...], outcomes: dict[str, Tri], whole: Tri) -> tuple[Decision, list[Rule]]:
    passes = [r.passes(outcomes[r.id]) for r in rules]
    if False in passes:
        return "ineligible", [r for r, p in zip(rules, passes) if p is False]
    # what case data leaves open; a judgement waits for a person instead (or, while the case does
    # not say whether it applies, may): the person is eligible if they agree, whatever the answers
    waiting = [p is None and not r.judgement for r, p in zip(rules, passes)]
    if whole is False:
        # no single rule fails for sure, but whatever the missing answers are one of these does
        return "ineligible", [r for r, w in zip(rules, waiting) if w]
    if any(waiting) and whole is not True:
        return "undetermined", [r for r, p in zip(rules, passes) if p is None]
    if None in passes:
        return "eligible_if_agreed", list(rules)
    return "eligible", list(rules)


# No longer part of the under-18 warning (adult or youth is decided at conviction, so a later order
# start changes nothing); kept while present/proposal_text.py still replaces it.
UNDER_18_RESTART = " If the order will start on or after that day, give its start (sentence.start) and run this again."


@dataclass(frozen=True, slots=True, eq=False)
class _Decided:
    """One intervention's decision for one combination of its rules' values."""

    decision: Decision
    deciding: tuple[Rule, ...]
    reasons: tuple[Reason, ...]
    to_check: tuple[Judgement, ...]  # the judgements still open (eligible if agreed, or undetermined)
    if_agreed: str | None  # eligible if agreed: what it waits on, in one sentence
    fields: dict[str, None]  # what the deciding rules read, in order
    cone: frozenset[str]  # every case or computed field they are worked out from


@dataclass(frozen=True)
class _Whereabouts:
    """What availability needs to know of a case, worked out once per case. A town or area the
    catalog does not know counts as not given (the case warning says so): a typo must never read as
    'far from home'."""

    on: dt.date
    weeks_left: float | None
    town: str | None
    home_area: str | None
    has_transport: bool | None

    @classmethod
    def of(cls, case: Case, on: dt.date, catalog: Catalog) -> _Whereabouts:
        dates = order_dates(case, on)
        weeks_left = None if dates is None else (dates[1] - max(dates[0], on)).days / 7
        town = case.person.home_town if case.person.home_town in catalog.towns else None
        area = case.person.area if case.person.area in {a.id for a in catalog.info.areas} else None
        home_area = catalog.towns[town] if town else area
        return cls(on, weeks_left, town, home_area, case.responsivity.has_transport)


def _weeks_text(weeks: float) -> str:
    # rounding 5.9 weeks up to "6" beside a 6-week course reads as if it would fit: round down
    whole = int(weeks)
    return f"{whole} week{'s' if whole != 1 else ''}" + (f" and {round((weeks - whole) * 7)} days" if weeks != whole else "")


def _towns(towns: list[str]) -> str:
    return _towns_text(tuple(towns))


@functools.lru_cache(maxsize=4096)
def _towns_text(towns: tuple[str, ...]) -> str:
    return ", ".join(t.replace("_", " ").title() for t in towns)


def _availability(iv: Intervention, at: _Whereabouts, st: StatusOn | None = None) -> tuple[Availability, list[dict[str, str]]]:
    """Whether a referral could be made on the date, and the warnings that explain it or that do not
    change eligibility but decide whether a referral can work. `st`: the status on the date, if known."""
    out: list[dict[str, str]] = []
    st = st or iv.status_on(at.on)
    availability: Availability = st.state
    if st.state == "withdrawn":
        out.append({"code": "withdrawn", "text": f"Withdrawn since {st.since}: {st.reason}"})
    elif st.state == "suspended":
        back = f" until {st.until}" if st.until else ""
        out.append({"code": "suspended", "text": f"Suspended since {st.since}{back}: {st.reason}" if st.since else
                    f"Not running until {st.until}: {st.reason}"})
    elif st.until is not None and st.then is not None:
        out.append({"code": "closes", "text": f"Open until {st.until}, {st.then} from then: {st.then_reason}"})
    wait = st.waiting_weeks or 0
    if st.available and st.until is not None and st.then is not None and iv.weeks is not None:
        # a course that closes before the person could finish it is no better than one that outlasts the order
        days_left = (st.until - at.on).days + 1
        if (wait + iv.weeks) * 7 > days_left:
            out.append({"code": "cannot_finish", "text": f"Cannot finish before it closes on {st.until}: "
                        + (f"a waiting list of {wait} weeks plus " if wait else "") + f"{iv.weeks} weeks to complete."})
    if st.available and iv.weeks is None and "weeks" in iv.not_given:
        # HMPPS's national catalogue gives no lengths or waits: nothing is invented, and nobody is
        # left to think that fitting the order was checked
        unpublished = "Length and waiting list" if "waiting_weeks" in iv.not_given else "Length"
        out.append({"code": "length_not_given", "text": f"{unpublished} not given in this catalog: ask the provider whether "
                    "it can start and finish before the order ends."})
    if st.available and (iv.weeks is not None or wait):
        if at.weeks_left is None:
            out.append({"code": "order_length_unknown", "text": "Order length not given: cannot check that it can finish in time."})
        elif wait + (iv.weeks or 0) > at.weeks_left:
            parts = (f"a waiting list of {wait} weeks plus " if wait else "") + f"{iv.weeks or 0} weeks to complete"
            out.append({"code": "cannot_finish", "text": f"Cannot finish before the order ends: {parts}, with {_weeks_text(at.weeks_left)} left on the order."})
    town, home_area = at.town, at.home_area
    reachable = True
    if home_area is not None and home_area != iv.area:
        reachable = False
        out.append({"code": "other_area", "text": f"Delivered in {iv.area}, not in the person's area ({home_area})."})
    elif iv.where.assumed and not iv.where.outreach:
        # placeholder towns are no evidence either way: never "not reachable", always to be confirmed
        if not iv.where.towns:  # the catalog gives no venue at all (HMPPS's national catalogue)
            out.append({"code": "venue_to_be_confirmed", "text": "Venue not given in this catalog: check where it runs and that it can be reached."})
        else:
            near = "" if town is None or town in iv.where.towns else f"; check it can be reached from {_towns([town])}"
            out.append({"code": "venue_to_be_confirmed", "text": f"Venue to be confirmed (assumed: {_towns(iv.where.towns)}){near}."})
    elif town is None:
        if not iv.where.outreach:
            out.append({"code": "home_unknown", "text": "Home town not given or not recognised: cannot check that it can be reached."})
    elif town not in iv.where.towns and not iv.where.outreach:
        by = " The case records transport to get there." if at.has_transport is True else ""
        if iv.where.fares_paid:  # reachable by public transport whatever the person has
            by = " Public transport fares are paid, so it can be reached by public transport."
        reachable = at.has_transport is True or iv.where.fares_paid
        out.append({"code": "not_near_home", "text": f"Delivered in {_towns(iv.where.towns)} only, not in {_towns([town])}, and no outreach.{by}"})
    if st.available and not reachable:
        availability = "not_reachable"
    return availability, out


def screen(case: CaseInput, catalog: Catalog | None = None, *, on: dt.date | None = None) -> Screen:
    """Screen one case against every intervention in the catalog (default: the shipped one).

    `on` is the reference date for ages and time left on the order (default: today); the result
    records it so that the same call can be made again and give the same answer.
    """
    case = coerce_case(case)  # a Case, a dict or a JSON/YAML string (ratecard.case.coerce)
    from ..catalog.load import default_catalog

    catalog = catalog or default_catalog()
    on = on or dt.date.today()
    facts = case_facts(case, on)
    ev = catalog.engine.evaluate(facts)
    why = Explainer(catalog.program, Knowledge(facts, ev.possible, ev.bounds))
    at = _Whereabouts.of(case, on, catalog)
    parts = _parts(catalog)
    outcomes, eligibility = ev.outcomes, ev.eligibility
    decided: list[tuple[str, _Decided]] = []
    open_fields: dict[str, frozenset[str]] = {}
    for iid, rids in parts.rule_ids:
        d = parts.decided(iid, eligibility.get(iid), tuple(map(outcomes.__getitem__, rids)))
        decided.append((iid, d))
        if d.decision == "undetermined":
            # what could rule the person in or out; whether a judgement applies is said with it
            open_fields[iid] = frozenset().union(*(why.rule_missing(r.id) for r in d.deciding if not r.judgement))
    # one order for every list of missing fields: the field that could settle the most results that
    # could be used (not withdrawn or suspended on the date) first, then the most results
    if open_fields:
        usable = [fs for iid, fs in open_fields.items() if parts.status(catalog.interventions[iid], on).available]
        order = order_fields(list(open_fields.values()), usable)
    else:
        order = []
    rank = {f: i for i, f in enumerate(order)}

    # Results are built from parts shared between cases: each intervention's decision and reasons
    # once per combination of its rules' values, its availability and warnings once per date and
    # whereabouts, and the whole result once per combination of those and the missing fields. A
    # screen therefore mostly looks up results made for earlier cases (docs/engine.md).
    places = parts.places(at)
    made = parts.made
    results = []
    read: dict[str, None] = {}
    person = screen_warnings(case, catalog)  # responsivity: cached per catalog and answers
    for iid, d in decided:
        read.update(d.fields)
        without: tuple[str, ...]
        if d.decision == "undetermined":
            gaps, without = tuple(_ordered(open_fields[iid], rank)), ()
        else:
            absent = why.absent(d.cone)
            gaps, without = (), tuple(_ordered(absent, rank)) if absent else ()
        place = places[iid]
        r = made.get((d, id(place), gaps, without))
        if r is None:
            r = parts.result(iid, d, place, gaps, without)
        extra = person.get(iid)
        if extra:
            # what in this person stands in the way: rare, so such results are not shared
            r = built(InterventionResult, **{**r.__dict__, "warnings": r.warnings + extra})
        results.append(r)
    undecided = _undecided(ev)
    age = _age(case, facts, on)
    known = ev.derived
    return built(
        Screen,
        catalog_version=catalog.version,
        catalog=parts.title,
        on=on,
        case_id=case.id,
        age=built(AgeAt, **age) if age else None,
        derived=FrozenDict(sorted(known.items())),
        values=FrozenDict({f: frozen(facts[f] if f in facts else known.get(f)) for f in read}),
        derived_possible=FrozenDict(undecided),
        derived_missing=FrozenDict({d: tuple(_ordered(why.field_missing(d), rank)) for d in undecided}),
        missing=tuple(built(MissingField, field=f, label=parts.label(f),
                            settles=sum(f in fs for fs in open_fields.values())) for f in order),
        warnings=tuple(built(ScreenWarning, code=w["code"], text=w["text"])
                       for w in _case_warnings(case, catalog, known, age, on)),
        results=tuple(results),
    )


def _ordered(fs: frozenset[str], rank: dict[str, int]) -> list[str]:
    if len(fs) == 1:
        return list(fs)
    return sorted(fs, key=lambda f: (rank.get(f, len(rank)), f)) if fs else []


class _Parts:
    """The pieces of a screen that are the same for every case, made once per catalog. Every cache
    is bounded: a service screening for years starts a cache again when it grows past its bound."""

    def __init__(self, catalog: Catalog):
        # never the catalog itself: per_catalog holds these weakly keyed by it, and a reference back
        # would keep every dropped catalog (and its durable_rules rulesets) alive
        self.interventions = catalog.interventions
        self.registry = catalog.rules.registry
        self.rules = catalog.rules.rules
        self.cones = catalog.program.cones
        self.title = f"{catalog.info.name} ({catalog.info.edition})"
        self.rule_ids = [(iid, tuple(r.id for r in self.rules.get(iid, ()))) for iid in sorted(catalog.interventions)]
        self._decided: dict[tuple[Any, ...], _Decided] = {}
        self._reasons: dict[tuple[str, str], Reason] = {}
        self._missing: dict[str, MissingField] = {}
        self._status: dict[tuple[str, dt.date], StatusOn] = {}
        self._places: dict[_Whereabouts, dict[str, tuple[Availability, tuple[ScreenWarning, ...]]]] = {}
        self._warnings: dict[tuple[str, str], ScreenWarning] = {}
        self.made: dict[tuple[Any, ...], InterventionResult] = {}

    def judgement(self, r: Rule, applies: bool | None) -> Judgement:
        return built(Judgement, rule=r.id, kind=r.kind, text=r.text, source=r.source or "", by=r.decider,
                     applies=applies, applies_when=applies_phrase(r, self.registry))

    def reason(self, r: Rule, outcome: Outcome) -> Reason:
        got = self._reasons.get((r.id, outcome))
        if got is None:
            got = self._reasons[(r.id, outcome)] = built(Reason, rule=r.id, text=r.text, outcome=outcome, fields=r.fields)
        return got

    def decided(self, iid: str, whole: bool | None, values: tuple[bool | None, ...]) -> _Decided:
        """An intervention's decision from its rules' values: the same values give the same decision,
        reasons and fields read in every case, so each combination is worked out once."""
        key = (iid, whole, values)
        got = self._decided.get(key)
        if got is None:
            if len(self._decided) > 200_000:
                self._decided.clear()
                self.made.clear()  # its keys hold _Decided objects
            rules = self.rules.get(iid, ())
            outcomes = {r.id: v for r, v in zip(rules, values)}
            decision, deciding = _decide(rules, outcomes, whole)
            fields: dict[str, None] = {}
            for r in deciding:
                fields.update(dict.fromkeys(r.fields))
            check = () if decision not in ("eligible_if_agreed", "undetermined") else tuple(
                self.judgement(r, outcomes[r.id]) for r in sorted(deciding, key=lambda r: r.kind != "criterion")
                if r.judgement and outcomes[r.id] is not False)
            # a judgement whose applying is still open is no field "decided without": its answer
            # would change what must be agreed (the result's to_check says when it applies)
            got = self._decided[key] = _Decided(
                decision, tuple(deciding), tuple(self.reason(r, _outcome(r, outcomes[r.id])) for r in deciding),
                check, agreed_text(check) if decision == "eligible_if_agreed" else None, fields, frozenset().union(*(self.cones[r.id] for r in deciding
                                                   if not (r.judgement and outcomes[r.id] is None))))
        return got

    def places(self, at: _Whereabouts) -> dict[str, tuple[Availability, tuple[ScreenWarning, ...]]]:
        """Every intervention's availability and warnings for one date and whereabouts.

        The order's length matters to availability only through "cannot finish before the order
        ends": for a course that fits, the answer is the one for an order of any length, so those
        are shared by every case with the same date, town, area and transport (asked with an
        endless order), and only the courses that do not fit are worked out for this order."""
        got = self._places.get(at)
        if got is not None:
            return got
        # bounded by what they hold: a 2,000-intervention catalog keeps 2,000 places a whereabouts
        if len(self._places) > max(16, 100_000 // max(1, len(self.interventions))):
            self._places.clear()
            self.made.clear()  # its keys hold these
        endless = dataclasses.replace(at, weeks_left=math.inf) if at.weeks_left is not None else at
        shared = self._places.setdefault(endless, {})
        got = {}
        for iid, iv in self.interventions.items():
            st = self.status(iv, at.on)
            fits = at.weeks_left is not None and (st.waiting_weeks or 0) + (iv.weeks or 0) <= at.weeks_left
            place = shared.get(iid) if fits or at.weeks_left is None else None
            if place is None:
                availability, warnings = _availability(iv, endless if fits else at, st)
                place = (availability, tuple(self.warning(w["code"], w["text"]) for w in warnings))
                if fits or at.weeks_left is None:
                    shared[iid] = place
            got[iid] = place
        if at is not endless:
            self._places[at] = got
        return got

    def warning(self, code: str, text: str) -> ScreenWarning:
        got = self._warnings.get((code, text))
        if got is None:
            if len(self._warnings) > 100_000:
                self._warnings.clear()
            got = self._warnings[(code, text)] = built(ScreenWarning, code=code, text=text)
        return got

    def result(self, iid: str, d: _Decided, place: tuple[Availability, tuple[ScreenWarning, ...]],
               gaps: tuple[str, ...], without: tuple[str, ...]) -> InterventionResult:
        if len(self.made) > 50_000:
            self.made.clear()
        iv = self.interventions[iid]
        # keyed by identity: `d` and `place` are the cached objects themselves (their caches clear this one)
        r = self.made[(d, id(place), gaps, without)] = built(
            InterventionResult, intervention=iid, name=iv.name, provider=iv.provider, decision=d.decision,
            availability=place[0], reasons=d.reasons, missing=tuple(map(self.missing, gaps)), warnings=place[1],
            decided_without=tuple(map(self.missing, without)), to_check=d.to_check,
            if_agreed=d.if_agreed)
        return r

    def status(self, iv: Intervention, on: dt.date) -> StatusOn:
        got = self._status.get((iv.id, on))
        if got is None:
            if len(self._status) > 100_000:  # a service screening every day for years: start again
                self._status.clear()
            got = self._status[(iv.id, on)] = iv.status_on(on)
        return got

    def label(self, f: str) -> str:
        return _label(f, self.registry)

    def missing(self, f: str) -> MissingField:
        got = self._missing.get(f)
        if got is None:
            got = self._missing[f] = built(MissingField, field=f, label=_label(f, self.registry), settles=None)
        return got


_parts = per_catalog(_Parts)


def _undecided(ev: Evaluation) -> dict[str, tuple[Any, ...]]:
    out: dict[str, tuple[Any, ...]] = {}
    for d, P in sorted(ev.possible.items()):
        if len(P) > 1:
            out[d] = tuple(sorted(P, key=str))
    for d, (lo, hi) in sorted(ev.bounds.items()):
        if lo != hi:
            out[d] = (lo, hi)
    return out


def _age(case: Case, facts: dict[str, Any], on: dt.date) -> dict[str, Any] | None:
    if "age" not in facts:
        return None
    when, basis = age_date(case, on)
    return {"years": facts["age"], "on": when, "basis": basis}


def _did_you_mean(value: str, known: list[str]) -> str:
    close = [k for k in known if k.startswith(value[:5]) or value.startswith(k[:5])]
    close = list(dict.fromkeys(close + difflib.get_close_matches(value, known, n=3, cutoff=0.6)))[:3]
    return f"Did you mean {' or '.join(close)}? " if close else ""


# a catalog older than this at the reference date is said to be dated
CATALOG_DATED_DAYS = 366


def _case_warnings(case: Case, catalog: Catalog, derived: dict[str, Any],
                   age: dict[str, Any] | None = None, on: dt.date | None = None) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    dates = order_dates(case, on) if on is not None else None
    if dates is not None and on is not None and dates[1] < on:
        # most often a reference date left at today for an old case: every 'cannot finish' follows
        out.append({"code": "order_ended", "text": f"The order ended on {dates[1].strftime('%d/%m/%Y')}, before the "
                    f"reference date ({on.strftime('%d/%m/%Y')}): check the reference date. Nothing can start and finish "
                    "within an order that has ended."})
    if on is not None and (on - catalog.info.as_of).days > CATALOG_DATED_DAYS:
        # most often a reference date left at today with the 2017 catalog: its provision, waiting
        # lists and criteria describe their own time, not the court's
        out.append({"code": "catalog_dated", "text": f"The catalog describes provision as at {catalog.info.as_of:%B %Y}, more "
                    f"than a year before the reference date ({on.strftime('%d/%m/%Y')}): check that the provision, waiting "
                    "lists and criteria still hold, or use a current catalog."})
    dob = case.person.date_of_birth
    if age is not None and dob is not None and on is not None:
        out += _age_warnings(dob, age, on)
    town, area = case.person.home_town, case.person.area
    areas = [a.id for a in catalog.info.areas]
    if any(a.national for a in catalog.info.areas):
        town = area = None  # a national catalog lists no towns: every town and area is within it
    if town is not None and town not in catalog.towns:
        known = sorted(catalog.towns)
        out.append({"code": "unknown_town", "text": f"Home town '{town}' is not a town of any area in the catalog. "
                    f"{_did_you_mean(town, known)}Known towns: {', '.join(known)}. Reachability is not checked until it is corrected."})
    if area is not None and area not in areas:
        out.append({"code": "unknown_area", "text": f"Area '{area}' is not an area in the catalog. {_did_you_mean(area, areas)}"
                    f"Areas: {', '.join(areas)}. "
                    + ("The home town's area is used instead." if town in catalog.towns else "Whether provision is in the person's area is not checked until it is corrected.")})
    elif area is not None and town in catalog.towns and catalog.towns[town] != area:
        out.append({"code": "area_mismatch", "text": f"Home town '{town}' is in {catalog.towns[town]}, but the case gives area '{area}'; "
                    "the home town's area is used. Check which is right."})
    if derived.get("mappa_category_1") is True and case.risk.mappa_level == 0:
        out.append({"code": "mappa_disagrees", "text": "The person is subject to sex offender notification requirements (MAPPA category 1), "
                    "but the case gives MAPPA level 0 (not managed under MAPPA). Every category 1 case is a MAPPA case: "
                    "allocation is NPS. Check the MAPPA level with the MAPPA coordinator."})
    out += need_disagreements(case)  # the case says identified one way and its score the other
    if derived.get("young_adult") is True:
        out.append({"code": "young_adult", "text": "A young adult (18 to 25 when convicted): take maturity into account, "
                    "and plan work the person understands and agrees with."})
    return out



_WHEN = {"order_start": "the order start", "reference_date": "the reference date"}
_YOUTH = ("the sentence is a youth rehabilitation order (section 1 of the Criminal Justice and Immigration Act 2008), the youth "
          "offending team supervises it, and the adult provision in this catalog does not apply")


def _age_warnings(dob: dt.date, age: dict[str, Any], on: dt.date) -> list[dict[str, str]]:
    """Adult or youth is decided at conviction (Criminal Justice Act 2003 s.177(1)): warn of a youth,
    of anyone under 18 on the reference date, and of an adult whose conviction date, not given,
    could have been before the 18th birthday."""
    try:
        eighteen = dob.replace(year=dob.year + 18)
    except ValueError:  # born on 29 February
        eighteen = dt.date(dob.year + 18, 3, 1)
    turns = eighteen.strftime("%d/%m/%Y")
    when = age["on"].strftime("%d/%m/%Y")
    if age["years"] < 18:
        if age["basis"] == "conviction":
            head = f"Under 18 when convicted ({when})"
        else:
            # a pre-sentence report, and an order, come after the conviction: under 18 on the earlier
            # of the two is under 18 when convicted
            head = f"Under 18 on {_WHEN[age['basis']]} ({when}), so under 18 when convicted (no conviction date is given)"
        turned = "turned" if eighteen <= on else "turn"  # tense at the reference date
        return [{"code": "under_18", "text": f"{head}: {_YOUTH}. They {turned} 18 on {turns}."}]
    out = []
    if on < eighteen:
        out.append({"code": "under_18", "text": f"Under 18 on the reference date ({on.strftime('%d/%m/%Y')}), though convicted "
                    f"on {when} as an adult: an adult order applies. They turn 18 on {turns}."})
    if age["basis"] != "conviction" and age["years"] == 18:
        out.append({"code": "conviction_date_unknown", "text": f"No conviction date given: age is taken on {_WHEN[age['basis']]} "
                    f"({when}), the latest the conviction can have been. They turned 18 on {turns}: if they were convicted "
                    f"before that day, {_YOUTH}. Give the conviction date (offence.conviction_date) to settle it."})
    return out
