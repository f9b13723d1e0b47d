"""Reading a JSON request body into a request model, with the CLI's error messages.

FastAPI's own body validation runs pydantic in Python mode, where the case model (strict) refuses
ISO date strings; and its messages are not the CLI's. So the API reads the body itself, with the
reader and the messages of a .json case file (ratecard/inputs), validates it in JSON mode, and
names every problem by its path in the body (case.risk.ogrs3_2yr), its line and the message
`ratecard screen case.json` would print.
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ValidationError

from ..errors import InputError, Problem
from ..inputs.files import decode
from ..inputs.yamlio import ParseError, parse_text, pydantic_problems

SOURCE = "request body"
M = TypeVar("M", bound=BaseModel)


class RequestError(InputError):
    """A request body that is not a valid request; carries Problems whose `where` is a body path."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems, what="request")


def read_body(raw: bytes, model: type[M]) -> M:
    """The request in `raw` as `model`; RequestError listing every problem otherwise."""
    try:
        text = decode(raw, SOURCE)
    except ParseError as e:
        raise RequestError(e.problems) from None
    if not text.strip():
        raise RequestError([Problem(SOURCE, None, "", f"is empty; send a JSON object with the fields of {model.__name__}")])
    try:
        # the project's JSON reader, as for a .json case file: duplicate keys, NaN and the size
        # and nesting limits are refused with the same words as on the command line
        doc = parse_text(text, SOURCE, as_json=True)
    except ParseError as e:
        raise RequestError(e.problems) from None
    data = doc.data
    if not isinstance(data, dict):
        raise RequestError([Problem(SOURCE, 1, "", f"must be a JSON object with the fields of {model.__name__} (case, on, ...)")])
    try:
        return model.model_validate_json(text.encode())  # without the byte-order mark decode() removed
    except ValidationError as e:
        # as for a case file: the values given are not repeated (they are case data)
        raise RequestError(pydantic_problems(doc, e, model=model, echo=False)) from None


def body_problems(problems: list[Problem], prefix: str) -> list[Problem]:
    """Problems raised about the case after validation (a birth date after `on`), as body paths."""
    return [Problem(SOURCE, None, f"{prefix}.{p.field}" if p.field else prefix, p.message) for p in problems]
