"""One validation (issue 19): a case row gets the same verdict and the same messages whichever way
it comes in, alone or among other rows: a one-line JSON case file (`ratecard screen`), a dict through
the Python API (`coerce_case`, what `screen()` does), a row of a JSON Lines file, of a JSON array,
`screen_many` of dicts, and over HTTP (`/v1/screen` and `/v1/screen-batch`).

Cases are generated valid, then given the mistakes real exports make: wrong types, out of range,
unknown keys, nulls, duplicate keys, capitalised words, UK and US dates, two-digit years, stray
spaces, NaN, combinations the format refuses. The one-case path on the row's JSON text is the
reference: every other path must agree with it exactly.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ratecard.case.coerce import coerce_case
from ratecard.case.tables import flat_case, from_records, judge_text, read_cases
from ratecard.errors import InputError

from .cases import case_dicts, post_sentence_dicts

PATHS = ["risk.ogrs3_2yr", "risk.rsr", "person.sex", "person.date_of_birth", "needs.relationships.score",
         "needs.finance.score", "needs.emotional_wellbeing.identified", "risk.mappa_level", "sentence.requirements",
         "person.home_town", "offence.sexual", "history.completed_programmes", "id", "sentence.rar_days",
         "sentence.type", "sentence.start", "sentence.length_months", "rar_ledger", "events", "person", "risk",
         "needs.accommodation", "motivation", "risk.rosh", "surprise", "needs.relationships.surprise",
         "needs.alcohol_misuse.identified"]
VALUES = ["50", "0,5", -3, 101.5, 3.5, 13, 0, True, "true", None, [], {}, "Male", " FEMALE ", "Very High", " Northampton ",
          "East Northamptonshire", "northampton!", "1980-13-45", "10/06/1992", "06/30/1992", "30/07/99", "17-03-01",
          "0000-01-01", "2017-3-1", "1850-01-01", 7, 1.0, "x" * 130, [None], ["RAR", "rar"], ["Horizon", " bbr "],
          [{"date": "01/02/2017", "kind": "Activity"}], [{"date": "2017-02-01"}], [{"date": "2017-02-01", "kind": "risk_review"}],
          [{"date": "2017-02-01", "kind": "breach", "extra": None}], "licence", "Community Order", {"score": 1},
          {"identified": True, "score": 0}, 2]
RAW = ["duplicate_id", "duplicate_nested", "nan", "big_number", "unicode_escape"]


@st.composite
def rows(draw: st.DrawFn) -> str:
    """A case as one line of JSON text, mutated the ways exports go wrong."""
    d = copy.deepcopy(draw(st.one_of(case_dicts, post_sentence_dicts)))
    if draw(st.booleans()):
        d.pop("id", None)
    for _ in range(draw(st.integers(0, 3))):
        *parents, last = draw(st.sampled_from(PATHS)).split(".")
        node = d
        for p in parents:
            if not isinstance(node.get(p), dict):
                node[p] = {}
            node = node[p]
        node[last] = copy.deepcopy(draw(st.sampled_from(VALUES)))
    text = json.dumps(d)
    raw = draw(st.sampled_from([None, None, None, *RAW]))
    if raw == "duplicate_id":
        text = '{"id": "dup", ' + text[1:] if text != "{}" else '{"id": "a", "id": "b"}'
    elif raw == "duplicate_nested" and '"person": {"' in text:
        text = text.replace('"person": {', '"person": {"sex": "male", ', 1)
    elif raw == "nan" and '"ogrs3_2yr": ' in text:
        text = text.replace('"ogrs3_2yr": ', '"ogrs3_2yr": NaN, "x": ', 1)
    elif raw == "big_number":
        text = text[:-1] + (', ' if text != "{}" else "") + '"motivation": 1e400}'
    elif raw == "unicode_escape":
        text = text.replace('"id"', '"\\u0069d"', 1)
    return text


def _expected(text: str, row: int) -> tuple[dict[str, Any] | None, list[dict[str, str]]]:
    case, errors, _ = judge_text(text.encode(), row)
    return (flat_case(case, row) if case is not None else None), errors


def _table_verdicts(table: Any) -> dict[int, tuple[dict[str, Any] | None, list[dict[str, str]]]]:
    out: dict[int, Any] = {r["row"]: (r, []) for r in table.frame.to_dicts()}
    for e in table.errors:
        assert e["row"] not in out
        out[e["row"]] = (None, e["errors"])
    return out


FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@FAST
@given(st.lists(rows(), min_size=1, max_size=8))
def test_every_file_path_gives_each_row_what_a_case_file_gives_it(tmp_path_factory: Any, lines: list[str]) -> None:
    folder: Path = tmp_path_factory.mktemp("t")
    expected = {i: _expected(line, i) for i, line in enumerate(lines, start=1)}
    # among the other rows, in JSON Lines
    (folder / "cases.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert _table_verdicts(read_cases(folder / "cases.jsonl")) == expected
    # alone, in a one-line file
    for i, line in enumerate(lines, start=1):
        (folder / "one.jsonl").write_text(line + "\n", encoding="utf-8")
        got = _table_verdicts(read_cases(folder / "one.jsonl"))
        want_case, want_errors = expected[i]
        if want_case is not None:
            want_case = {**want_case, "row": 1, "id": want_case["id"] if want_case["id"] != f"row {i}" else "row 1"}
        assert got == {1: (want_case, want_errors)}, line
    # in a JSON array
    (folder / "cases.json").write_text("[\n" + ",\n".join(lines) + "\n]", encoding="utf-8")
    assert _table_verdicts(read_cases(folder / "cases.json")) == expected


@FAST
@given(st.lists(rows(), min_size=1, max_size=8))
def test_the_python_api_gives_each_row_what_a_case_file_gives_it(lines: list[str]) -> None:
    # rows a JSON parser can read (json.loads keeps the last of duplicate keys and reads NaN,
    # so those rows are given as text, as another system holding JSON would)
    items = [_as_data(line) for line in lines]
    table = _table_verdicts(from_records(items))
    for i, (line, item) in enumerate(zip(lines, items), start=1):
        want = _expected(line, i)
        try:
            case = coerce_case(item, f"row {i}", stand_in=f"row {i}")
            alone: Any = (flat_case(case, i), [])
        except InputError as e:
            alone = (None, [{"field": p.field or "row", "message": p.message} for p in e.problems])
        assert table[i] == alone, line
        if isinstance(item, str):
            # text may be JSON or YAML: what JSON cannot read is read as YAML, whose messages differ
            assert (alone[0] is None) == (want[0] is None), line
        else:
            assert alone == want, line


def _as_data(line: str) -> Any:
    """The row as another system holds it: parsed, unless a JSON parser would lose something (the
    first of two duplicate keys, NaN, a number too large): then as the text it is."""
    try:
        data = json.loads(line, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
        json.dumps(data, allow_nan=False)
        return data
    except ValueError:
        return line


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("duplicate")
    return dict(pairs)


def _no_constant(name: str) -> Any:
    raise ValueError(name)


@pytest.fixture(scope="module")
def client() -> Any:
    pytest.importorskip("fastapi", reason="the serve extras are not installed: pip install -e '.[test]'")
    from fastapi.testclient import TestClient

    from ratecard import default_catalog
    from ratecard.web.app import create_app

    return TestClient(create_app(default_catalog()), base_url="http://localhost")


def for_the_api(message: str) -> str:
    from ratecard.web.body import for_the_api as convert

    return convert(message)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(rows(), min_size=1, max_size=5))
def test_http_gives_each_row_what_a_case_file_gives_it(client: Any, lines: list[str]) -> None:
    on = "2017-03-01"
    cases = [_as_data(line) for line in lines]  # a string case is judged as the text it is
    body = client.post("/v1/screen-batch", json={"cases": cases, "on": on})
    assert body.status_code == 200, body.text
    got = body.json()["rows"]
    for i, (line, case, row) in enumerate(zip(lines, cases, got), start=1):
        want_case, want_errors = _expected(line, i)
        # the same problems in the same words, but over HTTP the fields are listed in the request
        # schema, never in a file on the server
        want_errors = [{**e, "message": for_the_api(e["message"])} for e in want_errors or []] or want_errors
        if want_case is None and isinstance(case, str):  # JSON or YAML text: see the Python API test
            assert "errors" in row, line
        elif want_case is None:
            assert row.get("errors") == want_errors, line
        elif "errors" in row:  # a valid case refused at the reference date (a birth after it)
            assert [e["field"] for e in row["errors"]] == ["person.date_of_birth"], line
        else:
            assert row["case_id"] == want_case["id"], line
        if isinstance(case, dict):
            one = client.post("/v1/screen", json={"case": case, "on": on})
            if want_case is None:
                assert one.status_code == 422, line
                problems = [(p["field"], p["message"]) for p in one.json()["problems"]]
                assert problems == [(f"case.{e['field']}" if e["field"] != "row" else "case", e["message"]) for e in want_errors], line
            else:
                assert one.status_code in (200, 422), line
