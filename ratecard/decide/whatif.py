"""What answers to the missing questions would confirm a result: "BBR, if the SARA completed before
sentence shows medium or high risk to a partner".

Each missing case field is tried at one value from each of its pieces (the ranges and values the
rules tell apart), with every other missing field left missing, and the case is evaluated again
from the compiled forms (the reference evaluator, rules/reference.py, which the engine is tested
to agree with): only the derived facts and rules that read the field, directly or through other
derived facts, are worked out again; everything else is the case's own evaluation. A field whose
answer alone can confirm the result is named with those answers; when no single answer can, each
field is named with the answers that keep the result possible.

A caller that says what its test reads (`Reads`: some rules, whole eligibilities and derived
facts) has only those worked out, with the derived facts they are worked out from: a programme's
confirmation reads its own few rules and the PNI pathway, not the other ninety rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict

from ..catalog.load import Catalog, per_catalog
from ..rules.fields import COMPUTED
from ..rules.forms import (MAX_LIST_ITEMS, OTHER, DerivedProgram, Form, Program, Range, RuleProgram, TooManyItems, form_items,
                           item_combinations, item_cubes, list_items, relevant_pieces)
from ..rules.loader import Evaluation, Tri
from ..rules.reference import Knowledge, decided_values, derive_into, fails, outcome
from ..rules.wording import answers_phrase, label


class Answer(BaseModel):
    """Answers to one case field that would confirm a conditional result."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    field: str
    label: str
    text: str  # the answers in words, e.g. "medium or high"
    alone: bool  # whether an answer to this field alone confirms it
    # the same as a clause for a sentence: "the SARA level towards a partner is medium or high",
    # "the programmes completed before do not include Building Better Relationships (BBR)"
    clause: str = ""


@dataclass(frozen=True)
class Reads:
    """What a test of an evaluation looks at: rules' outcomes, interventions' whole eligibility and
    derived facts. The evaluation it is given holds these (and what they are worked out from) only."""

    rules: tuple[str, ...] = ()
    eligibility: tuple[str, ...] = ()
    derived: tuple[str, ...] = ()


def confirming_answers(catalog: Catalog, facts: dict[str, Any], fields: list[str],
                       confirmed: Callable[[Evaluation], bool | None], reads: Reads | None = None,
                       known: Knowledge | None = None) -> list[Answer]:
    """For each missing field, the answers under which `confirmed` (True: confirmed, False: ruled
    out, None: still open) holds. With `reads`, `confirmed` is given an evaluation of those only
    (default: of the whole program). `known`: what an evaluation of these facts that agrees with
    the reference evaluator (the screen's engine) found of the derived facts, so the case's own
    starting point is not worked out again."""
    pieces = _pieces(catalog, reads)
    registry = catalog.rules.registry
    found: list[tuple[str, list[Any], bool]] = []
    trial = _Trial(catalog, facts, _focus(catalog, reads), known)
    for f in fields:
        if f in COMPUTED or f not in pieces or f in facts:
            continue
        tried = pieces[f]
        if isinstance(tried, TooManyItems):
            found.append((f, [], False))  # said as not worked out, never guessed
            continue
        confirm: list[Any] = []
        possible: list[Any] = []
        for piece, value in tried:
            verdict = confirmed(trial.with_value(f, value))
            if verdict is True:
                confirm.append(piece)
            if verdict is not False:
                possible.append(piece)
        found.append((f, confirm or possible, bool(confirm)))
    alone = any(a for _, _, a in found)
    out = []
    for f, answers, a in found:
        if alone and not a:
            continue  # the fields that confirm alone are the useful question
        words = label(f, registry)
        every = pieces[f]
        if isinstance(every, TooManyItems):
            text = (f"not worked out: its rules name {every.items} possible {words}, more than the "
                    f"{MAX_LIST_ITEMS} this tool tries together; check the {words} against its rules by hand")
            out.append(Answer(field=f, label=words, text=text, alone=False, clause=f"the {words} allow it ({text})"))
            continue
        if len(answers) == len(every):
            continue  # every answer keeps it possible: this field does not narrow it
        listed = _list_words(answers, [p for p, _ in every], catalog)
        text = listed or answers_phrase(_as_answers(answers), registry[f])
        out.append(Answer(field=f, label=words, text=text, alone=a, clause=_clause(words, text, registry[f].kind, bool(listed))))
    return out


def _clause(words: str, text: str, kind: str, listed: bool) -> str:
    if listed:
        return f"the {words} {text}"
    if kind == "flag":
        # flag labels are statements ("they can read simple sentences"): no "the ... is yes"
        return f"the answer to ‘{words}’ is {text}"
    lead = "" if words.split(" ", 1)[0].lower() in ("the", "a", "an", "they", "their") else "the "
    return f"{lead}{words} is {text}"


def _list_words(answers: list[Any], every: list[Any], catalog: Catalog) -> str:
    """A list field's confirming answers as what the list must and must not include ("do not
    include BBR"); when no one such description is exactly them, each way that is ("either include
    Kaizen, or include New Me Strengths"), never a list of every combination."""
    if not answers or not all(isinstance(a, tuple) for a in answers):
        return ""
    cubes = item_cubes((frozenset(a) for a in answers), set().union(*map(set, every)))
    if not any(must or never for must, never in cubes):
        return ""

    def name(i: str) -> str:
        return catalog.interventions[i].name if i in catalog.interventions else str(i).replace("_", " ")

    def words(must: frozenset[str], never: frozenset[str]) -> str:
        parts = []
        if must:
            parts.append("include " + " and ".join(name(i) for i in sorted(must)))
        if never:
            parts.append("do not include " + " or ".join(name(i) for i in sorted(never)))
        return " and ".join(parts)

    if len(cubes) == 1:
        return words(*cubes[0])
    return "either " + ", or ".join(words(*c) for c in cubes)


def _as_answers(pieces: list[Any]) -> list[Any]:
    """Adjacent number pieces joined into ranges; values as they are."""
    out: list[Any] = []
    for p in pieces:
        if isinstance(p, Range) and out and isinstance(out[-1], Range) and _adjacent(out[-1], p):
            last = out[-1]
            out[-1] = Range(last.lo, last.lo_closed, p.hi, p.hi_closed)
        elif p is not OTHER:
            out.append(p)
    return out


def _adjacent(a: Range, b: Range) -> bool:
    return a.hi == b.lo and (a.hi_closed != b.lo_closed)


class _Focus:
    """The part of the compiled program a test reads, in evaluation order, and for each case field
    the part of that which reads the field, directly or through derived facts."""

    def __init__(self, program: Program, reads: Reads | None):
        cones = program.cones
        if reads is None:
            derived = [d for stratum in program.strata for d in stratum]
            rules = list(program.rules.values())
            whole = list(program.eligibility.values())
        else:
            whole = [program.eligibility[i] for i in reads.eligibility if i in program.eligibility]
            wanted = set(reads.rules) | {rid for e in whole for rid, _ in e.members}
            rules = [r for rid, r in program.rules.items() if rid in wanted]
            # the derived facts read, and those they are worked out from (a fact reads only earlier strata)
            need = set(reads.derived) | {x for r in rules for x in r.inputs} | {lit.field for e in whole for t in e.false for lit in t}
            derived = []
            for stratum in reversed(program.strata):
                for d in reversed(stratum):
                    if d.id in need:
                        derived.append(d)
                        need.update(d.inputs)
            derived.reverse()
        self.derived, self.rules, self.whole = tuple(derived), tuple(rules), tuple(whole)
        # the derived facts whose decided values the evaluation gives (what the test reads)
        self.shown: frozenset[str] | None = None if reads is None else frozenset(reads.derived)
        # what each of them reads: its value is worked out once per combination of these (_Trial)
        self.inputs: dict[str, tuple[str, ...]] = {d.id: _read(d.sum, *d.impossible.values()) for d in derived}
        self.inputs.update({r.id: _read((), r.true, r.false) for r in rules})
        self.readers: dict[str, tuple[tuple[Any, ...], tuple[Any, ...], tuple[Any, ...]]] = {}
        for f in {f for cone in cones.values() for f in cone}:
            self.readers[f] = (tuple(d for d in derived if f in cones[d.id]), tuple(r for r in rules if f in cones[r.id]),
                               tuple(e for e in whole if any(f in cones[rid] for rid, _ in e.members)))


def _read(terms: tuple[str, ...], *forms: Form) -> tuple[str, ...]:
    return tuple(sorted({*terms, *(lit.field for form in forms for term in form for lit in term)}))


def _focus(catalog: Catalog, reads: Reads | None) -> _Focus:
    made = _foci(catalog)
    got = made.get(reads)
    if got is None:
        got = made[reads] = _Focus(catalog.program, reads)
    return got


@per_catalog
def _foci(catalog: Catalog) -> dict[Reads | None, _Focus]:
    return {}  # a few entries: one per programme a proposal can put on condition, and the whole program


@per_catalog
def _values(catalog: Catalog) -> dict[tuple[Any, ...], Any]:
    """Derived facts' possible values (or bounds) and rules' outcomes by what they read: the same
    few combinations recur between answers tried and between cases (bounded: started again when full)."""
    return {}


_NOT_GIVEN = object()
_MAX_VALUES = 1 << 16


class _Trial:
    """The case's evaluation from the forms (of the focus), and the same with one more field answered."""

    def __init__(self, catalog: Catalog, facts: dict[str, Any], focus: _Focus, known: Knowledge | None = None):
        self.program = catalog.program
        self.focus = focus
        self.facts = facts
        self.values = _values(catalog)
        self.known = known
        self._base: tuple[Knowledge, dict[str, Tri], dict[str, Tri]] | None = None

    @property
    def base(self) -> tuple[Knowledge, dict[str, Tri], dict[str, Tri]]:
        if self._base is None:
            k = Knowledge(self.facts)
            known = self.known
            # the engine agrees with the reference evaluator on every derived fact (tested: the same
            # Evaluation, sums' bounds added in the same order), so its values are the case's own
            if known is not None and all(d.id in (known.bounds if d.sum else known.possible) for d in self.focus.derived):
                for d in self.focus.derived:
                    if d.sum:
                        k.bounds[d.id] = known.bounds[d.id]
                    else:
                        k.possible[d.id] = known.possible[d.id]
            else:
                self._derive(k, self.focus.derived)
            outcomes = {r.id: self._outcome(r, k) for r in self.focus.rules}
            self._base = k, outcomes, {e.id: _whole(e, outcomes, k) for e in self.focus.whole}
        return self._base

    def with_value(self, f: str, value: Any) -> Evaluation:
        base, base_outcomes, base_whole = self.base
        derived, rules, whole = self.focus.readers.get(f, ((), (), ()))
        k = Knowledge({**self.facts, f: value}, dict(base.possible), dict(base.bounds))
        self._derive(k, derived)
        outcomes = dict(base_outcomes)
        for r in rules:
            outcomes[r.id] = self._outcome(r, k)
        eligibility = dict(base_whole)
        for e in whole:
            eligibility[e.id] = _whole(e, outcomes, k)
        shown = self.focus.shown
        if shown is not None:
            k = Knowledge(k.facts, {d: k.possible[d] for d in shown if d in k.possible},
                          {d: k.bounds[d] for d in shown if d in k.bounds})
        return Evaluation(decided_values(k), outcomes, k.possible, k.bounds, eligibility)

    def _key(self, kind: str, xid: str, k: Knowledge) -> tuple[Any, ...]:
        # a field is a derived fact (possible values or bounds) or a case field (a value or not given)
        possible, bounds, facts = k.possible, k.bounds, k.facts
        return (kind, xid, *[possible[x] if x in possible else bounds[x] if x in bounds else facts.get(x, _NOT_GIVEN)
                             for x in self.focus.inputs[xid]])

    def _derive(self, k: Knowledge, derived: tuple[DerivedProgram, ...]) -> None:
        values = self.values
        for d in derived:  # in strata order: each sees the ones before it
            key = self._key("derived", d.id, k)
            got = values.get(key)
            if got is None:
                derive_into(k, (d,), self.program.registry)
                got = k.bounds[d.id] if d.sum else k.possible[d.id]
                if len(values) >= _MAX_VALUES:
                    values.clear()
                values[key] = got
            elif d.sum:
                k.bounds[d.id] = got
            else:
                k.possible[d.id] = got

    def _outcome(self, r: RuleProgram, k: Knowledge) -> Tri:
        key = self._key("rule", r.id, k)
        if key in self.values:
            got: Tri = self.values[key]
            return got
        got = self.values[key] = outcome(r, k)
        return got


def _whole(e: RuleProgram, outcomes: dict[str, Tri], k: Knowledge) -> Tri:
    return False if fails(e, outcomes) or k.form(e.false) else None


_FieldPieces = dict[str, list[tuple[Any, Any]] | TooManyItems]


def _pieces(catalog: Catalog, reads: Reads | None) -> _FieldPieces:
    """The pieces tried for each field by a test that reads `reads`. A list field's items are each
    asked about only through `contains`, so the items the test's forms never name cannot change
    what it finds: only the combinations of the items it reads are tried (exact, and usually one or
    two items: 2 or 4 values, not 2^n for every item the catalog names). Past MAX_LIST_ITEMS of
    them, TooManyItems, which the answer says."""
    made, shared = _list_pieces(catalog)
    got = made.get(reads)
    if got is None:
        focus = _focus(catalog, reads)
        others, lists = _other_pieces(catalog)
        cones = catalog.program.cones
        # only what reads a list, directly or through derived facts, has items to name
        wanted = frozenset(lists)
        read = form_items(form for d in focus.derived if wanted & cones[d.id] for form in (*d.impossible.values(), *d.certain.values()))
        for f, its in form_items(form for r in (*(r for r in focus.rules if wanted & cones[r.id]), *focus.whole)
                                 for form in (r.true, r.false)).items():
            read.setdefault(f, set()).update(its)
        # one table per distinct set of items read (most tests read none), shared between tests
        key = tuple(frozenset(read.get(f, ())) for f in lists)
        got = shared.get(key)
        if got is None:
            got = shared[key] = dict(others)
            for f in lists:
                try:
                    got[f] = [(held, held) for held in item_combinations(f, read.get(f, ()), "the rules read here")]
                except TooManyItems as e:
                    # kept without its traceback: the frame holds the catalog, which a per-catalog
                    # table must never refer back to (it would never be freed)
                    got[f] = e.with_traceback(None)
        made[reads] = got
    return got


@per_catalog
def _other_pieces(catalog: Catalog) -> tuple[dict[str, list[tuple[Any, Any]]], tuple[str, ...]]:
    """Every field's pieces but lists', and the list fields."""
    return relevant_pieces(catalog.rules, lists=False), tuple(list_items(catalog.rules))


@per_catalog
def _list_pieces(catalog: Catalog) -> tuple[dict[Reads | None, _FieldPieces], dict[tuple[frozenset[str], ...], _FieldPieces]]:
    return {}, {}  # per test read (as _foci), and per distinct set of items read
