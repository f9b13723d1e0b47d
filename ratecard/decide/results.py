"""The screen's result types: frozen pydantic models, immutable all the way down (tuples, never
lists; read-only mappings, never dicts), each with `model_dump()` and JSON.

A screen of a large catalog holds thousands of these, and validating them again would cost more
than the engine: everything in them comes from the catalog and the engine, so they are built with
`built()`, which sets the fields as `model_construct` does without its per-field loop, and most are
shared between results and between screens (a reason is the same for every case it decides).
"""

from __future__ import annotations

import collections
import datetime as dt
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Annotated, Any, Literal, Self, TypeVar, overload

from pydantic import BaseModel, ConfigDict, WrapSerializer
from pydantic_core import core_schema

if TYPE_CHECKING:
    from ..rules.reference import Knowledge
    from .screen import Said  # what screen() can say of a result without making it

# eligible_if_agreed: every criterion case data can decide is met, and what is left is a judgement
# only a person can make (a provider's assessment, a treatment manager's agreement): eligible if
# they agree. Distinct from undetermined, where an answer missing from the case could still rule
# the person out or in.
Decision = Literal["eligible", "eligible_if_agreed", "ineligible", "undetermined"]
DECISIONS: tuple[str, ...] = ("eligible", "eligible_if_agreed", "undetermined", "ineligible")  # reading order
# whether a referral could be made on the date, whatever the eligibility: the status in force, and
# whether the person can get there (another area, or a town out of reach with no outreach and no transport)
Availability = Literal["open", "waiting_list", "suspended", "withdrawn", "not_reachable"]
AVAILABLE: frozenset[str] = frozenset({"open", "waiting_list"})
# a judgement's outcome: to_check when it applies (a person decides), not_applicable when the case
# says it does not (applies_when), unknown while the case leaves that open
Outcome = Literal["met", "not_met", "excluded", "not_excluded", "unknown", "to_check", "not_applicable"]
WarningCode = Literal[
    "withdrawn", "suspended", "cannot_finish", "order_length_unknown", "not_near_home", "other_area", "home_unknown",
    "unknown_town", "closes", "venue_to_be_confirmed", "length_not_given",
    # about the case as a whole
    "unknown_area", "area_mismatch", "mappa_disagrees", "young_adult", "under_18", "order_ended",
    "conviction_date_unknown", "need_identified_and_score_disagree", "catalog_dated",
    # responsivity (decide/responsivity.py): what in the person stands in the way, and family work
    # held for a perpetrator of partner abuse
    "responsivity", "partner_abuse_family_work",
]


class FrozenDict(dict[str, Any]):
    """A dict that cannot be changed once made: what a result holds must not change under the code
    that reads it. It is a dict (pydantic serialises it as one, and the JSON is unchanged)."""

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("screen results are immutable")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = __ior__ = _refuse

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(self.items()))

    def __reduce__(self) -> Any:
        return (FrozenDict, (dict(self),))

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(lambda d: cls({k: frozen(v) for k, v in d.items()}),
                                                            handler(dict[str, Any]))


def frozen(value: Any) -> Any:
    """A value as results hold it: lists as tuples, dicts as FrozenDicts, all the way down."""
    if isinstance(value, (list, tuple)):
        return tuple(frozen(v) for v in value)
    if isinstance(value, dict) and not isinstance(value, FrozenDict):
        return FrozenDict({k: frozen(v) for k, v in value.items()})
    return value


class SharedFieldsSet(BaseModel):
    """A model whose instances made with every field (built, built_of) share one frozenset of the
    fields set: a large catalog's screen or a proposal makes hundreds, and a new set each is a
    container more for the cyclic collector to walk. pydantic's model_copy(update=...) adds to a
    copy's set, so a copy gets a set of its own."""

    def __copy__(self) -> Self:
        m = super().__copy__()
        _SET_FIELDS_SET(m, set(self.__pydantic_fields_set__))
        return m

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        m = super().__deepcopy__(memo)
        _SET_FIELDS_SET(m, set(self.__pydantic_fields_set__))
        return m


class Result(SharedFieldsSet):
    # built with built(), never validated, on every screen; serialised only for --json or HTTP:
    # their validators and serialisers are made on first use, not on import
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


M = TypeVar("M", bound=BaseModel)


def built(cls: type[M], **values: Any) -> M:
    """An instance from trusted values, every field given (model_construct without its loop)."""
    return built_of(cls, values)


def built_of(cls: type[M], values: dict[str, Any]) -> M:
    """built() from a dict of the values, which the instance keeps as its own (never to be changed
    after). Given every field, a SharedFieldsSet shares its class's one frozenset of the fields set."""
    every = _EVERY.get(cls)
    if every is None:
        every = _EVERY[cls] = frozenset(cls.model_fields) if issubclass(cls, SharedFieldsSet) else frozenset()
    return _instance(cls, values, every if len(values) == len(every) else set(values))


# each SharedFieldsSet class's fields, the fields set of an instance given every one (built); empty
# for any other model, whose copies would add to a shared set
_EVERY: dict[type[BaseModel], frozenset[str]] = {}


# BaseModel's slots, set through their descriptors: a screen reading a large catalog makes thousands
# of results, and this is a third of the cost of object.__setattr__ by name
_SET_DICT = BaseModel.__dict__["__dict__"].__set__
_SET_FIELDS_SET = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_SET_EXTRA = BaseModel.__dict__["__pydantic_extra__"].__set__
_SET_PRIVATE = BaseModel.__dict__["__pydantic_private__"].__set__


def _instance(cls: type[M], values: dict[str, Any], fields_set: set[str] | frozenset[str]) -> M:
    m = cls.__new__(cls)
    _SET_DICT(m, values)
    _SET_FIELDS_SET(m, fields_set)
    _SET_EXTRA(m, None)
    _SET_PRIVATE(m, None)
    return m


class Reason(Result):
    rule: str
    text: str
    outcome: Outcome
    fields: tuple[str, ...]  # what the rule reads; their values are in Screen.values


class MissingField(Result):
    field: str  # a case field, e.g. risk.sara_partner: never a derived fact nobody can fill in
    label: str
    # in a case-wide list: how many undetermined results an answer to this field could settle
    settles: int | None = None


class ScreenWarning(Result):
    """Something an officer should know: about one intervention (it closes, is too long, is far
    away) or about the case as a whole (an unknown town, a child)."""

    code: WarningCode
    text: str


class AgeAt(Result):
    """The age the rules used, and the date it was measured on: the conviction (adult or youth is
    decided then), or without a conviction date the latest it can have been (case/facts.py age_date)."""

    years: int
    on: dt.date
    basis: Literal["conviction", "order_start", "reference_date"]


class Judgement(Result):
    """A criterion or exclusion only a person can decide, still to check for this case: its
    published text and source, who decides it, and whether it applies (None: the case does not
    yet say; `applies_when` says when it does)."""

    rule: str
    kind: Literal["criterion", "exclusion"]
    text: str
    source: str
    by: str  # who decides, e.g. "the provider", "the treatment manager"
    applies: bool | None = True
    applies_when: str | None = None  # in words; None: it always applies

    @property
    def ask(self) -> str:
        """What the person deciding must agree, in words: for a criterion that it is met, for an
        exclusion that it does not rule the person out."""
        if self.kind == "criterion":
            return f"{self.by} agrees that the person meets this: \u201c{self.quoted}\u201d"
        return f"{self.by} finds that this does not rule the person out: \u201c{self.quoted}\u201d"

    @property
    def quoted(self) -> str:
        """The text as quoted inside a sentence (its own full stop would double the sentence's)."""
        return self.text.rstrip(".")


class InterventionResult(Result):
    intervention: str
    name: str
    provider: str
    decision: Decision
    availability: Availability
    reasons: tuple[Reason, ...]
    missing: tuple[MissingField, ...] = ()  # undetermined: the case fields that could settle it, most useful first
    warnings: tuple[ScreenWarning, ...] = ()
    # decided although the case does not give these fields: every answer to them gives the same decision
    decided_without: tuple[MissingField, ...] = ()
    # eligible_if_agreed or undetermined: the judgements a person must make, criteria first
    to_check: tuple[Judgement, ...] = ()
    # eligible_if_agreed: what eligibility waits on, in one sentence ("eligible if the provider
    # agrees that ..."); None for any other decision
    if_agreed: str | None = None

    @property
    def available(self) -> bool:
        return self.availability in AVAILABLE

    @property
    def usable_now(self) -> bool:
        """Open on the date and nothing in its warnings stands in the way (it can finish in time,
        it is within reach, it suits the person): what the terminal and the web page both count
        as available to them now."""
        return self.available and not any(w.code in UNUSABLE for w in self.warnings)


_RESULT_FIELDS = frozenset(InterventionResult.model_fields)


def result_from(values: dict[str, Any]) -> InterventionResult:
    """built(InterventionResult, ...) for a screen's thousands of results, from a dict of every field,
    which the result keeps (the caller must not change it): they all share one (immutable) set of
    the fields set."""
    m = _NEW_RESULT(InterventionResult)  # _instance, inlined: a large catalog's screen makes thousands
    _SET_DICT(m, values)
    _SET_FIELDS_SET(m, _RESULT_FIELDS)
    _SET_EXTRA(m, None)
    _SET_PRIVATE(m, None)
    return m


_NEW_RESULT = InterventionResult.__new__


def results_from(values: list[dict[str, Any]]) -> list[InterventionResult]:
    """result_from for each dict, a step at a time for them all: each step one C loop (map), where
    one call each would run result_from's Python for each of a large catalog's thousands."""
    made = list(map(_NEW_RESULT, itertools.repeat(InterventionResult, len(values))))
    _consume(map(_SET_DICT, made, values))
    _consume(map(_SET_FIELDS_SET, made, itertools.repeat(_RESULT_FIELDS)))
    _consume(map(_SET_EXTRA, made, itertools.repeat(None)))
    _consume(map(_SET_PRIVATE, made, itertools.repeat(None)))
    return made


_consume: Callable[[Iterable[Any]], None] = collections.deque(maxlen=0).extend  # runs an iterator through, keeping nothing


# warnings that make an intervention the person is eligible for unusable now, until settled (a
# venue out of reach is already its availability, not_reachable: not_near_home with transport
# recorded, or fares paid, is a note)
UNUSABLE: frozenset[str] = frozenset({"withdrawn", "suspended", "cannot_finish", "other_area", "responsivity"})


def _known_decisions(decisions: tuple[str, ...]) -> tuple[str, ...]:
    unknown = [d for d in decisions if d not in DECISIONS]
    if unknown:
        raise ValueError(f"not a decision: {', '.join(map(repr, unknown))} (decisions are {', '.join(DECISIONS)})")
    return decisions


def agreed_text(to_check: tuple[Judgement, ...]) -> str:
    """Eligible if every judgement goes the person's way, in one sentence: "eligible if the provider
    agrees that the person meets this: "..."; and unless the provider finds that this rules the
    person out: "..."". A judgement the case may not need (applies unknown) says when it is needed."""
    def when(j: Judgement) -> str:
        return f" (needed only if {j.applies_when}, which the case does not say)" if j.applies is None and j.applies_when else ""

    crit = [j for j in to_check if j.kind == "criterion"]
    excl = [j for j in to_check if j.kind == "exclusion"]
    parts = []
    if crit:
        parts.append("eligible if " + "; and if ".join(j.ask + when(j) for j in crit))
    if excl:
        parts.append(("eligible unless " if not crit else "and unless ")
                     + "; or unless ".join(f"{j.by} finds that this rules the person out: \u201c{j.quoted}\u201d{when(j)}" for j in excl))
    return "; ".join(parts) + "."

# the order people read a screen in: what can be used now first, then what they are eligible for
# but cannot use now (said plainly, not hidden), then what is undecided, then what is ruled out
# eligible if a person agrees comes after eligible and before undetermined
_GROUP = {("eligible", True): 0, ("eligible", False): 1, ("eligible_if_agreed", True): 2, ("eligible_if_agreed", False): 3,
          ("undetermined", True): 4, ("undetermined", False): 4, ("ineligible", True): 5, ("ineligible", False): 5}


class Results(Sequence[InterventionResult]):
    """A screen's results, each made when it is first read: an immutable sequence that reads,
    compares, hashes, pickles and serialises as the tuple of the same results would.

    A 2,000-intervention catalog gives 2,000 results a case, and a caller often reads a few of
    them (one intervention, the eligible ones) or none (a count of decisions from a batch): each
    is made by `make(i)` from what the screen worked out for the case, once, on first reading."""

    __slots__ = ("ids", "_made", "_make", "_index", "_decisions", "_many")

    def __init__(self, ids: Sequence[str], make: Callable[[int], InterventionResult],
                 decisions: Callable[[], Sequence[Decision]] | None = None,
                 many: Callable[[list[int]], list[InterventionResult]] | None = None):
        self.ids = ids  # the interventions' ids, in the results' order
        self._made: list[InterventionResult | None] = [None] * len(ids)
        self._make: Callable[[int], InterventionResult] | None = make
        self._index: dict[str, int] | None = None
        # each result's decision without making it, worked out when first asked for (None: read
        # from the results)
        self._decisions: Sequence[Decision] | Callable[[], Sequence[Decision]] | None = decisions
        self._many = many  # makes the results at several positions in one go (else make, one by one)

    def decisions(self) -> Sequence[Decision]:
        """Each result's decision, in the results' order, without making the results: what a count
        of decisions, or a choice of which results to read, needs."""
        got = self._decisions
        if got is None:
            got = self._decisions = tuple(r.decision for r in self)
        elif callable(got):
            got = self._decisions = tuple(got())
        return got

    def __len__(self) -> int:
        return len(self._made)

    @overload
    def __getitem__(self, i: int) -> InterventionResult: ...
    @overload
    def __getitem__(self, i: slice) -> tuple[InterventionResult, ...]: ...

    def __getitem__(self, i: int | slice) -> InterventionResult | tuple[InterventionResult, ...]:
        if isinstance(i, slice):
            return tuple(self)[i]
        got = self._made[i]
        if got is None:
            make = self._make
            if make is None:  # another thread made them all meanwhile (every slot, then dropped make)
                got = self._made[i]
                assert got is not None
            else:
                got = self._made[i] = make(i if i >= 0 else i + len(self._made))
        return got

    def __iter__(self) -> Iterator[InterventionResult]:
        if self._make is not None:
            self._all()
        return iter(self._made)  # type: ignore[arg-type]

    def _all(self) -> None:
        # each read once: another thread that finishes meanwhile sets both to None
        made, make, many = self._made, self._make, self._many
        if make is None:  # another thread has made them all
            return
        if many is not None and not any(made):  # (a result is true: no __bool__ or __len__) none read yet
            whole = many(list(range(len(made))))
            if not any(made):  # another thread may have made some meanwhile: the first stays
                made[:] = whole
                self._make = self._many = None
                return
        todo = [i for i, got in enumerate(made) if got is None]
        if many is not None:
            for i, got in zip(todo, many(todo)):
                if made[i] is None:  # another thread may have made it meanwhile: the first stays
                    made[i] = got
        else:
            for i in todo:
                made[i] = make(i)
        self._make = self._many = None  # everything is made: what making needed (the case's explanations) can go

    def by_id(self, intervention: str) -> InterventionResult:
        """The result for one intervention, made alone (KeyError if the catalog has none)."""
        if self._index is None:
            self._index = {iid: i for i, iid in enumerate(self.ids)}
        return self[self._index[intervention]]

    def said(self, i: int) -> Said | InterventionResult:
        """What result i says (decision, reasons, missing, to_check, availability, warnings): the result
        itself once made, else what the screen can say of it without making it (screen.Said: no
        decided_without), for a reader of many results that keeps none of them (a proposal)."""
        got = self._made[i]
        if got is None:
            said = getattr(self._make, "said", None)
            return said(i) if said is not None else self[i]
        return got

    def knowledge(self) -> Knowledge | None:
        """What the screen's engine found of the case (its facts, derived facts' values and bounds),
        for a proposal's what-ifs to start from; None once every result is made (what making needed
        is let go) or for a screen read back from JSON: the caller then works the case out again."""
        from ..rules.reference import Knowledge

        k = getattr(getattr(self._make, "why", None), "k", None)
        return k if isinstance(k, Knowledge) else None

    def decision(self, i: int) -> tuple[Decision, tuple[Reason, ...]]:
        """Result i's decision and reasons, without making it (or the result's own, once made)."""
        got = self._made[i]
        if got is None:
            decision = getattr(self._make, "decision", None)
            if decision is not None:
                return decision(i)  # type: ignore[no-any-return]
            got = self[i]
        return got.decision, got.reasons

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (Results, tuple)):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __add__(self, other: tuple[InterventionResult, ...]) -> tuple[InterventionResult, ...]:
        return tuple(self) + tuple(other)

    def __radd__(self, other: tuple[InterventionResult, ...]) -> tuple[InterventionResult, ...]:
        return tuple(other) + tuple(self)

    def __repr__(self) -> str:
        return repr(tuple(self))

    def __reduce__(self) -> Any:
        return (tuple, (tuple(self),))  # unpickled as the plain tuple: the making state stays here

    def __copy__(self) -> Results:
        return self  # immutable

    def __deepcopy__(self, memo: dict[int, Any]) -> Results:
        return self


# the JSON of results, by the result's id and the indent, as a screen's JSON holds them (indented
# two levels in): the entry holds the result, so its id names no other object while it is kept
_JSON: dict[tuple[int, int | None], tuple[InterventionResult, str]] = {}
JSON_BOUND = 20_000


def _json_of(r: InterventionResult, indent: int | None) -> str:
    key = (id(r), indent)
    got = _JSON.get(key)
    if got is None or got[0] is not r:
        if len(_JSON) > JSON_BOUND:
            _JSON.clear()
        text = r.model_dump_json(indent=indent)
        got = _JSON[key] = (r, text.replace("\n", "\n" + " " * (2 * indent)) if indent else text)
    return got[1]


class Screen(Result):
    catalog_version: str
    catalog: str
    on: dt.date
    case_id: str
    age: AgeAt | None = None
    derived: FrozenDict  # derived facts that are decided
    # the value of every field a deciding rule reads (null: not given, or not decided), once for all
    # the reasons that read it
    values: FrozenDict = FrozenDict()
    # derived facts still undecided, with the values every answer to the missing fields leaves open
    # (a sum: its lowest and highest value): id -> tuple of values
    derived_possible: FrozenDict = FrozenDict()
    # ... and the case fields whose answers could settle each of them: id -> tuple of fields
    derived_missing: FrozenDict = FrozenDict()
    missing: tuple[MissingField, ...]
    warnings: tuple[ScreenWarning, ...]  # about the case as a whole
    # a Results when made by screen() (each result made when first read), a tuple when validated
    # it serialises as the tuple it stands for: the same JSON and model_dump, byte for byte (a lambda:
    # with no return type, the JSON schema stays the tuple's)
    results: Annotated[tuple[InterventionResult, ...],
                       WrapSerializer(lambda v, handler: handler(tuple(v) if isinstance(v, Results) else v))]

    def model_dump_json(self, *, indent: int | None = None, **kwargs: Any) -> str:
        """pydantic's JSON, byte for byte. A screen() result's results are written from the JSON of
        each, kept for results that recur (most are shared between cases and screens, and writing
        them again is most of what dumping a screen costs); anything but `indent` goes to pydantic."""
        results = self.results
        if kwargs or (indent is not None and indent <= 0) or not isinstance(results, Results) or not results:
            return super().model_dump_json(indent=indent, **kwargs)
        # the screen without its results ends with them, empty: "results":[]} or "results": []\n}
        head = self.model_copy(update={"results": ()}).model_dump_json(indent=indent)
        if not head.endswith('"results":[]}' if not indent else '"results": []\n}'):
            # results are no longer the last field: pydantic writes it all
            return super().model_dump_json(indent=indent, **kwargs)
        items = [_json_of(r, indent) for r in results]
        if not indent:
            return head[:-len("[]}")] + "[" + ",".join(items) + "]}"
        pad = " " * indent
        return head[:-len("[]\n}")] + "[\n" + pad * 2 + (",\n" + pad * 2).join(items) + "\n" + pad + "]\n}"

    def result(self, intervention: str) -> InterventionResult:
        if isinstance(self.results, Results):
            return self.results.by_id(intervention)
        for r in self.results:
            if r.intervention == intervention:
                return r
        raise KeyError(intervention)

    def decisions(self) -> Sequence[Decision]:
        """Each result's decision, in the results' order; a screen() made the results when read,
        and these are known without making any."""
        if isinstance(self.results, Results):
            return self.results.decisions()
        return tuple(r.decision for r in self.results)

    def counts(self) -> dict[Decision, int]:
        """How many results have each decision (every decision, in reading order), without making
        the results."""
        out: dict[str, int] = dict.fromkeys(DECISIONS, 0)
        for d in self.decisions():
            out[d] += 1
        return out  # type: ignore[return-value]

    def with_decision(self, *decisions: Decision) -> list[InterventionResult]:
        """The results with one of these decisions, in the results' order; only those are made.
        ValueError for a decision that is none of DECISIONS (a misspelt one would find nothing)."""
        want = set(_known_decisions(decisions))
        return [self.results[i] for i, d in enumerate(self.decisions()) if d in want]

    def by_decision(self, decision: Decision) -> list[str]:
        """The ids of the results with this decision (ValueError for one that is none of DECISIONS)."""
        _known_decisions((decision,))
        ids = self.results.ids if isinstance(self.results, Results) else [r.intervention for r in self.results]
        return [iid for iid, d in zip(ids, self.decisions()) if d == decision]

    def in_reading_order(self) -> list[InterventionResult]:
        """Eligible and available, eligible but unavailable, eligible if agreed (available first),
        undetermined, ineligible; ids within each."""
        return sorted(self.results, key=lambda r: (_GROUP[(r.decision, r.usable_now)], r.intervention))
