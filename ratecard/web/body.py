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

from ..docs import formats_doc
from ..errors import InputError, Problem
from ..inputs.files import decode
from ..inputs.messages import SCHEMA_ELSEWHERE
from ..inputs.limits import DEFAULT, Limits
from ..inputs.yamlio import Document, ParseError, parse_text, pydantic_problems
from .guard import MAX_BODY

SOURCE = "request body"
M = TypeVar("M", bound=BaseModel)
# A batch request is bounded by its body (1 MiB) and its number of cases (api.batch_limit), both
# per request; the per-file value and list counts of a case file (60,000 values) would blame
# whichever case happened to pass them. No JSON value takes less than a byte, so these never bite.
BATCH_LIMITS = Limits(max_bytes=MAX_BODY, max_values=MAX_BODY, max_items=MAX_BODY)
_SCHEMA = "the request schema (GET /openapi.json)"


def for_the_api(text: str) -> str:
    """A message as an API or web client sees it: the file formats reference is named for what it
    is, never by where the server is installed."""
    return text.replace(formats_doc(), _SCHEMA).replace(SCHEMA_ELSEWHERE, _SCHEMA)


class RequestError(InputError):
    """A request body that is not a valid request; carries Problems whose `field` is a body path."""

    def __init__(self, problems: list[Problem]):
        super().__init__([Problem(p.file, p.line, p.field, for_the_api(p.message)) for p in problems], what="request")


def read_body(raw: bytes, model: type[M], limits: Limits = DEFAULT) -> M:
    """The request in `raw` as `model`; RequestError listing every problem otherwise."""
    doc, text = read_document(raw, model, limits)
    return validate_document(text, doc, model)


def read_document(raw: bytes, model: type[BaseModel], limits: Limits = DEFAULT) -> tuple[Document, str]:
    """The body parsed (not yet validated as `model`) and its text; RequestError when it is not a
    JSON object within the limits."""
    try:
        text = decode(raw, SOURCE)
    except ParseError as e:
        raise RequestError(e.problems) from None
    if not text.strip():
        raise RequestError([Problem(SOURCE, None, "", f"is empty; send a JSON object with the fields of {model.__name__}")])
    try:
        # the project's JSON reader, as for a .json case file: duplicate keys, NaN and the size
        # and nesting limits are refused with the same words as on the command line
        doc = parse_text(text, SOURCE, limits, as_json=True)
    except ParseError as e:
        raise RequestError(e.problems) from None
    if not isinstance(doc.data, dict):
        raise RequestError([Problem(SOURCE, 1, "", f"must be a JSON object with the fields of {model.__name__} (case, on, ...)")])
    return doc, text


def validate_document(text: str, doc: Document, model: type[M]) -> M:
    try:
        return model.model_validate_json(text.encode())  # without the byte-order mark decode() removed
    except ValidationError as e:
        # as for a case file: the values given are not repeated (they are case data)
        raise RequestError(pydantic_problems(doc, e, model=model, echo=False)) from None


def body_problems(problems: list[Problem], prefix: str) -> list[Problem]:
    """Problems raised about the case after validation (a birth date after `on`), as body paths."""
    return [Problem(SOURCE, None, f"{prefix}.{p.field}" if p.field else prefix, p.message) for p in problems]
