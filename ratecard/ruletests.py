"""Rule tests: small cases with the answers a probation officer expects, written beside the rules.

In the spirit of OpenFisca's YAML tests, a catalog editor who changes a rule can say in plain YAML
what the change must (and must not) do, and `ratecard test` (or pytest) checks it against the real
screen and referral check. Each file in `rules/tests/` holds a list of tests; each test is a case,
a reference date, the expected answers and a one-line reason (the format is in docs/formats.md).

A test names real interventions and fields, or it is a problem in the catalog, reported with file
and line like any other (`ratecard validate` checks them too): a test that can never fail because
it names something that does not exist would be worse than no test.
"""

from __future__ import annotations

import datetime as dt
import json
import typing
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, ValidationError

from .case.model import Case, _jsonable
from .docs import formats_doc
from .errors import InputError, Problem
from .inputs.yamlio import Document, Loc, ParseError, load_file, pydantic_problems
from .rules.fields import COMPUTED

if TYPE_CHECKING:
    from .catalog.load import Catalog

# `date`, not `on`: YAML reads a bare `on` key as the boolean true
_TEST_KEYS = ("name", "reason", "date", "case", "expect")
_EXPECT_KEYS = ("decisions", "availability", "derived", "case_warnings", "warnings", "referrals")
_REFERRAL_KEYS = ("verdict", "reasons", "warnings", "rar_days_counted", "alternatives")
DECISIONS = ("eligible", "eligible_if_agreed", "ineligible", "undetermined")
VERDICTS = ("accept", "accept_with_warnings", "accept_if_agreed", "undetermined", "reject")


def _choices() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Availability values and warning codes, from the screen's own types (one list of each)."""
    from .decide.screen import Availability, WarningCode

    codes = typing.get_args(WarningCode)
    return typing.get_args(Availability), codes


class _Out(BaseModel):
    # results like every other ratecard result: frozen pydantic models with model_dump()
    model_config = ConfigDict(extra="forbid", frozen=True)


class Expectation(_Out):
    kind: str  # one of _EXPECT_KEYS
    key: str  # an intervention id, a field, or "" for case warnings
    value: Any
    line: int | None


class RuleTest(_Out):
    file: str
    line: int | None
    name: str
    reason: str
    on: dt.date
    case: Case
    expectations: tuple[Expectation, ...]

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


class Failure(_Out):
    file: str
    line: int | None
    test: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line or ''}: {self.test}: {self.message}"


class RuleTestResult(_Out):
    test: RuleTest
    failures: tuple[Failure, ...]

    @property
    def passed(self) -> bool:
        return not self.failures


# ---- finding and reading the files ------------------------------------------------------------


def default_tests_dir(catalog: Catalog) -> Path | None:
    """The rule tests that come with a catalog: `tests/` in its rules folder."""
    return Path(catalog.rules_dir) / "tests" if catalog.rules_dir else None


def rule_test_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


class _Reader:
    """Checks one file's tests against a catalog, collecting every problem."""

    def __init__(self, doc: Document, catalog: Catalog):
        self.doc = doc
        self.cat = catalog
        self.problems: list[Problem] = []
        self.availability, self.codes = _choices()

    def fail(self, loc: Loc, msg: str) -> None:
        self.problems.append(Problem(self.doc.path, self.doc.line(loc), ".".join(map(str, loc)), msg))

    def intervention(self, iid: Any, loc: Loc) -> bool:
        if isinstance(iid, str) and iid in self.cat.interventions:
            return True
        import difflib

        close = difflib.get_close_matches(str(iid), sorted(self.cat.interventions), n=3, cutoff=0.6)
        hint = f" Did you mean {' or '.join(close)}?" if close else " Run 'ratecard screen' to list them."
        self.fail(loc, f"no intervention '{iid}' in the catalog.{hint}")
        return False

    def choice(self, value: Any, allowed: tuple[str, ...], loc: Loc, what: str) -> bool:
        if value in allowed:
            return True
        self.fail(loc, f"{value!r} is not {what}; use one of {', '.join(allowed)}")
        return False

    def mapping(self, raw: Any, loc: Loc, what: str) -> dict[Any, Any] | None:
        if isinstance(raw, dict) and raw:
            return raw
        self.fail(loc, f"'{loc[-1]}' is a mapping of {what}")
        return None

    def read(self) -> list[RuleTest]:
        data = self.doc.data
        if not isinstance(data, dict) or set(data) != {"tests"} or not isinstance(data["tests"], list) or not data["tests"]:
            self.fail((), f"a rule-test file holds one key, 'tests', with a list of tests (see {formats_doc()})")
            return []
        out = []
        for i, raw in enumerate(data["tests"]):
            t = self.test(raw, ("tests", i), i)
            if t is not None:
                out.append(t)
        return out

    def test(self, raw: Any, loc: Loc, index: int) -> RuleTest | None:
        if not isinstance(raw, dict):
            self.fail(loc, f"each test is a mapping with {', '.join(_TEST_KEYS)}")
            return None
        before = len(self.problems)
        for k in raw:
            if k is True or k == "on":  # `on:` is true to YAML 1.1 readers, text to ratecard's (1.2)
                self.fail(loc, "write the reference date as 'date:', not 'on:' (YAML 1.1 readers take a bare on as true)")
            elif k not in _TEST_KEYS:
                self.fail(loc + (k,), f"unknown key; a test has {', '.join(_TEST_KEYS)}")
        for k in _TEST_KEYS:
            if k not in raw:
                self.fail(loc, f"missing '{k}'; a test has {', '.join(_TEST_KEYS)}")
        name, reason, on = raw.get("name"), raw.get("reason"), raw.get("date")
        if "name" in raw and (not isinstance(name, str) or not name.strip()):
            self.fail(loc + ("name",), "'name' is a short title for the test")
        if "reason" in raw and (not isinstance(reason, str) or not reason.strip() or "\n" in reason.strip()):
            self.fail(loc + ("reason",), "'reason' is one line saying why the expected answer is right (and where it comes from)")
        if "date" in raw and (not isinstance(on, dt.date) or isinstance(on, dt.datetime)):
            self.fail(loc + ("date",), "'date' is the reference date (as --on), written YYYY-MM-DD")
        case = self.case(raw.get("case"), loc + ("case",), index) if "case" in raw else None
        expectations = self.expect(raw.get("expect"), loc + ("expect",)) if "expect" in raw else []
        if len(self.problems) > before or case is None:
            return None
        return RuleTest(file=self.doc.path, line=self.doc.line(loc), name=str(name).strip(), reason=" ".join(str(reason).split()),
                        on=on, case=case, expectations=tuple(expectations))

    def case(self, raw: Any, loc: Loc, index: int) -> Case | None:
        if not isinstance(raw, dict):
            self.fail(loc, "'case' is a case as in a case file (person, offence, risk, needs, sentence...)")
            return None
        data = {"id": f"{Path(self.doc.path).stem}-{index + 1}", **raw}
        try:
            return Case.model_validate_json(json.dumps(_jsonable(data)))
        except ValidationError as e:
            self.problems.extend(pydantic_problems(self.doc, e, prefix=loc))
            return None

    def expect(self, raw: Any, loc: Loc) -> list[Expectation]:
        if not isinstance(raw, dict) or not raw:
            self.fail(loc, f"'expect' is a mapping with at least one of {', '.join(_EXPECT_KEYS)}")
            return []
        out: list[Expectation] = []
        for kind, body in raw.items():
            kloc = loc + (kind,)
            if kind not in _EXPECT_KEYS:
                self.fail(kloc, f"unknown expectation; use {', '.join(_EXPECT_KEYS)}")
                continue
            if kind == "case_warnings":
                if not isinstance(body, list) or not body:
                    self.fail(kloc, "'case_warnings' is a list of warning codes about the case, e.g. [unknown_area]")
                    continue
                for j, code in enumerate(body):
                    if self.choice(code, self.codes, kloc + (j,), "a warning code"):
                        out.append(Expectation(kind=kind, key="", value=code, line=self.doc.line(kloc + (j,))))
                continue
            items = self.mapping(body, kloc, "intervention ids" if kind != "derived" else "fields")
            for key, value in (items or {}).items():
                iloc = kloc + (key,)
                line = self.doc.line(iloc)
                if kind == "derived":
                    if self.derived(key, value, iloc):
                        out.append(Expectation(kind=kind, key=key, value=value, line=line))
                    continue
                if not self.intervention(key, iloc):
                    continue
                ok = (
                    self.choice(value, DECISIONS, iloc, "a decision") if kind == "decisions"
                    else self.choice(value, self.availability, iloc, "an availability") if kind == "availability"
                    else self.codelist(value, iloc) if kind == "warnings"
                    else self.referral(value, iloc)
                )
                if ok:
                    out.append(Expectation(kind=kind, key=key, line=line,
                                           value=value if kind != "referrals" else self.referral_form(value)))
        return out

    def derived(self, field: Any, value: Any, loc: Loc) -> bool:
        ft = self.cat.rules.registry.get(field) if isinstance(field, str) else None
        if ft is None or (ft.source != "derived" and field not in COMPUTED):
            known = sorted(self.cat.rules.derived) + sorted(COMPUTED)
            self.fail(loc, f"'{field}' is not a derived fact or computed field; use one of {', '.join(known)}")
            return False
        if value is None:  # expected unknown
            return True
        fits = ((ft.kind == "number" and isinstance(value, (int, float)) and not isinstance(value, bool))
                or (ft.kind == "flag" and isinstance(value, bool))
                or (ft.kind == "choice" and value in ft.values))
        if not fits:
            self.fail(loc, f"{value!r} can never be the value of '{field}', which is {ft.describe()} (or null for unknown)")
        return fits

    def codelist(self, value: Any, loc: Loc) -> bool:
        if not isinstance(value, list) or not value:
            self.fail(loc, "give a list of warning codes, e.g. [venue_to_be_confirmed]")
            return False
        return all([self.choice(c, self.codes, loc + (j,), "a warning code") for j, c in enumerate(value)])

    def referral(self, value: Any, loc: Loc) -> bool:
        if isinstance(value, str):
            return self.choice(value, VERDICTS, loc, "a verdict")
        if not isinstance(value, dict) or not value:
            self.fail(loc, f"a referral expectation is a verdict ({', '.join(VERDICTS)}) or a mapping of {', '.join(_REFERRAL_KEYS)}")
            return False
        ok = True
        for k, v in value.items():
            if k not in _REFERRAL_KEYS:
                self.fail(loc + (k,), f"unknown key; use {', '.join(_REFERRAL_KEYS)}")
                ok = False
            elif k == "verdict":
                ok = self.choice(v, VERDICTS, loc + (k,), "a verdict") and ok
            elif k == "rar_days_counted":
                if not isinstance(v, bool):
                    self.fail(loc + (k,), "'rar_days_counted' is true or false")
                    ok = False
            elif k == "alternatives":
                # exactly the alternatives offered ([] for none): what must not be offered matters as much
                if not isinstance(v, list):
                    self.fail(loc + (k,), "'alternatives' is a list of intervention ids, [] for none")
                    ok = False
                else:
                    ok = all([self.intervention(x, loc + (k, j)) for j, x in enumerate(v)]) and ok
            elif not isinstance(v, list) or not v or not all(isinstance(c, str) for c in v):
                self.fail(loc + (k,), f"'{k}' is a list of finding codes, e.g. [cannot_finish]")
                ok = False
        return ok

    @staticmethod
    def referral_form(value: Any) -> dict[str, Any]:
        return {"verdict": value} if isinstance(value, str) else dict(value)


def load_rule_tests(path: Path | str, catalog: Catalog) -> tuple[list[RuleTest], list[Problem]]:
    """Every test in a file or folder of rule tests, and every problem found in them."""
    p = Path(path)
    if not p.exists():
        return [], [Problem(str(p), None, "", "no such file or folder of rule tests")]
    tests: list[RuleTest] = []
    problems: list[Problem] = []
    for f in rule_test_files(p):
        try:
            doc = load_file(f)
        except ParseError as e:
            problems.extend(e.problems)
            continue
        reader = _Reader(doc, catalog)
        tests.extend(reader.read())
        problems.extend(reader.problems)
    return tests, problems


def check_rule_tests(catalog: Catalog) -> int:
    """For `ratecard validate`: the catalog's own rule tests name real interventions and fields.
    Returns how many tests there are; raises InputError listing every problem."""
    where = default_tests_dir(catalog)
    if where is None or not where.is_dir():
        return 0
    tests, problems = load_rule_tests(where, catalog)
    if problems:
        raise InputError(problems, what="rule tests")
    return len(tests)


# ---- running them -------------------------------------------------------------------------------


def _same(a: Any, b: Any) -> bool:
    # True == 1 in Python; a flag must never pass for a number
    return a is b if isinstance(a, bool) or isinstance(b, bool) else a == b


def _words(v: Any) -> str:
    return "unknown" if v is None else json.dumps(v) if not isinstance(v, str) else v


def run_rule_test(test: RuleTest, catalog: Catalog) -> RuleTestResult:
    """Run one test against the screen (and the referral check, when it expects referrals)."""
    from .case.facts import case_facts
    from .decide.referral import check_referral
    from .decide.screen import screen

    s = screen(test.case, catalog, on=test.on)
    facts = {**case_facts(test.case, test.on), **s.derived}
    fails: list[Failure] = []

    def fail(e: Expectation, msg: str) -> None:
        fails.append(Failure(file=test.file, line=e.line or test.line, test=test.name, message=msg))

    for e in test.expectations:
        if e.kind == "decisions":
            r = s.result(e.key)
            if r.decision != e.value:
                why = "; ".join(f"{x.rule} {x.outcome} ({x.text})" for x in r.reasons if x.outcome != "met")
                needs = f"; needs {', '.join(m.field for m in r.missing)}" if r.missing else ""
                fail(e, f"{e.key}: expected {e.value}, got {r.decision}" + (f": {why}" if why else "") + needs)
        elif e.kind == "availability":
            r = s.result(e.key)
            if r.availability != e.value:
                notes = "; ".join(w.text for w in r.warnings)
                fail(e, f"{e.key}: expected availability {e.value}, got {r.availability}" + (f" ({notes})" if notes else ""))
        elif e.kind == "derived":
            got = facts.get(e.key)
            if not _same(got, e.value):
                fail(e, f"{e.key}: expected {_words(e.value)}, got {_words(got)}")
        elif e.kind == "case_warnings":
            codes: list[str] = [w.code for w in s.warnings]
            if e.value not in codes:
                fail(e, f"expected the case warning {e.value}; given: {', '.join(codes) or 'none'}")
        elif e.kind == "warnings":
            codes = [w.code for w in s.result(e.key).warnings]
            missing = [c for c in e.value if c not in codes]
            if missing:
                fail(e, f"{e.key}: expected the warning(s) {', '.join(missing)}; given: {', '.join(codes) or 'none'}")
        else:
            c = check_referral(test.case, e.key, catalog, on=test.on)
            exp = e.value
            if "verdict" in exp and c.verdict != exp["verdict"]:
                why = "; ".join(f.text for f in c.reasons) or "; ".join(f.text for f in c.warnings)
                fail(e, f"referral to {e.key}: expected {exp['verdict']}, got {c.verdict}" + (f": {why}" if why else ""))
            for k, found in (("reasons", c.reasons), ("warnings", c.warnings)):
                codes = [f.code for f in found]
                missing = [x for x in exp.get(k, ()) if x not in codes]
                if missing:
                    fail(e, f"referral to {e.key}: expected the {k[:-1]}(s) {', '.join(missing)}; given: {', '.join(codes) or 'none'}")
            if "alternatives" in exp:
                offered = sorted(a.intervention for a in c.alternatives)
                if offered != sorted(exp["alternatives"]):
                    fail(e, f"referral to {e.key}: expected the alternatives {', '.join(sorted(exp['alternatives'])) or 'none'}; "
                            f"offered: {', '.join(offered) or 'none'}")
            if "rar_days_counted" in exp and (c.rar is not None) != exp["rar_days_counted"]:
                fail(e, f"referral to {e.key}: expected RAR days {'' if exp['rar_days_counted'] else 'not '}to be counted")
    return RuleTestResult(test=test, failures=tuple(fails))


def run_rule_tests(path: Path | str | None = None, catalog: Catalog | None = None) -> list[RuleTestResult]:
    """Load and run rule tests (default: the catalog's own, in its rules/tests/). Raises
    InputError when a test file is invalid: nothing runs until every test can."""
    from .catalog.load import default_catalog

    catalog = catalog or default_catalog()
    where = Path(path) if path is not None else default_tests_dir(catalog)
    if where is None:
        raise InputError([Problem(str(catalog.source), None, "", "this catalog has no rules folder, so no rule tests")], what="rule tests")
    tests, problems = load_rule_tests(where, catalog)
    if problems:
        raise InputError(problems, what="rule tests")
    if not tests:
        raise InputError([Problem(str(where), None, "", f"no rule tests found; write them as described in {formats_doc()}")],
                         what="rule tests")
    return [run_rule_test(t, catalog) for t in tests]
