"""`ratecard check-batch` output: results as JSON Lines or CSV, a progress bar for a person
watching, and a summary that counts each verdict (on standard error, so the results stay clean)."""

from __future__ import annotations

import csv
import datetime as dt
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

import click

from ..catalog.load import Catalog
from ..decide.checkbatch import BatchError, BatchRow, check_batch, csv_header, csv_record, read_batch
from ..errors import OutputError
from .terminal import AtomicOut, ForTerminal, is_terminal, refuse_overwriting, shown

if TYPE_CHECKING:
    from rich.progress import Progress


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else plural or word + 's'}"


def summary(rows: Sequence[BatchRow] | Counter[str], bad: Sequence[int]) -> str:
    """'12 rows: 5 accept, 3 accept with warnings, 0 undetermined, 2 reject, 2 errors (rows 4, 9: ...)'."""
    counts = rows if isinstance(rows, Counter) else Counter(r.result.verdict if r.result else "error" for r in rows)
    total = sum(counts.values())
    text = (f"{_plural(total, 'row')}: {counts['accept']} accept, {counts['accept_with_warnings']} accept with warnings, "
            + (f"{counts['accept_if_agreed']} accept if agreed, " if counts['accept_if_agreed'] else "")
            + f"{counts['undetermined']} undetermined, {counts['reject']} reject, {_plural(counts['error'], 'error')}")
    if bad:
        shown_rows = ", ".join(map(str, bad[:10])) + (", ..." if len(bad) > 10 else "")
        text += f" ({'row' if len(bad) == 1 else 'rows'} {shown_rows}: see their 'errors', fix them and check those rows again)"
    return text


def run_check_batch(file: Path, catalog: Catalog, *, on: dt.date, fmt: str | None,
                    allow_paths: Sequence[Path], out: Path | None) -> None:
    batch = read_batch(file)
    if not batch.rows:
        raise BatchError(f"{shown(file)}: no rows to check; give one (case, intervention) row a line")
    # a case file the rows name is an input too: the results must not be written over it
    refuse_overwriting(out, [file.parent / r["case"] for _, r in batch.rows if isinstance(r, dict) and isinstance(r.get("case"), str)])
    if fmt is None:
        fmt = "csv" if out is not None and out.suffix.lower() == ".csv" else "jsonl"
    if batch.extra_columns:
        click.echo(f"ratecard: note: the column{'s' if len(batch.extra_columns) > 1 else ''} "
                   f"{', '.join(shown(c) for c in batch.extra_columns)} {'are' if len(batch.extra_columns) > 1 else 'is'} "
                   "not used by the check; passed through to the results as given", err=True)
    # --out is written whole or not at all (terminal.AtomicOut): interrupted, the previous results stay
    target = AtomicOut(out) if out is not None else None
    stream: IO[str] | ForTerminal = target.text() if target is not None else sys.stdout
    if target is None and is_terminal():
        stream = ForTerminal(sys.stdout, is_json=fmt == "jsonl")
    counts: Counter[str] = Counter()
    bad: list[int] = []
    try:
        writer = None
        if fmt == "csv":
            if out is not None:
                stream.write("\ufeff")  # Excel reads a CSV file as UTF-8 only when it starts with a byte-order mark
            writer = csv.writer(stream)
            writer.writerow(csv_header(batch.extra_columns))
        with _progress(len(batch.rows)) as advance:
            for row in check_batch(batch, catalog, on=on, allow_paths=allow_paths, progress=advance):
                if writer is not None:
                    writer.writerow(csv_record(row, batch.extra_columns))
                else:
                    stream.write(row.model_dump_json() + "\n")
                counts[row.result.verdict if row.result else "error"] += 1
                if row.status == "error":
                    bad.append(row.row)
    except BaseException as e:
        if target is not None:
            target.discard()
        if isinstance(e, OSError) and not isinstance(e, BrokenPipeError):
            raise OutputError(f"{shown(out or 'standard output')}: could not finish writing the results ({e.strerror}); "
                              "give another --out path") from None
        raise
    if target is not None:
        target.commit()
        click.echo(f"Wrote {shown(out)}", err=True)
    click.echo(summary(counts, bad), err=True)


class _progress:
    """A progress bar only for a person watching; never in a pipe or a log."""

    def __init__(self, total: int):
        self.total = total
        self.bar: Progress | None = None

    def __enter__(self) -> Callable[[int], None] | None:
        if not sys.stderr.isatty():
            return None
        from rich.progress import Progress

        from .terminal import console

        bar = self.bar = Progress(console=console(stderr=True), transient=True)
        bar.__enter__()
        task = bar.add_task("Checking referrals", total=self.total)
        return lambda i: bar.update(task, completed=i)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
