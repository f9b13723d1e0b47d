"""JSON read as JSON (not as YAML 1.1, which refused 1e-05 and a byte-order mark), within limits.

Python's json module does the parsing: it is exact and fast, and a file is at most a couple of
MiB, so what it builds is bounded. On top of it: duplicate keys are refused as in YAML (JSON
leaves them undefined and Python keeps the last silently), NaN and Infinity are refused (they are
not JSON), and the nesting, list, text and value-count limits are checked before anything else
reads the data. Line numbers are worked out only when a message needs one.
"""

from __future__ import annotations

import json
import math
import re
from json.decoder import scanstring  # type: ignore[attr-defined]  # C or Python, not in typeshed
from typing import Any, Callable

from ..errors import Problem
from .files import ParseError
from .limits import Limits
from .paths import Loc, where


class _Duplicate(Exception):
    def __init__(self, key: str):
        self.key = key


class _Refused(Exception):
    def __init__(self, message: str, loc: Loc | None = None):
        self.message, self.loc = message, loc


def read_json(text: str, path: str, limits: Limits) -> tuple[Any, Callable[[], dict[Loc, int]]]:
    """The data of a JSON text, and a function giving the line of each path. Raises ParseError."""
    objects = 0

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal objects
        objects += 1 + len(items)
        if objects > limits.max_values:
            raise _Refused(_too_many(limits))
        out = dict(items)
        if len(out) != len(items):
            seen: set[str] = set()
            for k, _ in items:
                if k in seen:
                    raise _Duplicate(k)
                seen.add(k)
        return out

    def constant(name: str) -> Any:
        raise _Refused(f"{name} is not a JSON number; give a number, or leave the field out if it is not known")

    def number(s: str) -> float:
        v = float(s)
        if math.isinf(v):
            raise _Refused(f"the number {s[:20]} is too large")
        return v

    index = _LazyIndex(text, limits)
    try:
        data = json.loads(text, object_pairs_hook=pairs, parse_constant=constant, parse_float=number)
    except json.JSONDecodeError as e:
        raise ParseError([Problem(path, e.lineno, "", f"not valid JSON: {e.msg} (column {e.colno}). Fix the syntax at this line.")]) from None
    except _Duplicate as d:
        found = index.duplicate()
        if found:
            loc, line, first = found
            msg = f"duplicate key '{loc[-1]}' (first given on line {first}); keep one of them"
            raise ParseError([Problem(path, line, where(loc), msg)]) from None
        raise ParseError([Problem(path, None, "", f"duplicate key '{d.key[:40]}' in one object; keep one of them")]) from None
    except _Refused as r:
        raise ParseError([Problem(path, None, "", r.message)]) from None
    except RecursionError:
        raise ParseError([Problem(path, None, "", f"nested too deeply to read (more than {limits.max_depth} levels); check the brackets")]) from None
    except ValueError:  # an integer of more digits than Python converts
        raise ParseError([Problem(path, None, "", "a number has too many digits to be read; check the numbers")]) from None
    if _within_limits_by_size(text, limits):
        return data, index.lines
    try:
        _check(data, limits)
    except _Refused as r:
        loc = r.loc or ()
        raise ParseError([Problem(path, index.line_of(loc), where(loc, data), r.message)]) from None
    return data, index.lines


def _within_limits_by_size(text: str, limits: Limits) -> bool:
    """Whether the text is too short to pass any limit, so that _check need not walk it (a request
    body is read on every request, and the walk cost more than parsing). Every value and field
    name takes at least a character, a list of n items at least n, a text no more than it is
    written with, and each level of nesting an opening bracket."""
    n = len(text)
    return (n <= limits.max_values and n <= limits.max_items and n <= limits.max_text
            and text.count("{") + text.count("[") < limits.max_depth)


def check_limits(data: Any, path: str, limits: Limits) -> None:
    """Refuse data built elsewhere (an inline case in a batch row) that is past the limits."""
    try:
        _check(data, limits)
    except _Refused as r:
        raise ParseError([Problem(path, None, where(r.loc or (), data), r.message)]) from None


def _too_many(limits: Limits) -> str:
    return f"holds more than {limits.max_values:,} values, the most one input file may hold; split it"


def _check(data: Any, limits: Limits) -> None:
    """Depth, list and mapping sizes, text lengths and the number of values, without recursion."""
    total = 0
    todo: list[tuple[Any, Loc]] = [(data, ())]
    while todo:
        x, loc = todo.pop()
        total += 1
        if total > limits.max_values:
            raise _Refused(_too_many(limits), loc)
        if isinstance(x, str):
            if len(x) > limits.max_text:
                raise _Refused(f"a text of more than {limits.max_text} characters; shorten it", loc)
        elif isinstance(x, (dict, list)):
            if len(loc) >= limits.max_depth:
                raise _Refused(f"nested more than {limits.max_depth} levels deep; check the brackets", loc)
            if len(x) > limits.max_items:
                what = "mapping" if isinstance(x, dict) else "list"
                raise _Refused(f"a {what} here has more than {limits.max_items} entries, the most an input file may hold in one {what}", loc)
            if isinstance(x, dict):
                total += len(x)  # field names count too, as in YAML
                for k, v in x.items():
                    if len(k) > limits.max_text:
                        raise _Refused(f"a field name of more than {limits.max_text} characters; shorten it", loc)
                    todo.append((v, loc + (k,)))
            else:
                todo.extend((v, loc + (i,)) for i, v in enumerate(x))


_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_LITERAL = re.compile(r"true|false|null|NaN|-?Infinity")


class _Stop(Exception):
    pass


class _LazyIndex:
    """Where each path of a JSON text starts, worked out on first use by a small scanner that
    follows the grammar json.loads accepted. It stops (keeping what it has) past the limits."""

    def __init__(self, text: str, limits: Limits):
        self.text = text
        self.limits = limits
        self._lines: dict[Loc, int] | None = None
        self._dup: tuple[Loc, int, int] | None = None

    def lines(self) -> dict[Loc, int]:
        if self._lines is None:
            self._scan()
        return self._lines  # type: ignore[return-value]

    def duplicate(self) -> tuple[Loc, int, int] | None:
        self.lines()
        return self._dup

    def line_of(self, target: Loc) -> int | None:
        """The line of one path, scanning only as far as it (a limit error needs just that one)."""
        if self._lines is not None:
            return self._lines.get(target)
        found: dict[Loc, int] = {}
        self._scan(found, target)
        return found.get(target)

    def _scan(self, lines: dict[Loc, int] | None = None, target: Loc | None = None) -> None:
        text = self.text
        if lines is None:
            lines = self._lines = {}
        state = {"line": 1, "at": 0, "tokens": 0}
        budget = self.limits.max_values * 2
        max_depth = self.limits.max_depth + 1

        def line_at(p: int) -> int:
            state["line"] += text.count("\n", state["at"], p)
            state["at"] = p
            return state["line"]

        def ws(p: int) -> int:
            return _WS.match(text, p).end()  # type: ignore[union-attr]

        def value(p: int, loc: Loc) -> int:
            state["tokens"] += 1
            if state["tokens"] > budget or len(loc) > max_depth:
                raise _Stop
            p = ws(p)
            lines.setdefault(loc, line_at(p))
            if loc == target:
                raise _Stop
            c = text[p]
            if c == "{":
                p = ws(p + 1)
                if text[p] == "}":
                    return p + 1
                seen: dict[str, int] = {}
                while True:
                    p = ws(p)
                    kl = line_at(p)
                    key, p = scanstring(text, p + 1)
                    if key in seen and self._dup is None:
                        self._dup = (loc + (key,), kl, seen[key])
                    seen.setdefault(key, kl)
                    lines.setdefault(loc + (key,), kl)
                    if loc + (key,) == target:
                        raise _Stop
                    p = ws(p)
                    if text[p] != ":":
                        raise _Stop
                    p = ws(value(p + 1, loc + (key,)))
                    if text[p] == ",":
                        p += 1
                        continue
                    return p + 1
            if c == "[":
                p = ws(p + 1)
                if text[p] == "]":
                    return p + 1
                i = 0
                while True:
                    p = ws(value(p, loc + (i,)))
                    i += 1
                    if text[p] == ",":
                        p += 1
                        continue
                    return p + 1
            if c == '"':
                return int(scanstring(text, p + 1)[1])
            m = _NUMBER.match(text, p) or _LITERAL.match(text, p)
            if not m:
                raise _Stop
            return m.end()

        try:
            value(0, ())
        except (_Stop, IndexError, ValueError, RecursionError):
            pass  # keep the lines found so far; a message without a line still names the field
