"""The compiled rule program (ratecard/rules/forms.py) evaluated over a whole table of cases at
once, with Polars: the columnar back end behind `screen_many` and `ratecard screen-batch`.

It reads the same Program as the durable_rules engine and the plain evaluator, never the
condition trees, so the three cannot drift apart (docs/engine.md, issue 8). Evaluation is
two-valued at the literal level, exactly as the program is defined: a literal on a missing field
does not hold (`fill_null(False)`, never Kleene logic), except `present: false`.

Knowledge of a field, as columns of the frame:
- a case or computed field: its own column (null = missing);
- a derived choice or flag fact: one boolean column per value it can take, "still possible";
- a derived number fact: two number columns, the lowest and highest value still possible.

Missing fields (SEMANTICS.md): for an undetermined rule, the missing case fields in the literals
that do not hold yet, in the terms that can still hold ("live"); a literal on an undecided
derived fact stands for that fact's own missing fields. These are boolean columns per
(rule, case field), worked out only for the fields a rule can reach.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import polars as pl

from .fields import COMPUTED_FROM
from .loader import Rule, RuleSet

Expr = pl.Expr
_TRUE = pl.lit(True)
_FALSE = pl.lit(False)


class _Names:
    """Internal column names, generated: `§` and a number, so that no id a catalog chooses (a rule
    called `#tsp`, an intervention called `row`) can collide with another column or a case field
    (case columns are the model's dotted field paths, `row`, `id` and the computed fields)."""

    def __init__(self) -> None:
        self._ids: dict[tuple[Any, ...], str] = {}

    def __call__(self, kind: str, *key: Any) -> str:
        k = (kind, *((type(x).__name__, x) for x in key))
        got = self._ids.get(k)
        if got is None:
            got = self._ids[k] = f"§{kind}{len(self._ids)}"
        return got


# deciding-rule masks are UInt64 words of this many rules each: a key adds the decision (2 bits)
# to the first word, and must not overflow
MASK_BITS = 62


def _or(parts: Iterable[Expr]) -> Expr:
    parts = list(parts)
    if not parts:
        return _FALSE
    return parts[0] if len(parts) == 1 else pl.any_horizontal(parts)


def _and(parts: Iterable[Expr]) -> Expr:
    parts = list(parts)
    if not parts:
        return _TRUE
    return parts[0] if len(parts) == 1 else pl.all_horizontal(parts)


def _in_range(x: Expr, r: Any) -> Expr:
    parts = []
    if r.lo is not None:
        parts.append(x >= r.lo if r.lo_closed else x > r.lo)
    if r.hi is not None:
        parts.append(x <= r.hi if r.hi_closed else x < r.hi)
    return _and(parts)


def _value_in(col: Expr, values: frozenset[Any]) -> Expr:
    vals = list(values)
    if vals and all(isinstance(v, bool) for v in vals):
        if len(set(vals)) == 2:
            return col.is_not_null()
        return col if vals[0] else ~col
    return col.is_in(vals)


@dataclass(frozen=True)
class _Derived:
    id: str
    kind: str
    universe: tuple[Any, ...]
    impossible: dict[Any, Any]
    sum: tuple[str, ...]


def _contains(r: Any, x: Expr) -> Expr:
    """Range.contains, column-wise."""
    return _in_range(x, r)


class _Steps:
    """Stands in for a LazyFrame while `screen`'s columns are built: records each with_columns."""

    def __init__(self) -> None:
        self.steps: list[list[Expr]] = []

    def with_columns(self, columns: Iterable[Expr]) -> _Steps:
        self.steps.append(list(columns))
        return self


class BatchProgram:
    """A Program made ready for tables: built once per catalog, then `screen(frame)` per batch.

    Every literal means exactly what `reference.Knowledge` says it means (holds / can_hold); the
    property tests compare the two on generated rule sets and cases."""

    def __init__(self, program: Any, rules: RuleSet):
        self.program = program
        self.rules = rules
        self.derived: dict[str, _Derived] = {}
        for stratum in program.strata:
            for d in stratum:
                self.derived[d.id] = _Derived(d.id, d.kind, tuple(d.universe), dict(d.impossible), tuple(d.sum))
        self.interventions = sorted(rules.rules)
        self.name = _Names()
        self._plans: dict[tuple[str, ...] | None, list[list[Expr]]] = {}

    # ---- column names (see _Names) ----------------------------------------------------------

    def possible_col(self, did: str, value: Any) -> str:
        """Whether `value` is still a possible value of derived fact `did`."""
        return self.name("p", did, value)

    def missing_col(self, did: str, field: str) -> str:
        """Whether derived fact `did` is undecided for want of case field `field`."""
        return self.name("x", did, field)

    def lo_col(self, did: str) -> str:
        return self.name("lo", did)

    def hi_col(self, did: str) -> str:
        return self.name("hi", did)

    def outcome_col(self, rid: str) -> str:
        """Int8: 1 the rule's condition holds, 0 it does not, null unknown."""
        return self.name("r", rid)

    def whole_col(self, iid: str) -> str:
        return self.name("e", iid)

    def decision_col(self, iid: str) -> str:
        """UInt8: 0 eligible, 1 undetermined, 2 ineligible, 3 eligible if agreed (_DECISIONS)."""
        return self.name("d", iid)

    def judgements(self, iid: str) -> list[Rule]:
        return [r for r in self.rules.rules.get(iid, ()) if r.judgement]

    def check_col(self, iid: str) -> str:
        """UInt64 (interventions with judgements): bit j, the j-th judgement is still to check (it
        applies or may, and the decision is eligible if agreed or undetermined)."""
        return self.name("k", iid)

    def mask_cols(self, iid: str) -> list[str]:
        """UInt64 words of the deciding-rule mask: bit b of word w is rule w * MASK_BITS + b."""
        n = len(self.rules.rules.get(iid, ()))
        return [self.name("m", iid, w) for w in range(max(1, -(-n // MASK_BITS)))]

    def field_missing_col(self, iid: str, field: str) -> str:
        """Whether `field` is missing for the intervention's (undetermined) decision."""
        return self.name("q", iid, field)

    def count_col(self, field: str, usable: bool = False) -> str:
        """In how many undetermined decisions of the case `field` is missing (of usable ones)."""
        return self.name("u" if usable else "n", field)

    # ---- literals ---------------------------------------------------------------------------

    def _is_sum(self, f: str) -> bool:
        return f in self.derived and bool(self.derived[f].sum)

    # ---- literals as columns: each distinct literal is worked out once per case, not once per term

    @cached_property
    def _stages(self) -> tuple[list[list[Any]], list[Any]]:
        """The literals first read by each stratum's forms, and those first read by the rules."""
        seen: set[Any] = set()
        strata: list[list[Any]] = []
        for stratum in self.program.strata:
            lits: dict[Any, None] = {}
            for dp in stratum:
                for form in self.derived[dp.id].impossible.values():
                    for term in form:
                        lits.update(dict.fromkeys(x for x in term if x not in seen))
            seen |= set(lits)
            strata.append(list(lits))
        rules: dict[Any, None] = {}
        for rp in [*self.program.rules.values(), *getattr(self.program, "eligibility", {}).values()]:
            for form in (rp.true, rp.false):
                for term in form:
                    rules.update(dict.fromkeys(x for x in term if x not in seen))
        return strata, list(rules)

    @cached_property
    def _lit_index(self) -> dict[Any, int]:
        strata, rules = self._stages
        return {lit: i for i, lit in enumerate([x for st in strata for x in st] + rules)}

    def holds(self, lit: Any) -> Expr:
        return pl.col(f"§h{self._lit_index[lit]}")

    def can_hold(self, lit: Any) -> Expr:
        return pl.col(f"§c{self._lit_index[lit]}")

    def _lit_columns(self, lits: list[Any], can: bool = False) -> list[Expr]:
        if can:
            return [self._can_expr(x).alias(f"§c{self._lit_index[x]}") for x in lits]
        return [self._holds_expr(x).alias(f"§h{self._lit_index[x]}") for x in lits]

    def _holds_expr(self, lit: Any) -> Expr:
        """The literal holds whatever the missing case fields turn out to be (two-valued: a
        literal on a missing field does not hold, except `present: false`)."""
        f = lit.field
        if lit.present is not None:
            if f in self.derived:  # derived facts are never "given"
                return pl.lit(not lit.present)
            return pl.col(f).is_not_null() if lit.present else pl.col(f).is_null()
        if self._is_sum(f):
            lo, hi = pl.col(self.lo_col(f)), pl.col(self.hi_col(f))
            return _or(_contains(r, lo) & _contains(r, hi) for r in lit.ranges or ())
        if f in self.derived:
            d = self.derived[f]
            if lit.ranges is not None:
                outside = [v for v in d.universe if not any(r.contains(v) for r in lit.ranges)]
            else:
                outside = [v for v in d.universe if v not in lit.values]
            return _and(~pl.col(self.possible_col(f, v)) for v in outside)
        c = pl.col(f)
        if lit.item is not None:
            want = set(lit.values or ())
            has = c.list.contains(lit.item)
            e = c.is_not_null() if want == {True, False} else (has if True in want else ~has) if want else _FALSE
            return e.fill_null(False)
        if lit.ranges is not None:
            return _or(_contains(r, c) for r in lit.ranges).fill_null(False)
        e = _value_in(c, lit.values)
        if getattr(lit, "exclude", False):
            e = ~e
        return e.fill_null(False)

    def _can_expr(self, lit: Any) -> Expr:
        """The literal could still hold once more is known (a given value decides it)."""
        f = lit.field
        if lit.present is not None:
            return self._holds_expr(lit)
        if self._is_sum(f):
            lo, hi = pl.col(self.lo_col(f)), pl.col(self.hi_col(f))
            parts = []
            for r in lit.ranges or ():
                e = _contains(r, lo) | _contains(r, hi)
                if r.lo is not None:
                    e = e | ((lo <= r.lo) & (pl.lit(r.lo) <= hi))
                parts.append(e)
            return _or(parts)
        if f in self.derived:
            d = self.derived[f]
            if lit.ranges is not None:
                inside = [v for v in d.universe if any(r.contains(v) for r in lit.ranges)]
            else:
                inside = [v for v in d.universe if v in lit.values]
            return _or(pl.col(self.possible_col(f, v)) for v in inside)
        return pl.col(f).is_null() | self._holds_expr(lit)

    def _decided(self, did: str) -> Expr:
        if self._is_sum(did):
            return pl.col(self.lo_col(did)) == pl.col(self.hi_col(did))
        d = self.derived[did]
        return pl.sum_horizontal([pl.col(self.possible_col(did, v)).cast(pl.Int8) for v in d.universe]) == 1

    def form_holds(self, form: Any) -> Expr:
        return _or(_and(self.holds(lit) for lit in term) for term in form)

    # ---- derived facts, stratum by stratum ----------------------------------------------------

    def _term_bounds(self, t: str) -> tuple[Expr, Expr]:
        """The range of a number a sum adds: its value, its derived bounds, or the field's range."""
        if self._is_sum(t):
            return pl.col(self.lo_col(t)), pl.col(self.hi_col(t))
        if t in self.derived:
            vals = [(v, pl.col(self.possible_col(t, v))) for v in self.derived[t].universe]
            return (pl.min_horizontal([pl.when(p).then(pl.lit(float(v))) for v, p in vals]),
                    pl.max_horizontal([pl.when(p).then(pl.lit(float(v))) for v, p in vals]))
        ft = self.program.registry[t]
        c = pl.col(t).cast(pl.Float64)
        return c.fill_null(float(ft.lo)), c.fill_null(float(ft.hi))

    def _stratum_columns(self, stratum: Any) -> list[Expr]:
        out: list[Expr] = []
        for dp in stratum:
            d = self.derived[dp.id]
            if d.sum:
                bounds = [self._term_bounds(t) for t in d.sum]
                out.append(pl.sum_horizontal([b[0] for b in bounds]).alias(self.lo_col(d.id)))
                out.append(pl.sum_horizontal([b[1] for b in bounds]).alias(self.hi_col(d.id)))
                continue
            out += [(~self.form_holds(d.impossible[v])).alias(self.possible_col(d.id, v)) for v in d.universe]
        return out

    def derive(self, frame: pl.LazyFrame, missing: bool = True) -> pl.LazyFrame:
        for k, stratum in enumerate(self.program.strata):
            lits = self._stages[0][k]
            if lits:
                frame = frame.with_columns(self._lit_columns(lits) + (self._lit_columns(lits, can=True) if missing else []))
            frame = frame.with_columns(self._stratum_columns(stratum))
            if missing:
                cols = self._missing_columns(stratum)
                if cols:
                    frame = frame.with_columns(cols)
        return frame

    # ---- missing fields ---------------------------------------------------------------------

    @cached_property
    def _reach(self) -> dict[str, frozenset[str]]:
        """Case fields each derived fact can be missing, through its forms (upper bound)."""
        out: dict[str, frozenset[str]] = {}
        for stratum in self.program.strata:
            for dp in stratum:
                d = self.derived[dp.id]
                fields: set[str] = set()
                if d.sum:
                    for t in d.sum:
                        fields |= out.get(t, frozenset()) if t in self.derived else set(COMPUTED_FROM.get(t, (t,)))
                else:
                    for form in d.impossible.values():
                        fields |= self._form_reach(form, out)
                out[d.id] = frozenset(fields)
        return out

    def _form_reach(self, form: Any, known: dict[str, frozenset[str]] | None = None) -> set[str]:
        known = self._reach if known is None else known
        fields: set[str] = set()
        for term in form:
            for lit in term:
                if lit.field in self.derived:
                    fields |= known.get(lit.field, frozenset())
                elif lit.field in COMPUTED_FROM:
                    fields |= set(COMPUTED_FROM[lit.field])
                else:
                    fields.add(lit.field)
        return fields

    def _lit_missing(self, lit: Any, field: str, memo: dict[tuple[str, str], Expr]) -> Expr | None:
        """The literal does not hold and stands for the missing case field `field` (explain.py:
        a literal stands for the fields that leave its own field undecided; `present` for none)."""
        if lit.present is not None:
            return None
        f = lit.field
        if f in self.derived:
            if field not in self._reach.get(f, ()):
                return None
            return ~self.holds(lit) & self._derived_missing(f, field, memo)
        if field not in COMPUTED_FROM.get(f, (f,)):
            return None
        return pl.col(f).is_null() & ~self.holds(lit)

    def _form_missing(self, form: Any, field: str, memo: dict[tuple[str, str], Expr]) -> Expr:
        parts = []
        for term in form:
            lits = [m for lit in term if (m := self._lit_missing(lit, field, memo)) is not None]
            if lits:
                parts.append(_and(self.can_hold(lit) for lit in term) & _or(lits))
        return _or(parts)

    def _derived_missing(self, did: str, field: str, memo: dict[tuple[str, str], Expr]) -> Expr:
        """Whether derived fact `did` is missing case field `field` (a column made by derive())."""
        return pl.col(self.missing_col(did, field))

    def _missing_columns(self, stratum: Any) -> list[Expr]:
        """For each derived fact of the stratum and each case field it can reach: whether the fact
        is undecided for want of that field. Made as columns so later strata and rules read them
        instead of repeating the expressions."""
        out: list[Expr] = []
        memo: dict[tuple[str, str], Expr] = {}
        for dp in stratum:
            d = self.derived[dp.id]
            undecided = ~self._decided(d.id)
            for field in sorted(self._reach.get(d.id, ())):
                if d.sum:
                    parts = []
                    for t in d.sum:
                        if t in self.derived:
                            if field in self._reach.get(t, ()):
                                parts.append(pl.col(self.missing_col(t, field)))
                        elif field in COMPUTED_FROM.get(t, (t,)):
                            parts.append(pl.col(t).is_null())
                    e = _or(parts)
                else:
                    e = _or(pl.col(self.possible_col(d.id, v)) & self._form_missing(d.impossible[v], field, memo)
                            for v in d.universe if field in self._form_reach(d.impossible[v]))
                out.append((undecided & e).alias(self.missing_col(d.id, field)))
        return out

    # ---- rules and decisions ----------------------------------------------------------------

    def _rule_program(self, rid: str) -> Any:
        return self.program.rules[rid]

    def outcomes(self, frame: pl.LazyFrame, missing: bool = True) -> pl.LazyFrame:
        """Per rule, an Int8 column `?<rule id>`: 1 (holds), 0 (does not), null (unknown)."""
        lits = self._stages[1]
        if lits:
            frame = frame.with_columns(self._lit_columns(lits) + (self._lit_columns(lits, can=True) if missing else []))
        cols = []
        for rule in self.rules.all_rules():
            rp = self._rule_program(rule.id)
            cols.append(pl.when(self.form_holds(rp.true)).then(pl.lit(1, pl.Int8))
                        .when(self.form_holds(rp.false)).then(pl.lit(0, pl.Int8))
                        .otherwise(pl.lit(None, pl.Int8)).alias(self.outcome_col(rule.id)))
        # an intervention's whole eligibility: decided even when no single rule is (one criterion
        # or another fails whatever the missing answers are)
        for iid, ep in getattr(self.program, "eligibility", {}).items():
            cols.append(pl.when(self.form_holds(ep.true)).then(pl.lit(1, pl.Int8))
                        .when(self.form_holds(ep.false)).then(pl.lit(0, pl.Int8))
                        .otherwise(pl.lit(None, pl.Int8)).alias(self.whole_col(iid)))
        return frame.with_columns(cols)

    def _passes(self, rule: Rule) -> Expr:
        o = pl.col(self.outcome_col(rule.id))
        if rule.judgement:  # passed only when it does not apply; never failed by case data
            return o == 0
        return (o == 1) if rule.kind == "criterion" else (o == 0)

    def _missing_of_rule(self, rule: Rule, memo: dict[tuple[str, str], Expr]) -> dict[str, Expr]:
        rp = self._rule_program(rule.id)
        unknown = pl.col(self.outcome_col(rule.id)).is_null()
        out: dict[str, Expr] = {}
        if rule.judgement:  # whether it applies is said with it (to_check), never a missing field
            return out
        for field in sorted(self._form_reach(rp.true) | self._form_reach(rp.false)):
            out[field] = unknown & (self._form_missing(rp.true, field, memo) | self._form_missing(rp.false, field, memo))
        return out

    @cached_property
    def fields_of(self) -> dict[str, list[str]]:
        """Case fields each intervention's undetermined decision can be missing."""
        out = {}
        for iid in self.interventions:
            fs: set[str] = set()
            for r in self.rules.rules[iid]:
                if r.judgement:
                    continue
                rp = self._rule_program(r.id)
                fs |= self._form_reach(rp.true) | self._form_reach(rp.false)
            out[iid] = sorted(fs)
        return out

    @cached_property
    def all_fields(self) -> list[str]:
        return sorted({f for fs in self.fields_of.values() for f in fs})

    def decisions(self, frame: pl.LazyFrame, missing: bool = True, usable: Iterable[str] | None = None) -> pl.LazyFrame:
        """Per intervention: its decision (`decision_col`: 0 eligible, 1 undetermined, 2 ineligible),
        a bit mask over its rules, those that decided (`mask_cols`, 62 rules a word), whether each
        field is missing for the decision (`field_missing_col`) and, per field, in how many
        undetermined decisions of the case it is missing (`count_col`), and in how many of those
        of `usable` interventions (default all; the screen passes those not withdrawn or suspended
        on the date), which order the lists first. Masks and flags, not lists: lists per case and
        intervention are slow to build."""
        use = set(self.interventions if usable is None else usable)
        memo: dict[tuple[str, str], Expr] = {}
        dec_cols: list[Expr] = []
        miss_cols: list[Expr] = []
        for iid in self.interventions:
            rules = self.rules.rules[iid]
            # a judgement is never failed and never waits for case data: it applies, or may (pending)
            known = [pl.col(self.outcome_col(r.id)).is_not_null() for r in rules]
            failed_all = [k & ~self._passes(r) if not r.judgement else pl.lit(False) for k, r in zip(known, rules)]
            pending_each = [(pl.col(self.outcome_col(r.id)) != 0).fill_null(True) if r.judgement else pl.lit(False) for r in rules]
            agree = _or(e for e, r in zip(pending_each, rules) if r.judgement)
            some_fail = _or(f for f, r in zip(failed_all, rules) if not r.judgement)
            unknown = _or(~k for k, r in zip(known, rules) if not r.judgement)
            has_whole = iid in getattr(self.program, "eligibility", {})
            whole = pl.col(self.whole_col(iid)) if has_whole else pl.lit(None, pl.Int8)
            # ineligible: a rule fails for sure, or (whole eligibility false) one of the unknown ones does
            fails = some_fail | (whole == 0).fill_null(False)
            unknown = unknown & ~(whole == 1).fill_null(False)
            # failing on the whole: the decidable rules still open (a judgement never fails)
            failed = [pl.when(some_fail).then(f).otherwise(~k if not r.judgement else pl.lit(False))
                      for f, k, r in zip(failed_all, known, rules)]
            code = (pl.when(fails).then(pl.lit(2, pl.UInt8)).when(unknown).then(pl.lit(1, pl.UInt8))
                    .when(agree).then(pl.lit(3, pl.UInt8)).otherwise(pl.lit(0, pl.UInt8)))
            dec_cols.append(code.alias(self.decision_col(iid)))
            # undetermined: the open rules, judgements that apply among them
            deciding = [pl.when(fails).then(f).when(unknown).then(e if r.judgement else ~k)
                        .otherwise(True) for f, k, e, r in zip(failed, known, pending_each, rules)]
            judged = self.judgements(iid)
            if judged:
                assert len(judged) < 64, f"{iid}: more than 63 judgements"
                waits = ~fails & (unknown | agree)
                bits = [pl.when(waits & (pl.col(self.outcome_col(r.id)) != 0).fill_null(True)).then(pl.lit(1 << j, pl.UInt64))
                        .otherwise(pl.lit(0, pl.UInt64)) for j, r in enumerate(sorted(judged, key=lambda r: r.kind != "criterion"))]
                dec_cols.append(pl.sum_horizontal(bits).cast(pl.UInt64).alias(self.check_col(iid)))
            for w, name in enumerate(self.mask_cols(iid)):
                bits = [pl.when(e).then(pl.lit(1 << i, pl.UInt64)).otherwise(pl.lit(0, pl.UInt64))
                        for i, e in enumerate(deciding[w * MASK_BITS:(w + 1) * MASK_BITS])]
                dec_cols.append((pl.sum_horizontal(bits).cast(pl.UInt64) if bits else pl.lit(0, pl.UInt64)).alias(name))
            if not missing:
                continue
            fields: dict[str, list[Expr]] = {}
            for r in rules:
                for field, e in self._missing_of_rule(r, memo).items():
                    fields.setdefault(field, []).append(e)
            undetermined = ~fails & unknown
            for field in self.fields_of[iid]:
                miss_cols.append((undetermined & _or(fields[field])).alias(self.field_missing_col(iid, field)))
        frame = frame.with_columns(dec_cols)
        if not missing:
            return frame
        if miss_cols:
            frame = frame.with_columns(miss_cols)
        counts = [pl.sum_horizontal([pl.col(self.field_missing_col(iv, f)).cast(pl.Int32) for iv, fs in self.fields_of.items()
                                     if f in fs]).alias(self.count_col(f))
                  for f in self.all_fields]
        counts += [pl.sum_horizontal([pl.lit(0, pl.Int32)] + [pl.col(self.field_missing_col(iv, f)).cast(pl.Int32)
                                                              for iv, fs in self.fields_of.items() if f in fs and iv in use])
                   .alias(self.count_col(f, usable=True))
                   for f in self.all_fields]
        return frame.with_columns(counts) if counts else frame

    _DECISIONS = ("eligible", "undetermined", "ineligible", "eligible_if_agreed")

    def json_lines(self, screened: pl.DataFrame, key: str = "row") -> pl.Series:
        """Each case as one JSON line {"case_id", "results": [{intervention, decision, rules,
        to_check, missing}]}."""
        return pl.concat(list(self.json_line_chunks(screened, max(screened.height, 1))))

    def json_line_chunks(self, screened: pl.DataFrame, size: int) -> Iterator[pl.Series]:
        """`json_lines`, `size` cases at a time, built from text pieces: each intervention's
        result is one of a few distinct pieces (its decision, deciding rules, judgements to check,
        and its missing fields in their order), each written once and gathered per case."""
        if screened.height == 0:
            yield pl.Series("json", [], dtype=pl.String)
            return
        import json

        k = len(self.interventions)
        codes, results = self.result_codes(screened)
        pieces = []
        for i, iid in enumerate(self.interventions):
            before, after = ',"results":[' if i == 0 else ",", "]}" if i == k - 1 else ""
            texts = [before + json.dumps({"intervention": iid, "decision": d, "rules": r, "to_check": c}, separators=(",", ":"))[:-1]
                     + ',"missing":[' + ",".join(f'"{m}"' for m in missing) + "]}" + after for d, r, c, missing in results[i]]
            pieces.append((codes[:, i], pl.Series(texts, dtype=pl.String)))
        heads = screened.select(pl.struct(pl.col("id").alias("case_id")).struct.json_encode().str.strip_suffix("}"))
        tail = [] if pieces else [pl.lit(',"results":[]}')]
        for start in range(0, screened.height, size):
            part = heads.slice(start, size).hstack([text.gather(code.slice(start, size)).alias(f"§t{i}")
                                                     for i, (code, text) in enumerate(pieces)])
            # one flat concatenation: nesting concat_str builds every intermediate string twice
            yield part.select(pl.concat_str([*map(pl.col, part.columns), *tail]).alias("json"))["json"]

    def _rank_col(self, field: str) -> str:
        return self.name("o", field)

    def _ranks(self) -> list[Expr]:
        """Per field, a number that is larger the earlier the field comes in a case's missing
        lists: in more undetermined decisions of usable interventions, then of all, then by name."""
        fields = self.all_fields
        bits = max(len(self.interventions), len(fields)).bit_length()
        return [((pl.col(self.count_col(f, usable=True)).cast(pl.Int64) * (1 << 2 * bits))
                 + pl.col(self.count_col(f)).cast(pl.Int64) * (1 << bits) + (len(fields) - i)).alias(self._rank_col(f))
                for i, f in enumerate(fields)]

    def result_codes(self, screened: pl.DataFrame) -> tuple[pl.DataFrame, list[list[tuple[str, list[str], list[str], list[str]]]]]:
        """Each case's result for each intervention as a code: (a UInt32 column per intervention,
        in order, of codes from 0; per intervention, the (decision, rules, to_check, missing) of
        each code). The codes are the distinct keys (`_json_key`) of the cases, few per intervention."""
        screened = screened.with_columns(self._ranks())
        k = len(self.interventions)
        # per intervention, each case's key (a struct) and its code (the key's rank)
        keys = screened.select([self._json_key(iid).alias(f"§s{i}") for i, iid in enumerate(self.interventions)])
        codes = keys.select([(pl.col(f"§s{i}").rank("dense") - 1).alias(f"§c{i}") for i in range(k)])
        # the distinct keys in sorted order are the codes' keys in code order: every intervention's
        # in one query (a filter and a sort per intervention cost more than the rest together)
        distinct = keys.select([pl.col(f"§s{i}").unique().sort().implode() for i in range(k)])
        results = [self._results_of(iid, distinct[f"§s{i}"][0].struct.unnest().rows()) for i, iid in enumerate(self.interventions)]
        return codes, results

    def _json_key(self, iid: str) -> Expr:
        """What fixes the text of intervention `iid`'s result for a case: its decision, the rule
        masks, the judgements to check, which fields are missing and, for each two of those, which
        comes first (by the counts that order a case's missing fields: in more undetermined
        decisions of usable interventions, then of all, then by name). The distinct keys are few,
        and each is written once."""
        fields = self.fields_of[iid]
        cols = [pl.col(self.decision_col(iid)), *map(pl.col, self.mask_cols(iid))]
        if self.judgements(iid):
            cols.append(pl.col(self.check_col(iid)))
        q = [pl.col(self.field_missing_col(iid, f)) for f in fields]
        rank = [pl.col(self._rank_col(f)) for f in fields]
        # bit (a, b), a before b by name: both missing, and b comes first
        pairs = [q[a] & q[b] & (rank[b] > rank[a]) for a in range(len(fields)) for b in range(a + 1, len(fields))]
        words = [q[w:w + 63] for w in range(0, len(q), 63)] + [pairs[w:w + 63] for w in range(0, len(pairs), 63)]
        cols += [pl.sum_horizontal([e.cast(pl.UInt64) * pl.lit(1 << j, pl.UInt64) for j, e in enumerate(word)])
                 for word in words]
        return pl.struct([c.alias(f"§j{j}") for j, c in enumerate(cols)])

    def _results_of(self, iid: str, keys: list[tuple[Any, ...]]) -> list[tuple[str, list[str], list[str], list[str]]]:
        """Intervention `iid`'s result for each key (`_json_key`): decision, rules, to_check, missing."""
        ids = [r.id for r in self.rules.rules[iid]]
        checks = [r.id for r in sorted(self.judgements(iid), key=lambda r: r.kind != "criterion")]
        fields = self.fields_of[iid]
        nq = -(-len(fields) // 63)  # words of missing flags, then words of pair bits
        out = []
        for dec, *rest in keys:
            masks = rest[:len(self.mask_cols(iid))]
            rest = rest[len(masks):]
            check = rest.pop(0) if checks else 0
            qbits = sum(w << (63 * i) for i, w in enumerate(rest[:nq]))
            pbits = sum(w << (63 * i) for i, w in enumerate(rest[nq:]))
            missing = [j for j in range(len(fields)) if qbits >> j & 1]
            pair: dict[tuple[int, int], int] = {}
            for a in range(len(fields)):
                for b in range(a + 1, len(fields)):
                    pair[a, b] = pbits >> len(pair) & 1
            # a field's place: how many of the other missing fields come before it
            place = {j: sum(1 for x in missing if x != j and (pair[x, j] == 0 if x < j else pair[j, x] == 1)) for j in missing}
            out.append((self._DECISIONS[dec], [rid for j, rid in enumerate(ids) if masks[j // MASK_BITS] >> (j % MASK_BITS) & 1],
                        [rid for j, rid in enumerate(checks) if check >> j & 1], [fields[j] for j in sorted(missing, key=place.__getitem__)]))
        return out

    def long_results(self, screened: pl.DataFrame, key: str = "row") -> pl.DataFrame:
        """One row per case and intervention, in case then intervention order: `key`,
        intervention, decision, rules, to_check (the judgements still to check), missing."""
        decisions = pl.Enum(list(self._DECISIONS))
        k = len(self.interventions)
        if k == 0 or screened.height == 0:
            return pl.DataFrame(schema={key: pl.Int64, "intervention": pl.String, "decision": decisions,
                                        "rules": pl.List(pl.String), "to_check": pl.List(pl.String), "missing": pl.List(pl.String)})
        case, code, every = self._long_codes(screened)
        return pl.DataFrame({
            key: screened[key].gather(case),
            "intervention": pl.Series([self.interventions[e[0]] for e in every], dtype=pl.String).gather(code),
            "decision": pl.Series([e[1] for e in every], dtype=decisions).gather(code),
            "rules": pl.Series([e[2] for e in every], dtype=pl.List(pl.String)).gather(code),
            "to_check": pl.Series([e[3] for e in every], dtype=pl.List(pl.String)).gather(code),
            "missing": pl.Series([e[4] for e in every], dtype=pl.List(pl.String)).gather(code),
        })

    def _long_codes(self, screened: pl.DataFrame) -> tuple[pl.Series, pl.Series, list[tuple[Any, ...]]]:
        """The long table as indices: for each row (case then intervention), its case's position in
        `screened` and its result's index in the small table of every intervention's results
        (intervention index, decision, rules, to_check, missing)."""
        # each case's result for each intervention is a code (result_codes); the long table is the
        # codes in case-major order, and its text and lists are gathered once from the small table
        k = len(self.interventions)
        codes, results = self.result_codes(screened)
        offsets = [0]
        for r in results:
            offsets.append(offsets[-1] + len(r))
        every = [(i, *r) for i, rs in enumerate(results) for r in rs]
        n = screened.height
        at = pl.int_range(0, n * k, dtype=pl.UInt32, eager=True)
        # the codes intervention by intervention, read case by case
        code = pl.concat([codes[c] + offsets[i] for i, c in enumerate(codes.columns)]).gather(at % k * n + at // k)
        return at // k, code, every

    def long_arrow(self, screened: pl.DataFrame, key: str = "row", case_id: str = "id") -> Any:
        """`long_results` with each case's id as `case_id` (decisions as text), as the Arrow table
        the Parquet writer takes: gathered in Arrow from the small table of results, so that the
        strings of 8.7 million rows are copied once, not built in Polars and converted again."""
        import pyarrow as pa
        import pyarrow.compute as pc

        from ..inputs.tablefiles import arrow_pool

        pool = arrow_pool()
        text, lists = pa.large_string(), pa.large_list(pa.large_string())
        case, code, every = self._long_codes(screened)
        at, picks = case.to_arrow(), code.to_arrow()

        def small(values: list[Any], dtype: Any) -> Any:
            return pc.take(pa.array(values, dtype, memory_pool=pool), picks, memory_pool=pool)

        return pa.table({
            key: pc.take(screened[key].to_arrow(), at, memory_pool=pool),
            "case_id": pc.take(screened[case_id].to_arrow().cast(text), at, memory_pool=pool),
            "intervention": small([self.interventions[e[0]] for e in every], text),
            "decision": small([e[1] for e in every], text),
            "rules": small([e[2] for e in every], lists),
            "to_check": small([e[3] for e in every], lists),
            "missing": small([e[4] for e in every], lists),
        })

    def case_missing(self, screened: pl.DataFrame, key: str = "row") -> pl.DataFrame:
        """Every missing field of each case, in the documented order: `key`, missing."""
        parts = [screened.filter(pl.col(self.count_col(f)) > 0).select(
                     pl.col(key), pl.lit(f).alias("field"), pl.col(self.count_col(f, usable=True)).alias("#u"),
                     pl.col(self.count_col(f)).alias("#n"))
                 for f in self.all_fields]
        if not parts:
            return screened.select(pl.col(key), pl.lit([], dtype=pl.List(pl.String)).alias("missing"))
        m = pl.concat(parts).sort([key, "#u", "#n", "field"], descending=[False, True, True, False])
        got = m.group_by(key, maintain_order=True).agg(pl.col("field").alias("missing"))
        return screened.select(key).join(got, on=key, how="left").with_columns(
            pl.col("missing").fill_null(pl.lit([], dtype=pl.List(pl.String))))

    def derived_values(self) -> list[Expr]:
        """Each derived fact's value when decided, else null (`=<id>` columns)."""
        out = []
        for did, d in self.derived.items():
            if d.sum:
                out.append(pl.when(pl.col(self.lo_col(did)) == pl.col(self.hi_col(did))).then(pl.col(self.lo_col(did))).alias(f"={did}"))
                continue
            value = pl.lit(None)
            for v in reversed(d.universe):
                value = pl.when(self._only(did, v)).then(pl.lit(v)).otherwise(value)
            out.append(value.alias(f"={did}"))
        return out

    def _only(self, did: str, v: Any) -> Expr:
        d = self.derived[did]
        return _and([pl.col(self.possible_col(did, v)), *(~pl.col(self.possible_col(did, w)) for w in d.universe if w != v)])

    def _dtype(self, f: str) -> pl.DataType:
        ft = self.program.registry[f]
        if ft.kind == "number":
            return pl.Int64() if ft.integer else pl.Float64()
        if ft.kind == "flag":
            return pl.Boolean()
        if ft.kind == "list":
            return pl.List(pl.String)
        if ft.kind == "choice" and ft.values and all(isinstance(v, int) and not isinstance(v, bool) for v in ft.values):
            return pl.Int64()
        return pl.String()

    def _conform(self, lf: pl.LazyFrame) -> pl.LazyFrame:
        """Every case field the program reads as a column of its type (absent or all-null ones too)."""
        schema = lf.collect_schema()
        read = {lit.field for rp in [*self.program.rules.values(), *getattr(self.program, "eligibility", {}).values()]
                for form in (rp.true, rp.false) for term in form for lit in term}
        read |= {lit.field for d in self.derived.values() for form in d.impossible.values() for term in form for lit in term}
        read |= {t for d in self.derived.values() for t in d.sum}
        fix = [pl.lit(None, dtype=self._dtype(f)).alias(f) if f not in schema else pl.col(f).cast(self._dtype(f))
               for f in sorted(read - set(self.derived)) if f not in schema or schema[f] == pl.Null]
        return lf.with_columns(fix) if fix else lf

    def _steps(self, usable: tuple[str, ...] | None) -> list[list[Expr]]:
        """The columns `screen` adds, step by step: built once per program and set of usable
        interventions (about 0.04 s of Python for the default catalog), not once per chunk of cases.
        The expressions read only column names, never the frame, so any frame can take them."""
        steps = self._plans.get(usable)
        if steps is None:
            rec = _Steps()
            self.decisions(self.outcomes(self.derive(rec)), usable=usable)  # type: ignore[arg-type]  # records with_columns
            if len(self._plans) >= 16:  # a set of usable interventions per availability on a date: few
                self._plans.clear()
            steps = self._plans[usable] = rec.steps
        return steps

    def screen(self, frame: pl.DataFrame | pl.LazyFrame, usable: Iterable[str] | None = None) -> pl.LazyFrame:
        """Derived facts, rule outcomes, decisions and missing fields, as columns added to `frame`
        (`usable`: see `decisions`)."""
        lf = self._conform(frame.lazy())
        for columns in self._steps(None if usable is None else tuple(usable)):
            lf = lf.with_columns(columns)
        # the literal columns and the derived facts' missing-field flags are steps on the way: not
        # kept, a national caseload's screen holds a few hundred columns fewer
        return lf.select(pl.exclude(r"^§[hcx]\d+$"))
