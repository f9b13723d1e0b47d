"""The building blocks of every terminal view, and their plain-text rendering without rich.

Views are built from `Text`, `Group`, `Padding` and `Table`, which take the arguments of rich's
classes of the same names. At a terminal they become rich's own objects (`__rich__`), for colour;
into a pipe or a file (`plain()`) they are laid out here, without importing rich at all, as rich
would lay them out: a PSO's `ratecard screen case.yaml > screen.txt` costs no rich import and no
rich rendering (about 0.1 s of a 0.3 s command). The wrapping follows rich's rules exactly (words
break at spaces, a word longer than the line is folded, or cut with '…' in a table cell), so a
file is the same whichever way it is made; tests/test_layout.py compares the two on every example.

Tables with a box are drawn only from 120 columns (below that every view stacks its items): those
are drawn by rich, imported then.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any, Union

__all__ = ["Group", "Padding", "Renderable", "Table", "Text", "box", "cell_len", "plain"]


class box:  # noqa: N801  # rich.box's names, resolved when a table is drawn by rich
    SIMPLE_HEAVY = "SIMPLE_HEAVY"


def _char_width(c: str) -> int:
    o = ord(c)
    if o < 0x7F:
        return 1 if o >= 32 else 0
    if 0x7F <= o < 0xA0 or unicodedata.combining(c) or unicodedata.category(c) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1


def cell_len(text: str) -> int:
    """How many terminal cells `text` takes (a wide character two, a combining mark none)."""
    if text.isascii() and text.isprintable():
        return len(text)
    return sum(map(_char_width, text))


def _set_cells(text: str, total: int) -> str:
    """Cropped (or padded with spaces) to `total` cells."""
    if text.isascii() and text.isprintable():
        return text[:total].ljust(total)
    out, size = [], 0
    for c in text:
        w = _char_width(c)
        if size + w > total:
            break
        out.append(c)
        size += w
    return "".join(out) + " " * (total - size)


def _chop(text: str, width: int) -> list[str]:
    if text.isascii() and text.isprintable():
        return [text[i:i + width] for i in range(0, len(text), width)]
    lines: list[str] = []
    start, size = 0, 0
    for i, c in enumerate(text):
        w = _char_width(c)
        if size + w > width and i > start:
            lines.append(text[start:i])
            start, size = i, 0
        size += w
    if size or start < len(text):
        lines.append(text[start:])
    return lines


_WORD = re.compile(r"\s*\S+\s*")
_TRAILING_SPACE = re.compile(r"\s+$")


def _break_offsets(text: str, width: int, fold: bool) -> list[int]:
    """Where a line breaks: greedily at spaces, a word too long for any line folded (or kept whole
    to be cut) -- rich's divide_line."""
    breaks: list[int] = []
    offset = 0
    for m in _WORD.finditer(text):
        start, word = m.start(), m.group()
        length = cell_len(word.rstrip())
        if width - offset >= length:
            offset += cell_len(word)
        elif length > width:
            if fold:
                pieces = _chop(word, width)
                for n, piece in enumerate(pieces):
                    if start:
                        breaks.append(start)
                    if n == len(pieces) - 1:
                        offset = cell_len(piece)
                    else:
                        start += len(piece)
            else:
                if start:
                    breaks.append(start)
                offset = cell_len(word)
        elif offset and start:
            breaks.append(start)
            offset = cell_len(word)
    return breaks


def _truncate(line: str, width: int, overflow: str) -> str:
    if overflow != "ignore" and cell_len(line) > width:
        return _set_cells(line, width - 1) + "…" if overflow == "ellipsis" else _set_cells(line, width)
    return line


def _fit(line: str, width: int, overflow: str) -> str:
    # a wrapped line, as rich ends one: spaces past the width go first (counted in characters, as
    # rich counts them), then the line is cut to the width in cells
    if len(line) > width:
        space = _TRAILING_SPACE.search(line)
        if space is not None:
            line = line[:len(line) - min(len(space.group()), len(line) - width)]
    return _truncate(line, width, overflow)


Style = Union[str, None]


class Text:
    """Styled text that is never markup (rich.text.Text's subset the views use)."""

    def __init__(self, text: str = "", style: str = "", *, no_wrap: bool | None = None, overflow: str | None = None,
                 end: str = "\n"):
        self.style = style
        self.no_wrap = no_wrap
        self.overflow = overflow
        self.end = end
        self._parts: list[tuple[str, Style]] = [(text, None)] if text else []

    @property
    def plain(self) -> str:
        return "".join(t for t, _ in self._parts)

    def append(self, text: str | Text, style: str | None = None) -> Text:
        if isinstance(text, Text):
            return self.append_text(text)
        if text:
            self._parts.append((text, style or None))
        return self

    def append_text(self, text: Text) -> Text:
        for t, s in text._parts:
            joined = " ".join(x for x in (text.style, s) if x)
            self._parts.append((t, joined or None))
        return self

    def join(self, lines: Iterable[Text]) -> Text:
        out = Text(style=self.style)
        for n, line in enumerate(lines):
            if n and self.plain:
                out.append_text(self)
            out.append_text(line)
        return out

    def wrap(self, width: int, overflow: str | None = None, no_wrap: bool = False) -> list[str]:
        """The lines, as rich's Text.wrap makes them."""
        how = self.overflow or overflow or "fold"
        keep = (self.no_wrap if self.no_wrap is not None else no_wrap) or how == "ignore"
        lines: list[str] = []
        for line in self.plain.split("\n"):
            if keep:
                lines.append(_truncate(line, width, how))
                continue
            cuts = [0, *_break_offsets(line, width, how == "fold"), len(line)]
            lines += [_fit(line[a:b], width, how) for a, b in zip(cuts, cuts[1:])]
        return lines

    def __rich__(self) -> Any:
        from rich.text import Text as RichText

        t = RichText(style=self.style, no_wrap=self.no_wrap, overflow=self.overflow, end=self.end)  # type: ignore[arg-type]
        for part, style in self._parts:
            t.append(part, style=style)
        return t

    def __str__(self) -> str:
        return self.plain

    def __repr__(self) -> str:
        return f"Text({self._parts!r}, style={self.style!r}, no_wrap={self.no_wrap!r}, overflow={self.overflow!r})"


class Group:
    def __init__(self, *renderables: Renderable):
        self.renderables = renderables

    def __repr__(self) -> str:
        return f"Group{self.renderables!r}"

    def __rich__(self) -> Any:
        from rich.console import Group as RichGroup

        return RichGroup(*(_rich(r) for r in self.renderables))


class Padding:
    """Space around a renderable; the views pad on the left (an indent) and below (a blank line)."""

    def __init__(self, renderable: Renderable, pad: tuple[int, int, int, int], *, expand: bool = True):
        self.renderable = renderable
        self.top, self.right, self.bottom, self.left = pad
        self.expand = expand

    def __repr__(self) -> str:
        return f"Padding({self.renderable!r}, {(self.top, self.right, self.bottom, self.left)}, expand={self.expand})"

    def __rich__(self) -> Any:
        from rich.padding import Padding as RichPadding

        return RichPadding(_rich(self.renderable), (self.top, self.right, self.bottom, self.left), expand=self.expand)


class _Column:
    def __init__(self, header: str, kwargs: dict[str, Any]):
        self.header = header
        self.kwargs = kwargs


class Table:
    """rich.table.Table's constructor and add_column/add_row. A grid (no box) is laid out here; a
    table with a box is drawn by rich."""

    def __init__(self, **kwargs: Any):
        self.kwargs = kwargs
        self.grid_padding: tuple[int, int, int, int] | None = None
        self.columns: list[_Column] = []
        self.rows: list[tuple[Renderable | str, ...]] = []

    @classmethod
    def grid(cls, *, padding: tuple[int, int, int, int] = (0, 0, 0, 0)) -> Table:
        t = cls()
        t.grid_padding = padding
        return t

    def __repr__(self) -> str:
        return f"Table(grid={self.grid_padding}, columns={[c.kwargs for c in self.columns]}, rows={self.rows!r})"

    def add_column(self, header: str = "", **kwargs: Any) -> None:
        self.columns.append(_Column(header, kwargs))

    def add_row(self, *cells: Renderable | str) -> None:
        self.rows.append(cells)

    def __rich__(self) -> Any:
        from rich import box as rich_box
        from rich.table import Table as RichTable

        if self.grid_padding is not None:
            t = RichTable.grid(padding=self.grid_padding)
        else:
            kwargs = dict(self.kwargs)
            if isinstance(kwargs.get("box"), str):
                kwargs["box"] = getattr(rich_box, kwargs["box"])
            t = RichTable(**kwargs)
        for c in self.columns:
            t.add_column(c.header, **c.kwargs)
        for row in self.rows:
            t.add_row(*(_rich(cell) for cell in row))
        return t


Renderable = Union[Text, Group, Padding, Table]


def _rich(r: Any) -> Any:
    return r.__rich__() if isinstance(r, (Text, Group, Padding, Table)) else r


def _widest(r: Renderable | str) -> int:
    """rich's Measurement maximum: the longest line, before wrapping."""
    if isinstance(r, str):
        r = Text(r)
    if isinstance(r, Text):
        return max((cell_len(line) for line in r.plain.splitlines()), default=0)
    if isinstance(r, Group):
        return max((_widest(x) for x in r.renderables), default=0)
    if isinstance(r, Padding):
        return _widest(r.renderable) + r.left + r.right
    pad = (r.grid_padding or (0, 0, 0, 0))[1]
    return sum(max((_widest(row[i]) for row in r.rows), default=0) + (pad if i < len(r.columns) - 1 else 0)
               for i in range(len(r.columns)))


def _lines(r: Renderable | str, width: int, overflow: str | None = None, no_wrap: bool = False) -> list[str]:
    if isinstance(r, str):
        r = Text(r)
    if isinstance(r, Text):
        return r.wrap(width, overflow, no_wrap)
    if isinstance(r, Group):
        return [line for x in r.renderables for line in _lines(x, width, overflow, no_wrap)]
    if isinstance(r, Padding):
        # not expanded, rich makes it as wide as its content where that is narrower: the same lines,
        # or none at all for content with no width
        if not r.expand and _widest(r.renderable) == 0:
            return [""] * (r.top + r.bottom)
        inner = max(1, width - r.left - r.right)
        body = [" " * r.left + _set_cells(line, inner).rstrip() for line in _lines(r.renderable, inner, overflow, no_wrap)]
        return [""] * r.top + body + [""] * r.bottom
    if r.grid_padding is not None:
        return _grid(r, width)
    return _drawn(r, width)


def _grid(t: Table, width: int) -> list[str]:
    """A grid of a no-wrap column then a wrapping one (a list whose lines hang under the text), as
    rich lays it out: each column as wide as its widest cell, the wrapping ones narrowed to fit."""
    top, right, bottom, left = t.grid_padding or (0, 0, 0, 0)
    if top or bottom or left or any(len(row) != len(t.columns) for row in t.rows):
        return _drawn(t, width)
    last = len(t.columns) - 1
    pads = [right if i < last else 0 for i in range(len(t.columns))]  # no padding at the table's edge
    widths = [max((_widest(row[i]) for row in t.rows), default=0) + pads[i] for i in range(len(t.columns))]
    wraps = [not c.kwargs.get("no_wrap") and c.kwargs.get("width") is None for c in t.columns]
    if any(k not in ("no_wrap",) for c in t.columns for k in c.kwargs) or sum(wraps) > 1:
        return _drawn(t, width)  # only what bullets() makes is laid out here
    excess = sum(widths) - width
    if excess > 0:
        if not any(wraps) or widths[wraps.index(True)] - excess < 1 + pads[wraps.index(True)]:
            return _drawn(t, width)
        widths[wraps.index(True)] -= excess
    out: list[str] = []
    for row in t.rows:
        # a column with no width (only empty cells, or line breaks) draws nothing: bullets() pads the
        # grid to its content's width, and rich then gives that column none
        cells = [_lines(cell, w - p, "ellipsis", not wraps[i]) if w > p else []
                 for i, (cell, w, p) in enumerate(zip(row, widths, pads))]
        for n in range(max(map(len, cells))):
            out.append("".join(_set_cells(c[n] if n < len(c) else "", w) for c, w in zip(cells, widths)).rstrip())
    return out


def _drawn(r: Any, width: int) -> list[str]:
    """What rich draws, for what this module does not lay out itself (a table with a box)."""
    import io

    from rich.console import Console

    buf = io.StringIO()
    Console(file=buf, width=width, color_system=None, force_terminal=False, highlight=False, emoji=False,
            soft_wrap=False).print(_rich(r))
    return [line.rstrip() for line in buf.getvalue().split("\n")[:-1]]


def plain(renderable: Renderable | Sequence[Renderable], width: int) -> str:
    """The view as plain text `width` cells wide, no line ending in spaces, ending with a newline."""
    items = renderable if isinstance(renderable, Sequence) else [renderable]
    lines = [_set_cells(line, width).rstrip() if cell_len(line) > width else line.rstrip()
             for r in items for line in _lines(r, width)]
    return "\n".join(lines) + "\n"
