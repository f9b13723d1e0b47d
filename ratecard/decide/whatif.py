"""What answers to the missing questions would confirm a result: "BBR, if the SARA completed before
sentence shows medium or high risk to a partner".

Each missing case field is tried at one value from each of its pieces (the ranges and values the
rules tell apart), with every other missing field left missing, and the case is evaluated again by
the engine. A field whose answer alone can confirm the result is named with those answers; when no
single answer can, each field is named with the answers that keep the result possible.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict

from ..catalog.load import Catalog
from ..rules.fields import COMPUTED
from ..rules.forms import OTHER, Range, relevant_pieces
from ..rules.loader import Evaluation
from ..rules.wording import answers_phrase, label


class Answer(BaseModel):
    """Answers to one case field that would confirm a conditional result."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    field: str
    label: str
    text: str  # the answers in words, e.g. "medium or high"
    alone: bool  # whether an answer to this field alone confirms it


def confirming_answers(catalog: Catalog, facts: dict[str, Any], fields: list[str],
                       confirmed: Callable[[Evaluation], bool | None]) -> list[Answer]:
    """For each missing field, the answers under which `confirmed` (True: confirmed, False: ruled
    out, None: still open) holds."""
    pieces = _pieces(catalog)
    registry = catalog.rules.registry
    found: list[tuple[str, list[Any], bool]] = []
    for f in fields:
        if f in COMPUTED or f not in pieces or f in facts:
            continue
        confirm: list[Any] = []
        possible: list[Any] = []
        for piece, value in pieces[f]:
            verdict = confirmed(catalog.engine.evaluate({**facts, f: value}))
            if verdict is True:
                confirm.append(piece)
            if verdict is not False:
                possible.append(piece)
        found.append((f, confirm or possible, bool(confirm)))
    alone = any(a for _, _, a in found)
    out = []
    for f, answers, a in found:
        if alone and not a:
            continue  # the fields that confirm alone are the useful question
        if len(answers) == len(pieces[f]):
            continue  # every answer keeps it possible: this field does not narrow it
        out.append(Answer(field=f, label=label(f, registry), text=answers_phrase(_as_answers(answers), registry[f]), alone=a))
    return out


def _as_answers(pieces: list[Any]) -> list[Any]:
    """Adjacent number pieces joined into ranges; values as they are."""
    out: list[Any] = []
    for p in pieces:
        if isinstance(p, Range) and out and isinstance(out[-1], Range) and _adjacent(out[-1], p):
            last = out[-1]
            out[-1] = Range(last.lo, last.lo_closed, p.hi, p.hi_closed)
        elif p is not OTHER:
            out.append(p)
    return out


def _adjacent(a: Range, b: Range) -> bool:
    return a.hi == b.lo and (a.hi_closed != b.lo_closed)


_CACHE: weakref.WeakKeyDictionary[Catalog, dict[str, list[tuple[Any, Any]]]] = weakref.WeakKeyDictionary()


def _pieces(catalog: Catalog) -> dict[str, list[tuple[Any, Any]]]:
    if catalog not in _CACHE:
        _CACHE[catalog] = relevant_pieces(catalog.rules)
    return _CACHE[catalog]
