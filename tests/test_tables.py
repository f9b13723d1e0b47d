"""Case tables: whatever the column checks accept, the Case model accepts with the same values, and
whatever it refuses becomes an error row naming the field (never the value). Every format a case
table comes in (JSON Lines, JSON array, CSV as Excel saves it, Parquet from another writer) reads
to the same cases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from ratecard.case.model import Case
from ratecard.case.tables import flat_case as _flat_case, read_cases

from .cases import case_dicts, post_sentence_dicts

REPO = Path(__file__).resolve().parent.parent
SECRET = "zz-secret-value-42"

# ways a row of a real export goes wrong
_BAD_VALUES = st.sampled_from([SECRET, "50", -3, 101.5, 3.5, True, None, [], {}, "Male", "1980-13-45", 7])
_PATHS = ["risk.ogrs3_2yr", "person.sex", "person.date_of_birth", "needs.relationships.score", "risk.mappa_level",
          "sentence.requirements", "person.home_town", "offence.sexual", "history.completed_programmes", "id",
          "sentence.rar_days", "rar_ledger", "person", "risk", "surprise", "needs.relationships.surprise"]


@st.composite
def rows(draw: st.DrawFn) -> Any:
    d = json.loads(json.dumps(draw(st.one_of(case_dicts, post_sentence_dicts))))
    if draw(st.integers(0, 2)) == 0:
        *parents, last = draw(st.sampled_from(_PATHS)).split(".")
        node = d
        for p in parents:
            node = node.setdefault(p, {}) if isinstance(node.get(p, {}), dict) else {}
        node[last] = draw(_BAD_VALUES)
    return d


def _model(line: str, row: int) -> Case | None:
    try:  # a row without an id is called by its row
        return Case.model_validate_json(line, context={"id": f"row {row}"})
    except Exception:
        return None


@settings(max_examples=60, deadline=None)
@given(st.lists(rows(), min_size=1, max_size=12))
def test_the_column_checks_accept_exactly_what_the_case_model_accepts(tmp_path_factory: Any, items: list[Any]) -> None:
    lines = [json.dumps(x) for x in items]
    path = tmp_path_factory.mktemp("t") / "cases.jsonl"
    path.write_text("\n".join(lines) + "\n")
    table = read_cases(path)
    got = {r["row"]: r for r in table.frame.to_dicts()}
    errors = {e["row"]: e for e in table.errors}
    assert len(got) + len(errors) == len(lines)
    for i, line in enumerate(lines, start=1):
        case = _model(line, i)
        if case is None:
            assert i in errors and errors[i]["errors"], line
            assert SECRET not in json.dumps(errors[i])
        else:
            assert got.get(i) == _flat_case(case, i), line


def test_an_excel_csv_reads_to_the_same_cases_as_json_lines(tmp_path: Path) -> None:
    lines = (REPO / "examples" / "caseload" / "cases.jsonl").read_text().splitlines()[:40]
    expected = [_flat_case(Case.model_validate_json(x), i) for i, x in enumerate(lines, start=1)]
    flat = pl.DataFrame([{k: v for k, v in e.items() if k not in ("row",)} for e in expected])
    # as Excel in a European locale saves it: byte-order mark, ';' columns, decimal commas,
    # dates as DD/MM/YYYY, lists with ';' inside quoted cells, TRUE/FALSE in capitals
    out = flat.with_columns(
        [pl.col(c).dt.strftime("%d/%m/%Y") for c, t in flat.schema.items() if t == pl.Date]
        + [pl.col(c).cast(pl.String).str.replace(".", ",", literal=True) for c, t in flat.schema.items() if t == pl.Float64]
        + [pl.col(c).cast(pl.String).str.to_uppercase() for c, t in flat.schema.items() if t == pl.Boolean]
        + [pl.when(pl.col(c).list.len() == 0).then(pl.lit("[]")).otherwise(pl.col(c).list.join(";")).alias(c)
           for c, t in flat.schema.items() if isinstance(t, pl.List) and c != "rar_ledger"]
        + [pl.col("rar_ledger").map_elements(lambda v: json.dumps(v.to_list()) if v is not None else None, return_dtype=pl.String)])
    text = out.write_csv(separator=";")
    path = tmp_path / "export.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    table = read_cases(path)
    assert table.errors == []
    assert table.frame.to_dicts() == expected


def test_a_parquet_file_from_another_writer_reads_to_the_same_cases(tmp_path: Path) -> None:
    lines = (REPO / "examples" / "caseload" / "cases.jsonl").read_text().splitlines()[:40]
    expected = [_flat_case(Case.model_validate_json(x), i) for i, x in enumerate(lines, start=1)]
    # pyarrow infers the nested types from every row (from_pylist would look at the first only)
    nested = pa.Table.from_struct_array(pa.array([json.loads(x) for x in lines]))
    pq.write_table(nested, tmp_path / "nested.parquet")
    flat = pa.Table.from_struct_array(pa.array([{k: v for k, v in e.items() if k != "row"} for e in expected]))
    pq.write_table(flat.cast(pa.schema([pa.field(f.name, pa.int32() if f.type == pa.int64() else f.type) for f in flat.schema])),
                   tmp_path / "flat.parquet")
    for name in ("nested.parquet", "flat.parquet"):
        table = read_cases(tmp_path / name)
        assert table.errors == [], name
        assert table.frame.to_dicts() == expected, name


def test_a_broken_line_is_one_error_row_and_the_others_are_read(tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_text('{"id": "a"}\n{not json\n{"id": "b", "risk": {"ogrs3_2yr": "' + SECRET + '"}}\n{"id": "c"}\n')
    table = read_cases(path)
    assert table.frame["id"].to_list() == ["a", "c"]
    assert [(e["row"], e["errors"][0]["field"]) for e in table.errors] == [(2, "row"), (3, "risk.ogrs3_2yr")]
    assert SECRET not in json.dumps(table.errors)


def test_blank_lines_windows_line_ends_null_sections_and_unknown_null_keys(tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_bytes(b'{"id":"a"}\n\n   \n{"id":"b","person":null}\r\n{"id":"c","zz":null}\n{"id":"d"}\n')
    table = read_cases(path)
    # a null section means "not given", as in a case file (docs/formats.md); an unknown key is an error
    assert table.frame["id"].to_list() == ["a", "b", "d"] and table.frame["row"].to_list() == [1, 2, 4]
    assert [(e["row"], e["case_id"], e["errors"][0]["field"]) for e in table.errors] == [(3, "c", "zz")]
