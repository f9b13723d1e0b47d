"""The screen: every intervention in the catalog as eligible, ineligible or undetermined, with
the rules that decided, the case values they read, what is still missing, and availability.

Eligibility (the rules) and availability (status on the date, reach from home) are separate
answers: a withdrawn course someone is eligible for is "eligible" and "withdrawn", never hidden."""

from __future__ import annotations

import datetime as dt
import functools
import weakref
import difflib
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from ..case.model import Case
from ..case.coerce import coerce_case
from ..catalog.load import Catalog, Intervention
from ..catalog.model import StatusOn
from ..case.facts import age_date, case_facts, order_dates
from ..case.needs import disagreements as need_disagreements
from ..rules.explain import Explainer, order_fields
from ..rules.fields import FieldType
from ..rules.loader import Evaluation, Rule, Tri
from ..rules.reference import Knowledge

Decision = Literal["eligible", "ineligible", "undetermined"]
# whether a referral could be made on the date, whatever the eligibility: the status in force, and
# whether the person can get there (another area, or a town out of reach with no outreach and no transport)
Availability = Literal["open", "waiting_list", "suspended", "withdrawn", "not_reachable"]
AVAILABLE: frozenset[str] = frozenset({"open", "waiting_list"})
Outcome = Literal["met", "not_met", "excluded", "not_excluded", "unknown"]


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# The parts of a screen repeated for every intervention are slotted dataclasses, not models: a
# screen has dozens of them, and building them as models cost more than the engine itself. Pydantic
# still serialises them and writes their JSON Schema (Screen is a model), so the JSON is unchanged.


@dataclass(frozen=True, slots=True)
class Reason:
    rule: str
    text: str
    outcome: Outcome
    fields: tuple[str, ...]  # what the rule reads; their values are in Screen.values


class MissingField(_Out):
    field: str  # a case field, e.g. risk.sara_partner: never a derived fact nobody can fill in
    label: str
    # in a case-wide list: how many undetermined results an answer to this field could settle
    settles: int | None = None


WarningCode = Literal[
    "withdrawn", "suspended", "cannot_finish", "order_length_unknown", "not_near_home", "other_area", "home_unknown",
    "unknown_town", "closes", "venue_to_be_confirmed",
    # about the case as a whole
    "unknown_area", "area_mismatch", "mappa_disagrees", "young_adult", "under_18", "order_ended",
    "conviction_date_unknown",
]


@dataclass(frozen=True, slots=True)
class Warning:
    code: WarningCode
    text: str


class AgeAt(_Out):
    """The age the rules used, and the date it was measured on: the conviction (adult or youth is
    decided then), or without a conviction date the latest it can have been (case/facts.py age_date)."""

    years: int
    on: dt.date
    basis: Literal["conviction", "order_start", "reference_date"]


@dataclass(frozen=True, slots=True)
class InterventionResult:
    intervention: str
    name: str
    provider: str
    decision: Decision
    availability: Availability
    # tuples, not lists: most are empty and the empty tuple is one object, which keeps a screen of a
    # large catalog small and its garbage collection short
    reasons: tuple[Reason, ...]
    missing: tuple[MissingField, ...]  # undetermined: the case fields that could settle it, most useful first
    warnings: tuple[Warning, ...]
    # decided although the case does not give these fields: every answer to them gives the same decision
    decided_without: tuple[MissingField, ...] = ()

    @property
    def available(self) -> bool:
        return self.availability in AVAILABLE


# the order people read a screen in: what can be used now first, then what they are eligible for
# but cannot use now (said plainly, not hidden), then what is undecided, then what is ruled out
_GROUP = {("eligible", True): 0, ("eligible", False): 1, ("undetermined", True): 2, ("undetermined", False): 2,
          ("ineligible", True): 3, ("ineligible", False): 3}


class Screen(_Out):
    catalog_version: str
    catalog: str
    on: dt.date
    case_id: str
    age: AgeAt | None = None
    derived: dict[str, Any]  # derived facts that are decided
    # the value of every field a deciding rule reads (null: not given, or not decided), once for all
    # the reasons that read it
    values: dict[str, Any] = {}
    # derived facts still undecided, with the values every answer to the missing fields leaves open
    # (a sum: its lowest and highest value)
    derived_possible: dict[str, list[Any]] = {}
    # ... and the case fields whose answers could settle each of them
    derived_missing: dict[str, list[str]] = {}
    missing: list[MissingField]
    warnings: list[Warning]  # about the case as a whole
    results: list[InterventionResult]

    def result(self, intervention: str) -> InterventionResult:
        for r in self.results:
            if r.intervention == intervention:
                return r
        raise KeyError(intervention)

    def by_decision(self, decision: Decision) -> list[str]:
        return [r.intervention for r in self.results if r.decision == decision]

    def in_reading_order(self) -> list[InterventionResult]:
        """Eligible and available, eligible but unavailable, undetermined, ineligible; ids within each."""
        return sorted(self.results, key=lambda r: (_GROUP[(r.decision, r.available)], r.intervention))


def _label(field: str, registry: dict[str, FieldType]) -> str:
    ft = registry.get(field)
    return ft.label if ft else field


def _outcome(rule: Rule, value: bool | None) -> Outcome:
    if value is None:
        return "unknown"
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
    if whole is False:
        # no single rule fails for sure, but whatever the missing answers are one of these does
        return "ineligible", [r for r, p in zip(rules, passes) if p is None]
    if None in passes and whole is not True:
        return "undetermined", [r for r, p in zip(rules, passes) if p is None]
    return "eligible", list(rules)


# No longer part of the under-18 warning (adult or youth is decided at conviction, so a later order
# start changes nothing); kept while present/proposal_text.py still replaces it.
UNDER_18_RESTART = " If the order will start on or after that day, give its start (sentence.start) and run this again."


@dataclass(frozen=True, slots=True)
class _Decided:
    """One intervention's decision for one combination of its rules' values."""

    decision: Decision
    deciding: tuple[Rule, ...]
    reasons: tuple[Reason, ...]
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


def screen(case: Case, catalog: Catalog | None = None, *, on: dt.date | None = None) -> Screen:
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
    known = {**facts, **ev.derived}
    registry = catalog.rules.registry
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
            open_fields[iid] = frozenset().union(*(why.rule_missing(r.id) for r in d.deciding))
    # one order for every list of missing fields: the field that could settle the most results that
    # could be used (not withdrawn or suspended on the date) first, then the most results
    usable = [fs for iid, fs in open_fields.items() if parts.status(catalog.interventions[iid], on).available]
    order = order_fields(list(open_fields.values()), usable)
    rank = {f: i for i, f in enumerate(order)}
    settles = {f: sum(f in fs for fs in open_fields.values()) for f in order}

    # Built without validating: everything here comes from the catalog and the engine, and checking
    # it again cost more than the engine. Reasons and missing-field entries are the same for every
    # case (a rule's outcome, a field's label) and are shared between results, which keeps kept
    # results small.
    results = []
    read: dict[str, None] = {}
    missing = parts.missing
    for iid, d in decided:
        iv = catalog.interventions[iid]
        availability, warnings = _availability(iv, at, parts.status(iv, on))
        read.update(d.fields)
        if d.decision == "undetermined":
            without: tuple[MissingField, ...] = ()
            gaps = tuple(map(missing, _ordered(open_fields[iid], rank)))
        else:
            gaps = ()
            absent = why.absent(d.cone)
            without = tuple(map(missing, _ordered(absent, rank))) if absent else ()
        results.append(InterventionResult(
            intervention=iid,
            name=iv.name,
            provider=iv.provider,
            decision=d.decision,
            availability=availability,
            reasons=d.reasons,
            missing=gaps,
            decided_without=without,
            warnings=tuple(Warning(w["code"], w["text"]) for w in warnings) if warnings else (),
        ))
    undecided = _undecided(ev)
    age = _age(case, facts, on)
    return Screen.model_construct(
        catalog_version=catalog.version,
        catalog=f"{catalog.info.name} ({catalog.info.edition})",
        on=on,
        case_id=case.id,
        age=AgeAt.model_construct(**age) if age else None,
        derived=dict(sorted(ev.derived.items())),
        values={f: _value(known.get(f)) for f in read},
        derived_possible=undecided,
        derived_missing={d: _ordered(why.field_missing(d), rank) for d in undecided},
        missing=[MissingField.model_construct(field=f, label=_label(f, registry), settles=settles[f]) for f in order],
        warnings=[Warning(w["code"], w["text"]) for w in _case_warnings(case, catalog, ev.derived, age, on)],
        results=results,
    )


def _ordered(fs: frozenset[str], rank: dict[str, int]) -> list[str]:
    if len(fs) == 1:
        return list(fs)
    return sorted(fs, key=lambda f: (rank.get(f, len(rank)), f)) if fs else []


def _value(v: Any) -> Any:
    return list(v) if isinstance(v, tuple) else v


class _Parts:
    """The pieces of a screen that are the same for every case, made once per catalog."""

    def __init__(self, catalog: Catalog):
        self.registry = catalog.rules.registry
        self.rules = catalog.rules.rules
        self.cones = catalog.program.cones
        self.rule_ids = [(iid, tuple(r.id for r in self.rules.get(iid, ()))) for iid in sorted(catalog.interventions)]
        self._decided: dict[tuple[Any, ...], _Decided] = {}
        self._reasons: dict[tuple[str, str], Reason] = {}
        self._missing: dict[str, MissingField] = {}
        self._status: dict[tuple[str, dt.date], StatusOn] = {}

    def reason(self, r: Rule, outcome: Outcome) -> Reason:
        got = self._reasons.get((r.id, outcome))
        if got is None:
            got = self._reasons[(r.id, outcome)] = Reason(r.id, r.text, outcome, r.fields)
        return got

    def decided(self, iid: str, whole: bool | None, values: tuple[bool | None, ...]) -> _Decided:
        """An intervention's decision from its rules' values: the same values give the same decision,
        reasons and fields read in every case, so each combination is worked out once."""
        key = (iid, whole, values)
        got = self._decided.get(key)
        if got is None:
            if len(self._decided) > 200_000:  # bounded, whatever a service screens
                self._decided.clear()
            rules = self.rules.get(iid, ())
            outcomes = {r.id: v for r, v in zip(rules, values)}
            decision, deciding = _decide(rules, outcomes, whole)
            fields: dict[str, None] = {}
            for r in deciding:
                fields.update(dict.fromkeys(r.fields))
            got = self._decided[key] = _Decided(
                decision, tuple(deciding), tuple(self.reason(r, _outcome(r, outcomes[r.id])) for r in deciding),
                fields, frozenset().union(*(self.cones[r.id] for r in deciding)))
        return got

    def status(self, iv: Intervention, on: dt.date) -> StatusOn:
        got = self._status.get((iv.id, on))
        if got is None:
            if len(self._status) > 100_000:  # a service screening every day for years: start again
                self._status.clear()
            got = self._status[(iv.id, on)] = iv.status_on(on)
        return got

    def missing(self, f: str) -> MissingField:
        got = self._missing.get(f)
        if got is None:
            got = self._missing[f] = MissingField.model_construct(field=f, label=_label(f, self.registry))
        return got


_PARTS: weakref.WeakKeyDictionary[Catalog, _Parts] = weakref.WeakKeyDictionary()


def _parts(catalog: Catalog) -> _Parts:
    got = _PARTS.get(catalog)
    if got is None:
        got = _PARTS[catalog] = _Parts(catalog)
    return got


def _undecided(ev: Evaluation) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for d, P in sorted(ev.possible.items()):
        if len(P) > 1:
            out[d] = sorted(P, key=str)
    for d, (lo, hi) in sorted(ev.bounds.items()):
        if lo != hi:
            out[d] = [lo, hi]
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


def _case_warnings(case: Case, catalog: Catalog, derived: dict[str, Any],
                   age: dict[str, Any] | None = None, on: dt.date | None = None) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    dates = order_dates(case, on) if on is not None else None
    if dates is not None and on is not None and dates[1] < on:
        # most often a reference date left at today for an old case: every 'cannot finish' follows
        out.append({"code": "order_ended", "text": f"The order ended on {dates[1].strftime('%d/%m/%Y')}, before the "
                    f"reference date ({on.strftime('%d/%m/%Y')}): check the reference date. Nothing can start and finish "
                    "within an order that has ended."})
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
_YOUTH = ("the sentence is a youth rehabilitation order (Criminal Justice and Immigration Act 2008 s.1), the youth "
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
        return [{"code": "under_18", "text": f"{head}: {_YOUTH}. They turn 18 on {turns}."}]
    out = []
    if on < eighteen:
        out.append({"code": "under_18", "text": f"Under 18 on the reference date ({on.strftime('%d/%m/%Y')}), though convicted "
                    f"on {when} as an adult: an adult order applies. They turn 18 on {turns}."})
    if age["basis"] != "conviction" and age["years"] == 18:
        out.append({"code": "conviction_date_unknown", "text": f"No conviction date given: age is taken on {_WHEN[age['basis']]} "
                    f"({when}), the latest the conviction can have been. They turned 18 on {turns}: if they were convicted "
                    f"before that day, {_YOUTH}. Give the conviction date (offence.conviction_date) to settle it."})
    return out
