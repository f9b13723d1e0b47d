"""check-batch: every row checked on its own; bad rows become error rows naming row and field."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ratecard import load_catalog
from ratecard.decide.checkbatch import check_rows
from ratecard.cli import cli, main

MINI = Path(__file__).parent / "fixtures" / "mini"
ON = dt.date(2017, 3, 1)

GOOD = {"id": "g1", "person": {"sex": "male", "date_of_birth": "1980-01-01", "home_town": "alpha"},
        "risk": {"ogrs3_2yr": 60.0}, "needs": {"relationships": {"score": 7}},
        "sentence": {"type": "community_order", "length_months": 24, "start": "2017-01-01",
                     "requirements": ["rar", "accredited_programme"], "rar_days": 10}}


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n")
    return path


def test_jsonl_with_a_case_file_inline_cases_and_bad_rows(tmp_path: Path) -> None:
    (tmp_path / "g.json").write_text(json.dumps(GOOD))
    rows = [
        {"case": "g.json", "intervention": "prog"},
        {"case": {**GOOD, "risk": {"ogrs3_2yr": "high"}}, "intervention": "prog"},
        "{not json",
        {"case": GOOD, "intervention": "nope"},
        {"case": "missing.yaml", "intervention": "course"},
        {"case": GOOD, "intervention": "course"},
    ]
    out = list(check_rows(write_jsonl(tmp_path / "b.jsonl", rows), load_catalog(MINI), on=ON))
    assert [r.status for r in out] == ["checked", "error", "error", "error", "error", "checked"]
    assert [r.row for r in out] == [1, 2, 3, 4, 5, 6]
    assert out[1].errors[0].field == "case.risk.ogrs3_2yr"
    assert out[2].errors[0].field == "row" and "JSON" in out[2].errors[0].message
    assert out[3].errors[0].field == "intervention"
    assert out[4].errors[0].field == "case" and "missing.yaml" in out[4].errors[0].message
    assert out[0].result is not None and out[0].result.intervention == "prog"


def test_csv_rows_and_line_numbers(tmp_path: Path) -> None:
    (tmp_path / "g.yaml").write_text(json.dumps(GOOD))
    f = tmp_path / "b.csv"
    f.write_text("case,intervention\ng.yaml,prog\ng.yaml,\ng.yaml,course\n")
    out = list(check_rows(f, load_catalog(MINI), on=ON))
    assert [(r.line, r.status) for r in out] == [(2, "checked"), (3, "error"), (4, "checked")]
    assert out[1].errors[0].field == "intervention"


def test_cli_writes_one_json_line_per_row_and_no_progress_bar_in_a_pipe(tmp_path: Path) -> None:
    (tmp_path / "g.json").write_text(json.dumps(GOOD))
    f = write_jsonl(tmp_path / "b.jsonl", [{"case": "g.json", "intervention": "prog"}, {"intervention": "prog"}])
    res = CliRunner().invoke(cli, ["check-batch", str(f), "--on", "2017-03-01", "--catalog", str(MINI), "-o", str(tmp_path / "o.jsonl")])
    assert res.exit_code == 0, res.output
    lines = [json.loads(x) for x in (tmp_path / "o.jsonl").read_text().splitlines()]
    assert [x["status"] for x in lines] == ["checked", "error"]
    assert lines[1]["errors"][0]["field"] == "case"
    assert "2 rows: 0 accept, 0 accept with warnings, 1 undetermined, 0 reject, 1 error (row 2:" in res.output
    assert "Checking" not in res.output


def test_csv_saved_by_excel_with_a_byte_order_mark_or_semicolons_is_read(tmp_path: Path) -> None:
    (tmp_path / "g.json").write_text(json.dumps(GOOD))
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbfcase,intervention\r\ng.json,prog\r\n")
    semi = tmp_path / "semi.csv"
    semi.write_text("case;intervention\ng.json;prog\n")
    for f in (bom, semi):
        out = list(check_rows(f, load_catalog(MINI), on=ON))
        assert [r.status for r in out] == ["checked"], out


def test_error_rows_say_what_to_do(tmp_path: Path) -> None:
    f = write_jsonl(tmp_path / "b.jsonl", [{"case": GOOD, "intervention": "progg"},
                                           {"case": "cases/g.json", "intervention": "prog"}])
    out = list(check_rows(f, load_catalog(MINI), on=ON))
    assert "Did you mean: prog?" in out[0].errors[0].message
    assert "relative to the batch file's folder" in out[1].errors[0].message and str(tmp_path) in out[1].errors[0].message


def test_cli_user_mistakes_exit_1_with_a_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "g.json").write_text(json.dumps(GOOD))
    f = write_jsonl(tmp_path / "b.jsonl", [{"case": "g.json", "intervention": "prog"}])
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    for args, message in (([str(empty)], "no rows to check"),
                          ([str(f), "-o", str(tmp_path / "no" / "o.jsonl")], "does not exist; create it or give another --out path")):
        with pytest.raises(SystemExit) as exit_:
            main(["check-batch", *args, "--catalog", str(MINI)])
        assert exit_.value.code == 1
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err


def test_cli_summary_names_the_rows_with_errors(tmp_path: Path) -> None:
    (tmp_path / "g.json").write_text(json.dumps(GOOD))
    f = write_jsonl(tmp_path / "b.jsonl", ["{bad", {"case": "g.json", "intervention": "prog"}, {"case": "g.json"}])
    r = CliRunner().invoke(cli, ["check-batch", str(f), "--on", "2017-03-01", "--catalog", str(MINI), "-o", str(tmp_path / "o.jsonl")])
    assert r.exit_code == 0
    assert "3 rows: 0 accept, 0 accept with warnings, 1 undetermined, 0 reject, 2 errors (rows 1, 3:" in r.output
