"""A national caseload is read a block of lines at a time and screened and written a chunk of
cases at a time (issue 21): whatever the block and chunk sizes, every row gets what the whole file
gives it (the same verdict, messages, row number and stand-in id), and the outputs are the same
bytes (JSON Lines) and the same rows (the long form).

Budget: a few seconds (small tables; the fuzz's example count below).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ratecard.case.tables as tables_module
import ratecard.decide.screen_many as screen_many_module
from ratecard import default_catalog
from ratecard.case.tables import read_cases
from ratecard.decide.screen_many import screen_many, write_results

from .cases import ON
from .test_batch_inputs import GOOD, tables

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def _read(path: Path, block: int, monkeypatch: pytest.MonkeyPatch) -> Any:
    with monkeypatch.context() as m:
        m.setattr(tables_module, "BLOCK_BYTES", block)
        return read_cases(path)


# lines as exports break them: blank lines, \r\n, two objects on a line, an object over two lines,
# an unknown key, no id (named by its row), a line that is not JSON
ODD_LINES = ["", "   ", json.dumps({**GOOD, "surprise": 1}), json.dumps({k: v for k, v in GOOD.items() if k != "id"}),
             json.dumps(GOOD) + " " + json.dumps(GOOD), '{"id": "m",', ' "risk": {}}', "not json", json.dumps({**GOOD, "id": "ü\\u00e9"})]


@SETTINGS
@given(t=tables(), odd=st.lists(st.sampled_from(ODD_LINES), max_size=4), eol=st.sampled_from(["\n", "\r\n"]), bom=st.booleans(),
       block=st.integers(1, 400), rnd=st.randoms(use_true_random=False))
def test_json_lines_read_in_blocks_give_what_the_whole_file_gives(tmp_path_factory: Any, t: Any, odd: list[str], eol: str,
                                                                  bom: bool, block: int, rnd: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _, rows, _ = t
    lines = [json.dumps(r) for r in rows]
    for line in odd:
        lines.insert(rnd.randint(0, len(lines)), line)
    path = tmp_path_factory.mktemp("b") / "t.jsonl"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + eol.join(lines).encode() + eol.encode())
    whole = _read(path, 1 << 30, monkeypatch)
    blocks = _read(path, block, monkeypatch)
    assert blocks.frame.equals(whole.frame)
    assert blocks.errors == whole.errors


def test_a_file_of_white_space_then_cases_in_tiny_blocks_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text("\n" * 50 + "   \n" + json.dumps(GOOD) + "\n")
    assert _read(path, 7, monkeypatch).frame["id"].to_list() == ["g"]


def _screen(path: Path, out: Path, monkeypatch: pytest.MonkeyPatch, screen_rows: int, json_rows: int) -> tuple[bytes, pl.DataFrame, Any]:
    with monkeypatch.context() as m:
        m.setattr(screen_many_module, "SCREEN_ROWS", screen_rows)
        m.setattr(screen_many_module, "JSON_ROWS", json_rows)
        m.setattr(screen_many_module, "SMALL_BATCH", 0)  # the batch back end, even for a few cases
        result = screen_many(read_cases(path), default_catalog(), on=ON)
        write_results(result, out, "jsonl")
        long = pl.concat(list(result.long_chunks(json_rows)))
        # the Parquet writer's input, gathered in Arrow: the same rows, the decisions as text
        arrow = pl.from_arrow(pa.concat_tables(list(result.arrow_chunks(json_rows))))
        assert isinstance(arrow, pl.DataFrame)
        assert arrow.equals(long.with_columns(pl.col("decision").cast(pl.String)))
    return out.read_bytes(), long, result


@SETTINGS
@given(t=tables(), screen_rows=st.integers(1, 5), json_rows=st.integers(1, 5))
def test_json_lines_and_long_form_written_in_chunks_are_what_one_chunk_gives(tmp_path_factory: Any, t: Any, screen_rows: int,
                                                                               json_rows: int, monkeypatch: pytest.MonkeyPatch) -> None:
    _, rows, _ = t
    folder = tmp_path_factory.mktemp("w")
    path = folder / "t.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\nnot json\n")
    one, one_long, result = _screen(path, folder / "one.jsonl", monkeypatch, 1 << 20, 1 << 20)
    many, many_long, _ = _screen(path, folder / "many.jsonl", monkeypatch, screen_rows, json_rows)
    assert many == one
    assert many_long.equals(one_long) and one_long.equals(result.long)
    # error rows in their place: one line per row of the input, in order
    written = [json.loads(x) for x in one.decode().splitlines()]
    assert len(written) == len(rows) + 1 and "errors" in written[-1]


@SETTINGS
@given(lines=st.lists(st.text(st.sampled_from("ab {}\r\t"), max_size=30), max_size=30), block=st.integers(1, 40),
       keep=st.booleans(), lead=st.sampled_from(["", "\n\n  ", "\ufeff", "\ufeff\n "]))
def test_blocks_read_into_one_buffer_are_the_file_whether_kept_or_let_go(tmp_path_factory: Any, lines: list[str], block: int,
                                                                        keep: bool, lead: str) -> None:
    # the block reader reads each block into the memory of the last one once the caller has let go
    # of it: a caller that keeps every block must still find each as it was read
    from ratecard.inputs.tablefiles import table_blocks

    data = (lead + "\n".join(lines)).encode()
    path = tmp_path_factory.mktemp("k") / "t.jsonl"
    path.write_bytes(data)
    if keep:
        got = list(table_blocks(path, block))
        parts = [bytes(b) for b in got]
    else:
        parts = []
        for b in table_blocks(path, block):
            parts.append(bytes(b))
            del b
    assert b"".join(parts) == data
    assert all(p.endswith(b"\n") for p in parts[:-1]) and all(parts)
    if data.removeprefix(b"\xef\xbb\xbf").strip(b" \t\r\n"):  # the first block holds the first character that is not white space
        assert parts[0].removeprefix(b"\xef\xbb\xbf").strip(b" \t\r\n")
