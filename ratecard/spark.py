"""Screening a history of cases that outgrows one machine: a Spark DataFrame of cases in, a Spark
DataFrame of decisions out, by the same batch function `ratecard screen-batch` uses.

    from pyspark.sql import SparkSession
    from ratecard.spark import screen_cases

    spark = SparkSession.builder.getOrCreate()
    cases = spark.read.parquet("s3://bucket/cases/")        # nested like the JSON, or flat dotted columns
    decisions = screen_cases(cases, "/shared/ratecard/catalog", on=date(2017, 3, 1))
    decisions.write.parquet("s3://bucket/screens/2017-03-01/")

Each partition goes to `ratecard.decide.screen_many.screen_arrow_batches` through Spark's
`mapInArrow` (Arrow record batches in, record batches out, no pandas). The result is long form:
`case_id, intervention, decision, rules, missing` for each case and intervention, and for a case
that is not valid one row with `errors` (its error row as JSON text) and nulls elsewhere.

pyspark is not a dependency of ratecard: install it (and a Java runtime) where Spark runs, and
ratecard on every worker. docs/batch.md has the details.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .decide.screen_many import SPARK_SCHEMA, screen_arrow_batches

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

__all__ = ["SPARK_SCHEMA", "screen_cases"]


def screen_cases(cases: DataFrame, catalog: str | Path | None = None, *, on: dt.date) -> DataFrame:
    """Screen every case of a Spark DataFrame against a catalog folder (default: the shipped one).

    `catalog` is a folder path that every worker can read (each loads and compiles it once; a
    Catalog object is not sent, so nothing large is pickled). `on` is the reference date, required:
    a history is screened as of a date, never as of whenever a worker happens to run.
    Set `spark.sql.execution.arrow.maxRecordsPerBatch` to tens of thousands: the batch back end's
    cost per call is mostly fixed, so larger batches are cheaper per case.
    """
    from .catalog.load import default_catalog_path

    folder = str(Path(catalog) if catalog is not None else default_catalog_path())

    def run(batches: Any) -> Any:
        return screen_arrow_batches(batches, folder, on=on)

    return cases.mapInArrow(run, SPARK_SCHEMA)
