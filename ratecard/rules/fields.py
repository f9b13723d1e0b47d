"""The fields a rule may name: case fields (by dotted path), computed fields and derived facts.

The registry is built from the Case model itself, so a new case field is usable in rules at once
and a rule naming a field that does not exist is caught when the rules are loaded.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from ..case.facts import MAX_AGE
from ..case.model import RECORDS, Case
from ..labels import FIELDS as LABELS


@dataclass(frozen=True)
class FieldType:
    kind: Literal["number", "flag", "choice", "text", "list", "date"]
    values: tuple[Any, ...] = ()  # allowed values for choice, or for list items when closed
    label: str = ""
    source: Literal["case", "computed", "derived"] = "case"
    # numbers: the closed range a value can take (from the Case model's constraints), and whether it
    # is whole. Rules on a missing field reason over this range, so it must be the model's own.
    lo: float | None = None
    hi: float | None = None
    integer: bool = False

    def describe(self) -> str:
        if self.kind == "choice":
            return "one of " + ", ".join(map(str, self.values))
        if self.kind == "list" and self.values:
            return "a list of " + ", ".join(map(str, self.values))
        return {"number": "a number", "flag": "true or false", "text": "a text identifier", "list": "a list", "date": "a date"}[self.kind]


COMPUTED: dict[str, FieldType] = {
    # ages from 0 to MAX_AGE: a date of birth giving an older age is refused as a mistake
    # (case/facts.py), so the range is the whole truth for the engine and the batch back end alike.
    # Measured when the order starts (case/facts.py age_date): eligibility is about the person then.
    "age": FieldType("number", label=LABELS["age"], source="computed", lo=0, hi=MAX_AGE, integer=True),
    # an order lasts at most 120 months (Sentence.length_months), so no more can be left
    "months_left": FieldType("number", label=LABELS["months_left"], source="computed", lo=0, hi=120, integer=True),
}
# Which case fields each computed field is made from, so the screen can say what is missing.
COMPUTED_FROM: dict[str, tuple[str, ...]] = {
    "age": ("person.date_of_birth",),
    "months_left": ("sentence.length_months",),
}


def _strip_optional(tp: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return _strip_optional(args[0])
        return tp
    if origin is typing.Annotated:
        return _strip_optional(typing.get_args(tp)[0])
    return tp


def _bounds(tp: Any) -> tuple[float | None, float | None]:
    """The (ge, le) constraints written on a number type, e.g. Annotated[float, Field(ge=0, le=100)]."""
    lo = hi = None
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        for a in typing.get_args(tp):
            if a is not type(None):
                return _bounds(a)
    if origin is typing.Annotated:
        for meta in typing.get_args(tp)[1:]:
            for m in getattr(meta, "metadata", [meta]):
                lo = getattr(m, "ge", lo)
                hi = getattr(m, "le", hi)
                if getattr(m, "gt", None) is not None or getattr(m, "lt", None) is not None:
                    raise TypeError("case number fields use ge/le bounds: rules reason over closed ranges")
    return lo, hi


def _field_type(tp: Any, label: str) -> FieldType | None:
    lo, hi = _bounds(tp)
    tp = _strip_optional(tp)
    origin = typing.get_origin(tp)
    if origin is Literal:
        vals = typing.get_args(tp)
        return FieldType("choice", tuple(vals), label)
    if tp is bool:
        return FieldType("flag", label=label)
    if tp in (int, float):
        if lo is None or hi is None:
            raise TypeError(f"the case number field '{label}' needs ge and le bounds: rules reason over its range")
        return FieldType("number", label=label, lo=lo, hi=hi, integer=tp is int)
    if tp is str:
        return FieldType("text", label=label)
    if tp is dt.date:
        return FieldType("date", label=label)
    if origin is list:
        (item,) = typing.get_args(tp)
        item = _strip_optional(item)
        vals = typing.get_args(item) if typing.get_origin(item) is Literal else ()
        return FieldType("list", tuple(vals), label)
    return None


def _walk(model: type[BaseModel], prefix: str, out: dict[str, FieldType]) -> None:
    for name, info in model.model_fields.items():
        if prefix == "" and (name == "id" or name in RECORDS):
            continue
        path = f"{prefix}{name}"
        tp = _strip_optional(info.annotation)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            _walk(tp, path + ".", out)
            continue
        # people's names for fields live in one table (labels.py), shared by every output
        ft = _field_type(info.annotation, LABELS.get(path) or info.description or name.replace("_", " "))
        if ft is not None:
            out[path] = ft


def case_fields() -> dict[str, FieldType]:
    out: dict[str, FieldType] = {}
    _walk(Case, "", out)
    return out


CASE_FIELDS: dict[str, FieldType] = case_fields()


def base_registry() -> dict[str, FieldType]:
    """Case fields and computed fields (derived facts are added by the rule loader)."""
    return {**CASE_FIELDS, **COMPUTED}
