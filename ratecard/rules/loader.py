"""Rule files: derived facts and per-intervention eligibility, loaded, checked and ordered.

Derived facts are stratified: a fact that uses another derived fact sits in a later stratum, so
the engine can chain forward one stratum at a time and a cycle is caught at load time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from ..case.model import NEVER_GIVEN
from .conditions import Cond, ConditionParser, _is_number, fields_of, suggest
from .domain import Domain, field_domains, number_domain
from ..errors import Problem
from .fields import FieldType, base_registry
from ..inputs.yamlio import Document, ParseError, load_file

Tri = bool | None
# where a rule comes from: the inspection report, published HMPPS criteria, or this catalog's assumption
Basis = Literal["report", "hmpps", "assumption"]
BASES: tuple[str, ...] = ("report", "hmpps", "assumption")


@dataclass(frozen=True)
class Derived:
    id: str
    text: str
    kind: Literal["choice", "number", "flag"]
    values: tuple[Any, ...]
    cases: tuple[tuple[Any, Cond], ...] = ()
    otherwise: Any = None
    sum: tuple[str, ...] = ()
    file: str = ""
    line: int | None = None
    basis: Basis | None = None

    def uses(self) -> tuple[str, ...]:
        out: dict[str, None] = {}
        for _, c in self.cases:
            out.update(dict.fromkeys(fields_of(c)))
        out.update(dict.fromkeys(self.sum))
        return tuple(out)


@dataclass(frozen=True, eq=True)
class Rule:
    """One criterion or exclusion of an intervention.

    A *judgement* (`judgement: True`) is a criterion or exclusion that only a person can decide, such
    as a provider's assessment of mental health or a published guide with no fixed form: it has no
    condition (`when` is None), only its published text and its `source`. No case data can decide
    it: it never counts as met. It may have `applies`, a condition on the case (`applies_when`): then
    it opens only when that holds, passes when it does not, and stays unknown while case data leaves
    it open. A judgement's outcome in an Evaluation is whether it applies (True without `applies`),
    so every back end evaluates it like any condition (docs/formats.md)."""

    id: str
    text: str
    kind: Literal["criterion", "exclusion"]
    when: Cond | None
    intervention: str
    file: str = ""
    line: int | None = None
    basis: Basis | None = None
    judgement: bool = False
    source: str | None = None  # where the rule comes from: a document, a file and field
    applies: Cond | None = None  # a judgement's applies_when: it opens only when this holds
    by: str | None = None  # a judgement's decider, e.g. "the treatment manager" (None: the provider)

    @cached_property
    def fields(self) -> tuple[str, ...]:
        """The fields the condition reads, in first-use order (for a judgement, its applies_when's)."""
        cond = self.applies if self.judgement else self.when
        return () if cond is None else fields_of(cond)

    @property
    def condition(self) -> Cond | None:
        """What the rule's outcome is the value of: `when`, or for a judgement `applies` (None: always)."""
        return self.applies if self.judgement else self.when

    def passes(self, outcome: Tri) -> Tri:
        """Whether the person passes this rule, given the value of its condition. A judgement that
        does not apply is passed; one that applies waits for a person (None, as does an unknown)."""
        if outcome is None:
            return None
        if self.judgement:
            return None if outcome else True
        return outcome if self.kind == "criterion" else not outcome

    def to_check(self, outcome: Tri) -> bool:
        """Whether this is a judgement that applies to the case: a person must check it."""
        return self.judgement and outcome is True

    @property
    def decider(self) -> str:
        return self.by or "the provider"


@dataclass(frozen=True)
class RuleSet:
    derived: dict[str, Derived]
    strata: tuple[tuple[str, ...], ...]  # derived ids, stratum by stratum
    rules: dict[str, tuple[Rule, ...]]  # intervention id -> its rules, criteria first
    registry: dict[str, FieldType] = field(repr=False)
    data: dict[str, Any] = field(repr=False, default_factory=dict)  # as written, for the catalog version

    def all_rules(self) -> list[Rule]:
        return [r for rs in self.rules.values() for r in rs]

    def decidable(self, iid: str) -> tuple[Rule, ...]:
        """An intervention's rules that case data can decide (all but its judgements)."""
        return tuple(r for r in self.rules.get(iid, ()) if not r.judgement)


_DERIVED_KEYS = {"id", "text", "values", "type", "cases", "otherwise", "sum", "basis"}
_RULE_KEYS = {"id", "text", "when"}
# a judgement has no condition: its text is the published one, and its source says where it is
_JUDGEMENT_KEYS = {"id", "text", "judgement", "source"}
# The engine's own keys in the facts it builds; a derived fact with one of these names would
# overwrite them (a fact named 'stage' made a 17-year-old eligible for 31 of 32 interventions).
ENGINE_KEYS = frozenset({"kind", "stage", "sid"})
_RULE_OPTIONAL = {"basis", "source"}
# a judgement may say who decides it and when it applies (a condition tree, as any 'when')
_JUDGEMENT_OPTIONAL = {"by", "applies_when"}


def _basis(doc: Document, loc: tuple[Any, ...], raw: dict[str, Any], problems: list[Problem]) -> Any:
    b = raw.get("basis")
    if b is not None and b not in BASES:
        problems.append(_p(doc, loc + ("basis",), f"'basis' is one of {', '.join(BASES)}; got {b!r}"))
        return None
    return b


def _p(doc: Document, loc: tuple[Any, ...], msg: str) -> Problem:
    return doc.problem(loc, msg)


def _reserved(did: str, fields: dict[str, FieldType]) -> str | None:
    """Why a derived-fact id may not be used, or None. The engine flattens field paths (dots to
    '__'), so an id that is, or flattens to, a name already in use would share its value."""
    if did in fields:
        return f"'{did}' is already a {fields[did].source} field; choose another id"
    if "__" in did:
        return "an id must not contain '__' (the engine writes field paths that way); choose another id"
    if did in ENGINE_KEYS:
        return f"'{did}' is reserved for the engine's own use; choose another id"
    for f in fields:
        if did in (f.replace(".", "__"), f.replace(".", "_")):
            return f"'{did}' reads as the field '{f}' with its dots replaced; choose another id"
    return None


def derived_domain(raw: dict[str, Any], ft: FieldType, domains: dict[str, Domain]) -> Domain | None:
    """The values a derived fact can take: its choices, true/false, the numbers its cases give,
    or for a sum the range its terms add up to (None when that cannot be told, such as a term
    whose own domain is not in `domains` yet: see _domains for the order)."""
    if ft.kind == "choice":
        return Domain(values=ft.values)
    if ft.kind == "flag":
        return Domain(values=(False, True))
    if "sum" in raw:
        terms = raw.get("sum")
        if not isinstance(terms, list):
            return None
        lo = hi = 0.0
        integer = True
        for t in terms:
            d = domains.get(t) if isinstance(t, str) else None
            if d is None:
                return None
            if d.values is not None:
                if not all(_is_number(v) for v in d.values):
                    return None
                lo, hi = lo + min(d.values), hi + max(d.values)
            else:
                lo, hi = lo + d.lo, hi + d.hi
            integer = integer and d.integer
        return number_domain(lo, hi, integer=integer)
    values = [c.get("value") for c in raw.get("cases") or [] if isinstance(c, dict)] + [raw.get("otherwise")]
    if not values or not all(_is_number(v) for v in values):
        return None
    return Domain(values=tuple(sorted(set(values))), integer=all(isinstance(v, int) for v in values))


def _domains(domains: dict[str, Domain], raw_derived: dict[str, Any], registry: dict[str, FieldType]) -> dict[str, Domain]:
    """Every derived fact's domain, a sum's terms before the sum (in a loop, not by recursion: a
    chain of 2,000 sums must not end in a RecursionError). Facts in a cycle get none; the cycle
    is reported by _stratify."""
    def terms(did: str) -> list[str]:
        t = raw_derived[did].get("sum")
        return [x for x in t if isinstance(x, str) and x in raw_derived] if isinstance(t, list) else []

    done: set[str] = set()
    for start in raw_derived:
        if start in done:
            continue
        stack = [(start, iter(terms(start)))]
        on_stack = {start}
        while stack:
            did, it = stack[-1]
            t = next(it, None)
            if t is None:
                stack.pop()
                on_stack.discard(did)
                done.add(did)
                d = derived_domain(raw_derived[did], registry[did], domains)
                if d is not None:
                    domains[did] = d
            elif t not in done and t not in on_stack:
                stack.append((t, iter(terms(t))))
                on_stack.add(t)
    return domains


def _yaml_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml") and not p.is_dir())  # a pipe named *.yaml is reported, not skipped


def rule_files(folder: Path) -> tuple[list[Path], list[Path]]:
    """The files load_rules reads: derived.yaml (when there is one), and rules/interventions/."""
    derived_path = folder / "derived.yaml"
    inter_dir = folder / "interventions"
    return [derived_path] if derived_path.exists() else [], _yaml_files(inter_dir) if inter_dir.is_dir() else []


def _load_docs(paths: list[Path], problems: list[Problem], read: Callable[[Path], Document]) -> list[Document]:
    docs = []
    for p in paths:
        try:
            docs.append(read(p))
        except ParseError as e:
            problems.extend(e.problems)
    return docs


def load_rules(
    folder: Path, intervention_ids: set[str] | dict[str, tuple[str, int | None]] | None,
    vocab: dict[str, tuple[frozenset[str], str]] | None = None, read: Callable[[Path], Document] = load_file,
) -> tuple[RuleSet | None, list[Problem]]:
    """Load rules/derived.yaml and rules/interventions/*.yaml. Returns the rules and every problem.

    `intervention_ids` may map each catalog id to the (file, line) that defines it, so that an
    intervention without rules is reported where the user wrote it. `vocab` gives, per field,
    the only values a rule may name (the catalog's towns, areas, intervention ids; see
    ConditionParser). `read` reads and parses one file (the catalog cache records the bytes)."""
    problems: list[Problem] = []
    derived_files, inter_files = rule_files(folder)
    docs_d = _load_docs(derived_files, problems, read)
    inter_dir = folder / "interventions"
    if not inter_dir.is_dir():
        problems.append(Problem(str(inter_dir), None, "", "folder not found; eligibility rules live in rules/interventions/*.yaml"))
    before = len(problems)
    docs_i = _load_docs(inter_files, problems, read)
    # an unreadable rule file hides its interventions' entries: do not also call them missing
    all_rule_files_read = len(problems) == before

    base = base_registry()
    registry = dict(base)
    raw_derived: dict[str, Any] = {}
    raw_rules: dict[str, Any] = {}
    heads: list[tuple[Document, int, dict[str, Any]]] = []
    for doc in docs_d:
        data = doc.data
        if not isinstance(data, dict) or set(data) != {"derived"} or not isinstance(data["derived"], list):
            problems.append(_p(doc, (), "a derived-facts file holds one key, 'derived', with a list of facts"))
            continue
        for i, raw in enumerate(data["derived"]):
            loc: tuple[Any, ...] = ("derived", i)
            if not isinstance(raw, dict):
                problems.append(_p(doc, loc, "each derived fact is a mapping with id, text and cases or sum"))
                continue
            extra = set(map(str, raw)) - _DERIVED_KEYS
            if extra:
                problems.append(_p(doc, loc + (sorted(extra)[0],), f"unknown field; a derived fact has {', '.join(sorted(_DERIVED_KEYS))}"))
                continue
            did = raw.get("id")
            if not isinstance(did, str) or not did.isidentifier() or not did.islower():
                problems.append(_p(doc, loc + ("id",), "id must be a lower-case identifier such as pni_risk"))
                continue
            why = _reserved(did, base) or (f"'{did}' is defined twice; keep one" if did in registry else None)
            if why:
                problems.append(_p(doc, loc + ("id",), why))
                continue
            if "values" in raw:
                vals = raw["values"]
                if "type" in raw or not isinstance(vals, list) or not vals or not all(isinstance(v, str) for v in vals) or len(set(vals)) != len(vals):
                    problems.append(_p(doc, loc + ("values",), "'values' is a list of distinct text values (and then no 'type')"))
                    continue
                ft = FieldType("choice", tuple(vals), str(raw.get("text", did)), "derived")
            elif raw.get("type") in ("number", "flag"):
                ft = FieldType(raw["type"], (), str(raw.get("text", did)), "derived")
            else:
                problems.append(_p(doc, loc, "give 'values: [...]' for a choice, or 'type: number' or 'type: flag'"))
                continue
            registry[did] = ft
            heads.append((doc, i, raw))
            raw_derived[did] = raw

    domains = _domains(field_domains(base), raw_derived, registry)
    never_given = {f: f"{f.split('.')[1]} is an unscored section, so a case gives needs.{f.split('.')[1]}.identified, never a score"
                   for f in NEVER_GIVEN}

    def parser_for(doc: Document) -> ConditionParser:
        return ConditionParser(registry, doc, domains, vocab, never_given)

    derived: dict[str, Derived] = {}
    for doc, i, raw in heads:
        loc = ("derived", i)
        did = raw["id"]
        ft = registry[did]
        parser = parser_for(doc)
        text = raw.get("text")
        if not isinstance(text, str) or not text.strip():
            problems.append(_p(doc, loc + ("text",), "every derived fact needs a plain-English 'text'"))
        if "sum" in raw:
            terms = raw["sum"]
            if ft.kind != "number" or "cases" in raw or "otherwise" in raw:
                problems.append(_p(doc, loc + ("sum",), "'sum' is for 'type: number' facts, without cases or otherwise"))
                continue
            if not isinstance(terms, list) or not terms or not all(isinstance(t, str) for t in terms):
                problems.append(_p(doc, loc + ("sum",), "'sum' takes a list of number field names"))
                continue
            bad = [t for t in terms if t not in registry or registry[t].kind != "number"]
            if bad:
                close = [] if bad[0] in registry else suggest(bad[0], registry)
                hint = f"; did you mean {' or '.join(close)}?" if close else "; sum only numbers"
                what = "is not a number field" if bad[0] in registry else "is not a field or derived fact"
                problems.append(_p(doc, loc + ("sum",), f"'{bad[0]}' {what}{hint}"))
                continue
            derived[did] = Derived(did, str(text), "number", (), sum=tuple(terms), file=doc.path, line=doc.line(loc),
                                   basis=_basis(doc, loc, raw, problems))
            continue
        cases_raw = raw.get("cases")
        if not isinstance(cases_raw, list) or not cases_raw:
            problems.append(_p(doc, loc + ("cases",), "'cases' is a list of {value, when}; the first that holds gives the value"))
            continue
        if "otherwise" not in raw:
            problems.append(_p(doc, loc, "give 'otherwise': the value when no case holds"))
            continue
        ok = True
        cases: list[tuple[Any, Cond]] = []
        for j, c in enumerate(cases_raw):
            cloc = loc + ("cases", j)
            if not isinstance(c, dict) or set(c) != {"value", "when"}:
                problems.append(_p(doc, cloc, "each case is a mapping with exactly 'value' and 'when'"))
                ok = False
                continue
            if not _value_fits(ft, c["value"]):
                problems.append(_p(doc, cloc + ("value",), f"{c['value']!r} does not fit '{did}', which is {ft.describe()}"))
                ok = False
            cond = parser.parse(c["when"], cloc + ("when",))
            if cond is None:
                ok = False
            else:
                cases.append((c["value"], cond))
        if not _value_fits(ft, raw["otherwise"]):
            problems.append(_p(doc, loc + ("otherwise",), f"{raw['otherwise']!r} does not fit '{did}', which is {ft.describe()}"))
            ok = False
        problems.extend(parser.problems)
        if ok:
            derived[did] = Derived(did, str(text), ft.kind, ft.values, tuple(cases), raw["otherwise"], file=doc.path,  # type: ignore[arg-type]
                                   line=doc.line(loc), basis=_basis(doc, loc, raw, problems))

    strata, cycle_problems = _stratify(derived)
    problems.extend(cycle_problems)

    rules: dict[str, tuple[Rule, ...]] = {}
    rule_ids: dict[str, str] = {}
    where_defined: dict[str, str] = {}
    for doc in docs_i:
        data = doc.data
        if not isinstance(data, dict) or set(data) != {"interventions"} or not isinstance(data["interventions"], dict):
            problems.append(_p(doc, (), "an eligibility file holds one key, 'interventions', mapping intervention ids to their rules"))
            continue
        parser = parser_for(doc)
        for iid, body in data["interventions"].items():
            loc = ("interventions", iid)
            if not isinstance(iid, str):
                problems.append(_p(doc, loc, "intervention ids are text"))
                continue
            if iid in where_defined:
                problems.append(_p(doc, loc, f"rules for '{iid}' are also given in {where_defined[iid]}; keep one"))
                continue
            where_defined[iid] = doc.path
            raw_rules[iid] = body
            if intervention_ids is not None and iid not in intervention_ids:
                problems.append(_p(doc, loc, f"no intervention '{iid}' in the catalog; fix the id or add it to catalog/interventions"))
                continue
            if not isinstance(body, dict) or not set(body) <= {"criteria", "exclusions"}:
                problems.append(_p(doc, loc, "an intervention's rules are 'criteria' and 'exclusions', each a list"))
                continue
            out: list[Rule] = []
            for kind, key in (("criterion", "criteria"), ("exclusion", "exclusions")):
                items = body.get(key, [])
                if not isinstance(items, list):
                    problems.append(_p(doc, loc + (key,), f"'{key}' is a list of rules"))
                    continue
                for j, r in enumerate(items):
                    rloc = loc + (key, j)
                    if not isinstance(r, dict):
                        problems.append(_p(doc, rloc, "a rule is a mapping with id, text and when"))
                        continue
                    judged = "judgement" in r
                    required = _JUDGEMENT_KEYS if judged else _RULE_KEYS
                    extra = set(map(str, r)) - required - _RULE_OPTIONAL - (_JUDGEMENT_OPTIONAL if judged else set())
                    missing = required - set(r)
                    if extra or missing:
                        if judged and "when" in extra:
                            what = ("a judgement has no condition ('when'): a person decides it from its text; "
                                    "'applies_when' says when it needs deciding at all")
                        elif not judged and set(extra) & _JUDGEMENT_OPTIONAL:
                            what = f"'{sorted(set(extra) & _JUDGEMENT_OPTIONAL)[0]}' is for a judgement (judgement: true)"
                        else:
                            what = f"unknown field '{sorted(extra)[0]}'" if extra else f"missing '{sorted(missing)[0]}'"
                        shape = ("a judgement has id, text, judgement: true and source (and may have basis, by and applies_when)" if judged
                                 else "a rule has id, text and when (and may have basis and source)")
                        problems.append(_p(doc, rloc, f"{what}; {shape}"))
                        continue
                    rid, text = r["id"], r["text"]
                    if not isinstance(rid, str) or not rid:
                        problems.append(_p(doc, rloc + ("id",), "a rule id is text, e.g. bbr.men"))
                        continue
                    if rid in rule_ids:
                        problems.append(_p(doc, rloc + ("id",), f"rule id '{rid}' is also used in {rule_ids[rid]}; ids must be unique"))
                        continue
                    rule_ids[rid] = f"{doc.path}:{doc.line(rloc + ('id',))}"
                    if not isinstance(text, str) or not text.strip():
                        problems.append(_p(doc, rloc + ("text",), "every rule needs a plain-English sentence in 'text'"))
                        continue
                    source = r.get("source")
                    if source is not None and (not isinstance(source, str) or not source.strip()):
                        problems.append(_p(doc, rloc + ("source",), "'source' is text: the document, or file and field, the rule comes from"))
                        continue
                    if judged:
                        if r["judgement"] is not True:
                            problems.append(_p(doc, rloc + ("judgement",), "write 'judgement: true' for a criterion only a person can decide, "
                                                                           "or give a condition in 'when' instead"))
                            continue
                        by = r.get("by")
                        if by is not None and (not isinstance(by, str) or not by.strip()):
                            problems.append(_p(doc, rloc + ("by",), "'by' names who decides, e.g. 'the treatment manager'"))
                            continue
                        applies = None
                        if "applies_when" in r:
                            applies = parser.parse(r["applies_when"], rloc + ("applies_when",))
                            if applies is None:
                                continue
                        out.append(Rule(rid, text.strip(), kind, None, iid, doc.path, doc.line(rloc),  # type: ignore[arg-type]
                                        _basis(doc, rloc, r, problems), judgement=True, source=(source or "").strip(),
                                        applies=applies, by=by.strip() if by else None))
                        continue
                    cond = parser.parse(r["when"], rloc + ("when",))
                    if cond is not None:
                        out.append(Rule(rid, text.strip(), kind, cond, iid, doc.path, doc.line(rloc),  # type: ignore[arg-type]
                                        _basis(doc, rloc, r, problems), source=source.strip() if source else None))
            rules[iid] = tuple(out)
        problems.extend(parser.problems)
    if intervention_ids is not None and all_rule_files_read:
        for iid in sorted(set(intervention_ids) - set(where_defined)):
            file, line = intervention_ids[iid] if isinstance(intervention_ids, dict) else (str(inter_dir), None)
            problems.append(Problem(file, line, iid, f"this catalog intervention has no eligibility entry in {inter_dir}; add one (criteria: [] if open to all)"))
    if problems:
        return None, problems
    data = {"derived": raw_derived, "interventions": raw_rules}
    return RuleSet(derived, strata, rules, registry, data), []


def _value_fits(ft: FieldType, v: Any) -> bool:
    if ft.kind == "number":
        return _is_number(v)
    if ft.kind == "flag":
        return isinstance(v, bool)
    return isinstance(v, str) and v in ft.values


def _stratify(derived: dict[str, Derived]) -> tuple[tuple[tuple[str, ...], ...], list[Problem]]:
    """Each derived fact's stratum: 0 for one that reads only case fields, else one more than the
    latest fact it reads. Depth-first with a stack of its own, not Python's: a chain of 2,000 facts
    (or a cycle of 330) must be ordered or refused, not end in a RecursionError."""
    level: dict[str, int] = {}
    deps = {d: [u for u in derived[d].uses() if u in derived] for d in derived}
    for start in sorted(derived):
        if start in level:
            continue
        path = [start]  # the facts being visited, each reading the next
        on_path = {start}
        todo = [iter(deps[start])]
        while todo:
            u = next(todo[-1], None)
            if u is None:
                d = path.pop()
                on_path.discard(d)
                todo.pop()
                level[d] = 1 + max((level[x] for x in deps[d]), default=-1)
            elif u in on_path:
                cyc = path[path.index(u):] + [u]
                return (), [Problem(derived[u].file, derived[u].line, u, f"derived facts form a cycle: {_chain(cyc)}; break it")]
            elif u not in level:
                path.append(u)
                on_path.add(u)
                todo.append(iter(deps[u]))
    n = 1 + max(level.values(), default=-1)
    by_level: list[list[str]] = [[] for _ in range(n)]
    for d in derived:
        by_level[level[d]].append(d)
    return tuple(tuple(sorted(ds)) for ds in by_level), []


def _chain(ids: list[str], keep: int = 6) -> str:
    """'a -> b -> c -> a', or for a long cycle its start and end around how many are left out."""
    if len(ids) <= 2 * keep:
        return " -> ".join(ids)
    return f"{' -> '.join(ids[:keep])} -> ... ({len(ids) - 2 * keep} more) -> {' -> '.join(ids[-keep:])}"


@dataclass(frozen=True)
class Evaluation:
    """What the rules say of one case: per derived fact, the values still possible (a set, or an
    interval for sums) and the value when only one is; per rule, the value of its condition (True,
    False, or None when the missing case fields could make it either). Every back end gives this."""

    derived: dict[str, Any]  # decided derived facts only
    outcomes: dict[str, Tri]
    possible: dict[str, frozenset[Any]] = field(default_factory=dict)  # choice, flag and case-valued numbers
    bounds: dict[str, tuple[float, float]] = field(default_factory=dict)  # sums
    # interventions whose rules can be failed one way or another (Program.eligibility): False when,
    # whatever the missing answers are, one of their rules fails; None otherwise
    eligibility: dict[str, Tri] = field(default_factory=dict)
