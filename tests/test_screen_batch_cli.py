"""`ratecard screen-batch`: one JSON line per case in input order with error rows in place, long-form
Parquet and CSV, Excel CSV input, and exit 0 only when every row was screened."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from click.testing import CliRunner

from ratecard.cli import cli

REPO = Path(__file__).resolve().parent.parent
LINES = (REPO / "examples" / "caseload" / "cases.jsonl").read_text().splitlines()[:30]
SECRET = "zz-very-private-99"


def run(*args: str) -> tuple[int, str]:
    r = CliRunner().invoke(cli, ["screen-batch", *args, "--on", "2017-03-01"])
    return r.exit_code, r.output


def test_jsonl_in_jsonl_out_with_an_error_row_in_its_place(tmp_path: Path) -> None:
    bad = json.dumps({"id": "broken", "risk": {"rosh": SECRET}})
    src = tmp_path / "cases.jsonl"
    src.write_text("\n".join(LINES[:5] + [bad] + LINES[5:10]) + "\n")
    out = tmp_path / "out.jsonl"
    code, output = run(str(src), "--out", str(out))
    assert code == 1 and "1 row with errors" in output and "row" in output
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert [r["case_id"] for r in rows] == [json.loads(x)["id"] for x in LINES[:5]] + ["broken"] + [json.loads(x)["id"] for x in LINES[5:10]]
    assert rows[5] == {"case_id": "broken", "row": 6, "errors": [rows[5]["errors"][0]]} and rows[5]["errors"][0]["field"] == "risk.rosh"
    assert SECRET not in out.read_text() and SECRET not in output
    first = rows[0]["results"][0]
    assert set(first) == {"intervention", "decision", "rules", "to_check", "missing"}


def test_every_row_screened_exits_0_and_long_forms_have_a_row_per_case_and_intervention(tmp_path: Path) -> None:
    src = tmp_path / "cases.jsonl"
    src.write_text("\n".join(LINES) + "\n")
    code, _ = run(str(src), "--out", str(tmp_path / "o.jsonl"))
    assert code == 0
    lines = [json.loads(x) for x in (tmp_path / "o.jsonl").read_text().splitlines()]
    code, _ = run(str(src), "--out", str(tmp_path / "o.parquet"))
    assert code == 0
    long = pl.read_parquet(tmp_path / "o.parquet")
    assert long.height == sum(len(x["results"]) for x in lines)
    assert long.filter(pl.col("case_id") == lines[0]["case_id"]).select("intervention", "decision", "rules", "to_check", "missing").to_dicts() == lines[0]["results"]
    code, _ = run(str(src), "--out", str(tmp_path / "o.csv"))
    assert code == 0
    csv = pl.read_csv(tmp_path / "o.csv")
    assert csv.height == long.height and csv.columns == long.columns


def test_errors_beside_a_parquet_output(tmp_path: Path) -> None:
    src = tmp_path / "cases.jsonl"
    src.write_text(LINES[0] + "\n" + json.dumps({"id": "x", "person": {"sex": "other"}}) + "\n")
    code, output = run(str(src), "--out", str(tmp_path / "o.parquet"))
    assert code == 1 and "o.parquet.errors.jsonl" in output
    errors = [json.loads(x) for x in (tmp_path / "o.parquet.errors.jsonl").read_text().splitlines()]
    assert [(e["case_id"], e["row"]) for e in errors] == [("x", 2)]


def test_an_excel_csv_of_cases(tmp_path: Path) -> None:
    src = tmp_path / "export.csv"
    src.write_bytes(b"\xef\xbb\xbfid;person.sex;person.date_of_birth;risk.ogrs3_2yr;sentence.requirements;needs.relationships.score\r\n"
                    b"e1;male;02/03/1965;55,5;rar;6\r\ne2;female;1990-01-01;;;\r\n")
    out = tmp_path / "o.jsonl"
    code, output = run(str(src), "--out", str(out))
    assert code == 0, output
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert [r["case_id"] for r in rows] == ["e1", "e2"]


def test_usage_and_unreadable_input_are_clear_errors(tmp_path: Path) -> None:
    src = tmp_path / "cases.jsonl"
    src.write_text(LINES[0] + "\n")
    r = CliRunner().invoke(cli, ["screen-batch", str(src), "--out", str(tmp_path / "o.txt")])
    assert r.exit_code != 0 and ".jsonl" in str(r.exception or r.output)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    r = CliRunner().invoke(cli, ["screen-batch", str(empty), "--out", str(tmp_path / "o.jsonl")])
    assert r.exit_code != 0 and "no cases" in str(r.exception or r.output)
