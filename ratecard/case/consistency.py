"""Combinations of field values the case format refuses, declared once as data.

Each field is first checked on its own by its type (ratecard/inputs/types.py). What no single
field can say (a RAR on a licence, a score for an unscored section) is a Refusal on the model that
holds the fields it reads. The case model runs every Refusal after its fields are valid
(model.py, `_Model._refusals`); the batch reader runs the very same tests over whole columns, one
call per distinct combination of values (ratecard/case/tables.py). Neither holds a copy of the
other's logic, so a row of a table and a case file get the same verdict.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic_core import PydanticCustomError

REFUSED = "refused"  # the pydantic error type; its context `at` names the field at fault


@dataclass(frozen=True)
class Refusal:
    """`refuses(*values)` is True when the values of `reads` (dotted paths inside the model, None
    when absent) cannot be together; the problem is reported on `at` with `message`, which may be
    a function of the same values."""

    at: str
    reads: tuple[str, ...]
    refuses: Callable[..., bool]
    message: str | Callable[..., str]

    def text(self, values: Sequence[Any]) -> str:
        return self.message(*values) if callable(self.message) else self.message


def value_at(obj: Any, path: str) -> Any:
    """The value at a dotted path inside a validated model; None when a section on the way is absent."""
    for part in path.split("."):
        if obj is None:
            return None
        obj = getattr(obj, part)
    return obj


def first_refusal(obj: Any, refusals: Sequence[Refusal]) -> tuple[Refusal, list[Any]] | None:
    for r in refusals:
        values = [value_at(obj, p) for p in r.reads]
        if r.refuses(*values):
            return r, values
    return None


def check(obj: Any, refusals: Sequence[Refusal]) -> None:
    """Raise the first refusal that applies to `obj`, as a pydantic error naming its field."""
    found = first_refusal(obj, refusals)
    if found is not None:
        r, values = found
        raise PydanticCustomError(REFUSED, r.text(values), {"at": r.at})
