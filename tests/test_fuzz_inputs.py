"""Fuzzing the inputs (issue 10): cases, batch rows and catalog files, mutated the ways a careless
integrator or an attacker would, in YAML and JSON.

Each example asserts:
- nothing but the project's own errors (RatecardError) comes out, from reading or from using what
  was read (screen, propose, check, allocate, on edge dates too);
- nothing hangs: every call runs under a watchdog far above the 1 s target (a hang, not a speed
  measurement; speed is benchmarks/bench_inputs.py);
- nothing the format forbids is accepted: each mutation knows whether the format allows it, and a
  forbidden one must be refused; an accepted case must still satisfy the format's invariants;
- an accepted mutated catalog still gives the engine and the reference evaluator the same answers.

Budget: about 40 s on 2 busy cores (the example counts below); CI runs it derandomized.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import json
import math
import signal
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ratecard import Case, allocate, check_referral, check_rows, load_case, load_catalog, propose, screen
from ratecard.case.facts import case_facts
from ratecard.case.model import UNSCORED_SECTIONS
from ratecard.errors import RatecardError
from ratecard.inputs.limits import DEFAULT
from ratecard.rules import reference
from ratecard.rules.durable import Engine
from tests.cases import cases as generated_cases
from tests.catalog_copy import CatalogCopy

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples" / "cases").glob("*.yaml"))
BASES = [yaml.load(p.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader) for p in EXAMPLES]
WATCHDOG_S = 20
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@contextlib.contextmanager
def watchdog(what: str) -> Iterator[None]:
    """Fail, rather than hang the suite, when one call takes absurdly long."""

    def expired(signum: int, frame: Any) -> None:
        raise AssertionError(f"{what} did not answer within {WATCHDOG_S} s")

    old = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, WATCHDOG_S)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


class Raw(str):
    """Text written into YAML unquoted, as a person would type it (`yes`, `010`, `1:30`)."""


class _Dumper(yaml.SafeDumper):
    pass


def _raw(dumper: yaml.SafeDumper, value: Raw) -> yaml.Node:
    # the tag PyYAML itself would give the plain text, so that the emitter writes it unquoted
    return dumper.represent_scalar(dumper.resolve(yaml.ScalarNode, str(value), (True, False)), str(value))


_Dumper.add_representer(Raw, _raw)


def _jsonable(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_jsonable(v) for v in x]
    if isinstance(x, (dt.date, dt.datetime)):
        return x.isoformat()
    return str(x) if isinstance(x, Raw) else x


def _leaves(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    out = []
    if isinstance(data, dict):
        for k, v in data.items():
            out += _leaves(v, path + (k,))
    elif isinstance(data, list) and data and isinstance(data[0], dict):
        for i, v in enumerate(data):
            out += _leaves(v, path + (i,))
    else:
        out.append((path, data))
    return out


def _set(data: Any, path: tuple[Any, ...], value: Any) -> None:
    for k in path[:-1]:
        data = data[k]
    data[path[-1]] = value


# value mutations: (replacement, whether the format allows it)
DATE_VALUES = [("0", False), (0, False), ("1488326400", False), ("2017-02-30", False), (Raw("2017-02-30"), False),
               ("2017-03-01T10:00:00", False), (Raw("2017-03-01 10:00:00"), False), (dt.date(9999, 12, 31), True),
               (dt.date(1, 1, 1), True), ("2016-11-03", True), (Raw("17-03-01"), False), ("", False)]
FLAG_VALUES = [(Raw("yes"), False), (Raw("off"), False), (Raw("On"), False), (1, False), (0, False), ("true", False),
               (True, True), (False, True), (None, True)]
NUMBER_VALUES = [(Raw("010"), False), (Raw("1:30"), False), (Raw("1_000"), False), (Raw("0x1F"), False), (True, False),
                 (False, False), ("50", False), (1e-05, None), (5e-324, None), (1e308, False), (-1, False),
                 (Raw(".nan"), False), (Raw(".inf"), False), (10**400, False), (12, None), (0, None)]
# words and ids are read without regard to capitals and spaces (ratecard/inputs/types.py fold)
TEXT_VALUES = [("Northampton", True), ("east northamptonshire", True), ("x" * 70, False), ("\u202enorthampton", False),
               (Raw("no"), None), (1, False), ("northampton", True)]  # 'no' is text where text is expected (YAML 1.2)


def _kind(path: tuple[Any, ...], value: Any) -> str:
    if isinstance(value, dt.date) or path[-1] in ("date", "date_of_birth", "start"):
        return "date"
    if isinstance(value, bool):
        return "flag"
    if isinstance(value, (int, float)):
        return "number"
    if path[-1] in ("home_town", "area", "sex", "rosh", "category", "motivation", "type", "kind"):
        return "text"
    return "other"


@st.composite
def mutated_cases(draw: st.DrawFn) -> tuple[dict[str, Any], bool | None, list[str]]:
    """A case dict from an example with 1 to 3 mutations (each place mutated once); whether the
    format allows the result (True, False, or None when it depends on the field's bounds) and
    what was done."""
    data = copy.deepcopy(draw(st.sampled_from(BASES)))
    verdicts: dict[tuple[Any, ...], bool | None] = {}  # place -> whether its mutation is allowed
    done: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["value", "value", "value", "null_section", "unknown_key", "unscored", "mappa"]))
        if op == "value":
            leaves = [(p, v) for p, v in _leaves(data) if p[0] != "id" and p not in verdicts]
            if not leaves:
                continue
            path, old = draw(st.sampled_from(leaves))
            pool = {"date": DATE_VALUES, "flag": FLAG_VALUES, "number": NUMBER_VALUES, "text": TEXT_VALUES}.get(_kind(path, old))
            if pool is None:
                continue
            new, verdicts[path] = draw(st.sampled_from(pool))
            _set(data, path, new)
            done.append(f"{'.'.join(map(str, path))}={new!r}")
        elif op == "null_section":
            section = draw(st.sampled_from(["person", "offence", "history", "risk", "needs", "responsivity", "sentence"]))
            data[section] = None
            for p in [p for p in verdicts if p[0] == section]:
                del verdicts[p]
            verdicts[(section,)] = True
            done.append(f"{section}=null")
        else:
            where = {"unknown_key": ("risk", "ogrs3"), "mappa": ("risk", "mappa_level"),
                     "unscored": ("needs", draw(st.sampled_from(sorted(UNSCORED_SECTIONS))))}[op]
            if where in verdicts:
                continue
            if not isinstance(data.get(where[0]), dict):
                data[where[0]] = {}
            data[where[0]][where[1]] = {"unknown_key": 50, "mappa": draw(st.booleans()),
                                        "unscored": {"score": draw(st.integers(0, 12))}}[op]
            verdicts[where] = False
            done.append(f"{op} at {'.'.join(where)}")
    allowed: bool | None = False if False in verdicts.values() else None if None in verdicts.values() else True
    return data, allowed, done


TEXT_MUTATIONS = [
    # (function of the YAML text, allowed)
    (lambda t: "\ufeff" + t, True),
    (lambda t: t + "id: second\n", False),  # a second 'id' key (every base has one; not every base has 'risk')
    (lambda t: t + "x: &a [lol, lol]\ny: [*a, *a, *a]\n", False),  # aliases within limits, unknown keys
    (lambda t: t + "".join(f"l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * 9 if i else ["lol"] * 9) + "]\n" for i in range(9)), False),
    (lambda t: t + "deep: " + "[" * 60 + "]" * 60 + "\n", False),
    (lambda t: t + "note: !!binary aGVsbG8=\n", False),
    (lambda t: t + "note: !!python/object:os.system x\n", False),
    (lambda t: t + "---\nid: second\n", False),
    (lambda t: t.replace("\n", "\r\n"), True),
    (lambda t: t[: len(t) // 2], None),
    (lambda t: t + "\x00", False),
]


def _oracle(case: Case) -> None:
    """What an accepted case must be, checked without the model's own validators."""
    for path, v in _leaves(case.model_dump()):
        if path[-1] in ("date", "date_of_birth", "start") and v is not None:
            assert type(v) is dt.date, (path, v)
        if path[-1] == "mappa_level":
            assert v is None or (type(v) is int and 0 <= v <= 3), v
        if path[-1] in ("ogrs3_2yr", "ovp_2yr", "rsr") and v is not None:
            assert type(v) in (int, float) and 0 <= v <= 100 and not math.isnan(v), (path, v)
        if path[-1] == "score" and v is not None:
            assert type(v) is int and 0 <= v <= 12 and path[1] not in UNSCORED_SECTIONS, (path, v)
    for name in ("person", "offence", "history", "risk", "needs", "responsivity", "sentence"):
        assert getattr(case, name) is not None


ON_DATES = st.sampled_from([dt.date(2017, 3, 1), dt.date(9999, 12, 31), dt.date(1, 1, 1), dt.date(2100, 1, 1)]) | st.dates()


def _use(case: Case, on: dt.date, how: int) -> None:
    """One of the things a user does with a case; only RatecardError may come out."""
    with watchdog(f"use {how} on {on}"):
        try:
            if how == 0:
                screen(case, on=on)
            elif how == 1:
                propose(case, on=on)
            elif how == 2:
                check_referral(case, "bbr", on=on)
            else:
                allocate(case, on=on)
        except RatecardError:
            pass


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz_inputs")


@FUZZ
@given(m=mutated_cases(), as_json=st.booleans(), text_op=st.none() | st.sampled_from(range(len(TEXT_MUTATIONS))),
       on=ON_DATES, how=st.integers(0, 3))
def test_a_mutated_case_is_read_as_the_format_says_or_refused(scratch: Path, m: Any, as_json: bool, text_op: int | None,
                                                              on: dt.date, how: int) -> None:
    data, allowed, done = m
    if as_json:
        path = scratch / "case.json"
        text = json.dumps(_jsonable(data))
        if text_op is not None:
            text_op = None  # the text mutations are YAML's
    else:
        path = scratch / "case.yaml"
        text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True)
        if text_op is not None:
            fn, ok = TEXT_MUTATIONS[text_op]
            text = fn(text)
            allowed = False if ok is False else None if ok is None or allowed is None else allowed
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    with watchdog(f"reading {done}"):
        try:
            case = load_case(path)
        except RatecardError:
            return
    assert allowed is not False, f"accepted what the format forbids: {done} (text mutation {text_op})"
    _oracle(case)
    _use(case, on, how)


@FUZZ
@given(rows=st.lists(st.tuples(mutated_cases(), st.sampled_from(["bbr", "tsp", "BBR", "no_such", ""]),
                               st.sampled_from(["inline", "file", "missing", "number"])), min_size=1, max_size=4),
       on=ON_DATES)
def test_a_batch_of_mutated_rows_gives_one_result_per_row(scratch: Path, rows: list[Any], on: dt.date) -> None:
    batch = scratch / "batch.jsonl"
    lines = []
    for (data, _, _), iv, how in rows:
        case: Any = {"inline": _jsonable(data), "file": str(EXAMPLES[0]),
                     "missing": "no/such/case.yaml", "number": 7}[how]
        lines.append(json.dumps({"case": case, "intervention": iv}))
    batch.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with watchdog("check_rows"):
        out = list(check_rows(batch, on=on))
    assert len(out) == len(rows)
    for row, ((_, allowed, done), iv, how) in zip(out, rows):
        assert row.status in ("checked", "error")
        if how == "inline" and allowed is False:
            assert row.status == "error", f"row accepted a case the format forbids: {done}"


# ---- catalog files ------------------------------------------------------------------------

FIELD_POOL = ["age", "months_left", "risk.ogrs3_2yr", "risk.mappa_level", "needs.relationships.score", "needs.finance.score",
              "person.sex", "person.home_town", "person.area", "offence.sexual", "history.completed_programmes",
              "sentence.requirements", "allocation", "pni_need_score", "need_finanse", "person.date_of_birth"]
OP_POOL = ["eq", "ne", "lt", "lte", "gt", "gte", "between", "in", "not_in", "contains", "present"]
VALUE_POOL = st.sampled_from([0, 1, 3, 12, 13, 18, 50, 100, 101, -1, 0.5, 1e-05, True, False, "male", "Northampton",
                              "northampton", "barnsley", "bbr", "BBR", "rar", "nps", "yes", "northamptonshire", None,
                              [0, 100], [18, 25], [50, 10], ["low", "high"], ["nps", "crc"], [True, False], [], {"a": 1}])
DERIVED_IDS = ["stage", "kind", "sid", "person__sex", "person_sex", "risk_rosh", "a__b", "fine_fact", "age", "allocation",
               "Upper", "x.y", "need_extra"]


@st.composite
def catalog_edits(draw: st.DrawFn) -> list[tuple[str, Any]]:
    edits: list[tuple[str, Any]] = []
    for _ in range(draw(st.integers(1, 2))):
        kind = draw(st.sampled_from(["condition", "condition", "derived", "entry"]))
        if kind == "condition":
            cond = {"field": draw(st.sampled_from(FIELD_POOL)), draw(st.sampled_from(OP_POOL)): draw(VALUE_POOL)}
            edits.append(("condition", cond))
        elif kind == "derived":
            edits.append(("derived", draw(st.sampled_from(DERIVED_IDS))))
        else:
            key = draw(st.sampled_from(["hours", "sessions", "weeks", "area", "provider", "needs", "status", "kind"]))
            edits.append(("entry", (key, draw(VALUE_POOL))))
    return edits


def _apply(cat: CatalogCopy, edits: list[tuple[str, Any]]) -> None:
    for kind, what in edits:
        if kind == "condition":
            cat.rules_of("sova_mentoring", lambda r: r["criteria"].append({"id": f"sova_mentoring.fuzz{len(r['criteria'])}",
                                                                          "text": "Fuzz.", "when": what}))
        elif kind == "derived":
            cat._edit(cat.root / "rules" / "derived.yaml", lambda d: d["derived"].append(
                {"id": what, "text": "Fuzz.", "type": "flag", "cases": [{"value": True, "when": {"field": "age", "gte": 18}}],
                 "otherwise": False}))
            cat.rules_of("sova_mentoring", lambda r: r["criteria"].append(
                {"id": f"sova_mentoring.d{len(r['criteria'])}", "text": "Fuzz.", "when": {"field": what, "eq": True}}))
        else:
            key, value = what
            cat.intervention("bbr", lambda e: e.__setitem__(key, value))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(edits=catalog_edits(), probes=st.lists(generated_cases, min_size=3, max_size=3))
def test_a_mutated_catalog_is_refused_or_decides_as_the_reference_does(tmp_path_factory: pytest.TempPathFactory,
                                                                      edits: list[tuple[str, Any]], probes: list[Case]) -> None:
    cat = CatalogCopy(tmp_path_factory.mktemp("cat"))
    _apply(cat, edits)
    with watchdog(f"load_catalog {edits}"):
        try:
            catalog = load_catalog(cat.root)
        except RatecardError:
            return
    for kind, what in edits:
        if kind == "derived":
            assert what in ("fine_fact", "need_extra"), f"accepted a derived id that collides: {what}"
    engine = Engine(catalog.program)
    on = dt.date(2017, 3, 1)
    for case in probes:
        try:
            facts = case_facts(case, on)
        except RatecardError:
            continue
        assert engine.evaluate(facts) == reference.evaluate(catalog.program, facts), edits


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(op=st.sampled_from(range(len(TEXT_MUTATIONS))), file=st.sampled_from(["catalog/catalog.yaml", "catalog/providers.yaml",
                                                                             "catalog/interventions/sova.yaml", "rules/derived.yaml",
                                                                             "rules/interventions/sova.yaml"]))
def test_a_catalog_file_mangled_as_text_is_refused_or_read(tmp_path_factory: pytest.TempPathFactory, op: int, file: str) -> None:
    cat = CatalogCopy(tmp_path_factory.mktemp("cat"))
    path = cat.root / file
    fn, ok = TEXT_MUTATIONS[op]
    path.write_text(fn(path.read_text(encoding="utf-8")), encoding="utf-8")
    with watchdog(f"load_catalog with {file} mangled"):
        try:
            load_catalog(cat.root)
        except RatecardError:
            return
    assert ok is not False, f"accepted a forbidden mutation of {file}"


_FILL = DEFAULT.max_bytes // 3 - 20  # as many three-byte items as the size limit lets through
HOSTILE = {
    "bomb": "".join(f"l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * 9 if i else ['"lol"'] * 9) + "]\n" for i in range(9)),
    "wide": "id: x\nz: [" + "aa," * _FILL + "a]\n",
    "json-lists": '{"id": "x", "z": [' + "[]," * _FILL + "[]]}",
    "json-objects": '{"id": "x", "z": [' + "{}," * _FILL + "{}]}",
    "keys": "id: x\n" + "".join(f"k{i}: {i}\n" for i in range(9_999)),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_inputs_within_the_size_limit_stay_within_the_memory_bound(tmp_path: Path, name: str) -> None:
    path = tmp_path / (f"{name}.json" if name.startswith("json") else f"{name}.yaml")
    path.write_text(HOSTILE[name])
    assert path.stat().st_size <= DEFAULT.max_bytes
    tracemalloc.start()
    try:
        with watchdog(name), pytest.raises(RatecardError):
            load_case(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 200 * 1024 * 1024, f"{name}: {peak / 2**20:.0f} MiB"
