"""Cells of a CSV file people open in Excel: the one rule every CSV ratecard writes follows.

Excel (and LibreOffice) run a cell that starts with `=`, `+`, `-` or `@` as a formula, so a case id
such as `=HYPERLINK(...)` in a results file would become a live link, or worse. Data from a batch
must stay data: such a cell is written with a leading apostrophe, which the spreadsheet shows as
text and does not display. A leaf module (nothing of ratecard imported), so that the batch
writers (decide/) and the check-batch writer (present/) use the same rule."""

from __future__ import annotations

from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> str:
    """One value as the text of a CSV cell."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in FORMULA_START else text


def cell_expr(column: Any) -> Any:
    """The same rule over a Polars string column (an expression); nulls stay null."""
    import polars as pl

    starts = column.str.slice(0, 1).is_in(list(FORMULA_START))
    return pl.when(starts).then(pl.lit("'") + column).otherwise(column)
