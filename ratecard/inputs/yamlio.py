"""Input files read safely: YAML or JSON, within limits, with exact types and line numbers.

Everything a user gives ratecard (cases, catalog and rule files) comes through `load_file` or
`parse_text`. They refuse, with the file, line and fix:
- anything that is not a regular file, or larger than the limits (ratecard/inputs/limits.py);
- duplicate keys (PyYAML and Python's json keep the last silently; for a catalog that drops data);
- YAML 1.1 forms other readers take with another meaning (`010`, `1:30`, `1_000`);
- tags other than plain values.
A `.json` file is read as JSON; anything else as YAML (1.2 core schema plus YYYY-MM-DD dates).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import Problem
from .files import ParseError, decode, read_bytes
from .jsonread import read_json
from .limits import DEFAULT, Limits
from .messages import pydantic_problems
from .paths import Loc, where
from .yamlread import read_yaml

__all__ = ["Document", "Loc", "ParseError", "load_file", "parse_text", "pydantic_problems"]


class Document:
    """A parsed file: its data and where each path of it was written."""

    def __init__(self, path: str, data: Any, lines: dict[Loc, int] | Callable[[], dict[Loc, int]] | None = None,
                 within_limits: bool = False):
        self.path = path
        self.data = data
        self._lines = lines if lines is not None else {}
        # read by ratecard's own readers: within the limits, keys are text (data built elsewhere,
        # such as an inline case in a batch row, is checked when it is used)
        self.within_limits = within_limits

    def line(self, loc: Loc) -> int | None:
        """Line of the deepest part of `loc` that exists in the file (1-based)."""
        if callable(self._lines):  # JSON: worked out when first needed
            self._lines = self._lines()
        lines = self._lines
        loc = tuple(loc)
        while loc:
            if loc in lines:
                return lines[loc]
            loc = loc[:-1]
        return lines.get((), None)

    def where(self, loc: Loc) -> str:
        """How the place is named in messages: `interventions[bbr].hours`."""
        return where(tuple(loc), self.data)

    def problem(self, loc: Loc, message: str) -> Problem:
        return Problem(self.path, self.line(loc), self.where(loc), message)


def _looks_like_json(text: str) -> bool:
    return text.lstrip(" \t\r\n")[:1] in ("{", "[")


def parse_text(text: str, path: str, limits: Limits = DEFAULT, *, as_json: bool | None = None) -> Document:
    """Parse YAML or JSON text; raise ParseError listing what is wrong.

    `as_json` None: JSON when `path` ends in .json; text that starts with { or [ and is valid JSON
    is read as JSON too (the same values as YAML would give, with JSON's exact numbers)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError as e:
        raise ParseError([Problem(path, None, "", f"holds a character that is not valid Unicode text (at character {e.start}); save it as UTF-8")]) from None
    if size > limits.max_bytes:
        raise ParseError([Problem(path, None, "", f"is larger than {limits.describe_bytes()}, the most one input may hold; split it")])
    if as_json is None:
        as_json = path.lower().endswith(".json")
        if not as_json and _looks_like_json(text):
            try:
                data, lazy = read_json(text, path, limits)
                return Document(path, data, lazy, within_limits=True)
            except ParseError:
                pass  # not JSON: YAML's flow style also starts with { or [
    if as_json:
        data, lazy = read_json(text, path, limits)
        return Document(path, data, lazy, within_limits=True)
    data, lines = read_yaml(text, path, limits)
    return Document(path, data, lines, within_limits=True)


def load_file(path: Path | str, limits: Limits = DEFAULT) -> Document:
    """Read and parse one input file. Raises ParseError naming the file, and the line where known."""
    p = str(path)
    text = decode(read_bytes(path, limits), p)
    return parse_text(text, p, limits, as_json=p.lower().endswith(".json"))
