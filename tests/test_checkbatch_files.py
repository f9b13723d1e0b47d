"""check-batch with files as people save them (Excel's CSV variants) and as an attacker writes
them (paths outside the folder, devices, pipes, huge rows, sensitive values in bad rows)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from ratecard import load_catalog
from ratecard.cli import cli, main
from ratecard.decide.checkbatch import MAX_ROW_BYTES, BatchError, check_rows, read_batch

MINI = Path(__file__).parent / "fixtures" / "mini"
ON = dt.date(2017, 3, 1)
CATALOG = load_catalog(MINI)
GOOD = {"id": "g1", "person": {"sex": "male", "date_of_birth": "1980-01-01", "home_town": "alpha"},
        "risk": {"ogrs3_2yr": 60.0}, "needs": {"relationships": {"score": 7}},
        "sentence": {"type": "community_order", "length_months": 24, "start": "2017-01-01",
                     "requirements": ["rar", "accredited_programme"], "rar_days": 10}}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "g.json").write_text(json.dumps(GOOD))
    return tmp_path


def statuses(path: Path, **kw: object) -> list[str]:
    return [r.status for r in check_rows(path, CATALOG, on=ON, **kw)]  # type: ignore[arg-type]


# ---- Excel and CSV ------------------------------------------------------------------------------


def test_headers_are_matched_whatever_their_case_and_spaces(folder: Path) -> None:
    f = folder / "b.csv"
    f.write_text(" Case ,INTERVENTION\ng.json,prog\n")
    assert statuses(f) == ["checked"]


def test_cells_are_trimmed_and_blank_or_separator_only_rows_skipped(folder: Path) -> None:
    f = folder / "b.csv"
    f.write_text("case;intervention\n  g.json  ;  prog \n\n;\n ; \ng.json;course\n;;\n")
    rows = list(check_rows(f, CATALOG, on=ON))
    assert [(r.line, r.status, r.intervention) for r in rows] == [(2, "checked", "prog"), (6, "checked", "course")]


def test_extra_columns_are_passed_through_with_a_note(folder: Path) -> None:
    f = folder / "b.csv"
    f.write_text("case,intervention,Notes,Officer\ng.json,prog,seen twice,AB\ng.json,nope,,CD\n")
    rows = list(check_rows(f, CATALOG, on=ON))
    assert [r.status for r in rows] == ["checked", "error"]
    assert rows[0].extra == {"Notes": "seen twice", "Officer": "AB"} and rows[1].extra == {"Notes": "", "Officer": "CD"}
    res = CliRunner().invoke(cli, ["check-batch", str(f), "--catalog", str(MINI), "--on", "2017-03-01"])
    assert res.exit_code == 0
    assert "the columns Notes, Officer are not used by the check; passed through" in res.stderr
    assert json.loads(res.stdout.splitlines()[0])["extra"]["Notes"] == "seen twice"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le-bom", "utf-16-be-bom"])
def test_utf8_with_or_without_bom_and_utf16_with_bom_are_read(folder: Path, encoding: str) -> None:
    text = "case\tintervention\r\ng.json\tprog\r\n"  # Excel's "Unicode text" is tab-separated UTF-16
    raw = {"utf-16-le-bom": b"\xff\xfe" + text.encode("utf-16-le"), "utf-16-be-bom": b"\xfe\xff" + text.encode("utf-16-be")}
    f = folder / "b.csv"
    f.write_bytes(raw.get(encoding) or text.encode(encoding))
    assert statuses(f) == ["checked"]


def test_text_in_another_encoding_is_refused_with_what_to_do(folder: Path) -> None:
    f = folder / "b.csv"
    f.write_bytes("case,intervention\nné.json,prog\n".encode("latin-1"))
    with pytest.raises(BatchError, match="save it as 'CSV UTF-8'"):
        read_batch(f)


def test_quoted_cells_with_the_delimiter_inside_are_read(folder: Path) -> None:
    f = folder / "b.csv"
    inline = json.dumps({**GOOD, "id": "inline, with comma"}).replace('"', '""')
    f.write_text(f'case,intervention\n"{inline}",prog\n')
    rows = list(check_rows(f, CATALOG, on=ON))
    assert [r.status for r in rows] == ["checked"] and rows[0].case == "inline, with comma"


def test_summary_counts_each_verdict_and_errors(folder: Path) -> None:
    f = folder / "b.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in [
        {"case": "g.json", "intervention": "prog"}, {"case": "g.json", "intervention": "course"},
        {"case": "g.json", "intervention": "nope"}]) + "\n")
    res = CliRunner().invoke(cli, ["check-batch", str(f), "--catalog", str(MINI), "--on", "2017-03-01"])
    verdicts = [json.loads(x)["result"]["verdict"] for x in res.stdout.splitlines() if json.loads(x)["result"]]
    line = res.stderr.strip().splitlines()[-1]
    assert line.startswith("3 rows: ")
    for v, words in (("accept", "accept,"), ("accept_with_warnings", "accept with warnings,"), ("reject", "reject,")):
        assert f"{verdicts.count(v)} {words}" in line
    assert "1 error (row 3:" in line


def test_csv_results_for_excel(folder: Path) -> None:
    f = folder / "b.csv"
    f.write_text("case,intervention,notes\ng.json,prog,=cmd|' /C calc'!A0\ng.json,nope,\n")
    out = folder / "results.csv"
    res = CliRunner().invoke(cli, ["check-batch", str(f), "--catalog", str(MINI), "--on", "2017-03-01", "--out", str(out)])
    assert res.exit_code == 0, res.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 only with the mark
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["status"] for r in rows] == ["checked", "error"]
    assert rows[0]["verdict"] in ("accept", "accept_with_warnings", "undetermined", "reject") and rows[1]["errors"].startswith("intervention:")
    assert rows[0]["notes"] == "'=cmd|' /C calc'!A0"  # data from the batch is never run as a formula
    res = CliRunner().invoke(cli, ["check-batch", str(f), "--catalog", str(MINI), "--on", "2017-03-01", "--format", "csv"])
    assert res.stdout.startswith("row,line,status,case,intervention,verdict")


# ---- paths, devices and sizes ------------------------------------------------------------------


def test_case_paths_outside_the_batch_folder_are_refused_unless_allowed(tmp_path: Path) -> None:
    batch_dir, other = tmp_path / "batch", tmp_path / "other"
    batch_dir.mkdir()
    other.mkdir()
    (other / "secret.json").write_text(json.dumps(GOOD))
    (batch_dir / "link.json").symlink_to(other / "secret.json")
    f = batch_dir / "b.jsonl"
    f.write_text("\n".join(json.dumps({"case": c, "intervention": "prog"})
                           for c in ["../other/secret.json", str(other / "secret.json"), "link.json", "/proc/self/environ"]) + "\n")
    rows = list(check_rows(f, CATALOG, on=ON))
    assert [r.status for r in rows] == ["error"] * 4
    for r in rows:
        assert r.errors[0].field == "case" and "outside the batch file's folder" in r.errors[0].message
        assert "--allow-paths" in r.errors[0].message
    assert statuses(f, allow_paths=[other])[:3] == ["checked"] * 3


def test_a_device_a_pipe_or_a_folder_as_a_row_is_an_error_row_not_a_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    (tmp_path / "dir.yaml").mkdir()
    f = tmp_path / "b.jsonl"
    f.write_text("\n".join(json.dumps({"case": c, "intervention": "prog"}) for c in ["/dev/zero", "pipe.yaml", "dir.yaml"]) + "\n")
    got: list[object] = []
    worker = threading.Thread(target=lambda: got.extend(check_rows(f, CATALOG, on=ON, allow_paths=["/dev"])), daemon=True)
    start = time.monotonic()
    worker.start()
    worker.join(30)
    assert not worker.is_alive(), "a pipe blocked the batch"
    assert time.monotonic() - start < 30
    messages = [r.errors[0].message for r in got]  # type: ignore[attr-defined]
    assert "not a regular file" in messages[0] and "not a regular file" in messages[1] and "is a folder" in messages[2]


def test_a_pipe_or_device_as_the_batch_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "batch.csv"
    os.mkfifo(fifo)
    for path in (str(fifo), "/dev/zero"):
        with pytest.raises(SystemExit) as e:
            main(["check-batch", path, "--catalog", str(MINI)])
        assert e.value.code == 1
        err = capsys.readouterr().err
        assert "not a regular file" in err and "Traceback" not in err


def test_oversized_rows_and_case_files_are_refused(folder: Path) -> None:
    (folder / "big.json").write_text(json.dumps({**GOOD, "padding": "x" * (2 * 1024 * 1024)}))
    f = folder / "b.jsonl"
    f.write_text(json.dumps({"case": "big.json", "intervention": "prog"}) + "\n"
                 + json.dumps({"case": {**GOOD, "x": "y" * MAX_ROW_BYTES}, "intervention": "prog"}) + "\n"
                 + json.dumps({"case": "g.json", "intervention": "prog"}) + "\n")
    rows = list(check_rows(f, CATALOG, on=ON))
    assert [r.status for r in rows] == ["error", "error", "checked"]
    assert "larger than" in rows[0].errors[0].message and "longer than" in rows[1].errors[0].message
    c = folder / "b.csv"
    c.write_text("case,intervention\n" + '"{""id"": ""' + "z" * 200_000 + '""}",prog\ng.json,prog\n')
    assert statuses(c) == ["error", "checked"]


# ---- error rows never repeat the values given ------------------------------------------------------

# a prefix that no allowed value or message has, so that finding the secret means it was echoed
SECRETS = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", min_size=4, max_size=30).map(
    lambda t: "Zq" + t)


@settings(max_examples=30)
@given(secret=SECRETS, where=st.sampled_from(["rosh", "ogrs3_2yr", "sara_partner"]))
def test_error_rows_say_what_is_wrong_without_the_value(secret: str, where: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "b.jsonl"
        bad = {**GOOD, "risk": {where: secret}}
        (Path(d) / "bad.json").write_text(json.dumps(bad))
        f.write_text(json.dumps({"case": bad, "intervention": "prog"}) + "\n"
                     + json.dumps({"case": "bad.json", "intervention": "prog"}) + "\n")
        rows = list(check_rows(f, CATALOG, on=ON))
    for r in rows:
        assert r.status == "error" and r.errors[0].field == f"case.risk.{where}"
        assert secret not in r.model_dump_json()
        assert r.errors[0].message  # still says what is wrong


def test_a_redacted_message_still_says_what_to_write(folder: Path) -> None:
    f = folder / "b.jsonl"
    f.write_text(json.dumps({"case": {**GOOD, "risk": {"rosh": "Smith-1980"}}, "intervention": "prog"}) + "\n")
    (row,) = check_rows(f, CATALOG, on=ON)
    message = row.errors[0].message
    assert "Smith-1980" not in message
    assert "low" in message and "very_high" in message  # the allowed values are not the person's data


@pytest.mark.parametrize(("raw", "says"), [
    (b"PK\x03\x04\x14\x00\x06\x00", "is an Excel workbook, not a CSV file"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "is an Excel workbook, not a CSV file"),
    ("case,intervention\n".encode("utf-16-le"), "UTF-16 text without a byte-order mark"),
])
def test_a_workbook_or_utf16_without_a_mark_says_how_to_save_it(tmp_path: Path, raw: bytes, says: str) -> None:
    f = tmp_path / "b.csv"
    f.write_bytes(raw)
    with pytest.raises(BatchError, match=says):
        read_batch(f)


def test_a_json_line_may_hold_unicode_line_separators_in_its_strings(folder: Path) -> None:
    f = folder / "b.jsonl"
    row = json.dumps({"case": {**GOOD, "id": "a\u2028b\u0085c"}, "intervention": "prog"}, ensure_ascii=False)
    f.write_text(row + "\r\n" + json.dumps({"case": "g.json", "intervention": "prog"}) + "\r\n", encoding="utf-8")
    rows = list(check_rows(f, CATALOG, on=ON))
    assert [(r.line, r.status) for r in rows] == [(1, "checked"), (2, "checked")]
    assert rows[0].case == "a\u2028b\u0085c"
