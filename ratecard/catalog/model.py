"""The catalog's data model: areas, providers and interventions as catalog files write them.

Strict pydantic models with extra="forbid": a misspelt key or a value of the wrong type in a
catalog file is an error naming the file, line and field, never a silent default.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..case.model import Identifier, NeedSection
from ..inputs.types import IsoDate

Kind = Literal[
    "accredited_programme",
    "structured_intervention",
    "rar_activity",
    "mentoring_and_support",
    "resettlement",
    "unpaid_work_placement",
    "substance_misuse",
    # advice to the responsible officer about the case (the OPD pathway): meets no need of the person
    "consultation",
    # HMPPS's national catalogue: practitioner-led one-to-one toolkits, and the rehabilitative
    # services commissioned from providers in each region (CRS)
    "toolkit",
    "commissioned_rehabilitative_service",
]
Requires = Literal["accredited_programme", "rar", "drug_rehabilitation", "alcohol_treatment", "unpaid_work", "none"]
Figure = Literal["price", "rar_days", "sessions", "hours", "weeks", "waiting_weeks", "capacity"]
# What a catalog without rate-card figures does not give (HMPPS's national catalogue has no prices,
# RAR days, lengths, waiting times, capacity, evidence summaries, and for some entries no delivery
# mode or needs): listed per entry, so every output can say "not given" instead of inventing it.
NotGiven = Literal["price", "rar_days", "sessions", "hours", "weeks", "waiting_weeks", "capacity", "evidence", "delivery",
                   "needs"]
State = Literal["open", "waiting_list", "suspended", "withdrawn"]
Text = Annotated[str, Field(min_length=1)]


class _M(BaseModel):
    # defer_build: a catalog from the cache is unpickled, never validated, so its models' validators
    # are built only when a catalog is loaded from its files (saves their build on every command)
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)

    # fields added to the format after catalogs were versioned: at their default they say nothing,
    # so they are left out of the content the catalog version hashes (a catalog that does not use
    # them keeps its version when the format grows)
    _LATER: tuple[str, ...] = ()

    def version_dump(self) -> dict[str, Any]:
        """The content the catalog version hashes (catalog/load.py)."""
        out = self.model_dump(mode="json")
        for name in self._LATER:
            if getattr(self, name) == type(self).model_fields[name].default:
                out.pop(name)
        if isinstance(self, CatalogInfo):
            out["areas"] = [a.version_dump() for a in self.areas]
        return out


class Area(_M):
    id: Identifier
    name: Text
    towns: list[Identifier] = []
    # the whole of England and Wales: no town list, and a case's own town or area is never "unknown"
    # to it nor "another area" (HMPPS's national catalogue)
    national: bool = False
    _LATER = ("national",)

    @model_validator(mode="after")
    def _towns(self) -> Area:
        if not self.towns and not self.national:
            raise ValueError("list the area's towns in 'towns' (only a national area, 'national: true', has none)")
        if self.towns and self.national:
            raise ValueError("a national area covers every town: give no 'towns'")
        return self


class CatalogInfo(_M):
    name: Text
    edition: Text
    as_of: IsoDate
    # how a paragraph for the court names what the catalog describes, in words ("BeNCH CRC provision
    # in Northamptonshire"): the court reads it with the as_of date, never a version hash
    court_name: Text | None = None
    illustrative_note: str | None = None
    # how long before an order ends a proposed intervention must finish; None: the proposal's default
    proposal_margin_weeks: Annotated[int, Field(ge=0, le=26)] | None = None
    areas: list[Area] = Field(min_length=1)


class Provider(_M):
    id: Identifier
    name: Text
    # hmpps: HM Prison and Probation Service itself (the Probation Service, prisons); commissioned:
    # providers it contracts region by region (commissioned rehabilitative services)
    kind: Literal["crc", "partner", "nps", "community", "hmpps", "commissioned"]
    description: str | None = None
    areas: list[Identifier] = Field(min_length=1)


Mode = Literal["group", "one_to_one", "mixed"]


class Delivery(_M):
    mode: Mode | None = None  # None: not given (list 'delivery' in not_given)
    women_only: bool = False


class Where(_M):
    towns: list[Identifier] = []
    offices: list[Text] = []
    outreach: bool = False
    # the source does not say where it runs: the towns are placeholders (or none at all), so they
    # never make it "not reachable" (the screen says the venue is to be confirmed instead)
    assumed: bool = False
    # the provider pays public transport fares: reachable by public transport from anywhere in its
    # area, so never "not reachable" for want of a car (the report's Good Loaf)
    fares_paid: bool = False


class Price(_M):
    amount: Annotated[float, Field(ge=0, le=100_000)]
    unit: Literal["per_participant", "per_session", "per_hour", "per_day"]
    currency: Literal["GBP"] = "GBP"


@dataclass(frozen=True)
class StatusOn:
    """The status in force on one date: `since` and `until` bound the period it belongs to (None:
    open-ended), `then` is the state after `until` with its reason."""

    state: State
    waiting_weeks: int | None
    since: dt.date | None
    until: dt.date | None
    reason: str | None
    then: State | None = None
    then_reason: str | None = None

    @property
    def available(self) -> bool:
        return self.state in ("open", "waiting_list")


_DAY = dt.timedelta(days=1)


class Status(_M):
    """A status with dates. `withdrawn` from `since` (open before it); `suspended` from `since` to
    `until` (open before and after; no `until`: until further notice), with a waiting list of
    `waiting_weeks` when it reopens if given; `open` or `waiting_list` until `until` (withdrawn after
    it, for `reason`). `opens`: the first day it runs; before it, not running yet (shown as suspended)."""

    state: State
    waiting_weeks: Annotated[int, Field(ge=0, le=260)] | None = None
    since: IsoDate | None = None
    until: IsoDate | None = None
    reason: str | None = None
    opens: IsoDate | None = None

    @model_validator(mode="after")
    def _complete(self) -> Status:
        if self.state == "waiting_list" and self.waiting_weeks is None:
            raise ValueError("a waiting list needs 'waiting_weeks'")
        if self.state in ("suspended", "withdrawn") and (self.since is None or not self.reason):
            raise ValueError(f"'{self.state}' needs 'since' (a date) and 'reason'")
        reopens = self.state == "suspended" and self.until is not None
        if self.state != "waiting_list" and self.waiting_weeks and not reopens:
            raise ValueError(f"'waiting_weeks' is only for state waiting_list (or a suspension with 'until': the "
                             f"waiting list when it reopens), not {self.state}")
        if self.opens is not None and self.since is not None and self.since < self.opens:
            raise ValueError(f"'since' {self.since} is before 'opens' {self.opens}, when it first runs")
        if self.opens is not None and self.until is not None and self.until < self.opens:
            raise ValueError(f"'until' {self.until} is before 'opens' {self.opens}, when it first runs")
        if self.state in ("open", "waiting_list") and self.since is not None:
            raise ValueError(f"'since' dates a suspension or withdrawal; for '{self.state}' give 'until' (the last day open) or nothing")
        if self.state in ("open", "waiting_list") and self.until is not None and not self.reason:
            raise ValueError(f"'{self.state}' until {self.until} needs 'reason': why it closes then")
        if self.state == "withdrawn" and self.until is not None:
            raise ValueError("a withdrawal has no end date ('until'); to reopen, change the state and date the change")
        if self.since is not None and self.until is not None and self.until < self.since:
            raise ValueError(f"'until' {self.until} is before 'since' {self.since}")
        return self

    def on(self, day: dt.date) -> StatusOn:
        """The status in force on `day`."""
        st, since, until = self.state, self.since, self.until
        if self.opens is not None and day < self.opens:
            first = "open" if st == "withdrawn" or since is not None else st
            return StatusOn("suspended", None, None, self.opens - _DAY, f"Not running yet: it first runs on {self.opens}.", first)
        if st in ("open", "waiting_list"):
            if until is not None and day > until:
                return StatusOn("withdrawn", None, until + _DAY, None, self.reason)
            return StatusOn(st, self.waiting_weeks, None, until, None,
                            "withdrawn" if until is not None else None, self.reason if until is not None else None)
        assert since is not None
        if day < since:
            return StatusOn("open", None, None, since - _DAY, None, st, self.reason)
        if st == "suspended" and until is not None and day > until:
            if self.waiting_weeks:
                return StatusOn("waiting_list", self.waiting_weeks, until + _DAY, None, None)
            return StatusOn("open", None, until + _DAY, None, None)
        return StatusOn(st, None, since, until, self.reason, "open" if until is not None else None)

    def changes(self) -> list[tuple[dt.date, State, State, str | None]]:
        """Every dated change of state: (first day, state before, state from then, reason)."""
        st = self.state
        out: list[tuple[dt.date, State, State, str | None]] = []
        if self.opens is not None:
            first: State = "open" if st == "withdrawn" or self.since is not None else st
            out.append((self.opens, "suspended", first, "first runs"))
        if st in ("open", "waiting_list"):
            return out + ([(self.until + _DAY, st, "withdrawn", self.reason)] if self.until is not None else [])
        assert self.since is not None
        out.append((self.since, "open", st, self.reason))
        if self.until is not None:
            out.append((self.until + _DAY, st, "waiting_list" if self.waiting_weeks else "open", None))
        return out


WorkKind = Literal["accredited_programme", "offending_behaviour", "support_service", "unpaid_work"]
# the offending an intervention works on; an empty list is support only (it treats no offending)
Target = Literal["partner_abuse", "general_violence", "sexual_contact", "sexual_internet", "general_offending", "substance"]
# mixed: group sessions with one-to-one sessions alongside, the group part required;
# group_or_one_to_one: either, so someone who cannot be in a group can still take part
Format = Literal["group", "one_to_one", "home_visits", "mixed", "group_or_one_to_one"]
GROUP_FORMATS: frozenset[str] = frozenset({"group", "mixed"})
Involves = Literal["family", "children", "victim"]
Basis = Literal["report", "hmpps", "assumption"]


class Work(_M):
    """What an intervention is and what it treats, apart from the OASys sections it supports: the
    proposal reasons from it (risk first, then need, then responsivity). Every value may be left out
    when no source says; `basis` says where each value given comes from."""

    kind: WorkKind
    targets: list[Target] = []
    format: Format | None = None
    # the reading it asks for: none, or able to read and understand simple sentences
    literacy: Literal["none", "reads_simple_sentences"] | None = None
    learning_disability: Literal["adapted", "not_adapted", "case_by_case"] | None = None
    # whether it can be delivered through an interpreter
    interpreter: Literal["available", "not_available"] | None = None
    # who else the work reaches: a perpetrator of partner abuse is offered family, children's or
    # victim-contact work only alongside perpetrator work, once the victim's safety is assessed
    involves: list[Involves] | None = None
    # where each value comes from; `women_only` here marks delivery.women_only
    basis: dict[Literal["kind", "targets", "format", "literacy", "learning_disability", "interpreter", "involves",
                        "women_only"], Basis]

    @model_validator(mode="after")
    def _marked(self) -> Work:
        given = {"kind", "targets"} | {f for f in ("format", "literacy", "learning_disability", "interpreter", "involves")
                                       if getattr(self, f) is not None}
        unmarked = sorted(given - set(self.basis))
        if unmarked:
            raise ValueError(f"say where {', '.join(unmarked)} come{'s' if len(unmarked) == 1 else ''} from in 'basis' "
                             "(report, hmpps or assumption)")
        marked_unknown = sorted(set(self.basis) - given - {"women_only"})
        if marked_unknown:
            raise ValueError(f"'basis' marks {', '.join(marked_unknown)}, which this entry does not give")
        if self.kind == "support_service" and self.targets:
            raise ValueError("a support service treats no offending: leave 'targets' empty, or make it offending_behaviour")
        if self.kind in ("accredited_programme", "offending_behaviour") and not self.targets:
            raise ValueError(f"say which offending a {self.kind.replace('_', ' ')} works on in 'targets'")
        if len(set(self.targets)) != len(self.targets) or len(set(self.involves or ())) != len(self.involves or ()):
            raise ValueError("'targets' and 'involves' list each value once")
        return self

    @property
    def group(self) -> bool:
        """Whether taking part needs group work."""
        return self.format in GROUP_FORMATS

    @property
    def treats_offending(self) -> bool:
        return self.kind in ("accredited_programme", "offending_behaviour") and bool(self.targets)


class Evidence(_M):
    level: Literal["accredited", "promising", "emerging", "unevaluated"]
    summary: Text


class Intervention(_M):
    id: Identifier
    name: Text
    provider: Identifier
    area: Identifier
    kind: Kind
    needs: list[NeedSection]
    delivery: Delivery
    where: Where
    sessions: Annotated[int, Field(ge=1, le=500)] | None = None
    hours: Annotated[float, Field(gt=0, le=1000)] | None = None
    weeks: Annotated[int, Field(ge=1, le=260)] | None = None
    rar_days: Annotated[int, Field(ge=1, le=100)] | None = None
    # why fewer RAR days than sessions (a RAR day is a day of activity), e.g. two sessions a day
    rar_days_note: str | None = None
    requires: Requires
    price: Price | None = None  # None only when listed in not_given
    status: Status
    evidence: Evidence | None = None  # None only when listed in not_given
    content: Text
    # places a year, for setting demand against supply; illustrative unless the provider gave it
    capacity: Annotated[int, Field(ge=1, le=100_000)] | None = None
    illustrative: list[Figure] = []
    # facts in this entry that no source gives, each in a sentence (the briefing prints them)
    assumptions: list[Text] = []
    source: str | None = None
    # figures and facts the source does not give; every one listed must be absent, and a required one
    # (price, evidence, delivery mode, needs, RAR days for a RAR activity) may be absent only if listed
    not_given: list[NotGiven] = []
    _LATER = ("not_given",)
    # what it is and what it treats (None: not described; the proposal then knows only its needs)
    work: Work | None = None

    def status_on(self, day: dt.date) -> StatusOn:
        return self.status.on(day)

    def _given_or_not(self) -> None:
        """A figure is given or listed in not_given, never both; required ones are one or the other."""
        if len(set(self.not_given)) != len(self.not_given):
            raise ValueError("'not_given' lists a figure twice")
        given = {
            "price": self.price is not None, "rar_days": self.rar_days is not None, "sessions": self.sessions is not None,
            "hours": self.hours is not None, "weeks": self.weeks is not None, "capacity": self.capacity is not None,
            "waiting_weeks": self.status.waiting_weeks is not None, "evidence": self.evidence is not None,
            "delivery": self.delivery.mode is not None, "needs": bool(self.needs),
        }
        both = [f for f in self.not_given if given[f]]
        if both:
            raise ValueError(f"'{both[0]}' is listed in not_given but is given; drop one")
        if "waiting_weeks" in self.not_given and self.status.state == "waiting_list":
            raise ValueError("a waiting list gives 'waiting_weeks'; drop 'waiting_weeks' from not_given")
        for f in ("price", "evidence", "delivery"):
            if not given[f] and f not in self.not_given:
                raise ValueError(f"give '{f}'" + (" (its mode)" if f == "delivery" else "") + f", or list '{f}' in not_given when the source gives none")
        overlap = set(self.illustrative) & set(self.not_given)
        if overlap:
            raise ValueError(f"'{sorted(overlap)[0]}' cannot be both illustrative and not given")

    @model_validator(mode="after")
    def _coherent(self) -> Intervention:
        self._given_or_not()
        if self.requires == "rar" and self.rar_days is None and "rar_days" not in self.not_given:
            raise ValueError("an intervention that uses the RAR needs 'rar_days' (or 'rar_days' in not_given, when the source gives none)")
        if self.kind == "accredited_programme" and self.requires != "accredited_programme":
            raise ValueError("an accredited programme needs 'requires: accredited_programme'")
        if not self.where.towns and not self.where.outreach and not self.where.assumed:
            raise ValueError("say where it is delivered: 'where.towns' or 'where.outreach: true' "
                             "('where.assumed: true' with no towns when the source does not say)")
        if not self.needs and self.kind != "consultation" and "needs" not in self.not_given:
            raise ValueError("list the needs it addresses in 'needs' (only a consultation meets none; "
                             "'needs' in not_given when the source does not say)")
        if len(set(self.needs)) != len(self.needs):
            raise ValueError("'needs' lists a need twice")
        w = self.work
        if w is not None:
            if (w.kind == "accredited_programme") != (self.kind == "accredited_programme"):
                raise ValueError("'work.kind' and 'kind' disagree on whether this is an accredited programme")
            if (w.kind == "unpaid_work") != (self.requires == "unpaid_work"):
                raise ValueError("'work.kind: unpaid_work' goes with 'requires: unpaid_work', and only with it")
        for fig in self.illustrative:
            value = self.status.waiting_weeks if fig == "waiting_weeks" else getattr(self, fig)
            if value is None:
                raise ValueError(f"'illustrative' names '{fig}', which this entry does not give")
        return self


def intervention_warnings(iv: Intervention) -> list[tuple[str, str]]:
    """(field, message) for what loads but is probably wrong: `ratecard validate` prints them."""
    out: list[tuple[str, str]] = []
    if iv.rar_days is not None and iv.sessions is not None and iv.rar_days < iv.sessions and not iv.rar_days_note:
        out.append(("rar_days", f"{iv.rar_days} RAR days for {iv.sessions} sessions: a RAR day is a day on which an "
                                "activity takes place, so sessions on separate days are separate RAR days; correct "
                                "rar_days, or say why in 'rar_days_note' (e.g. two sessions a day)"))
    return out
