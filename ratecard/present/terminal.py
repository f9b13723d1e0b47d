"""What every terminal view shares: data shown safely, the console's width, and where output goes.

Data (case ids, catalog names, reasons) is never markup and never reaches the terminal raw: a
name holding `[/]` would crash rich and `[bold red]` would restyle the screen, and a case id
holding an escape sequence could retitle the window or clear the screen. So views build
`rich.text.Text` objects (which never parse markup) from `shown()` strings (which make control
characters visible as `\\x1b`, `\\u202e`, ...).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

# C0 and C1 controls and DEL; line and paragraph separators; the bidirectional overrides and
# isolates that can make text display in another order than it reads ("Trojan Source").
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_SPACE = re.compile(r"[\t\n\r]+")

# Below this width the wide table's columns would be too narrow for a reason to read well (and
# for an id to stay whole), so views stack each item's fields instead.
WIDE = 120
# Written to a file, text has no terminal to fit: this width reads well in an editor and on A4.
FILE_WIDTH = 100


def _escape(m: re.Match[str]) -> str:
    c = m.group()
    return f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"


def shown(value: Any, *, prose: bool = False) -> str:
    """`value` as text that is safe to print: control characters shown as escapes. With `prose`,
    line breaks and tabs (in a catalog's folded text) become one space instead."""
    text = str(value)
    if prose:
        text = _SPACE.sub(" ", text)
    return _CONTROL.sub(_escape, text)


def shown_lines(text: str) -> str:
    """Multi-line text (an error message, a paragraph) with its line breaks kept and every other
    control character escaped."""
    return "\n".join(shown(line) for line in text.split("\n"))


def console(file: IO[str] | None = None, *, stderr: bool = False) -> Console:
    """A console at the terminal's own width (80 columns included: views fit it, never force a
    wider one); for a file or a pipe, COLUMNS if set, else FILE_WIDTH, and no colour codes."""
    from rich.console import Console

    if file is not None or not (stderr or is_terminal()):
        width = _columns() or FILE_WIDTH
        return Console(file=file, width=width, color_system=None, force_terminal=False, highlight=False,
                       emoji=False, stderr=stderr, soft_wrap=False)
    return Console(stderr=stderr, highlight=False, emoji=False)


def is_terminal() -> bool:
    """Whether standard output is a terminal (a person watching), not a pipe or a file."""
    import sys

    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def _columns() -> int | None:
    raw = os.environ.get("COLUMNS", "")
    return int(raw) if raw.isdigit() and int(raw) >= 20 else None


def open_out(path: Path) -> IO[str]:
    """Open --out FILE for writing, or raise OutputError saying what to do."""
    from ..errors import OutputError

    if path.is_dir():
        raise OutputError(f"{shown(path)}: is a folder; give a file name for --out")
    if not path.parent.is_dir():
        raise OutputError(f"{shown(path)}: the folder {shown(path.parent)} does not exist; create it or give another --out path")
    try:
        return path.open("w", encoding="utf-8", newline="")
    except OSError as e:
        raise OutputError(f"{shown(path)}: cannot write here ({e.strerror}); give another --out path") from None


def write_out(path: Path, text: str) -> None:
    """Write text to --out FILE; any failure (no folder, no permission, disk full) is an OutputError."""
    from ..errors import OutputError

    f = open_out(path)
    try:
        with f:
            f.write(text)
    except OSError as e:
        raise OutputError(f"{shown(path)}: could not finish writing ({e.strerror}); give another --out path") from None


def bullets(items: list[tuple[str, Any]], style: str = "", indent: int = 2) -> Any:
    """A list whose wrapped lines hang under their text, not under the mark: (mark, item) pairs,
    each item a Text or a string (shown as text)."""
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    grid = Table.grid(padding=(0, 1, 0, 0))
    grid.add_column(no_wrap=True)
    grid.add_column()
    for mark, item in items:
        grid.add_row(Text(mark, style=style), item if isinstance(item, Text) else Text(shown(item, prose=True), style=style))
    return Padding(grid, (0, 0, 0, indent), expand=False)
