"""The rule trees compiled to durable_rules and run on an isolated host.

Three-valued logic on a two-valued engine: every condition is compiled in two monotone forms,
true (T) and false (F), with negation pushed down to the leaves. An eligibility rule fires only
when it fails the person, or when it lets them pass although a field it reads is missing; no
firing then means "passed" when every field is present and "unknown" otherwise. A typical case
fires a couple of dozen rules, not one per criterion (each firing costs 10 to 16 microseconds of
JSON round trip inside durable_rules). docs/engine.md has the measurements behind this.

Derived facts chain forward by strata, one ruleset per stratum: the facts of stratum k are
asserted, the values the engine derives are added, and stratum k+1 sees them.

Why not the documented `Host.assert_fact` with Python actions: each action costs ~45 microseconds
(state JSON round trip and promise machinery) and the host's two timer threads call into the
engine concurrently with the caller, which is not thread-safe (ENGINE-NOTES 9). So the host here
starts no timers, and the engine drives each ruleset's action queue directly, under a lock.
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

from .conditions import All, Cmp, Cond, Not, Present
from ..errors import RatecardError
from ..case.facts import Facts
from .loader import Evaluation, Rule, RuleSet

_COMPLEMENT = {"eq": "ne", "ne": "eq", "lt": "gte", "gte": "lt", "gt": "lte", "lte": "gt"}
_DURABLE_OP = {"ne": "$neq", "lt": "$lt", "lte": "$lte", "gt": "$gt", "gte": "$gte"}


def _number(v: float) -> str:
    r = repr(v)
    # durable_rules' JSON reader rejects exponents (1e-05 gives error 204); the exact decimal
    # of the shortest repr reads back as the same double
    return format(Decimal(r), "f") if "e" in r or "E" in r else r


def _dumps(fact: dict[str, Any]) -> str:
    if any(type(v) is float and v and not (1e-4 <= abs(v) < 1e15) for v in fact.values()):
        return "{" + ",".join(
            json.dumps(k) + ":" + (_number(v) if type(v) is float else json.dumps(v)) for k, v in fact.items()
        ) + "}"
    return json.dumps(fact)


class EngineError(RatecardError):
    """The rules could not be compiled for durable_rules."""


def _too_big(definition: dict[str, Any], rule_action: dict[str, Any], derived_action: dict[str, Any]) -> str:
    for name, body in definition.items():
        try:
            _dre.create_ruleset(f"probe_{name}", json.dumps({name: {k: v for k, v in body.items() if k != "run"}}))
        except Exception:
            owner = rule_action[name][0][0] if name in rule_action else (derived_action.get(name) or (name,))[0]
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
    def __init__(self) -> None:
        self.contains: dict[str, set[str]] = {}  # list field -> values that rules ask about
        self.used: set[str] = set()

    def atom(self, c: Cmp | Present, pol: str) -> dict[str, Any]:
        self.used.add(c.field)
        k = key(c.field)
        if isinstance(c, Present):
            want = c.present if pol == "T" else not c.present
            return {"$ex": {k: 1}} if want else {"$nex": {k: 1}}
        # a missing property fails every comparison, '!=' included: both forms are false, as
        # Kleene logic wants for an unknown atom
        if c.op == "contains":
            self.contains.setdefault(c.field, set()).add(c.value)
            return {has_key(c.field, c.value): pol == "T"}
        op = c.op if pol == "T" else _COMPLEMENT[c.op]
        if op == "eq":
            return {k: c.value}
        return {_DURABLE_OP[op]: {k: c.value}}

    def cond(self, c: Cond, pol: str) -> dict[str, Any]:
        """The condition's true form (pol "T") or false form ("F")."""
        if isinstance(c, (Cmp, Present)):
            return self.atom(c, pol)
        if isinstance(c, Not):
            return self.cond(c.part, "F" if pol == "T" else "T")
        conj = (pol == "T") == isinstance(c, All)
        return _join("$and" if conj else "$or", [self.cond(p, pol) for p in c.parts])


def _join(op: str, parts: list[dict[str, Any]]) -> dict[str, Any]:
    flat: list[dict[str, Any]] = []
    for p in parts:
        flat.extend(p[op] if set(p) == {op} else [p])
    return flat[0] if len(flat) == 1 else {op: flat}


def _some_missing(fields: tuple[str, ...]) -> dict[str, Any]:
    return _join("$or", [{"$nex": {key(f): 1}} for f in fields])


def _stage(n: int, *conds: dict[str, Any]) -> dict[str, Any]:
    # 'kind' keeps a lone negation from matching the engine's own state object (ENGINE-NOTES 4)
    return {"all": [{"m": _join("$and", [{"kind": "case"}, {"stage": n}, *conds])}], "run": _no_action}


def _no_action(c: Any) -> None:  # actions are drained by Engine.evaluate, never run
    pass


class Engine:
    """Compiled rules for one catalog. Thread-safe; nothing carries over from one case to the next.

    One durable_rules ruleset per stratum (the last one holds the eligibility rules), so that each
    assert is matched only against the rules of its stratum.
    """

    def __init__(self, rules: RuleSet):
        self.rules = rules
        comp = _Compiler()
        n = len(rules.strata) + 1
        stages: list[dict[str, dict[str, Any]]] = [{} for _ in range(n)]
        stage_fields: list[set[str]] = [set() for _ in range(n)]
        # rule name -> what its firing means
        self._derived_action: dict[str, tuple[str, Any]] = {}
        # one engine rule per distinct condition: many interventions share a criterion ("for
        # women", "aged 18 or over"), and each firing costs more than the matching
        self._rule_action: dict[str, list[tuple[str, bool]]] = {}
        by_condition: dict[str, str] = {}
        self._derived_fields: dict[str, tuple[str, ...]] = {}
        for s, stratum in enumerate(rules.strata):
            for did in stratum:
                d = rules.derived[did]
                if d.sum:
                    continue
                used = d.uses()
                stage_fields[s].update(used)
                self._derived_fields[did] = used
                earlier: list[dict[str, Any]] = []
                for value, cond in d.cases:
                    name = f"d{len(self._derived_action)}"
                    stages[s][name] = _stage(s, *earlier, comp.cond(cond, "T"))
                    self._derived_action[name] = (did, value)
                    earlier.append(comp.cond(cond, "F"))
                # like a passing rule below: with every field present, no firing means otherwise
                name = f"d{len(self._derived_action)}"
                stages[s][name] = _stage(s, *earlier, _some_missing(used))
                self._derived_action[name] = (did, d.otherwise)
        self.final_stage = final = n - 1
        self._rule_fields: list[tuple[Rule, frozenset[str]]] = []
        for i, r in enumerate(rules.all_rules()):
            # A rule fires only when it stops the person passing (a criterion that is false, an
            # exclusion that is true), or when it lets them pass although a field it reads is
            # missing. With every field present a rule is decided, so no firing means it passed;
            # with a field missing, no firing means unknown. A typical case fires a handful of
            # rules, not one per criterion, and no rule needs the "unknown" form, whose size
            # explodes when durable_rules expands it to disjunctive normal form.
            failing = "F" if r.kind == "criterion" else "T"
            passing = "T" if r.kind == "criterion" else "F"
            used = r.fields
            stage_fields[final].update(used)
            for prefix, body, value in (
                ("x", _stage(final, comp.cond(r.when, failing)), failing == "T"),
                ("p", _stage(final, comp.cond(r.when, passing), _some_missing(used)), passing == "T"),
            ):
                sig = json.dumps(body["all"], sort_keys=True)
                name = by_condition.setdefault(sig, f"{prefix}{len(by_condition)}")
                stages[final][name] = body
                self._rule_action.setdefault(name, []).append((r.id, value))
            self._rule_fields.append((r, frozenset(used)))
        for stage in stages:
            # Every assert must match some rule: deleting the session of a fact that matched
            # nothing crashes durable_rules (heap corruption, seen as a segfault), and not
            # deleting it leaks one of the 1024 sessions a ruleset can hold.
            stage["seen"] = {"all": [{"m": {"kind": "case"}}], "run": _no_action}
        self.definition = {f"s{k}": st for k, st in enumerate(stages)}
        self.contains = {f: frozenset(v) for f, v in comp.contains.items()}
        self.list_fields = frozenset(f for f in comp.used if rules.registry[f].kind == "list")
        self._stage_fields = [tuple(sorted(f)) for f in stage_fields]
        self._final_fields = frozenset(stage_fields[final])
        self._active = [len(st) > 1 for st in stages]
        try:
            # durable_rules takes the actions out of the definition it is given, so give it a copy
            self._host = _QuietHost(copy.deepcopy(self.definition))
        except Exception as e:  # durable_rules gives only a code, e.g. 113 when a rule is too big
            merged = {k: v for st in stages for k, v in st.items()}
            raise EngineError(_too_big(merged, self._rule_action, self._derived_action)) from e
        self._handles = [self._host.get_ruleset(f"s{k}")._handle for k in range(n)]
        self._lock = threading.Lock()
        self._sids = itertools.count()

    def encode(self, known: dict[str, Any], stage: int, sid: str) -> dict[str, Any]:
        """The engine's fact for a stage: only the fields its rules read, list membership as flags."""
        out: dict[str, Any] = {"kind": "case", "stage": stage, "sid": sid}
        for f in self._stage_fields[stage]:
            v = known.get(f)
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
        known = dict(facts)
        derived: dict[str, Any] = {}
        outcomes: dict[str, bool | None] = {}
        opened: list[int] = []
        with self._lock:
            sid = f"c{next(self._sids)}"
            try:
                for s, stratum in enumerate(rules.strata):
                    for did in stratum:
                        d = rules.derived[did]
                        if d.sum:
                            terms = [known.get(t) for t in d.sum]
                            if None not in terms:
                                derived[did] = known[did] = sum(terms)
                    if not self._active[s]:
                        continue
                    fired = {}
                    for name in self._fire(s, self.encode(known, s, sid), opened):
                        did, value = self._derived_action[name]
                        fired[did] = value
                    for did in stratum:
                        if did in fired:
                            derived[did] = fired[did]
                        elif did in self._derived_fields and all(known.get(f) is not None for f in self._derived_fields[did]):
                            derived[did] = rules.derived[did].otherwise
                    known.update(derived)
                final = self.final_stage
                for name in self._fire(final, self.encode(known, final, sid), opened):
                    for rid, value in self._rule_action[name]:
                        outcomes[rid] = value
            finally:
                for s in opened:
                    _dre.delete_state(self._handles[s], sid)
        absent = {f for f in self._final_fields if known.get(f) is None}
        for r, used in self._rule_fields:
            if r.id not in outcomes:
                # no firing: passed if every field was there (then the rule was decided), else unknown
                outcomes[r.id] = None if absent and not used.isdisjoint(absent) else (r.kind == "criterion")
        return Evaluation(derived, outcomes)

    def _fire(self, stage: int, fact: dict[str, Any], opened: list[int]) -> list[str]:
        handle = self._handles[stage]
        result = _dre.assert_fact(handle, _dumps(fact))
        if result[0] != 0:
            # the catch-all rule matches every fact and facts differ by stage, so this is a bug
            raise RuntimeError(f"durable_rules refused a case fact (code {result[0]})")
        opened.append(stage)
        state = result[1]
        names: list[str] = []
        started = _dre.start_action_for_state(handle, state)
        msg = started[1] if started else None
        while msg:
            # the message is {"<rule name>": {...}}; names are short ASCII identifiers
            name = msg[2 : msg.index('"', 2)]
            if name != "seen":
                names.append(name)
            msg = _dre.complete_and_start_action(handle, state)
        return names
