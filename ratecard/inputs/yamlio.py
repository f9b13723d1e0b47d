"""Safe YAML loading that remembers line numbers and refuses duplicate keys.

PyYAML keeps the last of two equal keys silently; for a catalog that would drop data without a
word, so duplicates are errors here. Line numbers are kept per path so that a validation error on
`risk.ogrs3_2yr` can point at the line where the user wrote it.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import yaml

from ..docs import formats_doc
from ..errors import Problem

Loc = tuple[str | int, ...]


# libyaml's parser when PyYAML was built with it (much faster on a catalog); the constructor is
# PyYAML's safe one either way
class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool, type(None), dt.date)):
            # a list or mapping as a key ('? [a]: b') is unhashable: say so instead of a TypeError
            raise yaml.constructor.ConstructorError(
                None, None, "a field name must be plain text, not a list or mapping", key_node.start_mark
            )
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key '{key}' (first given on line {seen[key] + 1}); keep one of them",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _construct_timestamp(loader: _Loader, node: yaml.ScalarNode) -> Any:
    # PyYAML raises a bare ValueError for a well-formed but impossible date such as 2017-02-30
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError as e:
        raise yaml.constructor.ConstructorError(None, None, f"{node.value!r} is not a real date ({e})", node.start_mark) from None


def _refuse_tag(loader: _Loader, node: yaml.Node) -> Any:
    # binary data and sets have no JSON form; input files hold only mappings, lists, text, numbers and dates
    raise yaml.constructor.ConstructorError(
        None, None, f"the tag {node.tag!r} is not allowed; write plain values", node.start_mark
    )


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
for _tag in ("tag:yaml.org,2002:binary", "tag:yaml.org,2002:set"):
    _Loader.add_constructor(_tag, _refuse_tag)

MAX_DEPTH = 50


def _shape_problem(data: Any) -> str | None:
    """Why data cannot be a plain tree (an alias inside itself, or absurd nesting), or None.
    Callers walk the data recursively and turn it into JSON, so both would otherwise crash."""
    done: set[int] = set()  # shared subtrees (aliases) are walked once, so this stays linear

    def walk(x: Any, path: set[int], depth: int) -> str | None:
        if not isinstance(x, (dict, list)) or id(x) in done:
            return None
        if id(x) in path:
            return "an alias (*name) refers to a mapping or list that contains it; write the values out"
        if depth > MAX_DEPTH:
            return f"nested more than {MAX_DEPTH} levels deep; check the indentation"
        path.add(id(x))
        for v in x.values() if isinstance(x, dict) else x:
            why = walk(v, path, depth + 1)
            if why:
                return why
        path.discard(id(x))
        done.add(id(x))
        return None

    return walk(data, set(), 0)


class Document:
    """A parsed YAML or JSON file: its data and a map from paths to line numbers."""

    def __init__(self, path: str, data: Any, lines: dict[Loc, int]):
        self.path = path
        self.data = data
        self._lines = lines

    def line(self, loc: Loc) -> int | None:
        """Line of the deepest part of `loc` that exists in the file (1-based)."""
        loc = tuple(loc)
        while loc:
            if loc in self._lines:
                return self._lines[loc]
            loc = loc[:-1]
        return self._lines.get((), None)


def _index_lines(node: yaml.Node, loc: Loc, out: dict[Loc, int]) -> None:
    out[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            key = k.value
            out[loc + (key,)] = k.start_mark.line + 1
            _index_lines(v, loc + (key,), out)
            # the key's line is more useful than the value's for "unknown field" errors
            out[loc + (key,)] = k.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            _index_lines(v, loc + (i,), out)


def parse_text(text: str, path: str) -> Document:
    """Parse YAML (JSON is a subset) and raise a Problem list on syntax errors."""
    try:
        # one parse: the node tree gives the line numbers, and the data is constructed from it
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else None
        what = e.problem or str(e)
        raise ParseError([Problem(path, line, "", f"not valid YAML: {what}. Fix the syntax at this line.")]) from None
    except yaml.YAMLError as e:
        raise ParseError([Problem(path, None, "", f"not valid YAML: {e}")]) from None
    except RecursionError:
        raise ParseError([Problem(path, None, "", "nested too deeply to read; check the indentation and brackets")]) from None
    why = _shape_problem(data)
    if why:
        raise ParseError([Problem(path, None, "", why)])
    lines: dict[Loc, int] = {}
    if node is not None:
        _index_lines(node, (), lines)
    return Document(path, data, lines)


def load_file(path: Path | str) -> Document:
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise ParseError([Problem(str(p), None, "", "file not found; check the path")]) from None
    except IsADirectoryError:
        raise ParseError([Problem(str(p), None, "", "is a directory; give a file")]) from None
    except OSError as e:
        raise ParseError([Problem(str(p), None, "", f"cannot be read: {e.strerror}")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ParseError([Problem(str(p), None, "", f"is not UTF-8 text (byte {e.start}); save it as UTF-8")]) from None
    if p.suffix.lower() == ".json":
        try:
            json.loads(text)
        except json.JSONDecodeError as e:
            raise ParseError([Problem(str(p), e.lineno, "", f"not valid JSON: {e.msg} (column {e.colno})")]) from None
        except RecursionError:
            raise ParseError([Problem(str(p), None, "", "nested too deeply to read; check the brackets")]) from None
    return parse_text(text, str(p))


class ParseError(Exception):
    """Internal: carries problems up to the loader that knows which kind of file it was."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(map(str, problems)))


def pydantic_problems(doc: Document, err: Any, prefix: Loc = ()) -> list[Problem]:
    """Turn a pydantic ValidationError into Problems with file lines and plain messages."""
    out = []
    for e in err.errors(include_url=False):
        loc = prefix + tuple(x for x in e["loc"] if not (isinstance(x, str) and x.startswith(("function-", "literal["))))
        # pydantic adds union-branch tags to loc; keep only real path parts
        loc = tuple(x for x in loc if not (isinstance(x, str) and ("[" in x or x in {"str", "int", "float", "bool", "date", "list", "dict", "none", "lax-or-strict", "json-or-python", "union"})))
        where = ".".join(str(x) for x in loc)
        msg = _plain(e)
        out.append(Problem(doc.path, doc.line(loc), where, msg))
    return out


def _plain(e: dict[str, Any]) -> str:
    t = e["type"]
    given = e.get("input")
    shown = _show(given)
    if t == "extra_forbidden":
        return f"unknown field; check the spelling against the fields in {formats_doc()}"
    if t == "missing":
        return "is required here"
    if t == "string_pattern_mismatch":
        return f"{shown} is not a lower-case identifier; write it like northampton or east_northamptonshire"
    if t == "literal_error":
        expected = e.get("ctx", {}).get("expected", "")
        return f"{shown} is not one of the allowed values: {expected}"
    if t in {"less_than_equal", "greater_than_equal", "less_than", "greater_than"}:
        return f"{shown} is out of range: {e['msg'].lower()}"
    return f"{e['msg']} (given: {shown})"


def _show(v: Any) -> str:
    if isinstance(v, dict):
        return "a mapping"
    if isinstance(v, list):
        return "a list"
    s = repr(v)
    return s if len(s) <= 40 else s[:37] + "..."
