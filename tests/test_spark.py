"""Beyond one machine: the batch function over Arrow record batches (what Spark's mapInArrow
calls), and the same inside a local Spark session when pyspark is installed."""

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


def test_the_same_function_runs_inside_spark_with_map_in_arrow() -> None:
    pyspark = pytest.importorskip("pyspark", reason="pyspark is not installed: the Spark run is documented in docs/batch.md "
                                  "and checked here only where `pip install pyspark` (and a Java runtime) is available")
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.master("local[2]").appName("ratecard-test").getOrCreate()
    try:
        df = spark.createDataFrame(pa.Table.from_struct_array(pa.array(DICTS)).to_pandas())
        catalog = str(REPO / "catalog")
        out = df.repartition(3).mapInArrow(lambda it: screen_arrow_batches(it, catalog, on=ON), SPARK_SCHEMA)
        got = sorted((r.case_id, r.intervention, r.decision, list(r.rules), list(r.missing)) for r in out.collect())
        assert got == sorted(_expected())
    finally:
        spark.stop()
    assert pyspark
