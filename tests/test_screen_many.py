"""The Polars batch back end gives every case exactly what the per-case durable path gives it:
decisions, deciding rules and missing fields (in order), on the default catalog over the example
cases and a generated caseload, and on generated rule sets and cases."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ratecard import CaseError, default_catalog, load_case, screen
from ratecard.case.facts import case_facts
from ratecard.case.model import Case
from ratecard.decide.screen import decide
from ratecard.decide.screen_many import computed_columns, screen_many
from ratecard.rules.batch import BatchProgram
from ratecard.rules.durable import Engine
from ratecard.rules.explain import Explainer
from ratecard.rules.forms import compile_program
from ratecard.rules.reference import Knowledge

from .cases import ON, case_dicts
from .strategies import facts, rulesets

REPO = Path(__file__).resolve().parent.parent


def per_case(case: Case, on: dt.date = ON) -> list[dict[str, Any]]:
    s = screen(case, default_catalog(), on=on)
    return [{"intervention": r.intervention, "decision": r.decision, "rules": [x.rule for x in r.reasons],
             "to_check": [j.rule for j in r.to_check], "missing": [m.field for m in r.missing]} for r in s.results]


def batch(cases: list[Case], on: dt.date = ON) -> dict[str, list[dict[str, Any]]]:
    result = screen_many(cases, default_catalog(), on=on)
    assert result.errors == []
    return {line["case_id"]: line["results"] for line in map(json.loads, result.json_lines())}


def test_the_example_cases_get_the_same_answers_as_the_durable_path() -> None:
    cases = [load_case(p) for p in sorted((REPO / "examples" / "cases").glob("*.yaml"))]
    cases += [load_case(p) for p in sorted((REPO / "examples" / "after-sentence").glob("*.yaml"))]
    got = batch(cases)
    for c in cases:
        assert got[c.id] == per_case(c), c.id


def test_a_generated_caseload_gets_the_same_answers_as_the_durable_path() -> None:
    lines = (REPO / "examples" / "caseload" / "cases.jsonl").read_text().splitlines()[:400]
    cases = [Case.model_validate_json(x) for x in lines]
    result = screen_many(cases, default_catalog(), on=ON)
    got = {line["case_id"]: line["results"] for line in map(json.loads, result.json_lines())}
    wide = {r["case_id"]: r for r in result.cases.to_dicts()}
    long = result.long
    for c in cases:
        s = screen(c, default_catalog(), on=ON)
        assert got[c.id] == per_case(c), c.id
        assert wide[c.id]["missing"] == [m.field for m in s.missing], c.id
        assert {k[1:]: v for k, v in wide[c.id].items() if k.startswith("=") and v is not None} == \
            {k: float(v) if isinstance(v, int) and not isinstance(v, bool) else v for k, v in s.derived.items()}, c.id
    # the long form says the same as the lines
    first = long.filter(pl.col("case_id") == cases[0].id).drop("row", "case_id").with_columns(pl.col("decision").cast(pl.String))
    assert first.to_dicts() == per_case(cases[0])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(case_dicts, min_size=1, max_size=8), st.sampled_from([ON, dt.date(2016, 2, 29), dt.date(2018, 12, 31)]))
def test_generated_cases_on_the_default_catalog(dicts: list[dict[str, Any]], on: dt.date) -> None:
    cases = [Case.model_validate_json(json.dumps({**d, "id": f"c{i}"})) for i, d in enumerate(dicts)]
    cases = [c for c in cases if c.person.date_of_birth is None or c.person.date_of_birth <= on]
    if not cases:
        return
    got = batch(cases, on)
    for c in cases:
        assert got[c.id] == per_case(c, on), c.id


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rulesets(), st.lists(facts(), min_size=1, max_size=6))
def test_generated_rule_sets_and_cases(rules: Any, cases: list[dict[str, Any]]) -> None:
    program = compile_program(rules)
    engine = Engine(program)
    bp = BatchProgram(program, rules)
    fields = sorted({f for c in cases for f in c} | {f for f in program.registry if program.registry[f].source != "derived"})
    columns = {f: [c.get(f) for c in cases] for f in fields}
    schema = {f: (pl.List(pl.String) if program.registry[f].kind == "list" else None) for f in fields}
    frame = pl.DataFrame({f: pl.Series(f, v, dtype=schema[f], strict=False) for f, v in columns.items()}).with_row_index("row", 1)
    screened = bp.screen(frame.lazy()).collect()
    long = bp.long_results(screened, "row")
    for i, f in enumerate(cases, start=1):
        ev = engine.evaluate(f)
        why = Explainer(program, Knowledge(f, ev.possible, ev.bounds))
        for rid, outcome in ev.outcomes.items():
            got = screened[bp.outcome_col(rid)][i - 1]
            assert (None if got is None else bool(got)) == outcome, rid
        for row in long.filter(pl.col("row") == i).iter_rows(named=True):
            rules_ = rules.rules[row["intervention"]]
            want, deciding_rules = decide(row["intervention"], rules_, ev)
            deciding = [r.id for r in deciding_rules]
            checks = [r.id for r in sorted(deciding_rules, key=lambda r: r.kind != "criterion")
                      if r.judgement and ev.outcomes[r.id] is not False] if want in ("eligible_if_agreed", "undetermined") else []
            assert (str(row["decision"]), row["rules"], row["to_check"]) == (want, deciding, checks)
            if want == "undetermined":
                # what could rule the person in or out: a judgement's applies_when is said with it, not missing
                assert set(row["missing"]) == set().union(*(why.rule_missing(r.id) for r in deciding_rules if not r.judgement))
            else:
                assert row["missing"] == []


def test_computed_fields_match_the_per_case_ones() -> None:
    lines = (REPO / "examples" / "caseload" / "cases.jsonl").read_text().splitlines()[:300]
    cases = [Case.model_validate_json(x) for x in lines]
    from ratecard.case.tables import from_records

    for on in (ON, dt.date(2016, 2, 29), dt.date(2019, 1, 31)):
        frame = from_records(cases).frame.with_columns(computed_columns(on))
        want = [case_facts(c, on) for c in cases]
        assert frame["age"].to_list() == [w.get("age") for w in want]
        assert frame["months_left"].to_list() == [w.get("months_left") for w in want]


def test_invalid_rows_are_error_rows_and_the_rest_are_screened() -> None:
    good = json.loads((REPO / "examples" / "caseload" / "cases.jsonl").read_text().splitlines()[0])
    rows = [good, {**good, "id": "bad", "risk": {"ogrs3_2yr": 250}}, {**good, "id": "late", "person": {"date_of_birth": "2020-01-01"}},
            {**good, "id": "born-after-start", "person": {"date_of_birth": "2017-01-01"},
             "sentence": {"type": "community_order", "length_months": 12, "start": "2016-06-01"}}]
    result = screen_many(rows, default_catalog(), on=ON)
    assert [(e["row"], e["case_id"], e["errors"][0]["field"]) for e in result.errors] == \
        [(2, "bad", "risk.ogrs3_2yr"), (3, "late", "person.date_of_birth"), (4, "born-after-start", "person.date_of_birth")]
    for e, case in zip(result.errors[1:], rows[2:]):  # the same refusal as the per-case path
        with pytest.raises(CaseError, match=e["errors"][0]["message"].split(";")[0][:25]):
            screen(Case.model_validate_json(json.dumps(case)), default_catalog(), on=ON)
    assert [r.get("case_id") for r in result.rows()] == [good["id"], "bad", "late", "born-after-start"]
    assert result.long["case_id"].unique().to_list() == [good["id"]]


def test_an_arrow_table_and_a_polars_frame_are_accepted() -> None:
    import pyarrow as pa

    lines = (REPO / "examples" / "caseload" / "cases.jsonl").read_text().splitlines()[:20]
    dicts = [json.loads(x) for x in lines]
    want = screen_many(dicts, default_catalog(), on=ON).long
    table = pa.Table.from_struct_array(pa.array(dicts))
    assert screen_many(table, default_catalog(), on=ON).long.equals(want)
    assert screen_many(pl.from_arrow(table), default_catalog(), on=ON).long.equals(want)


def test_small_batches_take_the_one_case_path_with_the_same_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    import ratecard.decide.screen_many as sm

    lines = (REPO / "examples" / "caseload" / "cases.jsonl").read_text().splitlines()[:60]
    rows: list[Any] = [json.loads(x) for x in lines]
    rows.insert(3, {**rows[0], "id": "bad", "risk": {"ogrs3_2yr": 250}})
    rows.append({**rows[1], "id": "=late", "person": {"date_of_birth": "2020-01-01"}})
    small = screen_many(rows, default_catalog(), on=ON)
    assert small._small is not None  # the one-case path
    monkeypatch.setattr(sm, "SMALL_BATCH", 0)
    big = screen_many(rows, default_catalog(), on=ON)
    assert big._small is None
    assert small.json_lines().to_list() == big.json_lines().to_list()
    assert small.long.equals(big.long)
    assert list(small.rows()) == list(big.rows())
    assert small.frame.equals(big.frame)
    assert small.cases.equals(big.cases)
