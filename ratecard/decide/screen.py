"""The screen: every intervention in the catalog as eligible, ineligible or undetermined, with
the rules that decided, the case values they read, what is still missing, and availability.

Eligibility (the rules) and availability (status on the date, reach from home) are separate
answers: a withdrawn course someone is eligible for is "eligible" and "withdrawn", never hidden."""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import functools
import difflib
import gc
import itertools
import operator
from dataclasses import dataclass
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple, TypeVar

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
                      Outcome, Reason, Results, Screen, ScreenWarning, WarningCode, agreed_text, built, built_of, frozen, result_from,
                      results_from)
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


_SERIALS = itertools.count()  # (next() on it is atomic in CPython: threads never share a number)


@dataclass(slots=True, eq=False)
class _Decided:
    """One intervention's decision for one combination of its rules' values."""

    decision: Decision
    deciding: tuple[Rule, ...]
    values: tuple[Tri, ...]  # the deciding rules' values
    fields: tuple[str, ...]  # what the deciding rules read, in order (one tuple for the same fields: _Parts._new_decided)
    cone: frozenset[str]  # every case or computed field they are worked out from
    # one number for each decision made by a process, never reused: a result made from it is found
    # by it (a key of plain values, which the garbage collector stops looking into)
    serial: int
    # what a result's fields listed are found by in a screen (_Making.many): the cone, or for an
    # undetermined result (whose list is the fields that could settle it) no fields
    listed_by: frozenset[str]
    lists_as: str  # which of a result's fields lists them: missing (undetermined) or decided_without
    # what a result says of it, made when a result is first read (_Parts.said): its reasons, the
    # judgements still open (eligible if agreed, or undetermined), and for eligible if agreed what
    # it waits on, in one sentence
    said: tuple[tuple[Reason, ...], tuple[Judgement, ...], str | None] | None = None
    # a result with this decision as a dict of every field, those that depend on the person (the
    # availability, warnings and fields listed) as if they said nothing (_Parts.template)
    template: dict[str, Any] | None = None


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
    change eligibility but decide whether a referral can work. `st`: the status on the date, if known.

    Three parts, each resting on a few facts of the case (a screen caches each by those, _Parts.place):
    the status on the date, whether the order leaves enough weeks, and whether it can be reached."""
    st = st or iv.status_on(at.on)
    out, need, course = _status_part(iv, st, at.on)
    late = _finish_part(need, course, at.weeks_left)
    if late is not None:
        out.append(late)
    reachable, far = _reach_part(iv, at.town, at.home_area, at.has_transport)
    return ("not_reachable" if st.available and not reachable else st.state), out + far


def _status_part(iv: Intervention, st: StatusOn, on: dt.date) -> tuple[list[dict[str, str]], float | None, str]:
    """The warnings of the status on the date, and for a course whose fit to the order is checked,
    the weeks it needs (waiting list and length) and those weeks in words; else None and ""."""
    out: list[dict[str, str]] = []
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
        days_left = (st.until - on).days + 1
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
        return out, wait + (iv.weeks or 0), (f"a waiting list of {wait} weeks plus " if wait else "") + f"{iv.weeks or 0} weeks to complete"
    return out, None, ""


_LENGTH_UNKNOWN = {"code": "order_length_unknown", "text": "Order length not given: cannot check that it can finish in time."}


def _finish_part(need: float | None, course: str, weeks_left: float | None) -> dict[str, str] | None:
    """The warning, if any, that the course (`need` weeks, `course` in words) may not fit the order."""
    if need is None:
        return None
    if weeks_left is None:
        return _LENGTH_UNKNOWN
    if need > weeks_left:
        return {"code": "cannot_finish", "text": f"Cannot finish before the order ends: {course}, with {_weeks_text(weeks_left)} left on the order."}
    return None


def _reach_part(iv: Intervention, town: str | None, home_area: str | None,
                has_transport: bool | None) -> tuple[bool, list[dict[str, str]]]:
    """Whether the person can get there from home, and the warnings that say why or what to check."""
    out: list[dict[str, str]] = []
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
        by = " The case records transport to get there." if has_transport is True else ""
        if iv.where.fares_paid:  # reachable by public transport whatever the person has
            by = " Public transport fares are paid, so it can be reached by public transport."
        reachable = has_transport is True or iv.where.fares_paid
        out.append({"code": "not_near_home", "text": f"Delivered in {_towns(iv.where.towns)} only, not in {_towns([town])}, and no outreach.{by}"})
    return reachable, out


def screen(case: CaseInput, catalog: Catalog | None = None, *, on: dt.date | None = None) -> Screen:
    """Screen one case against every intervention in the catalog (default: the shipped one).

    `on` is the reference date for ages and time left on the order (default: today); the result
    records it so that the same call can be made again and give the same answer.
    """
    return _paused(_screen, case, catalog, on)


def _screen(case: CaseInput, catalog: Catalog | None, on: dt.date | None) -> Screen:
    case = coerce_case(case)  # a Case, a dict or a JSON/YAML string (ratecard.case.coerce)
    from ..catalog.load import default_catalog

    catalog = catalog or default_catalog()
    on = on or dt.date.today()
    facts = case_facts(case, on)
    ev = catalog.engine.evaluate(facts)
    why = Explainer(catalog.program, Knowledge(facts, ev.possible, ev.bounds))
    at = _Whereabouts.of(case, on, catalog)
    parts = _parts(catalog)
    decided = parts.decide_all(ev.outcomes, ev.eligibility)
    # what could rule the person in or out of each undetermined result; whether a judgement
    # applies is said with it
    open_fields = {i: frozenset().union(*(why.rule_missing(r.id) for r in d.deciding if not r.judgement))
                   for i, d in enumerate(decided) if d.decision == "undetermined"}
    # one order for every list of missing fields: the field that could settle the most results that
    # could be used (not withdrawn or suspended on the date) first, then the most results
    if open_fields:
        usable = [fs for i, fs in open_fields.items() if parts.status(parts.ids[i], on).available]
        order = order_fields(list(open_fields.values()), usable)
    else:
        order = []
    rank = {f: i for i, f in enumerate(order)}
    # what the deciding rules read, in the results' order
    # (each decision's fields are one tuple for the same fields: the few distinct ones are read)
    read = dict.fromkeys(itertools.chain.from_iterable(dict.fromkeys(map(_FIELDS, decided))))
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
        # each result is made when it is first read (a large catalog's screen is mostly not read
        # whole), from the parts worked out above and the pieces shared between cases
        results=Results(parts.ids, making := _Making(parts, decided, at, why, rank, open_fields,
                                                     screen_warnings(case, catalog)), making.decisions, making.many),
    )


class _Template:
    """Whose instances' dicts are a result's template (_Parts.template): dicts of one class's
    instances share one table of keys, so each result's copy of its template carries only its
    values (a third less memory a result, and less for the collector to walk)."""

    intervention: str
    name: str
    provider: str
    decision: Decision
    availability: Availability | None
    reasons: tuple[Reason, ...]
    missing: tuple[MissingField, ...]
    warnings: tuple[ScreenWarning, ...]
    decided_without: tuple[MissingField, ...]
    to_check: tuple[Judgement, ...]
    if_agreed: str | None


def _ordered(fs: frozenset[str], rank: dict[str, int]) -> list[str]:
    if len(fs) == 1:
        return list(fs)
    return sorted(fs, key=lambda f: (rank.get(f, len(rank)), f)) if fs else []


class _Kept(dict[Any, Any]):
    """A dict that makes a value it lacks, `make(key)`, and keeps it: found in one C call when there."""

    __slots__ = ("make",)
    make: Callable[[Any], Any]

    @classmethod
    def of(cls, make: Callable[[Any], Any]) -> _Kept:
        got = cls()
        got.make = make
        return got

    def __missing__(self, key: Any) -> Any:
        got = self[key] = self.make(key)
        return got

_NO_CONE: frozenset[str] = frozenset()
_T = TypeVar("_T")


def _paused(make: Callable[..., _T], *args: Any) -> _T:
    """make(*args) with the cyclic collector paused. A screen (and a build of its results) makes
    thousands of container objects, few in cycles: most die with the screen, its results outlive it.
    Run, the young collections they set off (one every 700 new objects) free next to nothing and
    move the survivors on to the older generations, whose collections walk them again, and a full
    collection then walks the catalog too (2,000 interventions: a fifth of a screen's instructions
    went to the collector). Paused, what died is gone before the collector looks, and the one young
    collection after resuming sees only what is left. A cycle made meanwhile waits only until then.
    The switch is the process's: another thread's collections wait too while one screen runs (a
    delay, nothing lost), and a screen that finds it already off (another screen's pause, or the
    application's own gc.disable()) leaves it as it is: whoever switched it off switches it on.
    (Two screens in threads can still end one's pause while the other runs: it only collects.)
    The collection owed is set off on resuming: left to the next new object, a loop of screens that
    makes none between them would never collect. It is set off by making one (a set: sets have no
    free list, so a new one always counts), which lets the collector choose the generations as it
    always does: a gc.collect(n) here could not, lacking its check of how much of the oldest
    generation is new before it walks the whole heap."""
    if not gc.isenabled():
        return make(*args)
    gc.disable()
    try:
        return make(*args)
    finally:
        gc.enable()
        set()


# decisions kept by each catalog's _Parts, shared among its interventions: each keeps its share (at
# least 64), and starts again when it has more
DECIDED_BOUND = 200_000
# results kept for reuse by each catalog's _Parts (about 1 KB each beyond what they share: a
# 2,000-intervention catalog's screen makes 2,000, the default catalog's under 100)
MADE_BOUND = 50_000
# ... but only while they are found again: a screen of a large catalog, whose results seldom recur
# (a 2,000-intervention catalog's cases found under 1 in 10), pays for the keys, the look-ups and
# the kept results (which the cyclic collector walks) and gets little back. The cache is judged
# every REUSE_WINDOW look-ups: kept while at least 1 in REUSE_HITS of them found a result, else
# used by 1 screen in REUSE_SAMPLE only, which tells when results recur again
REUSE_WINDOW = 20_000
REUSE_HITS = 4
REUSE_SAMPLE = 16
# fewer results than this to make are made one by one (_Making.one), more a field at a time (_Making.build)
FEW = 48


@dataclass(frozen=True, slots=True)
class _Making:
    """What one screen needs to make its results when they are read."""

    parts: _Parts
    decided: list[_Decided]  # in the order of parts.ids
    at: _Whereabouts
    why: Explainer
    rank: dict[str, int]  # the screen's order of missing fields
    open_fields: dict[int, frozenset[str]]  # undetermined results (by position): the fields that could settle them
    person: dict[str, tuple[ScreenWarning, ...]]  # responsivity: what in this person stands in the way
    # a set of fields as the screen lists them (in its order, as MissingFields): many results of
    # one screen name the same set (every result whose rules read the same fields)
    listed: dict[frozenset[str], tuple[MissingField, ...]] = dataclasses.field(default_factory=dict)
    # the fields a decided result was decided without, by the fields its deciding rules rest on
    # (an undetermined one's by no fields: none), found when the screen is first read (many())
    without: _Kept = dataclasses.field(default_factory=_Kept)
    # said(): the fit to the order by the weeks a course needs, and the reach by area outside the
    # person's area
    fits: dict[tuple[float, str], tuple[ScreenWarning, ...]] = dataclasses.field(default_factory=dict)
    far: dict[str, tuple[bool, tuple[ScreenWarning, ...]]] = dataclasses.field(default_factory=dict)

    def __call__(self, i: int) -> InterventionResult:
        return self.many((i,))[0]

    def many(self, indices: Iterable[int]) -> list[InterventionResult]:
        """The results for the interventions at `indices`. The same result recurs across cases (and
        screens): it is found by what it is made from, most of it already shared (the decision, the
        fields listed, the person's warnings) and the few facts availability rests on (the date,
        whether the course fits the order, where the person lives: _Parts.place), so a result that
        recurs is one shared, immutable object, made once.

        Reading a large catalog's screen whole is most of what a caller that shows it pays, so what
        finds a result is worked out a column at a time (C loops: map, zip), and only a result not
        made before is worked out one by one: its decision's template (_Parts.template: everything
        that does not depend on the person) with the person's few fields put in."""
        parts, at, decided = self.parts, self.at, self.decided
        at_ = indices if isinstance(indices, list) else list(indices)
        # every position, in order (Results reads a screen whole so); a reordered whole list is not
        whole = len(at_) == len(decided) and at_ == list(range(len(decided)))
        ds = decided if whole else [decided[i] for i in at_]
        on, wl, home = at.on, at.weeks_left, at.home_area
        # what each result lists: the fields a decided one was decided without (by the fields its
        # decision rests on, its cone, once a screen), the fields that could settle an undetermined one
        without = self.without
        if not without:  # first read
            # (made by a function of the parts it needs, never a method of this _Making: a dict
            # that held one would hold the _Making, a cycle keeping each screen alive until the
            # cyclic collector finds it)
            without.make = functools.partial(_decided_without, self.why, self.parts, self.rank, self.listed)
            without[_NO_CONE] = ()
        lists = list(map(without.__getitem__, map(_LISTED_BY, ds)))
        open_fields = self.open_fields
        for j in ([j for j, i in enumerate(at_) if i in open_fields] if not whole else open_fields):
            lists[j] = self.fields(open_fields[at_[j]])
        areas = parts.areas if whole else [parts.areas[i] for i in at_]
        # how each course fits the order (_finish_part): one that does not fit says by how much
        # (every course fits an order with more weeks left than the longest needs)
        day_of = parts.day(on)
        needs = day_of.needs if whole else [day_of.needs[i] for i in at_]
        fits: Any = (None if wl is not None and wl >= day_of.longest else
                     [None if need is None else "unknown" for need in needs] if wl is None else
                     [wl if need is not None and need > wl else None for need in needs])
        ids = parts.ids if whole else [parts.ids[i] for i in at_]
        ps = day_of.placing if whole else [day_of.placing[i] for i in at_]
        person = self.person
        if not parts.reuse():
            return _paused(self.build, range(len(at_)), at_, ds, areas, ids, fits, lists, ps, whole)
        made = parts.made
        # where the person lives with the date: outside their area only the area matters
        # (_Parts.reach_part), inside it the town and transport; strings, whose hash is kept
        day = on.toordinal()
        outside, inside = f"{day}\0{home!r}", f"{day}\0{at.town!r}\0{at.has_transport!r}"
        where_of = dict.fromkeys(parts.area_names, inside if home is None else outside)
        if home in where_of:
            where_of[home] = inside
        wheres = list(map(where_of.__getitem__, areas))
        # the person's warnings by their id: each tuple is one object for the same answers
        # (responsivity.screen_warnings), and the catalog's parts hold every such dict, so no other
        # object can take the id of one while a result found by it is kept (responsivity's own table
        # of warnings holds each dict too, so another thread clearing `persons` meanwhile frees none)
        if id(person) not in parts.persons:
            if len(parts.persons) > 10_000:  # (answers combine in at most 729 ways a catalog)
                parts.persons.clear()
                made.clear()
            parts.persons[id(person)] = person
        # the decision (by its serial number) is one intervention's (_Parts.decided), so it stands
        # for the intervention too; the list of fields by its id: one tuple for the same fields
        # (_Parts.listed), and the result holds it, so no other object can take its id while the
        # result is kept
        keys = list(zip(map(_SERIAL, ds), wheres, itertools.repeat(None) if fits is None else fits,
                        map(id, map(person.get, ids)), map(id, lists)))
        out = list(map(made.get, keys))
        # (a result is true, having no __bool__ or __len__; never `None in out`, which would compare
        # each result with None by pydantic's __eq__, in Python)
        new = list(itertools.compress(range(len(out)), map(operator.is_, out, itertools.repeat(None))))
        parts.reused(len(out), len(out) - len(new))
        if new:
            if len(made) > MADE_BOUND:
                made.clear()
            for j, r in zip(new, _paused(self.build, new, at_, ds, areas, ids, fits, lists, ps, whole and len(new) == len(at_))):
                out[j] = made[keys[j]] = r
        return out  # type: ignore[return-value]

    def build(self, js: range | list[int], at_: list[int], ds: list[_Decided], areas: Sequence[str], ids: Sequence[str],
              fits: list[Any] | None, lists: list[tuple[MissingField, ...]],
              ps: Sequence[tuple[Availability, Availability, tuple[ScreenWarning, ...], float | None, str]],
              whole: bool = False) -> list[InterventionResult]:
        """The results at positions js of many()'s columns: each its decision's template
        (_Parts.template: everything that does not depend on the person) with the person's few
        fields put in, each field worked out for every result at once (C loops where they can be).
        `whole`: js and the columns are every intervention's, in the order of ids."""
        parts, at = self.parts, self.at
        if len(js) < FEW:  # a few (a result read alone, those a screen of a small catalog has not made before)
            return [self.one(at_[j], ds[j], None if fits is None else fits[j], lists[j], ids[j], ps[j]) for j in js]
        if len(js) != len(at_):  # some of the positions: their columns
            at_, ds, areas, ids, lists, ps = ([col[j] for j in js] for col in (at_, ds, areas, ids, lists, ps))  # type: ignore[assignment]
            fits = None if fits is None else [fits[j] for j in js]
        temps = list(map(_TEMPLATE, ds))
        for k in itertools.compress(range(len(temps)), map(operator.is_, temps, itertools.repeat(None))):
            temps[k] = parts.template(at_[k], ds[k])
        # the reach: outside the person's area one of each area's interventions stands for the
        # area (_Parts.first_in), inside it (or with no area known) each intervention's own
        home = at.home_area
        reaches: list[Any]
        if home is not None and whole:
            # every result: outside the person's area the availability and the warnings (of the
            # status, then of the reach) are the same for everyone in that area on that day, kept
            # as two columns; only the person's own area's are worked out
            availability, warnings, reaches, inside = parts.outside(at.on, home, at)
            availability, warnings, reaches = availability.copy(), warnings.copy(), reaches.copy()
            for k in inside:
                p = ps[k]
                r = reaches[k] = parts.reach_part(parts.interventions[ids[k]], at)
                availability[k] = p[not r[0]]
                warnings[k] = p[2] + r[1] if p[2] else r[1]
        else:
            if home is None or len(ids) < 2 * len(parts.first_in):
                reaches = [parts.reach_part(parts.interventions[iid], at) for iid in ids]
            else:
                far = {a: parts.reach_part(iv, at) for a, iv in parts.first_in.items() if a != home}
                reaches = list(map(far.get, areas))
                for k in itertools.compress(range(len(reaches)), map(operator.is_, reaches, itertools.repeat(None))):
                    reaches[k] = parts.reach_part(parts.interventions[ids[k]], at)
            availability = [p[not r[0]] for p, r in zip(ps, reaches)]
            warnings = [p[2] + r[1] if p[2] else r[1] for p, r in zip(ps, reaches)]
        if fits is not None:  # a course that does not fit the order (or an order of unknown length)
            late = self.fit
            for k in itertools.compress(range(len(fits)), map(operator.is_not, fits, itertools.repeat(None))):
                p = ps[k]  # its warnings in order: the status's, the fit's, the reach's
                warnings[k] = p[2] + late(p[3], p[4]) + reaches[k][1]  # type: ignore[arg-type]
        person = self.person
        if person:  # what in the person stands in the way (of the few it names)
            for k in itertools.compress(range(len(ids)), map(person.get, ids)):
                warnings[k] = warnings[k] + person[ids[k]]
        # each a copy of its template with the person's fields put in (the template's own values
        # for those are empty, so an empty one put in leaves the result as the template has it)
        values = list(map(dict.copy, temps))
        _consume(map(operator.setitem, values, itertools.repeat("availability"), availability))
        _consume(map(operator.setitem, values, itertools.repeat("warnings"), warnings))
        _consume(map(operator.setitem, values, map(_LISTS_AS, ds), lists))
        return results_from(values)

    def one(self, i: int, d: _Decided, fit: Any, listed: tuple[MissingField, ...], iid: str,
            placing: tuple[Availability, Availability, tuple[ScreenWarning, ...], float | None, str]) -> InterventionResult:
        """build() for one result, a field at a time: for a few, the columns' C loops cost more
        than they save."""
        parts = self.parts
        state, unreachable, warnings, need, course = placing
        if fit is not None:
            assert need is not None
            warnings = warnings + self.fit(need, course)
        reach = parts.reach_part(parts.interventions[iid], self.at)
        if reach[1]:
            warnings = warnings + reach[1] if warnings else reach[1]
        extra = self.person.get(iid)
        if extra:
            warnings = warnings + extra if warnings else extra
        values = (d.template or parts.template(i, d)).copy()
        values["availability"] = state if reach[0] else unreachable
        if warnings:
            values["warnings"] = warnings
        if listed:
            values[d.lists_as] = listed
        return result_from(values)

    def decisions(self) -> list[Decision]:
        return [d.decision for d in self.decided]

    def said(self, i: int) -> Said:
        """What result i says of its decision and availability, without making the result (Results.said).
        A reader of many (a proposal) reads them one by one: the status part is the date's
        (_Parts.day), the fit to the order found once a screen for each length, and outside the
        person's area the reach once a screen for each area (as _Parts.placed gives them)."""
        parts, d, at = self.parts, self.decided[i], self.at
        iid = parts.ids[i]
        state, unreachable, placed, need, course = parts.day(at.on).placing[i]
        late = () if need is None else self.fit(need, course)
        area, home = parts.areas[i], at.home_area
        if home is not None and area != home:
            reach = self.far.get(area)
            if reach is None:
                reach = self.far[area] = parts.reach_part(parts.interventions[iid], at)
        else:
            reach = parts.reach_part(parts.interventions[iid], at)
        reasons, to_check, _ = parts.said(d)
        # (Said's own __new__ is a Python function around this)
        return _NEW_TUPLE(Said, (iid, d.decision, reasons, self.fields(self.open_fields[i]) if d.decision == "undetermined" else (),
                                 to_check, state if reach[0] else unreachable, placed, late, reach[1], self.person.get(iid, ())))

    def fit(self, need: float, course: str) -> tuple[ScreenWarning, ...]:
        """The warning, if any, that a course needing `need` weeks (`course` in words) does not fit
        this case's order, or that the order's length is not given (_finish_part), found once a
        screen for each length."""
        got = self.fits.get((need, course))
        if got is None:
            found = _finish_part(need, course, self.at.weeks_left)
            got = self.fits[(need, course)] = () if found is None else (self.parts.warning(found["code"], found["text"]),)
        return got

    def decision(self, i: int) -> tuple[Decision, tuple[Reason, ...]]:
        """Result i's decision and reasons alone (Results.decision)."""
        d = self.decided[i]
        return d.decision, self.parts.said(d)[0]

    def fields(self, fs: frozenset[str]) -> tuple[MissingField, ...]:
        return _fields(self.parts, self.rank, self.listed, fs)


def _fields(parts: _Parts, rank: dict[str, int], listed: dict[frozenset[str], tuple[MissingField, ...]],
            fs: frozenset[str]) -> tuple[MissingField, ...]:
    """A set of fields as a screen lists them (_Making.fields)."""
    if not fs:
        return ()
    got = listed.get(fs)
    if got is None:
        got = listed[fs] = parts.listed(tuple(_ordered(fs, rank)))
    return got


def _decided_without(why: Explainer, parts: _Parts, rank: dict[str, int],
                     listed: dict[frozenset[str], tuple[MissingField, ...]], cone: frozenset[str]) -> tuple[MissingField, ...]:
    """The fields a decision resting on `cone` was made without, as a screen lists them."""
    return _fields(parts, rank, listed, why.absent(cone))


class Said(NamedTuple):
    """What one result says, read without making it (Results.said): its decision, reasons, missing
    fields, judgements and availability, and its warnings in their parts; the fields decided without
    are not worked out. For a reader of many results that needs no InterventionResult (a proposal).
    The warning parts are shared between cases: `placed` by intervention and date (the status),
    `far` by where the person lives (reach), `extra` by what in the person stands in the way; `late`
    (whether it fits the order) is the case's own."""

    intervention: str
    decision: Decision
    reasons: tuple[Reason, ...]
    missing: tuple[MissingField, ...]
    to_check: tuple[Judgement, ...]
    availability: Availability
    placed: tuple[ScreenWarning, ...]
    late: tuple[ScreenWarning, ...]
    far: tuple[ScreenWarning, ...]
    extra: tuple[ScreenWarning, ...]

    @property
    def warnings(self) -> tuple[ScreenWarning, ...]:
        """The result's warnings, as InterventionResult.warnings gives them."""
        return self.placed + self.late + self.far + self.extra


class _Day(NamedTuple):
    """Every intervention's status part on one date, in the order of ids (_Parts.day)."""

    # its availability when it can be reached and when it cannot, the status's warnings, and the
    # weeks it needs to finish with those weeks in words
    placing: list[tuple[Availability, Availability, tuple[ScreenWarning, ...], float | None, str]]
    needs: list[float | None]  # the weeks each needs (placing's fourth part)
    longest: float  # the most weeks any needs (0 if none says)


_FIELDS = operator.attrgetter("fields")
_SERIAL = operator.attrgetter("serial")
_LISTED_BY = operator.attrgetter("listed_by")
_TEMPLATE = operator.attrgetter("template")
_LISTS_AS = operator.attrgetter("lists_as")
_NEW_TUPLE = tuple.__new__
_consume: Callable[[Iterable[Any]], None] = collections.deque(maxlen=0).extend  # runs an iterator through, keeping nothing
_RULE_ID = operator.attrgetter("id")


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
        self.ids = tuple(sorted(catalog.interventions))
        self.heads = [(iid, catalog.interventions[iid].name, catalog.interventions[iid].provider) for iid in self.ids]
        # every intervention's rules' values read from the engine's outcomes in one C call, in the
        # order of ids and of each one's rules, then cut into each one's by a slice: one tuple each,
        # the key of its decisions (with, for an intervention the engine also decides whole, that
        # answer last)
        rids = [tuple(r.id for r in self.rules.get(iid, ())) for iid in self.ids]
        flat = [r for rs in rids for r in rs]
        self._values_of: Callable[[dict[str, Tri]], tuple[Tri, ...]] = (
            operator.itemgetter(*flat) if len(flat) > 1 else (lambda o: tuple(map(o.__getitem__, flat))))
        ends = list(itertools.accumulate(map(len, rids)))
        self._slices = [slice(e - len(rs), e) for e, rs in zip(ends, rids)]
        self._whole_at = [(i, iid) for i, iid in enumerate(self.ids) if iid in catalog.program.eligibility]
        # each intervention's decisions by that key: one small dict each, which a case's look-up
        # finds by position (a key without the intervention's id is shorter to hash and compare)
        self._decided: list[dict[tuple[Tri, ...], _Decided]] = [{} for _ in self.ids]
        self._same_bound = DECIDED_BOUND
        self._decided_bound = max(64, DECIDED_BOUND // max(len(self.ids), 1))
        self._same: dict[tuple[Any, ...], _Decided] = {}
        self._cones: dict[Any, Any] = {}
        # a rule's reason by the rule's id and value (said): as many as three a rule
        self._rule_of = {r.id: r for rs in self.rules.values() for r in rs}
        self._reason_of = _Kept.of(self._reason_by_value)
        self._missing: dict[str, MissingField] = {}
        self._status: dict[tuple[str, dt.date], tuple[StatusOn, tuple[ScreenWarning, ...], float | None, str]] = {}
        self._reach: dict[tuple[Any, ...], tuple[bool, tuple[ScreenWarning, ...]]] = {}
        self._warnings: dict[tuple[str, str], ScreenWarning] = {}
        self.areas = [catalog.interventions[iid].area for iid in self.ids]
        self.area_names = frozenset(self.areas)
        self._days: dict[dt.date, _Day] = {}
        # _Parts.outside's columns by date and the person's area
        self._outside: dict[tuple[dt.date, str], tuple[list[Any], list[Any], list[Any], list[int]]] = {}
        # every result made, by what it is made from (_Making.many); and every list of fields a
        # result names, one tuple for each
        self.made: dict[tuple[Any, ...], InterventionResult] = {}
        # every dict of a person's warnings a result was found by (by its id): held, so that no other
        # dict or tuple takes their ids while results found by them are kept
        self.persons: dict[int, dict[str, tuple[ScreenWarning, ...]]] = {}
        self._listed: dict[tuple[str, ...], tuple[MissingField, ...]] = {}
        # whether made is used (reuse), and the look-ups and hits counted since it was last judged
        self.reusing = True
        self._lookups = self._hits = self._screens = 0
        # one intervention of each area: outside the person's area, its reach is every one's there
        self.first_in = {iv.area: iv for iv in map(catalog.interventions.__getitem__, reversed(self.ids))}

    def reuse(self) -> bool:
        """Whether a screen looks its results up in `made` (and keeps those it makes there)."""
        if self.reusing:
            return True
        self._screens += 1
        return self._screens % REUSE_SAMPLE == 0

    def reused(self, lookups: int, hits: int) -> None:
        """Count a screen's look-ups in `made` and how many found a result; judge every REUSE_WINDOW.
        (Threads may lose a count to each other: it only moves the judging.)"""
        self._lookups += lookups
        self._hits += hits
        if self._lookups >= REUSE_WINDOW:
            self.reusing = self._hits * REUSE_HITS >= self._lookups
            self._lookups = self._hits = 0

    def judgement(self, r: Rule, applies: bool | None) -> Judgement:
        return built(Judgement, rule=r.id, kind=r.kind, text=r.text, source=r.source or "", by=r.decider,
                     applies=applies, applies_when=applies_phrase(r, self.registry))

    def decide_all(self, outcomes: dict[str, Tri], eligibility: dict[str, Tri]) -> list[_Decided]:
        """Every intervention's decision (in the order of `ids`) from the engine's values of the rules."""
        flat = self._values_of(outcomes)
        keys = list(map(flat.__getitem__, self._slices))
        whole = eligibility.get
        for i, iid in self._whole_at:
            keys[i] += (whole(iid),)
        got = list(map(dict.get, self._decided, keys))
        if None in got:
            for i, d in enumerate(got):
                if d is None:
                    got[i] = self.decided(i, keys[i])
        return got  # type: ignore[return-value]

    def decided(self, i: int, key: tuple[Tri, ...]) -> _Decided:
        """Intervention i's decision from its rules' values (`key`: decide_all's): the same values
        give the same decision, reasons and fields read in every case, so each combination is worked
        out once. Many combinations differ only in rules that decide nothing (a course someone fails
        by its area fails them whatever its other rules say): those share one _Decided, found by the
        decision and the deciding rules' values."""
        kept = self._decided[i]
        got = kept.get(key)
        if got is None:
            if len(kept) >= self._decided_bound:
                kept.clear()
            if len(self._same) > self._same_bound:
                # every intervention's too: a decision kept by its values but no longer shared would
                # be made again, as another object with a template of its own
                self._same.clear()
                for each in self._decided:
                    each.clear()
            iid = self.ids[i]
            rules = self.rules.get(iid, ())
            # (the engine's answer for the whole intervention, when it gives one, follows its rules' values)
            values, whole = key[:len(rules)], key[len(rules)] if len(key) > len(rules) else None
            outcomes = {r.id: v for r, v in zip(rules, values)}
            decision, deciding = _decide(rules, outcomes, whole)
            same = (iid, decision, tuple((r.id, outcomes[r.id]) for r in deciding))
            got = self._same.get(same)
            if got is None:
                got = self._same[same] = self._new_decided(decision, deciding, outcomes)
            kept[key] = got
        return got

    def _new_decided(self, decision: Decision, deciding: list[Rule], outcomes: dict[str, Tri]) -> _Decided:
        fields = tuple(dict.fromkeys(itertools.chain.from_iterable([r.fields for r in deciding])))
        # a judgement whose applying is still open is no field "decided without": its answer
        # would change what must be agreed (the result's to_check says when it applies)
        cone = frozenset().union(*(self.cones[r.id] for r in deciding if not (r.judgement and outcomes[r.id] is None)))
        # one object for the same fields and cone in every decision: a screen finds what it lists
        # for each cone by it (_Making.many), and a dict finds the same object without comparing sets
        same = self._cones
        if len(same) > 100_000:
            same.clear()
        return _Decided(decision, tuple(deciding), tuple(outcomes[r.id] for r in deciding), same.setdefault(fields, fields),
                        cone := same.setdefault(cone, cone), next(_SERIALS), _NO_CONE if decision == "undetermined" else cone,
                        "missing" if decision == "undetermined" else "decided_without")

    def said(self, d: _Decided) -> tuple[tuple[Reason, ...], tuple[Judgement, ...], str | None]:
        """What a result says of a decision: made when a result with it is first read, then kept.
        Its reasons are found by each deciding rule and its value, one C loop (a large catalog's
        screen meets hundreds of decisions not seen before)."""
        if d.said is not None:
            return d.said
        reasons = tuple(map(self._reason_of.__getitem__, zip(map(_RULE_ID, d.deciding), d.values)))
        if d.decision in ("eligible_if_agreed", "undetermined"):
            outcomes = {r.id: v for r, v in zip(d.deciding, d.values)}
            check = tuple(self.judgement(r, outcomes[r.id]) for r in sorted(d.deciding, key=lambda r: r.kind != "criterion")
                          if r.judgement and outcomes[r.id] is not False)
        else:
            check = ()
        d.said = (reasons, check, agreed_text(check) if d.decision == "eligible_if_agreed" else None)
        return d.said

    def _reason_by_value(self, key: tuple[str, Tri]) -> Reason:
        """A rule's reason for one of its values (each value has an outcome of its own, so one
        Reason for each rule and value is one for each rule and outcome)."""
        rule = self._rule_of[key[0]]
        return built_of(Reason, {"rule": rule.id, "text": rule.text, "outcome": _outcome(rule, key[1]), "fields": rule.fields})

    def template(self, i: int, d: _Decided) -> dict[str, Any]:
        """A result of intervention i with decision d, less what depends on the person and the
        date: no availability (None), warnings or fields listed. Its
        fields in the model's order, which a copy keeps (a result's repr follows its dict)."""
        if d.template is None:
            iid, name, provider = self.heads[i]
            reasons, to_check, if_agreed = self.said(d)
            t = _Template()  # (assigned in the model's field order: a result's repr and JSON follow its dict)
            t.intervention, t.name, t.provider, t.decision, t.availability, t.reasons = iid, name, provider, d.decision, None, reasons
            t.missing, t.warnings, t.decided_without, t.to_check, t.if_agreed = (), (), (), to_check, if_agreed
            d.template = t.__dict__
        return d.template

    def place(self, iid: str, at: _Whereabouts) -> tuple[Availability, tuple[ScreenWarning, ...]]:
        """An intervention's availability and warnings for one date and whereabouts (_availability),
        from parts cached by the few facts each rests on: the status part by date, the reach part
        by town, area and transport (and for every intervention outside the person's area by the
        two areas alone), and the fit to the order by whether it fits (only a course that does not
        fit says by how much)."""
        availability, warnings, late, far = self.placed(iid, at)
        if late:
            warnings = warnings + late
        return availability, warnings + far if far else warnings

    def placed(self, iid: str, at: _Whereabouts) -> tuple[Availability, tuple[ScreenWarning, ...], tuple[ScreenWarning, ...],
                                                          tuple[ScreenWarning, ...]]:
        """place() in its three parts: the availability, and the warnings of the status on the date
        (shared per intervention and date), of the fit to the order (none or one) and of the reach
        (shared per reach): the warnings are the three in that order."""
        st, warnings, need, course = self.status_part(iid, at.on)
        late: tuple[ScreenWarning, ...] = ()
        if need is not None:
            found = _finish_part(need, course, at.weeks_left)
            if found is not None:
                late = (self.warning(found["code"], found["text"]),)
        reachable, far = self.reach_part(self.interventions[iid], at)
        return ("not_reachable" if st.available and not reachable else st.state), warnings, late, far

    def status_part(self, iid: str, on: dt.date) -> tuple[StatusOn, tuple[ScreenWarning, ...], float | None, str]:
        got = self._status.get((iid, on))
        if got is None:
            if len(self._status) > 100_000:  # a service screening every day for years: start again
                self._status.clear()
            iv = self.interventions[iid]
            st = iv.status_on(on)
            out, need, course = _status_part(iv, st, on)
            got = self._status[(iid, on)] = (st, tuple(self.warning(w["code"], w["text"]) for w in out), need, course)
        return got

    def day(self, on: dt.date) -> _Day:
        """Every intervention's status part on a date (status_part), in the order of ids, as a
        screen's results take it; kept for the last hundred dates."""
        got = self._days.get(on)
        if got is None:
            if len(self._days) > 100:
                self._days.clear()
            placing: list[tuple[Availability, Availability, tuple[ScreenWarning, ...], float | None, str]] = [
                (st.state, "not_reachable" if st.available else st.state, warnings, need, course)
                       for st, warnings, need, course in (self.status_part(iid, on) for iid in self.ids)]
            needs = [p[3] for p in placing]
            got = self._days[on] = _Day(placing, needs, max((n for n in needs if n is not None), default=0.0))
        return got

    def status(self, iid: str, on: dt.date) -> StatusOn:
        return self.status_part(iid, on)[0]

    def outside(self, on: dt.date, home: str, at: _Whereabouts) -> tuple[list[Any], list[Any], list[Any], list[int]]:
        """For everyone whose area is `home`, on the date: every intervention's availability, its
        warnings (the status's, then the reach's) and its reach part, as columns in the order of ids,
        with None at the interventions in `home` itself (their reach rests on the town and
        transport), and their positions. `at` gives the person's area only. Kept for 200 pairs of
        date and area (each about 64 KB for 2,000 interventions) and shared: a caller copies a
        column before changing it."""
        key = (on, home)
        got = self._outside.get(key)
        if got is None:
            if len(self._outside) > 200:
                self._outside.clear()
            far: dict[str, Any] = {a: self.reach_part(iv, at) for a, iv in self.first_in.items() if a != home}
            reaches = list(map(far.get, self.areas))
            placing = self.day(on).placing
            availability: list[Any] = [None if r is None else p[not r[0]] for p, r in zip(placing, reaches)]
            warnings: list[Any] = [None if r is None else p[2] + r[1] if p[2] else r[1] for p, r in zip(placing, reaches)]
            got = self._outside[key] = (availability, warnings, reaches, [k for k, a in enumerate(self.areas) if a == home])
        return got

    def reach_part(self, iv: Intervention, at: _Whereabouts) -> tuple[bool, tuple[ScreenWarning, ...]]:
        # outside the person's area, only the two areas matter (_reach_part's first branch); inside
        # it, or with no area known, the town and transport (home_area follows from the town)
        home = at.home_area
        key: tuple[Any, ...] = (iv.area, home) if home is not None and home != iv.area else (iv.id, at.town, at.has_transport)
        got = self._reach.get(key)
        if got is None:
            if len(self._reach) > 200_000:
                self._reach.clear()
            reachable, out = _reach_part(iv, at.town, home, at.has_transport)
            # (a bool: a result's availability is picked by it)
            got = self._reach[key] = (bool(reachable), tuple(self.warning(w["code"], w["text"]) for w in out))
        return got

    def warning(self, code: str, text: str) -> ScreenWarning:
        got = self._warnings.get((code, text))
        if got is None:
            if len(self._warnings) > 100_000:
                self._warnings.clear()
            got = self._warnings[(code, text)] = built(ScreenWarning, code=code, text=text)
        return got

    def listed(self, fields: tuple[str, ...]) -> tuple[MissingField, ...]:
        """Fields as a result lists them: the same tuple for the same fields in every screen."""
        got = self._listed.get(fields)
        if got is None:
            if len(self._listed) > 100_000:
                self._listed.clear()
            got = self._listed[fields] = tuple(map(self.missing, fields))
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
