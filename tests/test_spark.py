"""Beyond one machine: the batch function over Arrow record batches (what Spark's mapInArrow
calls), and ratecard.spark inside a local Spark session (local[2]) over 20,000 generated cases,
every decision compared with screen-batch's. CI installs pyspark and a Java runtime (.ci/run)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest

from ratecard import default_catalog
from ratecard.decide.screen_many import SPARK_SCHEMA, screen_arrow_batches, screen_many

from .cases import ON

REPO = Path(__file__).resolve().parent.parent
DICTS = [json.loads(x) for x in (REPO / "examples" / "caseload" / "cases.jsonl").read_text().splitlines()[:50]]


def _expected() -> list[tuple]:
    long = screen_many(DICTS, default_catalog(), on=ON).long
    return [(r["case_id"], r["intervention"], str(r["decision"]), r["rules"], r["missing"]) for r in long.iter_rows(named=True)]


def test_arrow_batches_in_any_split_give_the_same_rows_as_one_table() -> None:
    table = pa.Table.from_struct_array(pa.array(DICTS + [{"id": "bad", "risk": {"ogrs3_2yr": 500}}]))
    out = pa.Table.from_batches(list(screen_arrow_batches(table.to_batches(max_chunksize=7), default_catalog(), on=ON)))
    rows = out.to_pylist()
    assert [(r["case_id"], r["intervention"], r["decision"], r["rules"], r["missing"]) for r in rows if r["errors"] is None] == _expected()
    bad = [r for r in rows if r["errors"] is not None]
    assert [json.loads(r["errors"])["case_id"] for r in bad] == ["bad"]


def _generated(n: int) -> list[dict]:
    """n fictional cases from the seeded caseload generator (benchmarks/generate_caseload.py)."""
    import importlib.util
    import itertools

    spec = importlib.util.spec_from_file_location("generate_caseload", REPO / "benchmarks" / "generate_caseload.py")
    assert spec and spec.loader
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    return list(itertools.islice(gen.generate(n, seed=2024), n))


def test_spark_screens_20000_cases_as_screen_batch_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pyspark", reason="pyspark is not installed: .ci/run installs it with a Java runtime; "
                        "elsewhere `pip install pyspark` and a Java 17 runtime run this test")
    import polars as pl
    import pyarrow.parquet as pq
    from pyspark.sql import SparkSession

    from ratecard.case.tables import read_cases
    from ratecard.spark import screen_cases

    dicts = _generated(20_000)
    dicts[7] = {**dicts[7], "id": "bad-row", "risk": {"ogrs3_2yr": 500}}  # an error row travels too
    jsonl = tmp_path / "cases.jsonl"
    jsonl.write_text("".join(json.dumps(d) + "\n" for d in dicts))
    want = screen_many(read_cases(jsonl), default_catalog(), on=ON)  # what screen-batch screens
    pq.write_table(pa.Table.from_pylist(dicts), tmp_path / "cases.parquet")

    import sys

    monkeypatch.setenv("PYSPARK_PYTHON", sys.executable)  # the workers run this environment's Python
    spark = (SparkSession.builder.master("local[2]").appName("ratecard-test")
             .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4")
             .config("spark.sql.execution.arrow.maxRecordsPerBatch", "3000").getOrCreate())
    try:
        cases = spark.read.parquet(str(tmp_path / "cases.parquet")).repartition(4)
        screen_cases(cases, on=ON).write.parquet(str(tmp_path / "out"))
    finally:
        spark.stop()
    got = pl.read_parquet(tmp_path / "out" / "*.parquet")
    keys = ["case_id", "intervention"]
    decided = got.filter(pl.col("errors").is_null()).drop("errors").sort(keys)
    expected = want.long.select("case_id", "intervention", pl.col("decision").cast(pl.String), "rules", "to_check", "missing").sort(keys)
    assert decided.height == 19_999 * len(default_catalog().interventions)
    assert decided.equals(expected)  # every decision, deciding rule and missing field
    assert [json.loads(e)["case_id"] for e in got["errors"].drop_nulls()] == ["bad-row"] == [e["case_id"] for e in want.errors]
