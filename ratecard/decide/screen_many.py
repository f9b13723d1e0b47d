"""Screen a whole table of cases at once: `screen_many(cases, catalog, on=...)`.

The table goes through the Polars back end (ratecard/rules/batch.py), which evaluates the same
compiled program (ratecard/rules/forms.py) as the per-case durable_rules path, so each case gets
the decisions, deciding rules and missing fields `screen()` gives it. Reasons' sentences are left
out (they are in the catalog, by rule id), as are availability warnings (the caseload report
works those out from the catalog, column-wise).

Invalid cases are error rows kept apart (`ScreenedTable.errors`), each
{case_id, row, errors: [{field, message}]}; the other cases are unharmed.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import polars as pl

from ..catalog.load import Catalog
from ..case.model import Case
from ..case.tables import ROW, CaseTable, CasesInput, dated_errors, from_frame, from_records

_LOCK = threading.Lock()
_PROGRAMS: dict[int, Any] = {}
# the batch back end's codes in order (rules/batch.py _DECISIONS)
DECISIONS = pl.Enum(["eligible", "undetermined", "ineligible", "eligible_if_agreed"])
LONG_SCHEMA: dict[str, Any] = {ROW: pl.Int64, "case_id": pl.String, "intervention": pl.String, "decision": DECISIONS,
                               "rules": pl.List(pl.String), "to_check": pl.List(pl.String), "missing": pl.List(pl.String)}


# Up to this many cases, screen_many screens each case on its own (screen(), the durable path): the
# batch back end's cost is mostly fixed (planning a query of thousands of expressions, about 0.3 s
# here), and one case costs about 2 ms, so below this the one-case path answers sooner. Both give
# the same answers (tests/test_screen_many.py checks it on both sides of the line).
SMALL_BATCH = 100
# Writing a large table: cases screened at once (each screen has a fixed cost, about 0.15 s here,
# for planning thousands of expressions) and cases whose JSON text is built at once (about 4.6 KB
# a case for the default catalog): together they bound the memory a national caseload takes.
SCREEN_ROWS = 49_152
JSON_ROWS = 8_192


@dataclass
class ScreenedTable:
    """Screened cases and the rows that could not be screened.

    - `long`: one row per case and intervention (row, case_id, intervention, decision, rules,
      to_check, missing); cases in input order, interventions by id as `screen()` lists them;
      `to_check` holds the rule ids of the judgements still to check (eligible_if_agreed, or
      undetermined with a judgement open);
    - `frame`: one row per case (row, case_id, results: a list of {intervention, decision,
      rules, to_check, missing});
    - `json_lines()`: each case as the JSON line `ratecard screen-batch` writes;
    - `cases`: per case, each derived fact's value (`=<id>`, null when undecided) and the
      case-wide `missing` list in the documented order;
    - `errors`: the error rows, by row.
    """

    catalog_version: str
    on: dt.date
    errors: list[dict[str, Any]]
    _input: pl.DataFrame = field(repr=False)  # the valid cases, with `age` and `months_left`
    _program: Any = field(repr=False)
    _usable: list[str] | None = field(default=None, repr=False)
    # the small-batch path: each case's results from screen(), in input order (None: the batch path)
    _small: list[list[dict[str, Any]]] | None = field(default=None, repr=False)

    @cached_property
    def _screened(self) -> pl.DataFrame:
        """The batch back end's columns for every case (worked out on first use on the small path)."""
        screened: pl.DataFrame = self._program.screen(self._input.lazy(), usable=self._usable).collect()
        return screened

    @property
    def height(self) -> int:
        return self._input.height

    @property
    def input_frame(self) -> pl.DataFrame:
        """The screened cases' own fields (row, id, dotted case fields, rar_ledger, age, months_left)."""
        return self._input

    @cached_property
    def long(self) -> pl.DataFrame:
        if self._input.height == 0:
            return pl.DataFrame(schema=LONG_SCHEMA)
        if self._small is not None:
            rows, ids = self._input[ROW].to_list(), self._input["id"].to_list()
            return pl.DataFrame([{ROW: r, "case_id": i, **res} for r, i, results in zip(rows, ids, self._small) for res in results],
                                schema=LONG_SCHEMA)
        return self._long_of(self._screened)

    def _long_of(self, screened: pl.DataFrame) -> pl.DataFrame:
        long: pl.DataFrame = self._program.long_results(screened, ROW)
        # a row per case and intervention, in case order: each case's id repeated
        k = max(len(self._program.interventions), 1)
        case_id = screened["id"].gather(pl.int_range(0, long.height, dtype=pl.UInt32, eager=True) // k)
        return long.with_columns(case_id.alias("case_id")).select(list(LONG_SCHEMA))

    def screened_chunks(self, size: int | None = None) -> Iterator[pl.DataFrame]:
        """The batch back end's columns, `size` cases at a time: screened a chunk at a time unless
        they are already worked out, so that writing a national caseload never holds them all
        (default SCREEN_ROWS)."""
        size = size or SCREEN_ROWS
        if "_screened" in self.__dict__ or self._input.height <= size:
            for start in range(0, self._input.height, size):
                yield self._screened.slice(start, size)
            return
        for start in range(0, self._input.height, size):
            yield self._program.screen(self._input.slice(start, size).lazy(), usable=self._usable).collect()

    def long_chunks(self, size: int = 50_000) -> Iterator[pl.DataFrame]:
        """`long`, a chunk of cases at a time (at least one chunk, empty for no cases)."""
        if self._input.height == 0 or self._small is not None or "long" in self.__dict__:
            yield self.long
            return
        for screened in self.screened_chunks(max(size, SCREEN_ROWS)):
            for sub in range(0, screened.height, size):
                yield self._long_of(screened.slice(sub, size))

    def arrow_chunks(self, size: int = 50_000) -> Iterator[Any]:
        """`long` as Arrow tables (decisions as text), a chunk of cases at a time: what the Parquet
        writer takes, gathered in Arrow (rules/batch.py long_arrow)."""
        if self._input.height == 0 or self._small is not None or "long" in self.__dict__ or not self._program.interventions:
            for long in self.long_chunks(size):
                yield long.with_columns(pl.col("decision").cast(pl.String)).to_arrow()
            return
        for screened in self.screened_chunks(max(size, SCREEN_ROWS)):
            for sub in range(0, screened.height, size):
                yield self._program.long_arrow(screened.slice(sub, size), ROW)

    @cached_property
    def frame(self) -> pl.DataFrame:
        return (self.long.group_by(ROW, maintain_order=True)
                .agg(pl.col("case_id").first(),
                     pl.struct(pl.col("intervention"), pl.col("decision").cast(pl.String), "rules", "to_check", "missing").alias("results")))

    def json_lines(self) -> pl.Series:
        """`{"case_id", "results": [...]}` per case, in input order, as text."""
        return pl.concat(list(self.json_chunks(max(self.height, 1))))

    def json_chunks(self, size: int | None = None) -> Iterator[pl.Series]:
        """The JSON lines a chunk of cases at a time (default JSON_ROWS: a million cases' lines
        need not be in memory at once)."""
        size = size or JSON_ROWS
        if self._input.height == 0:
            yield pl.Series("json", [], dtype=pl.String)
            return
        if self._small is not None:
            for start in range(0, self._input.height, size):
                yield self._small_lines(start, size)
            return
        for screened in self.screened_chunks(max(size, SCREEN_ROWS)):
            yield from self._program.json_line_chunks(screened, size)

    def _small_lines(self, start: int, size: int) -> pl.Series:
        # the case id encoded as the batch path encodes it (Polars' JSON), the rest as its pieces are
        heads = self._input.slice(start, size).select(
            pl.struct(pl.col("id").alias("case_id")).struct.json_encode().str.strip_suffix("}"))[:, 0].to_list()
        lines = []
        for head, results in zip(heads, self._small[start:start + size] if self._small else ()):
            parts = [json.dumps({"intervention": r["intervention"], "decision": r["decision"], "rules": r["rules"],
                                 "to_check": r["to_check"]}, separators=(",", ":"))[:-1] + ',"missing":[' + ",".join(f'"{m}"' for m in r["missing"]) + "]}"
                     for r in results]
            lines.append(head + ',"results":[' + ",".join(parts) + "]}")
        return pl.Series("json", lines, dtype=pl.String)

    @cached_property
    def cases(self) -> pl.DataFrame:
        bp = self._program
        ids = self._input.select(ROW, pl.col("id").alias("case_id"))
        if self._input.height == 0:
            return ids
        return ids.hstack(self._screened.select(bp.derived_values())).join(
            bp.case_missing(self._screened, ROW), on=ROW, how="left", maintain_order="left")

    def rows(self) -> Iterator[dict[str, Any]]:
        """Every input row in order: screened cases as {case_id, results}, invalid ones as error rows."""
        errors = iter(self.errors)
        err = next(errors, None)
        for line, row in zip(self.json_lines(), self._input[ROW]):
            while err is not None and err["row"] < row:
                yield err
                err = next(errors, None)
            yield json.loads(line)
        while err is not None:
            yield err
            err = next(errors, None)


def batch_program(catalog: Catalog) -> Any:
    """The catalog's program made ready for tables, once per catalog object."""
    from ..rules.batch import BatchProgram

    with _LOCK:
        bp = _PROGRAMS.get(id(catalog))
        if bp is None or bp.rules is not catalog.rules:
            bp = BatchProgram(catalog.program, catalog.rules)
            _PROGRAMS[id(catalog)] = bp
        return bp


def computed_columns(on: dt.date) -> list[pl.Expr]:
    """`age` (at conviction, or without a conviction date at the order start or the reference date,
    whichever is earlier: case/facts.py age_date) and `months_left` at the reference date, as
    ratecard.case.facts works them out."""
    born = pl.col("person.date_of_birth")
    start_before = pl.when(pl.col("sentence.start") < pl.lit(on)).then(pl.col("sentence.start")).otherwise(pl.lit(on))
    when = pl.coalesce(pl.col("offence.conviction_date"), start_before)
    age = (when.dt.year() - born.dt.year()
           - pl.when((born.dt.month() > when.dt.month()) | ((born.dt.month() == when.dt.month()) & (born.dt.day() > when.dt.day())))
           .then(1).otherwise(0))
    start = pl.col("sentence.start").fill_null(pl.lit(on))
    end = start.dt.offset_by(pl.format("{}mo", pl.col("sentence.length_months")))
    begin = pl.max_horizontal(start, pl.lit(on))
    n = (end.dt.year() - begin.dt.year()) * 12 + end.dt.month() - begin.dt.month()
    n = pl.when(begin.dt.offset_by(pl.format("{}mo", n)) > end).then(n - 1).otherwise(n)
    months = pl.when(end <= begin).then(0).otherwise(pl.max_horizontal(n, pl.lit(0)))
    return [age.cast(pl.Int64).alias("age"),
            pl.when(pl.col("sentence.length_months").is_not_null()).then(months).cast(pl.Int64).alias("months_left")]


def as_table(cases: CasesInput) -> CaseTable:
    if isinstance(cases, CaseTable):
        return cases
    if isinstance(cases, pl.LazyFrame):
        return from_frame(cases.collect())
    if isinstance(cases, pl.DataFrame) or type(cases).__module__.startswith("pyarrow"):
        return from_frame(cases)
    # one case (a Case iterates over its fields, a str over its letters, a mapping over its keys)
    one = isinstance(cases, (Case, Mapping, str, bytes)) or not isinstance(cases, Iterable)
    return from_records([cases] if one else cases)


def screen_many(cases: CasesInput, catalog: Catalog | None = None, *, on: dt.date | None = None) -> ScreenedTable:
    """Screen every case of a table against the catalog (default: the shipped one).

    `cases`: an iterable of case dicts (the case file format) or `Case` objects, a Polars
    DataFrame or a pyarrow Table (nested as JSON reads, or flat with dotted column names), or a
    CaseTable from `ratecard.case.tables.read_cases`. `on` is the reference date (default
    today). Returns a ScreenedTable: `.long` (one row per case and intervention), `.frame` (one
    row per case with its `results`), `.cases` (derived facts, case-wide missing fields),
    `.errors` (invalid rows).
    """
    from ..catalog.load import default_catalog

    catalog = catalog or default_catalog()
    on = on or dt.date.today()
    table = as_table(cases)
    frame, errors = _dated(table, on)
    errors.sort(key=lambda e: e["row"])
    bp = batch_program(catalog)
    # missing fields that settle interventions usable on the date come first, as in screen()
    usable = [iid for iid, iv in catalog.interventions.items() if iv.status_on(on).available]
    frame = frame.with_columns(computed_columns(on))
    small = _screen_each(frame, catalog, on) if frame.height <= SMALL_BATCH else None
    return ScreenedTable(catalog.version, on, errors, frame, bp, usable, small)


def _screen_each(frame: pl.DataFrame, catalog: Catalog, on: dt.date) -> list[list[dict[str, Any]]]:
    """The small-batch path: each valid case through screen(), its results as the batch gives them."""
    from ..case.model import Case
    from ..case.tables import _nest
    from .screen import screen

    out = []
    for row in frame.drop("age", "months_left").iter_rows(named=True):
        s = screen(Case.model_validate(_nest(row), strict=False), catalog, on=on)
        out.append([{"intervention": r.intervention, "decision": r.decision, "rules": [x.rule for x in r.reasons],
                     "to_check": [j.rule for j in r.to_check], "missing": [m.field for m in r.missing]} for r in s.results])
    return out


def _dated(table: CaseTable, on: dt.date) -> tuple[pl.DataFrame, list[dict[str, Any]]]:
    """Cases whose date of birth does not fit the reference date are error rows, as `screen()`
    refuses them (case/facts.py date_of_birth_problem, the one test for both)."""
    return dated_errors(table, on)


# ---- writing the results ----------------------------------------------------------------------

OUTPUT_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".parquet": "parquet", ".csv": "csv"}


def output_format(path: str) -> str:
    from pathlib import Path

    from ..errors import RatecardError

    fmt = OUTPUT_FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise RatecardError(f"{path}: give an output file ending in .jsonl (one JSON line per case), "
                            ".parquet or .csv (one row per case and intervention)")
    return fmt


def write_results(result: ScreenedTable, out: Any, fmt: str, chunk: int = 50_000) -> str | None:
    """Write the screen: JSON Lines (one line per case in input order, error rows in their
    place), or Parquet / CSV in long form (one row per case and intervention; lists in CSV cells
    separated by ';'), with the error rows then written beside it as `<out>.errors.jsonl`.
    Returns the path of that error file when one was written."""
    from pathlib import Path

    if fmt == "jsonl":
        rows = result.input_frame[ROW]
        errors = result.errors
        e = at = 0
        with open(out, "wb") as f:
            for part in result.json_chunks():
                part_rows = rows.slice(at, len(part))
                at += len(part)
                # error rows in their place, between the lines of the screened rows around them
                done = 0
                while e < len(errors) and len(part_rows) and errors[e]["row"] <= part_rows[-1]:
                    before = part_rows.search_sorted(errors[e]["row"])
                    _write_lines(f, part.slice(done, before - done))
                    done = before
                    f.write(json.dumps(errors[e]).encode() + b"\n")
                    e += 1
                _write_lines(f, part.slice(done))
            for err in errors[e:]:
                f.write(json.dumps(err).encode() + b"\n")
        return None
    # long form a chunk of cases at a time: a national caseload is 8.7 million rows, never all in memory
    from ..spreadsheet import cell_expr

    writer = None
    with open(out, "wb") as f:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            from ..inputs.tablefiles import arrow_pool

            for table in result.arrow_chunks(chunk):
                if writer is None:
                    writer = pq.ParquetWriter(f, table.schema, memory_pool=arrow_pool())
                writer.write_table(table)
        else:
            for i, long in enumerate(result.long_chunks(chunk)):
                # the one CSV rule (ratecard/spreadsheet.py): a case id such as =HYPERLINK(...) stays text
                flat = long.with_columns(pl.col("decision").cast(pl.String), pl.col("rules").list.join(";"),
                                         pl.col("to_check").list.join(";"), pl.col("missing").list.join(";"))
                flat.with_columns(cell_expr(pl.col(c)).alias(c) for c, t in flat.schema.items() if t == pl.String) \
                    .write_csv(f, include_header=i == 0)
        if writer is not None:
            writer.close()
    if result.errors:
        side = Path(str(out) + ".errors.jsonl")
        side.write_text("".join(json.dumps(e) + "\n" for e in result.errors), encoding="utf-8")
        return str(side)
    return None


def _write_lines(f: Any, lines: pl.Series) -> None:
    """Each string of `lines` as a line: the lines are JSON text already, written as they are by
    Polars (a gigabyte of JSON never passes through Python strings)."""
    if len(lines):
        pl.DataFrame({"json": lines}).write_csv(f, include_header=False, quote_style="never")


# ---- Arrow batches in, Arrow batches out: the shape Spark's mapInArrow wants -----------------

ARROW_OUT_FIELDS = (("case_id", "string"), ("intervention", "string"), ("decision", "string"),
                    ("rules", "array<string>"), ("to_check", "array<string>"), ("missing", "array<string>"), ("errors", "string"))
SPARK_SCHEMA = ", ".join(f"{n} {t}" for n, t in ARROW_OUT_FIELDS)


def screen_arrow_batches(batches: Iterable[Any], catalog: Catalog | str | None = None, *,
                         on: dt.date | None = None) -> Iterator[Any]:
    """Screen Arrow record batches of cases (nested as JSON reads, or flat with dotted columns),
    yielding record batches in long form: case_id, intervention, decision, rules, to_check, missing, and
    for an invalid case one row with `errors` (JSON text of its error row) and nulls elsewhere.

    Spark runs it unchanged over a DataFrame of cases, one partition at a time, with
    `df.mapInArrow(lambda it: screen_arrow_batches(it, "catalog/", on=...), SPARK_SCHEMA)`
    (docs/batch.md). `catalog` may be a folder path, so that each worker loads it itself.
    """
    import pyarrow as pa

    from ..catalog.load import default_catalog, load_catalog

    cat = load_catalog(catalog) if isinstance(catalog, str) else (catalog or default_catalog())
    schema = pa.schema([("case_id", pa.string()), ("intervention", pa.string()), ("decision", pa.string()),
                        ("rules", pa.list_(pa.string())), ("to_check", pa.list_(pa.string())), ("missing", pa.list_(pa.string())),
                        ("errors", pa.string())])
    for batch in batches:
        table = pa.Table.from_batches([batch])
        result = screen_many(pl.from_arrow(table), cat, on=on)
        long = result.long.select(pl.col("case_id"), "intervention", pl.col("decision").cast(pl.String), "rules", "to_check", "missing",
                                  pl.lit(None, dtype=pl.String).alias("errors"))
        if result.errors:
            long = pl.concat([long, pl.DataFrame({
                "case_id": [e["case_id"] for e in result.errors], "intervention": [None] * len(result.errors),
                "decision": [None] * len(result.errors), "rules": [None] * len(result.errors), "to_check": [None] * len(result.errors),
                "missing": [None] * len(result.errors),
                "errors": [json.dumps(e) for e in result.errors]}, schema=long.schema)])
        yield from long.to_arrow().cast(schema).to_batches()
