"""Tables of cases at the edges (issue 20): every way a table comes (JSON Lines, a JSON array, CSV in
each of Excel's dialects, Parquet), with the mistakes exports make. Each accepted row gets the
decisions `screen()` gives the same case, no row is lost, and nothing is a traceback.

Budget: about a minute on a busy 2-core machine (the fuzz's example count below).
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ratecard import default_catalog, screen, screen_many
from ratecard.case.tables import ROW, TableError, flat_case, read_cases
from ratecard.decide.checkbatch import check_rows, read_batch
from ratecard.inputs.numbers import parse_number
from ratecard.errors import RatecardError

from .cases import ON, case_dicts, post_sentence_dicts, to_case

ROOT = Path(__file__).resolve().parent.parent
GOOD = {"id": "g", "person": {"sex": "male", "date_of_birth": "1980-06-10", "home_town": "northampton"},
        "risk": {"ogrs3_2yr": 55.5, "rsr": 0.5}, "sentence": {"type": "community_order", "length_months": 24}}


def _flat(d: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, dict) and k not in ("rar_ledger", "events"):
            out.update({f"{k}.{a}": b for a, b in _flat(v).items()})
        else:
            out[k] = v
    return out


def _cell(v: Any, decimal_comma: bool) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        return str(v).replace(".", ",") if decimal_comma else str(v)
    if isinstance(v, list):
        if v and isinstance(v[0], dict):
            return json.dumps(v)
        return ";".join(v) if v else "[]"
    return str(v)


def _csv(rows: list[dict[str, Any]], delimiter: str = ",", decimal_comma: bool = False, eol: str = "\r\n") -> str:
    flat = [_flat(r) for r in rows]
    header = sorted({k for r in flat for k in r})
    out = io.StringIO()
    w = csv.writer(out, delimiter=delimiter, lineterminator=eol)
    w.writerow(header)
    for r in flat:
        w.writerow([_cell(r.get(h), decimal_comma) for h in header])
    return out.getvalue()


# ---- decimal commas, one policy for every path ---------------------------------------------------


@pytest.mark.parametrize(("typed", "value"), [("0,5", 0.5), ("4,9", 4.9), ("0,75", 0.75), ("66.58%", 66.58), ("12", 12)])
def test_a_decimal_comma_is_a_decimal_point_in_a_form_and_in_a_csv_cell(tmp_path: Path, typed: str, value: float) -> None:
    from ratecard.web.form import all_fields, read_form

    case, sub = read_form({"risk.rsr": typed}, default_catalog())
    assert not sub.errors and case["risk"]["rsr"] == value
    f = tmp_path / "c.csv"
    f.write_text(f'id;risk.rsr\na;{typed}\n' if "," in typed else f"id,risk.rsr\na,{typed}\n")
    assert read_cases(f).frame["risk.rsr"].to_list() == [value]
    del all_fields


def test_a_comma_that_could_separate_thousands_is_asked_about_never_dropped(tmp_path: Path) -> None:
    from ratecard.web.form import read_form

    _, sub = read_form({"risk.rsr": "1,000"}, default_catalog())
    assert "thousands" in sub.errors["risk.rsr"]
    f = tmp_path / "c.csv"
    f.write_text('id;risk.rsr;risk.ogrs3_2yr\na;1,000;1.000,5\n')
    table = read_cases(f)
    assert table.frame.height == 0
    (err,) = table.errors
    assert {e["field"] for e in err["errors"]} == {"risk.rsr", "risk.ogrs3_2yr"}
    assert "1,000" not in json.dumps(err)  # never echoed


def test_the_form_reads_numbers_with_the_one_shared_reader() -> None:
    from ratecard.web import form

    for text in ("0,5", "12", " 7 ", "3.25"):
        f = next(x for x in form.all_fields(default_catalog()) if x.path == "risk.rsr")
        assert form._number(text, f) == (parse_number(text), None)


# ---- two-digit years, year 0, 1850 ---------------------------------------------------------------


@pytest.mark.parametrize("written", ["30/07/99", "17-03-01", "1/3/17"])
def test_a_two_digit_year_in_a_csv_is_refused_with_the_form_to_write(tmp_path: Path, written: str) -> None:
    f = tmp_path / "c.csv"
    f.write_text(f"id,person.date_of_birth\na,{written}\nb,30/07/1999\n")
    table = read_cases(f)
    assert table.frame["id"].to_list() == ["b"] and str(table.frame["person.date_of_birth"][0]) == "1999-07-30"
    (err,) = table.errors
    assert err["errors"][0]["field"] == "person.date_of_birth" and "four figures" in err["errors"][0]["message"]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_year_zero_anywhere_is_an_error_row_as_screen_refuses_it(tmp_path: Path, suffix: str) -> None:
    rows = [{**GOOD, "id": "z", "sentence": {"type": "community_order", "start": "0000-03-01", "length_months": 12}}, GOOD]
    f = tmp_path / f"c{suffix}"
    f.write_text("\n".join(json.dumps(r) for r in rows) + "\n" if suffix == ".jsonl" else _csv(rows))
    table = read_cases(f)
    assert table.frame["id"].to_list() == ["g"]
    assert table.errors[0]["errors"][0]["field"] == "sentence.start"


# ---- duplicates: refused by every batch path as by screen ----------------------------------------


def test_duplicate_keys_are_refused_in_json_lines_json_arrays_and_csv_columns(tmp_path: Path) -> None:
    dup = '{"id": "d", "risk": {"rosh": "low", "rosh": "high"}}'
    good = json.dumps(GOOD)
    (tmp_path / "c.jsonl").write_text(dup + "\n" + good + "\n")
    (tmp_path / "c.json").write_text(f"[{dup},\n {good}]")
    for name in ("c.jsonl", "c.json"):
        table = read_cases(tmp_path / name)
        assert table.frame["id"].to_list() == ["g"]
        assert table.errors[0]["errors"][0]["field"] == "risk.rosh" and "duplicate key" in table.errors[0]["errors"][0]["message"]
    (tmp_path / "c.csv").write_text("id,risk.rosh,Risk.Rosh\na,low,high\n")
    with pytest.raises(TableError, match="appears more than once"):
        read_cases(tmp_path / "c.csv")


def test_duplicate_keys_in_check_batch_inline_cases_are_row_errors(tmp_path: Path) -> None:
    dup = '{"id": "d", "person": {"sex": "male", "sex": "female"}}'
    (tmp_path / "b.jsonl").write_text('{"case": ' + dup + ', "intervention": "tsp"}\n'
                                      + json.dumps({"case": GOOD, "intervention": "tsp"}) + "\n")
    rows = list(check_rows(tmp_path / "b.jsonl", default_catalog(), on=ON))
    assert [r.status for r in rows] == ["error", "checked"]
    assert rows[0].errors[0].field == "case.person.sex" and "duplicate key" in rows[0].errors[0].message
    with (tmp_path / "b.csv").open("w", newline="") as f:
        csv.writer(f).writerows([["case", "intervention"], [dup, "tsp"], [json.dumps(GOOD), "tsp"]])
    rows = list(check_rows(tmp_path / "b.csv", default_catalog(), on=ON))
    assert [r.status for r in rows] == ["error", "checked"]
    assert "duplicate key" in rows[0].errors[0].message


def test_duplicate_keys_in_a_string_case_of_the_batch_api_are_a_row_error() -> None:
    pytest.importorskip("fastapi", reason="the serve extras are not installed")
    from fastapi.testclient import TestClient

    from ratecard.web.app import create_app

    client = TestClient(create_app(default_catalog()), base_url="http://localhost")
    r = client.post("/v1/screen-batch", json={"cases": ['{"id": "d", "id": "e"}', GOOD], "on": "2017-03-01"})
    assert r.status_code == 200
    rows = r.json()["rows"]
    assert "errors" in rows[0] and "duplicate key" in rows[0]["errors"][0]["message"] and rows[1]["case_id"] == "g"


# ---- files that are not files, and files spreadsheets make ---------------------------------------


@pytest.mark.parametrize("command", ["screen-batch", "caseload"])
def test_a_device_or_a_named_pipe_is_refused_at_once(tmp_path: Path, command: str) -> None:
    fifo = tmp_path / "cases.jsonl"
    os.mkfifo(fifo)
    for source in ("/dev/zero", str(fifo)):
        args = [sys.executable, "-m", "ratecard", command, source, "--on", "2017-03-01"]
        args += ["--out", str(tmp_path / "out.jsonl")] if command == "screen-batch" else []
        r = subprocess.run(args, capture_output=True, text=True, timeout=60, cwd=ROOT)
        assert r.returncode == 1 and "Traceback" not in r.stderr
        assert "not a regular file" in r.stderr


@pytest.mark.parametrize("eol", ["\r", "\r\n", "\n"])
def test_csv_with_any_line_end_including_excel_for_mac(tmp_path: Path, eol: str) -> None:
    f = tmp_path / "c.csv"
    f.write_bytes(_csv([GOOD, {**GOOD, "id": "h"}], eol=eol).encode())
    assert read_cases(f).frame["id"].to_list() == ["g", "h"]
    b = tmp_path / "b.csv"
    (tmp_path / "g.json").write_text(json.dumps(GOOD))
    b.write_bytes(eol.join(["case,intervention", "g.json,tsp", "g.json,bbr", ""]).encode())
    assert [r.status for r in check_rows(b, default_catalog(), on=ON)] == ["checked", "checked"]


def test_a_cell_over_128_kib_is_an_error_row_not_a_traceback(tmp_path: Path) -> None:
    f = tmp_path / "c.csv"
    f.write_text('id,person.home_town\n"' + "x" * 200_000 + '",northampton\nb,corby\n')
    table = read_cases(f)
    assert table.frame["id"].to_list() == ["b"] and table.errors[0]["errors"][0]["field"] == "id"
    b = tmp_path / "b.csv"
    b.write_text('case,intervention,notes\ng.json,tsp,"' + "y" * 200_000 + '"\n')
    (tmp_path / "g.json").write_text(json.dumps(GOOD))
    assert [r.status for r in check_rows(b, default_catalog(), on=ON)] == ["checked"]


def test_a_nul_byte_in_a_check_batch_case_path_is_a_row_error(tmp_path: Path) -> None:
    b = tmp_path / "b.jsonl"
    b.write_text(json.dumps({"case": "g\u0000.json", "intervention": "tsp"}) + "\n")
    (row,) = check_rows(b, default_catalog(), on=ON)
    assert row.status == "error" and "NUL" in row.errors[0].message


def test_two_objects_on_a_line_and_an_object_over_lines_keep_the_rows_in_place(tmp_path: Path) -> None:
    g = json.dumps(GOOD)
    f = tmp_path / "c.jsonl"
    f.write_text(g + " " + g + "\n" + '{"id": "m",\n "risk": {}}\n' + g.replace('"g"', '"last"') + "\n")
    table = read_cases(f)
    # rows are lines: the first holds two objects (an error), the object over two lines is two
    # broken rows, and the last line is row 4 whatever came before
    assert table.frame[ROW].to_list() == [4] and table.frame["id"].to_list() == ["last"]
    assert [e["row"] for e in table.errors] == [1, 2, 3]


# ---- the fuzz: tables in every format, with mistakes -----------------------------------------------

MISTAKES = [
    ("person.sex", "Male"), ("person.home_town", " Northampton "), ("person.date_of_birth", "10/06/1980"),
    ("person.date_of_birth", "06/30/1980"), ("person.date_of_birth", "30/06/80"), ("risk.ogrs3_2yr", 101.5),
    ("risk.rosh", "Very High"), ("needs.finance", {"score": 2}), ("needs.alcohol_misuse", {"identified": True}),
    ("sentence.requirements", ["RAR", "rar"]), ("risk.mappa_level", 7), ("surprise", "x"), ("id", None),
    ("sentence.type", "licence"), ("history.completed_programmes", [" BBR "]), ("risk.sara_partner", "MEDIUM"),
]
FORMATS = ["jsonl", "json", "csv-comma", "csv-semicolon", "csv-tab-utf16", "csv-mac", "parquet"]


def _write(folder: Path, fmt: str, rows: list[dict[str, Any]]) -> Path:
    if fmt == "jsonl":
        (p := folder / "t.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    elif fmt == "json":
        (p := folder / "t.json").write_text(json.dumps(rows, indent=1))
    elif fmt == "csv-comma":
        (p := folder / "t.csv").write_bytes(b"\xef\xbb\xbf" + _csv(rows).encode())
    elif fmt == "csv-semicolon":
        (p := folder / "t.csv").write_bytes(_csv(rows, ";", decimal_comma=True).encode())
    elif fmt == "csv-tab-utf16":
        (p := folder / "t.txt").write_bytes(_csv(rows, "\t").encode("utf-16"))
    elif fmt == "csv-mac":
        (p := folder / "t.csv").write_bytes(_csv(rows, eol="\r").encode())
    else:
        (p := folder / "t.parquet").write_bytes(b"")
        pl.DataFrame([_flat(r) for r in rows], infer_schema_length=None).write_parquet(p)
    return p


@st.composite
def tables(draw: st.DrawFn) -> tuple[str, list[dict[str, Any]], set[int]]:
    fmt = draw(st.sampled_from(FORMATS))
    rows = [json.loads(json.dumps(r)) for r in draw(st.lists(st.one_of(case_dicts, post_sentence_dicts), min_size=1, max_size=6))]
    mutated: set[int] = set()
    for i, r in enumerate(rows):
        r.pop("events", None)  # events are validated but not screened; kept out of CSV cells here
        if fmt == "parquet":
            r.pop("rar_ledger", None)
        if draw(st.integers(0, 2)) == 0:
            path, value = draw(st.sampled_from(MISTAKES))
            *parents, last = path.split(".")
            node = r
            for p in parents:
                node = node.setdefault(p, {})
            node[last] = value
            mutated.add(i + 1)
    return fmt, rows, mutated


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(tables())
def test_every_accepted_row_gets_the_decisions_screen_gives_and_nothing_is_a_traceback(tmp_path_factory: Any, t: Any) -> None:
    fmt, rows, mutated = t
    path = _write(tmp_path_factory.mktemp("f"), fmt, rows)
    try:
        table = read_cases(path)
    except RatecardError:
        return  # a file refused as a whole (a Parquet column whose types vary), with a message
    got = {r[ROW]: r for r in table.frame.to_dicts()}
    if fmt.startswith("csv"):
        # a row whose every cell is empty is a row of separators only (',,,', as Excel leaves them
        # at the end): skipped, documented, and the rows after it numbered without it
        blank = [all(_cell(v, False) == "" for v in _flat(r).values()) for r in rows]
        mutated = {n for n, (i, _) in enumerate(((i, r) for i, r in enumerate(rows, 1) if not blank[i - 1]), 1) if i in mutated}
        rows = [r for r, b in zip(rows, blank) if not b]
    assert len(got) + len(table.errors) == len(rows)  # no row lost
    for i, r in enumerate(rows, start=1):
        if i not in mutated and i in got and fmt not in ("parquet",):
            # an untouched row keeps every value it gave
            want = flat_case(to_case({**r, "id": r.get("id", f"row {i}")}), i)
            assert got[i] == want
    result = screen_many(table, on=ON)
    long = result.long
    for row, flat in got.items():
        case = to_case(_nest(flat))
        try:
            one = screen(case, on=ON)
        except RatecardError:
            assert row in {e["row"] for e in result.errors}
            continue
        decisions = dict(zip(*long.filter(pl.col(ROW) == row).select("intervention", pl.col("decision").cast(pl.String)).to_dict(as_series=False).values()))
        assert decisions == {r.intervention: r.decision for r in one.results}


def _nest(flat: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in flat.items():
        if v is None or k == ROW:
            continue
        if hasattr(v, "isoformat"):
            v = v.isoformat()
        *parents, last = k.split(".") if k not in ("rar_ledger", "events") else [k]
        node = out
        for p in parents:
            node = node.setdefault(p, {})
        if k == "rar_ledger":
            v = [{a: b for a, b in e.items() if b is not None} for e in v]
        node[last] = v
    return out


def test_a_batch_of_a_read_batch_file_still_reads(tmp_path: Path) -> None:
    (tmp_path / "b.jsonl").write_text(json.dumps({"case": GOOD, "intervention": "tsp"}) + "\n")
    assert len(read_batch(tmp_path / "b.jsonl").rows) == 1


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(case_dicts, post_sentence_dicts), min_size=1, max_size=5),
       st.sampled_from([(",", "\r\n"), (";", "\n"), ("\t", "\r"), (",", "\r")]))
def test_polars_csv_reader_and_pythons_read_the_same_cells(rows: list[dict[str, Any]], dialect: tuple[str, str]) -> None:
    from ratecard.inputs import tablefiles

    text = _csv([json.loads(json.dumps(r)) for r in rows], dialect[0], decimal_comma=dialect[0] == ";", eol=dialect[1])
    header = next(csv.reader([text.splitlines()[0]], delimiter=dialect[0]))
    fast, _ = tablefiles._polars_csv(text, header, dialect[0])
    slow, errors = tablefiles._python_csv(text, header, dialect[0])
    assert errors == {}
    # the same cells, an empty one being null (Polars) or empty text (Python) before both are trimmed
    assert fast.with_columns(pl.all().fill_null("")).to_dicts() == slow.to_dicts()
