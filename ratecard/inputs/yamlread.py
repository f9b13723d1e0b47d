"""YAML read as a stream of events, with every limit checked as it goes and exact scalar types.

Why not PyYAML's own loader:
- its composer builds the whole node graph first, and line indexing or key checks that walk it
  expand every alias: a 358-byte "billion laughs" took 38 s and 4 GB before any error. Here each
  alias adds the size its anchor had when defined, and reading stops at the first limit passed.
- it reads YAML 1.1, where `yes` is true, `010` is 8 and `1:30` is 90, silently. Here plain
  scalars follow the YAML 1.2 core schema (what JSON means too), and the YAML 1.1 number forms
  that other readers would take differently are refused with the fix to write. `yes`/`no`/
  `on`/`off` are text, so a field that wants true or false refuses them (and says what to write).
- dates: only a real `YYYY-MM-DD` is a date; anything else (a time, another shape, 2017-02-30) stays
  text, which a date field then reads or refuses (ratecard/inputs/dates.py).

libyaml (through PyYAML's C parser) still does the scanning, so syntax errors keep its messages.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

import yaml
from yaml import events as ev

from ..errors import Problem
from .files import ParseError
from .limits import Limits
from .paths import Loc, where

try:  # libyaml when PyYAML was built with it (much faster); the pure-Python parser otherwise
    from yaml._yaml import CParser as _Parser
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    class _Parser(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)

        def dispose(self) -> None:
            pass


_NULL = frozenset({"", "~", "null", "Null", "NULL"})
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_SPECIAL = {
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), math.inf),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), -math.inf),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), math.nan),
}
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
# YAML 1.1 forms a reader may take as numbers other than the one meant
_LEADING_ZERO = re.compile(r"[-+]?0[0-9_]+")
_PREFIXED = re.compile(r"[-+]?0[xXoObB][0-9a-fA-F_]+")
_SEXAGESIMAL = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?")
_UNDERSCORED = re.compile(r"[-+]?[0-9_]*[0-9][0-9_]*(?:\.[0-9_]*)?")

_STR_TAG = "tag:yaml.org,2002:str"
_ALLOWED_TAGS = frozenset({None, "!", _STR_TAG, "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})


class _Refused(Exception):
    def __init__(self, message: str, line: int | None, loc: Loc = ()):
        self.message, self.line, self.loc = message, line, loc


def _ambiguous(s: str) -> str | None:
    """Why a plain scalar must not be read at all, or None."""
    if _LEADING_ZERO.fullmatch(s):
        digits = s.lstrip("+-").lstrip("0").replace("_", "") or "0"
        return (f"{s} has a leading zero, which YAML 1.1 readers take as an octal number; write {digits} "
                f"(or '{s}' in quotes if it is text)")
    if _PREFIXED.fullmatch(s):
        return f"{s} is a hexadecimal, octal or binary number; write the number in decimal (or '{s}' in quotes if it is text)"
    if _SEXAGESIMAL.fullmatch(s):
        return (f"{s} is a number in base 60 for YAML 1.1 readers (1:30 is 90); write the number you mean, "
                f"or '{s}' in quotes if it is text")
    if "_" in s and _UNDERSCORED.fullmatch(s):
        return f"{s} is a number with underscores, which readers disagree on; write {s.replace('_', '')}"
    return None


def plain_scalar(s: str) -> Any:
    """The value of an unquoted scalar: YAML 1.2 core schema, plus YYYY-MM-DD dates.
    Raises ValueError with the fix when the text is a YAML 1.1 form read differently elsewhere."""
    if s in _NULL:
        return None
    if s in _BOOL:
        return _BOOL[s]
    first = s[0]
    if first in "123456789" and s.isdigit():  # the common case, without a regular expression
        return int(s) if len(s) <= 4300 else _too_long()
    if first in "0123456789" and len(s) == 10 and s[4] == "-" and s[7] == "-":
        m = _DATE.fullmatch(s)
        if m:
            try:
                return dt.date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                # text, as YAML 1.2 reads it: a date field then says what is wrong with it, in the
                # same words as for a JSON file or a table (ratecard/inputs/dates.py)
                return s
    if first in "0123456789+-.":
        why = _ambiguous(s)
        if why:
            raise ValueError(why)
        if _INT.fullmatch(s):
            return int(s) if len(s) <= 4300 else _too_long()
        if _FLOAT.fullmatch(s):
            return float(s)
        if s in _SPECIAL:
            return _SPECIAL[s]
    return s


def _too_long() -> Any:
    # Python refuses to convert more than 4300 digits
    raise ValueError("is too long to be a number")


class _Frame:
    __slots__ = ("obj", "loc", "line", "anchor", "size", "height", "key", "seen", "count")

    def __init__(self, obj: Any, loc: Loc, line: int, anchor: str | None):
        self.obj = obj
        self.line = line
        self.loc = loc
        self.anchor = anchor
        self.size = 1  # values in this subtree once aliases are expanded
        self.height = 0  # levels below this one once aliases are expanded
        self.key: Any = _NO_KEY  # a mapping's key waiting for its value
        self.seen: dict[str, int] | None = {} if isinstance(obj, dict) else None
        self.count = 0


_NO_KEY = object()


def read_yaml(text: str, path: str, limits: Limits) -> tuple[Any, dict[Loc, int]]:
    """The data of a one-document YAML text and the line of each path. Raises ParseError."""
    lines: dict[Loc, int] = {}
    parser = _Parser(text)
    stack: list[_Frame] = []
    try:
        return _compose(parser, path, limits, lines, stack), lines
    except _Refused as r:
        root = stack[0].obj if stack else None
        raise ParseError([Problem(path, r.line, where(r.loc, root), r.message)]) from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        what = e.problem or str(e)
        raise ParseError([Problem(path, mark.line + 1 if mark else None, "", f"not valid YAML: {what}. Fix the syntax at this line.")]) from None
    except yaml.YAMLError as e:
        raise ParseError([Problem(path, None, "", f"not valid YAML: {e}")]) from None
    finally:
        parser.dispose()


def _compose(parser: Any, path: str, limits: Limits, lines: dict[Loc, int], stack: list[_Frame]) -> Any:
    anchors: dict[str, tuple[Any, int, int]] = {}  # name -> (value, size, height)
    open_anchors: set[str] = set()
    total = 0  # values and field names so far, aliases counted as what they repeat
    aliased = False
    root: Any = None
    documents = 0
    max_values, max_depth, max_text, max_items = limits.max_values, limits.max_depth, limits.max_text, limits.max_items

    def attach(value: Any, size: int, height: int, line: int, is_key_candidate: bool) -> None:
        nonlocal root
        if not stack:
            root = value
            lines[()] = line
            return
        top = stack[-1]
        top.size += size
        if (top.seen is None or top.key is not _NO_KEY) and height + 1 > top.height:
            top.height = height + 1
        if top.seen is None:  # a list
            i = top.count
            top.count += 1
            if top.count > max_items:
                raise _Refused(f"a list here has more than {max_items} entries, the most an input file may hold in one list", line, top.loc)
            top.obj.append(value)
            lines[top.loc + (i,)] = line
            return
        if top.key is _NO_KEY:  # this value is a key
            if not is_key_candidate:
                raise _Refused("a field name must be plain text, not a list or mapping", line, top.loc)
            if not isinstance(value, str):
                shown = "null" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
                raise _Refused(f"a field name must be text, not {shown}; put it in quotes if it is a name", line, top.loc)
            if value in top.seen:
                raise _Refused(f"duplicate key '{value}' (first given on line {top.seen[value]}); keep one of them", line, top.loc + (value,))
            top.count += 1
            if top.count > max_items:
                raise _Refused(f"a mapping here has more than {max_items} fields, the most an input file may hold in one mapping", line, top.loc)
            top.seen[value] = line
            top.key = value
            lines[top.loc + (value,)] = line
            return
        top.obj[top.key] = value
        top.key = _NO_KEY

    def here() -> Loc:
        if not stack:
            return ()
        top = stack[-1]
        return top.loc + ((top.count,) if top.seen is None else () if top.key is _NO_KEY else (top.key,))

    while True:
        e = parser.get_event()
        cls = type(e)
        if cls is ev.ScalarEvent:
            line = e.start_mark.line + 1
            total += 1  # field names count too: they cost as much to read
            if total > max_values:
                raise _Refused(_too_many(limits, aliased), line, here())
            value: Any = e.value
            if len(value) > max_text:
                raise _Refused(f"a text of more than {max_text} characters; shorten it", line, here())
            tag = e.tag
            if tag not in _ALLOWED_TAGS or (tag is not None and tag != "!" and tag != _STR_TAG):
                raise _Refused(_tag_message(tag), line, here())
            if tag is None and e.implicit[0]:
                try:
                    value = plain_scalar(value)
                except ValueError as err:
                    raise _Refused(str(err), line, here()) from None
            if e.anchor is not None:
                anchors[e.anchor] = (value, 1, 0)
            attach(value, 1, 0, line, True)
        elif cls is ev.MappingStartEvent or cls is ev.SequenceStartEvent:
            line = e.start_mark.line + 1
            total += 1
            if total > max_values:
                raise _Refused(_too_many(limits, aliased), line, here())
            if e.tag not in _ALLOWED_TAGS or e.tag == _STR_TAG:
                raise _Refused(_tag_message(e.tag), line, here())
            if stack and stack[-1].seen is not None and stack[-1].key is _NO_KEY:
                raise _Refused("a field name must be plain text, not a list or mapping", line, stack[-1].loc)
            if len(stack) + 1 > max_depth:
                raise _Refused(f"nested more than {max_depth} levels deep; check the indentation", line, here())
            frame = _Frame({} if cls is ev.MappingStartEvent else [], here(), line, e.anchor)
            if not stack:
                lines[()] = line
            else:
                lines[frame.loc] = lines.get(frame.loc, line)
            if e.anchor is not None:
                open_anchors.add(e.anchor)
            stack.append(frame)
        elif cls is ev.MappingEndEvent or cls is ev.SequenceEndEvent:
            frame = stack.pop()
            if frame.anchor is not None:
                anchors[frame.anchor] = (frame.obj, frame.size, frame.height)
                open_anchors.discard(frame.anchor)
            if stack:
                parent = stack[-1]
                parent.size += frame.size
                if frame.height + 1 > parent.height:
                    parent.height = frame.height + 1
                if parent.seen is None:
                    parent.count += 1
                    if parent.count > max_items:
                        raise _Refused(f"a list here has more than {max_items} entries, the most an input file may hold in one list", frame.line, parent.loc)
                    parent.obj.append(frame.obj)
                else:
                    parent.obj[parent.key] = frame.obj
                    parent.key = _NO_KEY
            else:
                root = frame.obj
        elif cls is ev.AliasEvent:
            line = e.start_mark.line + 1
            name = e.anchor
            if name in open_anchors:
                raise _Refused(f"the alias *{name} refers to a mapping or list that contains it; write the values out", line, here())
            if name not in anchors:
                raise _Refused(f"the alias *{name} refers to no anchor &{name} given above it", line, here())
            value, size, height = anchors[name]
            total += size
            aliased = True
            if total > max_values:
                raise _Refused(_too_many(limits, aliased), line, here())
            if len(stack) + height > max_depth:
                raise _Refused(f"the alias *{name} nests values more than {max_depth} levels deep", line, here())
            attach(value, size, height, line, not isinstance(value, (dict, list)))
        elif cls is ev.DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise _Refused("holds more than one YAML document (a second '---'); keep one document a file", e.start_mark.line + 1)
        elif cls is ev.StreamEndEvent:
            return root
        # StreamStart and DocumentEnd need nothing


def _too_many(limits: Limits, aliased: bool) -> str:
    how = " once its aliases (*name) are expanded" if aliased else ""
    return f"holds more than {limits.max_values:,} values{how}, the most one input file may hold; split it"


def _tag_message(tag: str | None) -> str:
    shown = str(tag).replace("tag:yaml.org,2002:", "!!")
    return f"the tag {shown!r} is not allowed; write plain values"
