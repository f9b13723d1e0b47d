"""Reading a JSON request body into a request model, with the CLI's error messages.

FastAPI's own body validation runs pydantic in Python mode, where the case model (strict) refuses
ISO date strings; and its messages are not the CLI's. So the API reads the body itself: JSON with
no duplicate keys and no NaN, validated in JSON mode, and every problem named by its path in the
body (case.risk.ogrs3_2yr), its line and the message `ratecard screen case.json` would print.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ..errors import InputError, Problem
from ..inputs.yamlio import Document, ParseError, parse_text, pydantic_problems

SOURCE = "request body"
M = TypeVar("M", bound=BaseModel)


class RequestError(InputError):
    """A request body that is not a valid request; carries Problems whose `where` is a body path."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems, what="request")


class _Duplicate(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise _Duplicate(k)
        out[k] = v
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number; give a number or leave the field out")


def _lines(text: str) -> Document:
    """Line numbers for error messages, worked out only when there is an error to report."""
    try:
        return parse_text(text, SOURCE)
    except ParseError:
        return Document(SOURCE, None, {})


def read_body(raw: bytes, model: type[M]) -> M:
    """The request in `raw` as `model`; RequestError listing every problem otherwise."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise RequestError([Problem(SOURCE, None, "", f"is not UTF-8 text (byte {e.start}); send UTF-8 JSON")]) from None
    if not text.strip():
        raise RequestError([Problem(SOURCE, None, "", f"is empty; send a JSON object with the fields of {model.__name__}")])
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except _Duplicate as e:
        raise RequestError([Problem(SOURCE, None, "", f"duplicate key '{e}'; keep one of them")]) from None
    except json.JSONDecodeError as e:
        raise RequestError([Problem(SOURCE, e.lineno, "", f"not valid JSON: {e.msg} (column {e.colno})")]) from None
    except ValueError as e:
        raise RequestError([Problem(SOURCE, None, "", str(e))]) from None
    except RecursionError:
        raise RequestError([Problem(SOURCE, None, "", "nested too deeply to read; check the brackets")]) from None
    if not isinstance(data, dict):
        raise RequestError([Problem(SOURCE, 1, "", f"must be a JSON object with the fields of {model.__name__} (case, on, ...)")])
    try:
        return model.model_validate_json(text)
    except ValidationError as e:
        raise RequestError(pydantic_problems(_lines(text), e)) from None


def body_problems(problems: list[Problem], prefix: str) -> list[Problem]:
    """Problems raised about the case after validation (a birth date after `on`), as body paths."""
    return [Problem(SOURCE, None, f"{prefix}.{p.where}" if p.where else prefix, p.message) for p in problems]
