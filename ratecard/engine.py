"""The rule trees compiled to durable_rules and run on an isolated host.

Three-valued logic on a two-valued engine: every condition is compiled in four monotone forms,
true (T), false (F), not-true (NT) and not-false (NF), with negation pushed down to the leaves.
A rule's condition is unknown exactly when NT and NF both hold. The engine fires, per case, only
the rules whose condition *fails* the person and those that are *unknown*; everything else
passes, so a typical case fires a handful of rules, not one per criterion (each firing costs
about 16 microseconds of JSON round trip in durable_rules).

Derived facts chain forward by strata: the facts of stratum k are asserted with `stage: k` in the
same session, the values the engine derives are added, and stratum k+1 sees them.

Why not the documented `Host.assert_fact` with Python actions: each action costs ~45 microseconds
(state JSON round trip and promise machinery) and the host's two timer threads call into the
engine concurrently with the caller, which is not thread-safe (ENGINE-NOTES 9). So the host here
starts no timers, and the engine drives the compiled ruleset's action queue directly, under a lock.
"""

from __future__ import annotations

import copy
import itertools
import json
import threading
from decimal import Decimal
from typing import Any

import durable_rules_engine as _dre
from durable.engine import Host

from .conditions import All, Any_, Cmp, Cond, Not, Present, fields_of
from .facts import Facts
from .fields import FieldType
from .errors import RatecardError
from .rules import Evaluation, RuleSet

_COMPLEMENT = {"eq": "ne", "ne": "eq", "lt": "gte", "gte": "lt", "gt": "lte", "lte": "gt"}
_DURABLE_OP = {"ne": "$neq", "lt": "$lt", "lte": "$lte", "gt": "$gt", "gte": "$gte"}
_RULESET = "ratecard"


def _number(v: float) -> str:
    r = repr(v)
    # durable_rules' JSON reader rejects exponents (1e-05 gives error 204); the exact decimal
    # of the shortest repr reads back as the same double
    return format(Decimal(r), "f") if "e" in r or "E" in r else r


def _dumps(fact: dict[str, Any]) -> str:
    return "{" + ",".join(
        json.dumps(k) + ":" + (_number(v) if type(v) is float else json.dumps(v)) for k, v in fact.items()
    ) + "}"


class EngineError(RatecardError):
    """The rules could not be compiled for durable_rules."""


def _too_big(definition: dict[str, Any], rules: RuleSet, rule_action: dict[str, Any], derived_action: dict[str, Any]) -> str:
    for name, body in definition.items():
        try:
            _dre.create_ruleset(f"probe_{name}", json.dumps({name: {k: v for k, v in body.items() if k != "run"}}))
        except Exception:
            owner = (rule_action.get(name) or derived_action.get(name) or (name,))[0]
            return (f"the condition of '{owner}' is too complex for durable_rules once expanded (nested any/all/not "
                    "multiply out); split it into simpler rules or a derived fact")
    return "durable_rules could not compile the rules"


class _QuietHost(Host):
    """A durable_rules host without the background dispatch threads: ratecard uses no timers."""

    def _run(self) -> None:
        pass


def key(field: str) -> str:
    """Engine property name for a field (durable_rules reads dots as paths)."""
    return field.replace(".", "__")


def has_key(field: str, value: str) -> str:
    return f"{key(field)}__has__{value}"


class _Compiler:
    def __init__(self, registry: dict[str, FieldType]):
        self.registry = registry
        self.contains: dict[str, set[str]] = {}  # list field -> values that rules ask about
        self.used: set[str] = set()

    def atom(self, c: Cmp | Present, pol: str) -> dict[str, Any]:
        self.used.add(c.field)
        k = key(c.field)
        if isinstance(c, Present):
            want = c.present if pol in ("T", "NF") else not c.present
            return {"$ex": {k: 1}} if want else {"$nex": {k: 1}}
        if pol in ("NT", "NF"):
            # unknown or decided the right way; a missing property fails every comparison
            return {"$or": [{"$nex": {k: 1}}, self.atom(c, "T" if pol == "NF" else "F")]}
        if c.op == "contains":
            self.contains.setdefault(c.field, set()).add(c.value)
            return {has_key(c.field, c.value): pol == "T"}
        op = c.op if pol == "T" else _COMPLEMENT[c.op]
        if op == "eq":
            return {k: c.value}
        return {_DURABLE_OP[op]: {k: c.value}}

    def cond(self, c: Cond, pol: str) -> dict[str, Any]:
        if isinstance(c, (Cmp, Present)):
            return self.atom(c, pol)
        if isinstance(c, Not):
            return self.cond(c.part, {"T": "F", "F": "T", "NT": "NF", "NF": "NT"}[pol])
        conj = (pol in ("T", "NF")) == isinstance(c, All)
        return _join("$and" if conj else "$or", [self.cond(p, pol) for p in c.parts])



def _join(op: str, parts: list[dict[str, Any]]) -> dict[str, Any]:
    flat: list[dict[str, Any]] = []
    for p in parts:
        flat.extend(p[op] if set(p) == {op} else [p])
    return flat[0] if len(flat) == 1 else {op: flat}


def _stage(n: int, *conds: dict[str, Any]) -> dict[str, Any]:
    # 'kind' keeps a lone negation from matching the engine's own state object (ENGINE-NOTES 4)
    return {"all": [{"m": _join("$and", [{"kind": "case"}, {"stage": n}, *conds])}], "run": _no_action}


def _no_action(c: Any) -> None:  # actions are drained by Engine.evaluate, never run
    pass


class Engine:
    """Compiled rules for one catalog. Thread-safe; nothing carries over from one case to the next."""

    def __init__(self, rules: RuleSet):
        self.rules = rules
        comp = _Compiler(rules.registry)
        definition: dict[str, dict[str, Any]] = {}
        # rule name -> what its firing means
        self._derived_action: dict[str, tuple[str, Any]] = {}
        self._rule_action: dict[str, tuple[str, bool | None]] = {}
        self._case_strata: list[bool] = []
        for s, stratum in enumerate(rules.strata):
            any_cases = False
            for did in stratum:
                d = rules.derived[did]
                if d.sum:
                    continue
                any_cases = True
                earlier: list[dict[str, Any]] = []
                for j, (value, cond) in enumerate(d.cases):
                    name = f"d{len(self._derived_action)}"
                    definition[name] = _stage(s, *earlier, comp.cond(cond, "T"))
                    self._derived_action[name] = (did, value)
                    earlier.append(comp.cond(cond, "F"))
                name = f"d{len(self._derived_action)}"
                definition[name] = _stage(s, *earlier)
                self._derived_action[name] = (did, d.otherwise)
            self._case_strata.append(any_cases)
        self.final_stage = len(rules.strata)
        self._rule_fields: list[tuple[str, tuple[str, ...]]] = []
        for i, r in enumerate(rules.all_rules()):
            # A rule fires only when it stops the person passing (a criterion that is false, an
            # exclusion that is true), or when it lets them pass although a field it reads is
            # missing. With every field present a rule is decided, so no firing means it passed;
            # with a field missing, no firing means unknown. A typical case fires a handful of
            # rules, not one per criterion, and no rule needs the "unknown" form, whose size
            # explodes when durable_rules expands it to disjunctive normal form.
            failing = "F" if r.kind == "criterion" else "T"
            passing = "T" if r.kind == "criterion" else "F"
            used = fields_of(r.when)
            some_missing = _join("$or", [{"$nex": {key(f): 1}} for f in used])
            definition[f"x{i}"] = _stage(self.final_stage, comp.cond(r.when, failing))
            self._rule_action[f"x{i}"] = (r.id, failing == "T")
            definition[f"p{i}"] = _stage(self.final_stage, comp.cond(r.when, passing), some_missing)
            self._rule_action[f"p{i}"] = (r.id, passing == "T")
            self._rule_fields.append((r.id, used))
        # Every assert must match some rule: deleting the session of a fact that matched nothing
        # crashes durable_rules (heap corruption, seen as a segfault), and not deleting it leaks
        # one of the 1024 sessions a ruleset can hold. This rule matches every case fact.
        definition["seen"] = {"all": [{"m": {"kind": "case"}}], "run": _no_action}
        self.definition = definition
        self.used_fields = frozenset(comp.used)
        self.contains = {f: frozenset(v) for f, v in comp.contains.items()}
        self.list_fields = frozenset(f for f in self.used_fields if rules.registry[f].kind == "list")
        # durable_rules takes the actions out of the definition it is given, so give it a copy
        try:
            self._host = _QuietHost({_RULESET: copy.deepcopy(definition)})
        except Exception as e:  # durable_rules gives only a code, e.g. 113 when a rule is too big
            raise EngineError(_too_big(definition, rules, self._rule_action, self._derived_action)) from e
        self._handle = self._host.get_ruleset(_RULESET)._handle
        self._lock = threading.Lock()
        self._sids = itertools.count()

    def encode(self, facts: Facts, derived: dict[str, Any], stage: int, sid: str) -> dict[str, Any]:
        """The engine's fact: only the fields rules use, list membership as flags."""
        out: dict[str, Any] = {"kind": "case", "stage": stage, "sid": sid}
        for f in self.used_fields:
            v = facts.get(f, derived.get(f))
            if v is None:
                continue
            if f in self.list_fields:
                out[key(f)] = True
                for item in self.contains.get(f, ()):
                    out[has_key(f, item)] = item in v
            else:
                out[key(f)] = v
        return out

    def evaluate(self, facts: Facts) -> Evaluation:
        rules = self.rules
        derived: dict[str, Any] = {}
        outcomes: dict[str, bool | None] = {}
        with self._lock:
            sid = f"c{next(self._sids)}"
            self._open = False
            try:
                for s, stratum in enumerate(rules.strata):
                    for did in stratum:
                        d = rules.derived[did]
                        if d.sum:
                            terms = [derived.get(t, facts.get(t)) for t in d.sum]
                            if None not in terms:
                                derived[did] = sum(terms)
                    if self._case_strata[s]:
                        for name in self._fire(self.encode(facts, derived, s, sid)):
                            did, value = self._derived_action[name]
                            derived[did] = value
                for name in self._fire(self.encode(facts, derived, self.final_stage, sid)):
                    rid, value = self._rule_action[name]
                    outcomes[rid] = value
            finally:
                if self._open:
                    _dre.delete_state(self._handle, sid)
        final = {**facts, **derived}
        for r, (rid, used) in zip(rules.all_rules(), self._rule_fields):
            if rid not in outcomes:
                decided = all(final.get(f) is not None for f in used)
                outcomes[rid] = (r.kind == "criterion") if decided else None
        return Evaluation(derived, outcomes)

    def _fire(self, fact: dict[str, Any]) -> list[str]:
        result = _dre.assert_fact(self._handle, _dumps(fact))
        if result[0] != 0:
            # the catch-all rule matches every fact and facts differ by stage, so this is a bug
            raise RuntimeError(f"durable_rules refused a case fact (code {result[0]})")
        state = result[1]
        self._open = True
        names: list[str] = []
        started = _dre.start_action_for_state(self._handle, state)
        msg = started[1] if started else None
        while msg:
            # the message is {"<rule name>": {...}}; names are short ASCII identifiers
            name = msg[2 : msg.index('"', 2)]
            if name != "seen":
                names.append(name)
            msg = _dre.complete_and_start_action(self._handle, state)
        return names

