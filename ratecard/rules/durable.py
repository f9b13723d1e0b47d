"""The compiled program (forms.py) run on durable_rules: the engine of record.

Each term of each form becomes one durable_rules rule whose firing means "this form holds"; a case
is asserted as one fact per stratum of derived facts, then once for the eligibility rules. The
engine sees only its own short keys (`v3`, `m12`, ...), generated from the program, so no name a
catalog chooses can collide with them or with each other.

What is sent for one case, per stage:
- `v<i>`: a given case or computed field's value (absent when missing, so every comparison on it is
  false, as a literal on a missing field must be); list fields send one `t<i>` flag per item asked;
- `g<i>`: whether a field is given, for `present` literals;
- `m<i>`: whether one value of a derived fact is still possible; `lo<i>`/`hi<i>` bound a sum;
- `u<i>`: whether some input of a group of forms is undecided;
- `x<i>`: a literal too wide to match as comparisons (a long list of values), worked out here.

Two forms per result would fire about twice as often as needed, and each firing costs 10 to 16
microseconds of JSON round trip inside durable_rules. So a result whose inputs are all decided
fires only its one answer (the rule's true form, or the derived value that holds), and the forms
that reason about missing information fire only when some input is undecided (`u` flags). With
every input decided no firing means "the condition does not hold": a rule names a circumstance most
people are not in, so this fires least (a third fewer firings than firing the false form).

The stages are split into several rulesets when one would exceed what durable_rules handles:
about 255 properties per fact; 64 conditions met at once below one node of its network (an assert
past that fails with error 303 and corrupts the heap, see _AlphaTrie); about 512 conditions below
one node (`create_ruleset` never returns). docs/engine.md has the measurements.

Why not `durable.engine.Host` and Python actions: each action costs ~45 microseconds, the host's two
timer threads call into the engine concurrently with the caller (not thread-safe, ENGINE-NOTES 9),
and its rulesets are never freed. Here rulesets are created and deleted directly, no timers run,
and every call is made under one lock per engine.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import json
import threading
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import chain, compress, repeat
from operator import contains, is_
from typing import Any

import durable_rules_engine as _dre

from ..errors import RatecardError
from .fields import FieldType
from .forms import DerivedProgram, Form, Lit, Program
from .loader import Evaluation, Tri
from .reference import Knowledge, decided_values, term_bounds

_OP = {True: {True: "$gte", False: "$gt"}, False: {True: "$lte", False: "$lt"}}

# Beyond these, a ruleset is split or a literal is worked out before the assert (see the docstring).
MAX_PROPERTIES = 200
MAX_COMPARISONS_PER_KEY = 24
MAX_RULES_PER_RULESET = 400
# durable_rules' traversal stack holds 64 alpha nodes; past it an assert fails with error 303 and
# corrupts the heap (see _AlphaTrie), so rulesets are packed to stay below it with a margin
MAX_PENDING_MATCHES = 56
MAX_ALTERNATIVES = 4  # a literal needing more disjuncts than this is sent as a worked-out flag
# facts whose firings a ruleset remembers (as target ids: a few hundred KiB at most for the largest). 0 turns the
# memory off: every fact of every case is then asserted to durable_rules (about 1.6x the
# instructions of a screen on the default catalog; docs/engine.md, "Remembered firings")
MEMO_FACTS = 1024
# ... and the eligibility stage's, whose answers are dicts of rule outcomes, at most this many
# entries in them all (some tens of MB); then they are all forgotten
SAID_ENTRIES = 1_000_000
# The rules that always wait in a stage are split into rulesets reading at most this many properties
# (rules sharing a property stay together): each firing costs a copy of the fact, and a ruleset that
# reads a few flags sees the same few facts case after case (see _Ruleset.memo). Measured with
# callgrind on the generated cases: 3 costs the least (2.84 M instructions a screen against 3.18 with
# 8: 660 asserts for 200 cases against 1,240), 24 more, one ruleset a stage most.
SPLIT_KEYS = 3
_names = itertools.count()
_SID = "ratecard"  # the one session of each ruleset: evaluations are serialised by the engine's lock


# a ruleset as the per-case loop reads it: the ruleset, its properties' order and its memory
_Planned = tuple["_Ruleset", tuple[str, ...], dict[tuple[Any, ...], tuple[Any, ...]]]


class EngineError(RatecardError):
    """The rules could not be compiled for durable_rules."""


def _number(v: float) -> str:
    r = repr(v)
    # durable_rules' JSON reader rejects exponents (1e-05 gives error 204); the exact decimal of the
    # shortest repr reads back as the same double
    return format(Decimal(r), "f") if "e" in r or "E" in r else r


# json.dumps makes a new encoder on every call; a fact is encoded about ten times a screen
_encode = json.encoder.c_make_encoder(  # type: ignore[attr-defined]
    None, None, json.encoder.encode_basestring_ascii, None, ":", ",", False, False, True) \
    if getattr(json.encoder, "c_make_encoder", None) else None


def _dumps(fact: dict[str, Any]) -> str:
    s = "".join(_encode(fact, 0)) if _encode is not None else json.dumps(fact, separators=(",", ":"))
    # keys are short generated names and text values are identifiers, so "e-" or "e+" can only be a
    # number in exponent form
    if "e-" in s or "e+" in s:
        return "{" + ",".join(
            json.dumps(k) + ":" + (_number(v) if type(v) is float else json.dumps(v)) for k, v in fact.items()
        ) + "}"
    return s


# ---- targets: what a firing means -------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    kind: str  # "true" / "false" (a rule's forms), "impossible" / "certain" (a derived value)
    id: str  # rule or derived id
    value: Any = None


@dataclass
class _Stage:
    """One stratum (or the eligibility rules): the forms it evaluates and how they are grouped."""

    derived: list[DerivedProgram] = field(default_factory=list)
    sums: list[DerivedProgram] = field(default_factory=list)
    # (target, form, undecided-group or None, when: "some undecided" True / "all decided" False / None always)
    forms: list[tuple[_Target, Form, int | None, bool | None]] = field(default_factory=list)


class _Keys:
    """Short engine property names, one per thing sent; nothing a catalog names reaches the engine."""

    def __init__(self) -> None:
        self.names: dict[tuple[Any, ...], str] = {}

    def get(self, prefix: str, *what: Any) -> str:
        k = (prefix, *what)
        if k not in self.names:
            self.names[k] = f"{prefix}{len(self.names)}"
        return self.names[k]


class Engine:
    """The program of one catalog on durable_rules. Thread-safe; nothing carries over between cases."""

    def __init__(self, program: Program):
        self.program = program
        self.registry: dict[str, FieldType] = program.registry
        self._keys = _Keys()
        self._derived_ids = set(program.derived)
        self._sum_ids = {d.id for d in program.derived.values() if d.sum}
        # literals worked out in Python: key -> literal
        self._flags: dict[str, Lit] = {}
        # groups of inputs whose "some undecided" flag a stage sends: id -> fields
        self._groups: list[tuple[str, ...]] = []
        group_ids: dict[tuple[str, ...], int] = {}

        def group(fields: Iterable[str]) -> int:
            key = tuple(sorted(set(fields)))
            if key not in group_ids:
                group_ids[key] = len(self._groups)
                self._groups.append(key)
            return group_ids[key]

        stages: list[_Stage] = []
        for stratum in program.strata:
            st = _Stage()
            for d in stratum:
                if d.sum:
                    st.sums.append(d)
                    continue
                st.derived.append(d)
                if len(d.universe) <= 2:
                    # with two values, "the other is ruled out" is the answer either way: one form
                    # each, whether or not every input is decided
                    for v in d.universe:
                        st.forms.append((_Target("impossible", d.id, v), d.impossible[v], None, None))
                    continue
                g = group(d.inputs)
                for v in d.universe:
                    st.forms.append((_Target("certain", d.id, v), d.certain[v], g, False))
                    st.forms.append((_Target("impossible", d.id, v), d.impossible[v], g, True))
            stages.append(st)
        final = _Stage()
        for r in program.rules.values():
            if r.judgement and not r.inputs:
                continue  # it always applies: planned below as decided, with no inputs to wait for
            # the true form waits for nothing: a rule names a circumstance (a veteran, a sexual
            # offence, a course already done) that most people are not in, so with every input
            # decided it fires for the few it holds for, and nothing fired means false
            final.forms.append((_Target("true", r.id), r.true, None, None))
            final.forms.append((_Target("false", r.id), r.false, group(r.inputs), True))
        for r in program.eligibility.values():
            # with every input decided the rules alone decide; these matter only when some is not
            final.forms.append((_Target("eligible_false", r.id), r.false, group(r.inputs), True))
        stages.append(final)
        self._stages = stages

        # compile every stage into one or more rulesets
        self._rulesets: list[list[_Ruleset]] = []
        try:
            for s, st in enumerate(stages):
                self._rulesets.append(self._compile_stage(s, st))
        except BaseException:
            self.close()
            raise
        self._plan()
        self._schedule()
        self._finalizer = weakref.finalize(self, _delete_rulesets, [r.handle for rs in self._rulesets for r in rs])
        self._lock = threading.Lock()

    def _plan(self) -> None:
        """Work out once what evaluating a case needs, so that the per-case path is lookups only."""
        ids: dict[_Target, int] = {}
        for rs in (r for stage in self._rulesets for r in stage):
            for targets in rs.actions.values():
                for tg in targets:
                    ids.setdefault(tg, len(ids))
        by_name = {name: key for key, name in self._keys.names.items()}
        for rs in (r for stage in self._rulesets for r in stage):
            rs.fires.update({name: tuple(ids[tg] for tg in targets) for name, targets in rs.actions.items()})
            rs.encoder.extend((name, by_name[name][0], by_name[name][1], by_name[name][2] if len(by_name[name]) > 2 else None)
                              for name in sorted(rs.keys) if name in by_name)

        def tid(tg: _Target) -> int:
            return ids.get(tg, -1)  # a target no engine rule has never fires

        self._groupsets = [frozenset(g) for g in self._groups]
        self._case_inputs = frozenset(f for g in self._groups for f in g if f not in self._derived_ids)
        # per stage: (id, two values at most, inputs, (value, certain id, impossible id), possible sets)
        self._derived_plan: list[list[tuple[str, bool, frozenset[str], tuple[tuple[Any, int, int], ...],
                                            tuple[frozenset[Any], ...]]]] = [
            [(d.id, len(d.universe) <= 2, frozenset(d.inputs),
              tuple((v, tid(_Target("certain", d.id, v)), tid(_Target("impossible", d.id, v))) for v in d.universe),
              # by which of (at most) two values is still possible: neither, the first, the second, both
              (frozenset(), frozenset(d.universe[:1]), frozenset(d.universe[1:2]), frozenset(d.universe[:2])))
             for d in st.derived]
            for st in self._stages
        ]
        # the final stage decides rules and eligibility only: evaluate() reads its firings as what they
        # say (_said), never as targets of derived facts
        if self._derived_plan and self._derived_plan[-1]:
            raise RuntimeError("the engine's final stage works out derived facts: evaluate() would not read them")
        # with every input decided and nothing fired, a rule is false; a judgement's outcome is
        # whether it applies, and one without applies_when has no inputs and no engine rule: it holds
        self._rule_default = {rid: r.judgement and not r.inputs for rid, r in self.program.rules.items()}
        # what a case changes from those defaults, as dicts merged into a copy of them: a case sets
        # thousands of outcomes on a large catalog, too many for a loop in Python
        readers: dict[str, list[str]] = {}
        for rid, r in self.program.rules.items():
            for f in dict.fromkeys(r.inputs):
                readers.setdefault(f, []).append(rid)
        # a rule is unknown while one is undecided
        self._readers: dict[str, dict[str, Tri]] = {f: dict.fromkeys(rids) for f, rids in readers.items()}
        # a target is one form of one rule, so its firing decides that rule alone
        self._answers: dict[int, tuple[str, Tri]] = {
            tid(_Target(kind, rid)): (rid, value) for rid in self.program.rules
            for kind, value in (("true", True), ("false", False)) if tid(_Target(kind, rid)) >= 0}
        # each stage's properties, worked out once a case for all its rulesets (see _stage_fact)
        self._stage_encoders: list[tuple[Any, ...]] = []
        # A number's answer from the rules depends only on where it lies among the numbers they
        # compare it with: firings are remembered under that piece, not the value itself.
        self._stage_cuts: list[tuple[tuple[str, tuple[float, ...]], ...]] = []
        for stage in self._rulesets:
            entries: dict[str, tuple[str, str, Any, Any]] = {}
            named: dict[str, set[Any]] = {}
            for rs in stage:
                rs.order = tuple(e[0] for e in rs.encoder)
                entries.update((e[0], e) for e in rs.encoder)
                if rs.definition is not None:
                    _constants(json.loads(rs.definition), named)
            self._stage_encoders.append(self._fact_plan(entries.values()))
            self._stage_cuts.append(tuple(
                (name, tuple(sorted(cs))) for name, cs in sorted(named.items())
                if name in entries and all(type(c) in (int, float) for c in cs)))
        # the intervention whose eligible_false target each is; and every rule of each intervention,
        # with the outcome that fails it (reference.fails) and the intervention it fails, in three
        # parallel tuples, so that a case finds the failed interventions with map and compress, in C
        self._eligibility_ids = tuple(self.program.eligibility)
        self._said_entries = 0  # in the eligibility stage's remembered answers (_answer)
        self._failed_by = {tid(_Target("eligible_false", iid)): iid for iid in self._eligibility_ids}
        self._failed_by.pop(-1, None)
        owned = [(rid, kind != "criterion", iid) for iid, e in self.program.eligibility.items() for rid, kind in e.members]
        self._member_rules = tuple(m[0] for m in owned)
        self._member_bad = tuple(m[1] for m in owned)
        self._member_of = tuple(m[2] for m in owned)

    def _fact_plan(self, encoder: Iterable[tuple[str, str, Any, Any]]) -> tuple[Any, ...]:
        """One stage's properties by kind (_split_encoder), laid out for _stage_fact: names and
        what they are worked out from in parallel tuples, so that a kind is worked out with map."""
        values, members, gates, items, given, bounds, flags = _split_encoder(encoder)
        by_field: dict[str, tuple[list[str], list[Any]]] = {}
        for name, a, b in items:
            by_field.setdefault(a, ([], []))[0].append(name)
            by_field[a][1].append(b)
        # A literal naming many text values (the towns of an area) is sent as a worked-out flag:
        # hundreds of them on a large catalog, all on a few case fields. Per field, what
        # Knowledge.holds says of them all for a value none of them names, for a missing value, and
        # where a value named by some differs, so that a case's value answers them all with a few
        # dict merges; other flags are worked out by Knowledge.holds.
        plain: dict[str, tuple[dict[str, bool], dict[str, bool], dict[str, dict[str, bool]]]] = {}
        other: list[str] = []
        for name in flags:
            lit = self._flags[name]
            f = lit.field
            if (lit.present is None and lit.item is None and lit.ranges is None and lit.values is not None
                    and f not in self._derived_ids and f not in self._sum_ids
                    and all(type(x) is str for x in lit.values)):
                unnamed, missing, named = plain.setdefault(f, ({}, {}, {}))
                unnamed[name] = False != lit.exclude  # as Knowledge.holds compares
                missing[name] = False
                for x in lit.values:
                    named.setdefault(x, {})[name] = True != lit.exclude
            else:
                other.append(name)
        return (
            values, members,
            tuple((name, self._groupsets[a]) for name, a in gates),
            tuple((a, tuple(names), tuple(bs)) for a, (names, bs) in by_field.items()),
            given,
            bounds,
            tuple((f, *kinds) for f, kinds in plain.items()),
            tuple(other))

    def _schedule(self) -> None:
        """Per stage, the rulesets asserted for every case, and those waiting for a gate filed under
        its flag: a case whose gate is shut passes over them all with one lookup."""
        self._scheduled: list[tuple[tuple[_Planned, ...], tuple[str, ...], tuple[tuple[_Planned, ...], ...]]] = []
        for stage in self._rulesets:
            always: list[_Ruleset] = []
            by_flag: dict[str, list[_Ruleset]] = {}
            for rs in stage:
                if rs.handle is None:
                    continue
                if rs.gate is None:
                    always.append(rs)
                else:
                    # the gate's flag is sent with the stage's properties ('some input undecided':
                    # the rules wait for it to be true)
                    assert rs.gate[1]
                    by_flag.setdefault(self._keys.names[("u", rs.gate[0])], []).append(rs)
            # with what the loop over them reads of each (a ruleset's memo is emptied in place, never replaced)
            self._scheduled.append((tuple((rs, rs.order, rs.memo) for rs in always), tuple(by_flag),
                                    tuple(tuple((rs, rs.order, rs.memo) for rs in rss) for rss in by_flag.values())))

    # ---- compiling ----

    def _literal(self, lit: Lit) -> list[dict[str, Any]]:
        """The literal as durable_rules alternatives (each a conjunction); a literal that would need
        many alternatives is sent as a flag worked out before the assert."""
        alts = self._alternatives(lit)
        # many disjuncts multiply engine rules; many comparisons in one conjunction (a long
        # not_in) exceed what durable_rules matches on one property
        if len(alts) > MAX_ALTERNATIVES or any(len(_comparisons([a]).get(k, ())) > MAX_ALTERNATIVES * 2
                                               for a in alts for k in _keys_of([a])):
            k = self._keys.get("x", lit)
            self._flags[k] = lit
            return [{k: True}]
        return alts

    def _alternatives(self, lit: Lit) -> list[dict[str, Any]]:
        f = lit.field
        if lit.present is not None:
            return [{self._keys.get("g", f): lit.present}]
        if f in self._sum_ids:
            lo, hi = self._keys.get("lo", f), self._keys.get("hi", f)
            out = []
            for r in lit.ranges or ():
                parts = []
                if r.lo is not None:
                    parts.append({_OP[True][r.lo_closed]: {lo: r.lo}})
                if r.hi is not None:
                    parts.append({_OP[False][r.hi_closed]: {hi: r.hi}})
                out.append(_and(parts))
            return out
        if f in self._derived_ids:
            d = self.program.derived[f]
            ruled_out = [u for u in d.universe if not _lit_allows(lit, u)]
            # every value outside the literal's set must be ruled out
            return [_and([{self._keys.get("m", f, u): False} for u in ruled_out])] if ruled_out else [{}]
        if lit.item is not None:
            return [{self._keys.get("t", f, lit.item): True in (lit.values or ())}]
        k = self._keys.get("v", f)
        if lit.ranges is not None:
            out = []
            for r in lit.ranges:
                parts = []
                if r.lo is not None:
                    parts.append({_OP[True][r.lo_closed]: {k: r.lo}})
                if r.hi is not None:
                    parts.append({_OP[False][r.hi_closed]: {k: r.hi}})
                out.append(_and(parts))
            return out
        values = sorted(lit.values or (), key=repr)
        ft = self.registry[f]
        if lit.exclude:
            return [_and([{"$neq": {k: v}} for v in values])]
        if ft.kind in ("choice", "flag") and len(values) > 1:
            domain = list(ft.values) if ft.kind == "choice" else [True, False]
            others = [v for v in domain if not any(_same(v, x) for x in values)]
            # a missing property fails '!=' too, so "none of the others" needs no disjunction, and
            # every disjunction is one more engine rule for each term it is in
            return [_and([{"$neq": {k: v}} for v in others])]
        return [{k: v} for v in values]

    def _term(self, term: tuple[Lit, ...]) -> list[list[dict[str, Any]]]:
        """A term as alternative conjunctions (the product of its literals' alternatives)."""
        options = [self._literal(lit) for lit in term]
        return [list(combo) for combo in itertools.product(*options)]

    def _compile_stage(self, s: int, st: _Stage) -> list[_Ruleset]:
        # each engine rule: (body conditions, keys it reads, comparisons it makes)
        # the targets of each engine rule, in order; a dict, not a list: thousands of rules can share
        # one condition ("for men"), and a list's membership test made that quadratic
        bodies: dict[str, dict[_Target, None]] = {}
        conds: dict[str, list[dict[str, Any]]] = {}
        for target, form, g, when in st.forms:
            for term in form:
                for conj in self._term(term):
                    parts = [c for c in conj if c]
                    if g is not None and when is not None:
                        # first, so that durable_rules stops matching there for most cases
                        parts.insert(0, {self._keys.get("u", g): when})
                    sig = json.dumps(parts, sort_keys=True, default=str)
                    if sig not in conds:
                        conds[sig] = parts
                        bodies[sig] = {}
                    bodies[sig][target] = None
        # Rules gated on a group of inputs being undecided (forms about missing information) are put
        # in rulesets of their own, by group, and asserted only when their gate is open (see
        # _schedule): the cost of an assert grows with the rules in its ruleset, and most cases
        # decide most facts. A group of one rule gets a ruleset too: a ruleset whose gate is shut
        # costs nothing, where one shared by several small groups was asserted, with a fact of its
        # own, whenever any of them was open (measured in instructions a case).
        group_of = {name: key[1] for key, name in self._keys.names.items() if key[0] == "u"}
        buckets: dict[tuple[int, bool] | None, list[str]] = {}
        for sig, parts in conds.items():
            gate = _gate(parts)
            # a rule waiting for "all decided" fires for most cases: splitting those off costs an
            # assert more than it saves (measured in instructions per case)
            if gate is None or gate[1] is False:
                buckets.setdefault(None, []).append(sig)
            else:
                buckets.setdefault((group_of[gate[0]], gate[1]), []).append(sig)
        chunks: list[tuple[tuple[int, bool] | None, list[str]]] = []
        for gk, sigs in sorted(buckets.items(), key=lambda b: (b[0] is not None, b[0] or (0, False))):
            for part in (_by_inputs(sigs, conds, SPLIT_KEYS) if gk is None else [sigs]):
                chunks.extend((gk, chunk) for chunk in _pack(part, conds))
        out = []
        for c, (gk, chunk) in enumerate(chunks):
            definition: dict[str, Any] = {}
            actions: dict[str, list[_Target]] = {}
            for i, sig in enumerate(chunk):
                name = f"r{i}"
                definition[name] = {"all": [{"m": _and([{"kind": "case"}, {"stage": s}, *conds[sig]])}]}
                actions[name] = list(bodies[sig])
            # every assert must match some rule: deleting the session of a fact that matched nothing
            # corrupts durable_rules' heap (docs/engine.md, trap 1)
            definition["seen"] = {"all": [{"m": {"kind": "case"}}]}
            name = f"ratecard_{next(_names)}_s{s}c{c}"
            text = json.dumps(definition)
            try:
                handle = _dre.create_ruleset(name, text)
            except Exception as e:  # durable_rules gives only a code, e.g. 113 when a rule is too big
                raise EngineError(f"durable_rules could not compile the rules ({e}); a condition is too complex "
                                  "once expanded: split it into simpler rules or a derived fact") from None
            keys_needed = set().union(*(_keys_of(conds[sig]) for sig in chunk)) if chunk else set()
            out.append(_Ruleset(handle, actions, frozenset(keys_needed), gk,
                                definition=text, needs=_needs([conds[sig] for sig in chunk])))
        if not out:
            out.append(_Ruleset(None, {}, frozenset()))
        return out

    _closed = False

    # Pickling carries everything worked out in Python (keys, packing, plans) and the rulesets'
    # definitions; unpickling creates the rulesets afresh in the receiving process. The catalog cache
    # keeps a compiled engine this way: creating the default catalog's 25 rulesets takes about
    # 25 ms, working out what goes in them about ten times that.
    def __getstate__(self) -> dict[str, Any]:
        state = {k: v for k, v in self.__dict__.items() if k not in ("_finalizer", "_lock", "_closed", "_scheduled")}
        state["_rulesets"] = [[dataclasses.replace(r, handle=None, memo={}) for r in stage] for stage in self._rulesets]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        handles: list[int | None] = []
        # new _Ruleset objects with this engine's own handles: the plan may be shared (a copied
        # catalog holds the same one), and one engine must never use or free another's rulesets
        rulesets: list[list[_Ruleset]] = []
        try:
            for s, stage in enumerate(state["_rulesets"]):
                mine = []
                for c, r in enumerate(stage):
                    handle = None
                    if r.definition is not None:
                        handle = _dre.create_ruleset(f"ratecard_{next(_names)}_s{s}c{c}", r.definition)
                        handles.append(handle)
                    mine.append(dataclasses.replace(r, handle=handle, memo={}))
                rulesets.append(mine)
        except BaseException:
            _delete_rulesets(handles)
            raise
        self._rulesets = rulesets
        self._said_entries = 0
        self._schedule()
        self._finalizer = weakref.finalize(self, _delete_rulesets, handles)
        self._lock = threading.Lock()

    @property
    def size(self) -> tuple[int, int]:
        """(engine rules, rulesets): what durable_rules was given."""
        return sum(len(r.actions) for rs in self._rulesets for r in rs), sum(len(rs) for rs in self._rulesets)

    def close(self) -> None:
        """Free the rulesets now (otherwise when the engine is garbage-collected). A closed engine
        refuses to evaluate: its handles are gone, and an answer from no rules would be wrong."""
        self._closed = True
        fin = getattr(self, "_finalizer", None)
        if fin is not None:
            fin()
        else:
            _delete_rulesets([r.handle for rs in getattr(self, "_rulesets", []) for r in rs])
            self._rulesets = []

    # ---- evaluating ----

    def evaluate(self, facts: dict[str, Any]) -> Evaluation:
        """What the program says of one case (facts: case and computed fields that are given)."""
        if self._closed:
            raise RuntimeError("this engine was closed: load the catalog again (Catalog.engine) to evaluate")
        k = Knowledge(dict(facts))
        # fields (case fields and derived facts) that are not decided yet
        undec = set(self._case_inputs.difference(facts))
        last = len(self._stages) - 1
        # the final stage's firings, each as what it says (see _said)
        said: list[tuple[dict[str, Tri], dict[str, Tri]]] = []
        with self._lock:
            sid = _SID  # one session a ruleset, reused case after case (see _fire)
            for s, st in enumerate(self._stages):
                for d in st.sums:
                    lo = hi = 0.0
                    for term in d.sum:
                        tlo, thi = term_bounds(term, k, self.registry)
                        lo, hi = lo + tlo, hi + thi
                    k.bounds[d.id] = (lo, hi)
                    if lo != hi:
                        undec.add(d.id)
                fired: set[int] = set()
                props = self._stage_fact(s, k, undec)
                cut = self._stage_cuts[s]
                pieces = props
                if cut:
                    pieces = props.copy()
                    for name, cuts in cut:
                        v = props.get(name)
                        if type(v) is float or type(v) is int:
                            i = bisect.bisect_left(cuts, v)
                            pieces[name] = (i, i < len(cuts) and cuts[i] == v)
                always, flags, gated = self._scheduled[s]
                # rulesets whose gate is shut for this case are never asserted (a gate is a bool)
                todo = always + tuple(chain.from_iterable(compress(gated, map(props.get, flags)))) if flags else always
                collect: Callable[[Any], None] = said.append if s == last else fired.update
                for rs, order, memo in todo:
                    # What a ruleset fires depends on its fact alone (its session is empty before and
                    # after each), so the engine's answer to a fact it has seen is reused: the small
                    # rulesets read a few flags and see the same few facts case after case. A
                    # property's values have one type (the case model's, or a derived fact's), so
                    # equal values are the same fact.
                    seen = tuple(map(pieces.get, order))
                    got = memo.get(seen)
                    if got is None:
                        got = self._answer(rs, order, tuple(map(props.get, order)), seen, s, sid)
                    if got:
                        collect(got)
                for did, binary, inputs, values, sets in self._derived_plan[s]:
                    if binary:
                        # the two values' sets made once: which of them is not ruled out
                        P = sets[(values[0][2] not in fired) + 2 * (len(values) > 1 and values[1][2] not in fired)]
                    elif not inputs.isdisjoint(undec):
                        P = frozenset([v for v, _, imp in values if imp not in fired])
                    else:
                        P = frozenset([v for v, cert, _ in values if cert in fired])
                    if not P:
                        raise RuntimeError(f"durable_rules left no value possible for '{did}'")
                    k.possible[did] = P
                    if len(P) > 1:
                        undec.add(did)
        # A rule is unknown while an input is undecided, unless a form of it fired in the eligibility
        # stage: that decides it (its true and false forms never hold together, so the order in
        # which firings are read does not matter). An intervention fails when its own failing form
        # fired or one of its rules has the outcome that fails it; the others are undecided (keys in
        # the program's order, as the reference gives).
        outcomes: dict[str, Tri] = dict(self._rule_default)
        readers = self._readers
        for f in undec:
            unknown = readers.get(f)
            if unknown:
                outcomes.update(unknown)
        eligibility: dict[str, Tri] = dict.fromkeys(self._eligibility_ids)
        for decided, failed in said:
            outcomes.update(decided)
            eligibility.update(failed)
        eligibility.update(zip(compress(self._member_of, map(is_, map(outcomes.__getitem__, self._member_rules),
                                                             self._member_bad)), repeat(False)))
        return Evaluation(decided_values(k), outcomes, dict(k.possible), dict(k.bounds), eligibility)

    def _stage_fact(self, stage: int, k: Knowledge, undec: set[str]) -> dict[str, Any]:
        """The properties the rulesets of one stage read, for one case (absent when missing)."""
        facts, possible = k.facts, k.possible
        # the encoder split by kind of property once (_fact_plan), properties of one kind worked out
        # with map in C where a stage has hundreds of them (the eligibility stage of a large catalog)
        values, members, gates, items, given, bounds, plain, flags = self._stage_encoders[stage]
        fact: dict[str, Any] = dict(zip(values[0], map(facts.get, values[1])))  # None: missing
        for name, a, b in members:
            P = possible.get(a)
            if P is not None:
                # one derived fact's values all have one type, so True and 1 never meet here
                fact[name] = b in P
        for name, g in gates:
            fact[name] = not g.isdisjoint(undec)
        for a, names, bs in items:
            v = facts.get(a)
            if v is not None:
                fact.update(zip(names, map(contains, repeat(v), bs)))  # b in v
        for name, a in given:
            fact[name] = a in facts
        for name, a, i in bounds:
            got = k.bounds.get(a)
            if got is not None:
                fact[name] = float(got[i])
        for f, unnamed, missing, named in plain:
            # Knowledge.holds of each literal: its field is a case field, never derived
            if f in facts:
                v = facts[f]
                if v is None:
                    fact.update(missing)
                else:
                    fact.update(unnamed)
                    differ = named.get(v)
                    if differ:
                        fact.update(differ)
        for name in flags:
            lit = self._flags[name]
            if lit.field in facts or lit.field in possible or lit.field in k.bounds:
                fact[name] = k.holds(lit)
        return fact

    def _answer(self, rs: _Ruleset, order: tuple[str, ...], values: tuple[Any, ...], seen: tuple[Any, ...],
                stage: int, sid: str) -> tuple[Any, ...]:
        """What the ruleset fires for a fact it has not seen (the values of the properties in
        `order`, None when absent), remembered under `seen`: target ids, or in the final stage
        what they say (_said)."""
        fact: dict[str, Any] = {"kind": "case", "stage": stage, "sid": sid,
                                **{name: v for name, v in zip(order, values) if v is not None}}
        got: tuple[Any, ...] = tuple(self._fire(rs, fact, sid)) if rs.may_fire(fact) else ()
        final = stage == len(self._stages) - 1
        if got and final:
            got = self._said(got)
        if MEMO_FACTS > 0:
            memo = rs.memo
            if len(memo) >= MEMO_FACTS:
                if final:
                    self._said_entries -= _entries(memo)
                memo.clear()
            if got and final:
                # what the eligibility stage remembers is dicts, up to a thousand entries a fact on
                # a large catalog: bounded by their entries too, over all its rulesets
                self._said_entries += len(got[0]) + len(got[1])
                if self._said_entries > SAID_ENTRIES:
                    for other in self._rulesets[-1]:
                        other.memo.clear()
                    self._said_entries = len(got[0]) + len(got[1])
            memo[seen] = got
        return got

    def _said(self, targets: tuple[int, ...]) -> tuple[dict[str, Tri], dict[str, Tri]]:
        """What firings of the eligibility stage say: the outcomes of the rules they decide, and the
        interventions whose failing form fired (as False). A few engine rules fire for a thousand
        rules each on a large catalog ("for men"), so this is worked out once per remembered fact and
        merged into a case's outcomes as a dict, not target by target."""
        return (dict(filter(None, map(self._answers.get, targets))),
                dict.fromkeys(filter(None, map(self._failed_by.get, targets)), False))

    def _fire(self, rs: _Ruleset, fact: dict[str, Any], sid: str) -> list[int]:
        handle = rs.handle
        assert handle is not None  # a ruleset without a handle is skipped before it is asserted
        text = _dumps(fact)
        try:
            result = _dre.assert_fact(handle, text)
        except Exception as e:
            _forget(handle, sid)
            raise RuntimeError(f"durable_rules refused a case fact ({e})") from None
        out: list[int] = []
        done = False
        try:
            if result[0] != 0:
                # the catch-all rule matches every fact, so this is a bug, not the user's input
                raise RuntimeError(f"durable_rules refused a case fact (code {result[0]})")
            state = result[1]
            started = _dre.start_action_for_state(handle, state)
            msg = started[1] if started else None
            fires = rs.fires
            while msg:
                # the message is {"<rule name>": {...}}; names are short ASCII identifiers
                out.extend(fires[msg[2 : msg.index('"', 2)]])
                msg = _dre.complete_and_start_action(handle, state)
            # The session stays for the next case, empty again: making a session costs durable_rules
            # a state node per rule of the ruleset (about half of a screen's instructions when each
            # assert had a session of its own); retracting the one fact costs a fraction of that.
            _dre.retract_fact(handle, text)
            done = True
        finally:
            if not done:
                # after any failure the session is deleted, so nothing of this case stays in it (a
                # ruleset holds at most 1024 sessions; this one is made again by the next assert)
                _forget(handle, sid)
        return out


@dataclass
class _Ruleset:
    handle: int | None
    actions: dict[str, list[_Target]]  # engine rule name -> what its firing means
    keys: frozenset[str]  # the properties its rules read
    # asserted only when this (group, some-undecided) gate is open; None: always
    gate: tuple[int, bool] | None = None
    fires: dict[str, tuple[int, ...]] = field(default_factory=lambda: {"seen": ()})  # the same, as target ids
    encoder: list[tuple[str, str, Any, Any]] = field(default_factory=list)
    definition: str | None = None  # the JSON given to create_ruleset, to make it again in another process
    # what some rule of it needs of a fact to match, short of its comparisons (see _needs); None: always asserted
    needs: tuple[tuple[frozenset[str], tuple[tuple[str, Any], ...]], ...] | None = None
    order: tuple[str, ...] = ()  # the properties it reads, in the order of its remembered facts
    # its facts' property values (in `order`, None when absent) -> what they fired (Engine._answer);
    # per engine (never pickled or shared), used under its lock
    memo: dict[tuple[Any, ...], tuple[Any, ...]] = field(default_factory=dict, repr=False, compare=False)

    def may_fire(self, fact: dict[str, Any]) -> bool:
        """False only when no rule but the catch-all can match the fact: then the assert would fire
        nothing, and is not made."""
        if self.needs is None:
            return True
        keys = fact.keys()
        for present, equal in self.needs:
            if keys >= present and all(fact[k] == v for k, v in equal):
                return True
        return False


def _entries(memo: dict[tuple[Any, ...], tuple[Any, ...]]) -> int:
    """The entries of the eligibility stage's remembered answers in one ruleset's memory."""
    return sum(len(a) + len(b) for a, b in filter(None, memo.values()))


def _constants(x: Any, out: dict[str, set[Any]]) -> None:
    """Every constant each property is compared with in a ruleset's definition."""
    if isinstance(x, list):
        for p in x:
            _constants(p, out)
    elif isinstance(x, dict):
        for k, v in x.items():
            if k.startswith("$") or isinstance(v, (dict, list)):
                _constants(v, out)
            else:
                out.setdefault(k, set()).add(v)


def _split_encoder(encoder: Iterable[tuple[str, str, Any, Any]]) -> tuple[tuple[Any, ...], ...]:
    """Properties by kind: values, members, gates, items, given, bounds, flags."""
    by: dict[str, list[Any]] = {p: [] for p in ("v", "m", "u", "t", "g", "b", "x")}
    for name, prefix, a, b in encoder:
        if prefix in ("v", "u", "g"):
            by[prefix].append((name, a))
        elif prefix in ("m", "t"):
            by[prefix].append((name, a, b))
        elif prefix in ("lo", "hi"):
            by["b"].append((name, a, 0 if prefix == "lo" else 1))
        else:
            by["x"].append(name)
    values = (tuple(name for name, _ in by["v"]), tuple(a for _, a in by["v"]))
    return (values, *(tuple(by[p]) for p in ("m", "u", "t", "g", "b", "x")))


# A ruleset whose rules have more distinct needs than this is always asserted: checking them would
# cost about what the assert saves.
MAX_NEEDS = 32


def _needs(rules: list[list[dict[str, Any]]]) -> tuple[tuple[frozenset[str], tuple[tuple[str, Any], ...]], ...] | None:
    """For each rule: the properties it compares (every comparison on a missing property fails in
    durable_rules, `$neq` included, ENGINE-NOTES 5) and its tests of a flag against true or false
    (`u`, `g`, `m`, `t` and `x` flags, known before the assert). A fact that meets none of these
    matches only the catch-all rule, whatever durable_rules would compare next."""
    out: dict[tuple[frozenset[str], tuple[tuple[str, Any], ...]], None] = {}
    for parts in rules:
        equal = tuple(sorted((k, v) for p in _flat(parts) if (eq := _eq_test(p)) is not None
                             for k, v in [eq] if isinstance(v, bool)))
        out[(frozenset(_keys_of(parts)), equal)] = None
        if len(out) > MAX_NEEDS:
            return None
    return tuple(out)


def _forget(handle: int, sid: str) -> None:
    try:
        _dre.delete_state(handle, sid)
    except Exception:
        pass  # no session was made


def _delete_rulesets(handles: list[int | None]) -> None:
    for h in handles:
        if h is not None:
            # the ruleset's one session first: delete_ruleset leaves it allocated (about 6 MiB for
            # the default catalog's rulesets, tests/test_reload_memory.py)
            _forget(h, _SID)
            try:
                _dre.delete_ruleset(h)
            except Exception:
                pass


def _lit_allows(lit: Lit, value: Any) -> bool:
    if lit.ranges is not None:
        return any(r.contains(value) for r in lit.ranges)
    return any(_same(value, x) for x in lit.values or ())


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def _and(parts: list[dict[str, Any]]) -> dict[str, Any]:
    flat: list[dict[str, Any]] = []
    for p in parts:
        if not p:
            continue
        flat.extend(p["$and"] if set(p) == {"$and"} else [p])
    if not flat:
        return {}
    return flat[0] if len(flat) == 1 else {"$and": flat}


def _gate(parts: list[dict[str, Any]]) -> tuple[str, bool] | None:
    """The 'some input undecided' flag an engine rule waits for and its value, if any (it comes first)."""
    if parts and len(parts[0]) == 1:
        (k, v), = parts[0].items()
        if k.startswith("u") and isinstance(v, bool):
            return k, v
    return None


def _by_inputs(sigs: list[str], conds: dict[str, list[dict[str, Any]]], most: int) -> list[list[str]]:
    """Engine rules in groups that read few properties each: rules that share a property stay
    together (first fit, largest first) while a group reads at most `most`."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    reads = {sig: sorted(k for k in _keys_of(conds[sig]) if not k.startswith("u")) for sig in sigs}
    for ks in reads.values():
        for k in ks[1:]:
            parent[find(k)] = find(ks[0])
    comps: dict[str, tuple[set[str], list[str]]] = {}
    loose: list[str] = []
    for sig in sigs:
        if not reads[sig]:
            loose.append(sig)
            continue
        got = comps.setdefault(find(reads[sig][0]), (set(), []))
        got[0].update(reads[sig])
        got[1].append(sig)
    bins: list[tuple[set[str], list[str]]] = []
    for keys, members in sorted(comps.values(), key=lambda c: (-len(c[0]), sorted(c[0]))):
        for b in bins:
            if len(b[0]) + len(keys) <= most:
                b[0].update(keys)
                b[1].extend(members)
                break
        else:
            bins.append((set(keys), list(members)))
    if not bins:
        return [loose]
    bins[0][1].extend(loose)
    return [b[1] for b in bins]


def _pack(sigs: list[str], conds: dict[str, list[dict[str, Any]]]) -> list[list[str]]:
    """Engine rules split into rulesets within durable_rules' limits."""
    chunks: list[list[str]] = []
    current: list[str] = []
    keys: set[str] = set()
    comparisons: dict[str, set[str]] = {}
    trie = _AlphaTrie()
    for sig in sorted(sigs, key=lambda x: sorted(_keys_of(conds[x]))):
        ks = _keys_of(conds[sig])
        cmp = _comparisons(conds[sig])
        over = (
            len(keys | ks) > MAX_PROPERTIES
            or len(current) >= MAX_RULES_PER_RULESET
            or any(len(comparisons.get(k, set()) | c) > MAX_COMPARISONS_PER_KEY for k, c in cmp.items())
            or trie.pending_with(conds[sig]) > MAX_PENDING_MATCHES
        )
        if current and over:
            chunks.append(current)
            current, keys, comparisons, trie = [], set(), {}, _AlphaTrie()
        current.append(sig)
        keys |= ks
        trie.add(conds[sig])
        for k, c in cmp.items():
            comparisons.setdefault(k, set()).update(c)
    if current:
        chunks.append(current)
    return chunks


class _AlphaNode:
    __slots__ = ("children", "eq_types", "matching", "below", "most_below")

    def __init__(self) -> None:
        self.children: dict[str, _AlphaNode] = {}
        self.eq_types: dict[str, type] = {}  # keys tested for equality among the children, and the values' type
        self.matching = 0  # how many children can match one fact at once
        self.below = 0  # the most pending nodes this node's children can add, over any path
        self.most_below = 0  # the largest `below` among the children

    def adds(self, part: dict[str, Any]) -> int:
        """1 when a new child with this condition can match together with the existing ones."""
        eq = _eq_test(part)
        if eq is None or eq[0] not in self.eq_types:
            return 1
        return 0 if self.eq_types[eq[0]] is type(eq[1]) else 1


class _AlphaTrie:
    """durable_rules' alpha network of one ruleset, as far as its traversal stack is concerned.

    Asserting a fact walks the network depth first with a fixed stack of 64 pending nodes: a node
    pushes every child that matches the fact, so a fact meeting 65 conditions below one node (65
    rules whose first test is each a different flag, all true) fails with error 303, "max stack
    size". A failed assert corrupts the process heap: the next session deleted, in that ruleset or
    any other, aborts the process ("free(): invalid size"), so it must never happen at run time.
    durable_rules keeps the conditions of an `$and` in the order given and shares equal prefixes,
    so the network below the `kind` and `stage` tests is this trie of the rules' conditions, and
    the nodes pending at once are at most, along the worst path, the sum of the children that can
    match at each node. Equality tests on one key with values of one type match one at a time;
    any other test is counted as matching."""

    def __init__(self) -> None:
        self.root = _AlphaNode()

    def pending_with(self, parts: list[dict[str, Any]]) -> int:
        """The bound on pending nodes if a rule with these conditions were added."""
        chain = _flat(parts)
        path = [self.root]
        for part in chain:
            child = path[-1].children.get(_sig(part))
            if child is None:
                break
            path.append(child)
        else:
            return self.root.below  # the rule adds no node
        # the new nodes form a chain, one child each, below the deepest existing node
        i = len(path) - 1
        n = path[i]
        below = n.matching + n.adds(chain[i]) + max(n.most_below, len(chain) - i - 1)
        for n in reversed(path[:i]):
            below = n.matching + max(n.most_below, below)
        return below

    def add(self, parts: list[dict[str, Any]]) -> None:
        path = [self.root]
        for part in _flat(parts):
            n = path[-1]
            key = _sig(part)
            child = n.children.get(key)
            if child is None:
                n.matching += n.adds(part)
                eq = _eq_test(part)
                if eq is not None and eq[0] not in n.eq_types:
                    n.eq_types[eq[0]] = type(eq[1])
                child = n.children[key] = _AlphaNode()
            path.append(child)
        for n in reversed(path):
            n.most_below = max((c.below for c in n.children.values()), default=0)
            n.below = n.matching + n.most_below


def _flat(parts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The conditions in the order durable_rules tests them (`_and` flattens nested `$and`s)."""
    out: list[dict[str, Any]] = []
    for p in parts:
        out.extend(p["$and"] if set(p) == {"$and"} else [p])
    return out


def _sig(part: dict[str, Any]) -> str:
    return json.dumps(part, sort_keys=True, default=str)


def _eq_test(part: dict[str, Any]) -> tuple[str, Any] | None:
    """(key, value) for an equality test `{key: value}` on a plain value, else None."""
    if len(part) == 1:
        (k, v), = part.items()
        if not k.startswith("$") and isinstance(v, (str, bool, int, float)):
            return k, v
    return None


def _keys_of(parts: Any) -> set[str]:
    out: set[str] = set()
    if isinstance(parts, list):
        for p in parts:
            out |= _keys_of(p)
    elif isinstance(parts, dict):
        for k, v in parts.items():
            if k.startswith("$"):
                out |= _keys_of(v)
            else:
                out.add(k)
    return out


def _comparisons(parts: Any) -> dict[str, set[str]]:
    """Distinct comparisons per property (durable_rules fails past a few dozen on one property)."""
    out: dict[str, set[str]] = {}

    def walk(x: Any, op: str) -> None:
        if isinstance(x, list):
            for p in x:
                walk(p, op)
        elif isinstance(x, dict):
            for k, v in x.items():
                if k in ("$and", "$or"):
                    walk(v, op)
                elif k.startswith("$"):
                    walk(v, k)
                else:
                    out.setdefault(k, set()).add(f"{op}:{json.dumps(v, default=str)}")

    walk(parts, "$eq")
    return out

