"""pydantic's validation errors, told in the project's words with the fix to make.

Users see "should be true or false; write true or false", not "Input should be a valid boolean";
a misspelt field gets a did-you-mean; a place is named by id (`interventions[bbr].hours`). For
case files the value given is not repeated (case data is sensitive and error rows travel further
than the case file): the file, line and field say where it is.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from ..docs import formats_doc
from ..errors import Problem
from .paths import Loc

if TYPE_CHECKING:
    from .yamlio import Document

_UNION_TAGS = {"str", "int", "float", "bool", "date", "list", "dict", "none", "lax-or-strict", "json-or-python", "union"}
_YAML11_FLAGS = {"yes", "no", "on", "off", "y", "n"}
# problems worked out per file: each costs a did-you-mean, and nobody reads the 10,000th
_MOST = 100


def pydantic_problems(doc: Document, err: Any, prefix: Loc = (), model: type[BaseModel] | None = None,
                      echo: bool = True) -> list[Problem]:
    """One Problem per pydantic error: file, line, the place by id, and a plain message.

    `model` is the model validated at `prefix` (for did-you-mean on unknown fields); `echo`
    False leaves the given values out of the messages."""
    out = []
    errors = err.errors(include_url=False)
    for e in errors[:_MOST]:
        rel = error_loc(model, e)
        loc = prefix + rel
        out.append(Problem(doc.path, doc.line(loc), doc.where(loc), message(e, model, rel, echo)))
    if len(errors) > _MOST:
        rest = prefix + error_loc(model, errors[_MOST])
        out.append(Problem(doc.path, doc.line(rest), doc.where(rest), f"{len(errors) - _MOST} more problems from here on; fix the ones above first"))
    return out


def error_loc(model: type[BaseModel] | None, e: dict[str, Any]) -> Loc:
    """Where a pydantic error is, as a path in the data: its loc without pydantic's own tags, and
    for a combination the case format refuses, the field it names (ratecard/case/consistency.py)."""
    loc = _real_loc(model, e["loc"])
    if e["type"] == "refused":
        loc += tuple((e.get("ctx") or {}).get("at", "").split("."))
    return loc


def _real_loc(model: type[BaseModel] | None, loc: tuple[Any, ...]) -> Loc:
    """The path parts of a pydantic loc, without the union-branch tags pydantic adds
    ('function-plain[...]', 'literal[...]', 'str'). With the model, a part is kept when it is a
    field there (so a field really named 'date' stays); without it, by the tags' look."""
    if model is None:
        return tuple(x for x in loc if not (isinstance(x, str) and ("[" in x or x in _UNION_TAGS)))
    out: list[str | int] = []
    tp: Any = model
    for part in loc:
        tp = _unwrap(tp)
        if isinstance(part, int) and typing.get_origin(tp) is list:
            out.append(part)
            tp = typing.get_args(tp)[0]
        elif isinstance(part, str) and isinstance(tp, type) and issubclass(tp, BaseModel):
            out.append(part)  # a field, or an unknown one (extra_forbidden names it)
            tp = tp.model_fields[part].annotation if part in tp.model_fields else None
        elif isinstance(part, str) and ("[" in part or part in _UNION_TAGS):
            continue
        else:
            out.append(part)
            tp = None
    return tuple(out)


# where the fields are listed when the message travels without the reader's machine (an error row)
SCHEMA_ELSEWHERE = "`ratecard schema` (docs/formats.md describes them)"


def message(e: dict[str, Any], model: type[BaseModel] | None = None, loc: Loc = (), echo: bool = True) -> str:
    t = e["type"]
    given = e.get("input")
    ctx = e.get("ctx") or {}
    shown = _show(given) if echo else ""
    not_ = f", not {shown}" if shown else ""
    if t == "extra_forbidden":
        name = str(loc[-1]) if loc else ""
        known = _fields_at(model, loc[:-1]) if model is not None else []
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        # case data travels (HTTP answers, error rows): no path of this machine goes with it
        where = formats_doc() if echo else SCHEMA_ELSEWHERE
        hint = f"did you mean '{close[0]}'?" if close else f"check the spelling against the fields in {where}"
        return f"unknown field; {hint}"
    if t == "missing":
        return "is required here"
    if t == "string_pattern_mismatch":
        fixed = re.sub(r"[^a-z0-9_]+", "_", given.strip().lower()).strip("_") if isinstance(given, str) else ""
        if echo and fixed and re.fullmatch(r"[a-z][a-z0-9_]*", fixed):
            return f"{shown} is not an id: ids are lower case, with underscores for spaces; write {fixed}"
        return "is not an id: ids are lower-case letters, digits and underscores, like east_northamptonshire"
    if t == "literal_error":
        allowed = _expected(str(ctx.get("expected", "")))
        hint = ""
        if isinstance(given, str):  # a suggestion repeats only the allowed value
            exact = [a for a in allowed if a.lower() == given.strip().lower()]
            close = exact or difflib.get_close_matches(given, allowed, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]}?" if close else ""
        head = f"{shown} is" if shown else "is"
        return f"{head} not one of the allowed values: {', '.join(allowed)}{hint}"
    if t in ("bool_type", "bool_parsing"):
        hint = ""
        if isinstance(given, str) and given.strip().lower() in _YAML11_FLAGS:
            hint = "; write true or false (yes, no, on and off are read differently by different YAML readers)"
        elif isinstance(given, str) and given.strip().lower() in ("true", "false"):
            hint = "; write it without quotes"
        return f"should be true or false{not_}{hint}"
    if t in ("int_type", "int_parsing", "int_from_float"):
        return f"should be a whole number{not_}{_quoted_number(given, echo)}"
    if t in ("float_type", "float_parsing"):
        return f"should be a number{not_}{_quoted_number(given, echo)}"
    if t in ("string_type",):
        return f"should be text{not_}"
    if t in ("list_type", "tuple_type"):
        return f"should be a list such as [a, b]{not_}"
    if t in ("model_type", "model_attributes_type", "dict_type"):
        return f"should be a group of fields such as {{a: 1}}{not_}"
    if t in ("less_than_equal", "less_than", "greater_than_equal", "greater_than"):
        bound = {"less_than_equal": ("le", "{} or less"), "less_than": ("lt", "less than {}"),
                 "greater_than_equal": ("ge", "{} or more"), "greater_than": ("gt", "more than {}")}[t]
        limit = _number(ctx.get(bound[0]))
        return f"{shown + ' ' if shown else ''}is out of range: it must be {bound[1].format(limit)}"
    if t == "finite_number":
        return "should be a finite number"
    if t in ("too_short", "string_too_short"):
        n = ctx.get("min_length")
        if n == 1:
            return "must not be empty"
        return f"needs at least {n} {'characters' if t.startswith('string') else 'entries'}"
    if t in ("too_long", "string_too_long"):
        return f"is too long: at most {ctx.get('max_length')} {'characters' if t.startswith('string') else 'entries'}"
    if t in ("date_type", "date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact"):
        return "should be a date written YYYY-MM-DD, for example 2017-03-01"
    msg = str(e.get("msg", ""))
    # our own validators' messages (value errors, custom errors) are already in our words
    for head in ("Value error, ", "Assertion failed, "):
        if msg.startswith(head):
            msg = msg[len(head):]
    msg = re.sub(r"^Input should be", "should be", msg)
    return msg


def _quoted_number(given: Any, echo: bool) -> str:
    if isinstance(given, str) and re.fullmatch(r"\s*[-+]?[0-9]+(\.[0-9]*)?\s*", given):
        return "; write the number without quotes"
    if isinstance(given, str) and re.fullmatch(r"\s*[-+]?[0-9]*,[0-9]+\s*", given):
        # a typed number is never read from text here (a form or a spreadsheet cell may be:
        # ratecard/inputs/numbers.py), and a comma is never dropped
        fixed = given.strip().replace(",", ".")
        return f"; write {fixed}, a number with a decimal point, without quotes" if echo else \
            "; write it as a number with a decimal point (not a comma), without quotes"
    return ""


def _number(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _expected(text: str) -> list[str]:
    """pydantic's "'a', 'b' or 'c'" (or "0, 1, 2 or 3") as a list of values."""
    quoted = re.findall(r"'([^']*)'", text)
    if quoted:
        return quoted
    return [p.strip() for p in re.split(r",| or ", text) if p.strip()]


def _show(v: Any) -> str:
    if isinstance(v, dict):
        return "a group of fields"
    if isinstance(v, list):
        return "a list"
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    s = repr(v)
    return s if len(s) <= 40 else s[:37] + "..."


def _unwrap(tp: Any) -> Any:
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp


def _fields_at(model: Any, loc: Loc) -> list[str]:
    """The field names allowed at `loc` inside `model`, for did-you-mean."""
    tp: Any = model
    for part in loc:
        tp = _unwrap(tp)
        if isinstance(part, int):
            if typing.get_origin(tp) is not list:
                return []
            tp = typing.get_args(tp)[0]
        elif isinstance(tp, type) and issubclass(tp, BaseModel) and part in tp.model_fields:
            tp = tp.model_fields[part].annotation
        else:
            return []
    tp = _unwrap(tp)
    return list(tp.model_fields) if isinstance(tp, type) and issubclass(tp, BaseModel) else []
