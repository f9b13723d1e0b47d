"""Error classes. Every message says where the problem is and what to do about it."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass


class RatecardError(Exception):
    """Base class: a problem the user can fix. The CLI prints it and exits 1, without a traceback."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input file."""

    file: str
    line: int | None
    field: str  # the field path or rule id, '' when the whole file is at fault
    message: str

    def __str__(self) -> str:
        loc = self.file + (f":{self.line}" if self.line else "")
        field = f" {self.field}:" if self.field else ""
        return f"{loc}:{field} {self.message}"


# how many problems a message lists; a file with 10,000 bad rows should not print 10,000 lines
SHOWN = 100


class InputError(RatecardError):
    """One or more problems in input files; all are reported at once."""

    def __init__(self, problems: list[Problem], what: str = "input"):
        self.problems = sorted(problems, key=lambda p: (p.file, p.line or 0, _natural(p.field), p.message))
        self.what = what
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in the {what}:"
        shown = ["  " + str(p) for p in self.problems[:SHOWN]]
        if n > SHOWN:
            shown.append(f"  ... and {n - SHOWN} more; fix these first (the rest are often the same mistake)")
        super().__init__("\n".join([head, *shown]))


def _natural(text: str) -> list[tuple[int, int | str]]:
    # all[2] before all[10]
    return [(0, int(part)) if part.isascii() and part.isdigit() else (1, part) for part in re.split(r"([0-9]+)", text)]


class CaseError(InputError):
    """The case file is unreadable or invalid."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems, what="case")


class CatalogError(InputError):
    """The catalog or rule files are unreadable or invalid."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems, what="catalog and rules")


class UnknownInterventionError(RatecardError):
    def __init__(self, intervention: str, known: list[str]):
        close = [k for k in known if intervention.lower() in k or k in intervention.lower()]
        close = (close or difflib.get_close_matches(intervention.lower(), known, n=3, cutoff=0.6))[:5]
        hint = f" Did you mean: {', '.join(close)}?" if close else " Run 'ratecard screen' to list them."
        super().__init__(f"No intervention with id '{intervention}' in the catalog.{hint}")


class OutputError(RatecardError):
    """An output file (--out) cannot be written: no such folder, no permission, disk full."""
