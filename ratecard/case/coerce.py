"""The doors of the Python API: a case may arrive as a Case, a plain dict or a JSON/YAML string.

Other systems hold a case as JSON (dates as ISO strings) rather than as our pydantic model, so
`screen`, `propose`, `check_referral` and `allocate` take any of the three and validate it here,
the same way a case file is validated: a bad field is a CaseError naming the field path and
saying what to do, never a raw pydantic ValidationError, and anything else is a TypeError
naming what is accepted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any, TypeAlias

from ..errors import CaseError, Problem
from ..inputs.yamlio import Document
from .model import Case, case_from_document, parse_case

# what every entry point of the Python API accepts as one case: the three doors above
CaseInput: TypeAlias = Case | Mapping[str, Any] | str

ACCEPTED = "a ratecard Case, a dict of case fields (dates as ISO strings such as '1980-05-14') or a JSON/YAML string"


def coerce_case(case: Any, source: str = "<case>", stand_in: str | None = None) -> Case:
    """Return `case` as a validated Case.

    `source` names the case in error messages (a file name, "request body"...); `stand_in` is its
    id when it gives none (a batch row's "row 12"; default model.NO_ID). Raises CaseError
    for a case that is readable but wrong, TypeError for something that is not a case at all.
    """
    if isinstance(case, Case):
        return case
    if isinstance(case, Mapping):
        odd = _not_json(case, ())
        if odd is not None:
            where, value = odd
            raise CaseError([Problem(source, None, where, f"{type(value).__name__} is not a case value; use text, numbers, "
                                     "true/false, dates, lists and mappings")])
        # dates may be date objects or ISO strings: case_from_document validates through JSON
        return case_from_document(Document(source, _plain(case), {}), stand_in)
    if isinstance(case, str):
        if _looks_like_file_name(case):
            raise TypeError(f"case must be {ACCEPTED}; {case!r} looks like a file name: read it with ratecard.load_case(path)")
        return parse_case(case, source, stand_in)
    if isinstance(case, PurePath):
        raise TypeError(f"case must be {ACCEPTED}; got a path ({case}): read the file with ratecard.load_case(path)")
    if isinstance(case, (bytes, bytearray)):
        raise TypeError(f"case must be {ACCEPTED}; got bytes: decode them first, e.g. data.decode('utf-8')")
    kind = type(case)
    name = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
    raise TypeError(f"case must be {ACCEPTED}; got {name}")


def _not_json(data: Any, at: tuple[str, ...]) -> tuple[str, Any] | None:
    """The path and value of the first value that JSON cannot carry (a set, a Decimal...), or None."""
    if isinstance(data, Mapping):
        items: Any = ((str(k), v) for k, v in data.items())
    elif isinstance(data, (list, tuple)):
        items = ((str(i), v) for i, v in enumerate(data))
    elif data is None or isinstance(data, (str, int, float, bool, dt.date)):
        return None
    else:
        return ".".join(at), data
    for k, v in items:
        found = _not_json(v, at + (k,))
        if found is not None:
            return found
    return None


def _plain(data: Any) -> Any:
    """Any mapping as a dict and any tuple as a list, all the way down: what JSON would read back."""
    if isinstance(data, Mapping):
        return {k: _plain(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_plain(v) for v in data]
    return data


def _looks_like_file_name(text: str) -> bool:
    # a one-line string ending in .yaml/.json with no mapping in it: a path given by mistake
    t = text.strip()
    return "\n" not in t and ":" not in t.replace(":\\", "") and t.lower().endswith((".yaml", ".yml", ".json"))
