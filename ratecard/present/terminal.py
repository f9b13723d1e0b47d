"""What every terminal view shares: data shown safely, the console's width, and where output goes
(--out files are written whole or not at all, and never over the command's own input).

Data (case ids, catalog names, reasons) is never markup and never reaches the terminal raw: a
name holding `[/]` would crash rich and `[bold red]` would restyle the screen, and a case id
holding an escape sequence could retitle the window or clear the screen. So views build
`layout.Text` objects (never markup, at a terminal rich's Text) from `shown()` strings (which
make control characters visible as `\\x1b`, `\\u202e`, ...).
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from .layout import Padding

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
        width = columns() or FILE_WIDTH
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


def columns() -> int | None:
    raw = os.environ.get("COLUMNS", "")
    return int(raw) if raw.isdigit() and int(raw) >= 20 else None


def refuse_overwriting(out: Path | None, inputs: Iterable[Path | str | None]) -> None:
    """Raise OutputError when --out FILE is one of the command's own input files (the case file,
    the batch, a catalog file): written there, the results would destroy what they were made
    from, and the next run would read them as input."""
    from ..errors import OutputError

    if out is None or not out.exists():
        return
    for given in inputs:
        if given is None:
            continue
        try:
            same = os.path.samefile(out, given)
        except (OSError, ValueError):  # an input that is gone, or a path holding a NUL byte
            continue
        if same:
            raise OutputError(f"{shown(out)}: is the input file {shown(given)}; writing the results there would destroy "
                              "it. Give another --out path")


class AtomicOut:
    """--out FILE, written in full or not at all: to a temporary file beside it, renamed over it
    only when everything is written. Killed or failing half-way, the previous results are left
    as they were (a hidden `.NAME.*.partial` file may stay behind after a kill). Use as a context
    manager: leaving it normally commits, an exception discards. A device or pipe (/dev/null,
    /dev/stdout) is written directly: there is nothing to rename over.

    Binary writers write to `.path`; text writers use `.text()`."""

    def __init__(self, path: Path):
        from ..errors import OutputError

        self.target = Path(os.path.realpath(path))  # through a symbolic link, as open() would write
        if self.target.is_dir():
            raise OutputError(f"{shown(path)}: is a folder; give a file name for --out")
        if not self.target.parent.is_dir():
            raise OutputError(f"{shown(path)}: the folder {shown(path.parent)} does not exist; create it or give another "
                              "--out path")
        self.shown = shown(path)
        self._extra: list[tuple[Path, Path]] = []
        self._stream: IO[str] | None = None
        self.direct = self.target.exists() and not stat.S_ISREG(self.target.stat().st_mode)
        if self.direct:
            self.path = self.target
            return
        try:
            fd, tmp = tempfile.mkstemp(dir=self.target.parent, prefix=f".{self.target.name}.", suffix=".partial")
        except OSError as e:
            raise OutputError(f"{self.shown}: cannot write here ({e.strerror}); give another --out path") from None
        os.close(fd)
        self.path = Path(tmp)

    def text(self) -> IO[str]:
        """The file, open for UTF-8 text (newlines written as given)."""
        from ..errors import OutputError

        try:
            self._stream = open(self.path, "w", encoding="utf-8", newline="")
        except OSError as e:
            self.discard()
            raise OutputError(f"{self.shown}: cannot write here ({e.strerror}); give another --out path") from None
        return self._stream

    def also(self, written: Path | str, final: Path | str) -> None:
        """Another file written beside it (screen-batch's error rows): moved into place with it."""
        self._extra.append((Path(written), Path(final)))

    def commit(self) -> None:
        from ..errors import OutputError

        try:
            if self._stream is not None and not self._stream.closed:
                self._stream.flush()
                if not self.direct:  # a device cannot be synced (EINVAL)
                    os.fsync(self._stream.fileno())
                self._stream.close()  # a full disk shows here
            if self.direct:
                return
            _sync(self.path)
            os.chmod(self.path, _mode_for(self.target))
            os.replace(self.path, self.target)
            for written, final in self._extra:
                os.replace(written, final)
        except OSError as e:
            self.discard()
            raise OutputError(f"{self.shown}: could not finish writing ({e.strerror}); the file is as it was before. "
                              "Give another --out path") from None

    def discard(self) -> None:
        if self._stream is not None and not self._stream.closed:
            try:
                self._stream.close()
            except OSError:
                pass
        for p in ([] if self.direct else [self.path]) + [w for w, _ in self._extra]:
            try:
                p.unlink()
            except OSError:
                pass

    def __enter__(self) -> AtomicOut:
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()


def _sync(path: Path) -> None:
    # on disk before the rename: after a crash the name holds either the old file or the new one
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _mode_for(target: Path) -> int:
    """An existing file keeps its permissions; a new one gets what open() would have given it."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_out(path: Path, text: str) -> None:
    """Write text to --out FILE, in full or not at all; any failure is an OutputError."""
    from ..errors import OutputError

    with AtomicOut(path) as out:
        try:
            out.text().write(text)
        except OSError as e:
            raise OutputError(f"{shown(path)}: could not finish writing ({e.strerror}); give another --out path") from None


def json_for_terminal(text: str) -> str:
    """JSON for a person's terminal: control, line-separator and bidirectional characters inside
    strings written as \\u escapes (the same JSON, and nothing that can restyle the screen or
    reorder what is shown); the line breaks of the layout stay."""
    return _CONTROL.sub(lambda m: m.group() if m.group() == "\n" else f"\\u{ord(m.group()):04x}", text)


class ForTerminal:
    """A text stream to a terminal that escapes what `write` is given: as JSON (json_for_terminal)
    or as plain text (shown, keeping line ends)."""

    def __init__(self, stream: IO[str], *, is_json: bool):
        self.stream = stream
        self.is_json = is_json

    def write(self, text: str) -> int:
        safe = json_for_terminal(text) if self.is_json else _CONTROL.sub(
            lambda m: m.group() if m.group() in "\r\n" else _escape(m), text)
        return self.stream.write(safe)


def bullets(items: list[tuple[str, Any]], style: str = "", indent: int = 2) -> Padding:
    """A list whose wrapped lines hang under their text, not under the mark: (mark, item) pairs,
    each item a Text or a string (shown as text)."""
    from .layout import Padding, Table, Text

    grid = Table.grid(padding=(0, 1, 0, 0))
    grid.add_column(no_wrap=True)
    grid.add_column()
    for mark, item in items:
        grid.add_row(Text(mark, style=style), item if isinstance(item, Text) else Text(shown(item, prose=True), style=style))
    return Padding(grid, (0, 0, 0, indent), expand=False)
