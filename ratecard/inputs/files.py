"""Reading an input file's bytes: regular files only, never more than the size limit.

A FIFO opened for reading blocks until someone writes to it, and /dev/zero never ends: both are
refused before a single byte is read. The file is opened without blocking and checked with fstat
on the open descriptor, so what is checked is what is read.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

from ..errors import Problem
from .limits import DEFAULT, Limits


class ParseError(Exception):
    """Internal: the problems found reading a file (the caller knows which kind of file it was)."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(map(str, problems)))


def _fail(path: str, message: str) -> ParseError:
    return ParseError([Problem(path, None, "", message)])


def read_bytes(path: Path | str, limits: Limits = DEFAULT) -> bytes:
    """The file's bytes; ParseError when it is missing, not a regular file, or too large."""
    # one read of the size fstat gives: a single block, joined without a copy
    return b"".join(read_blocks(path, limits))


def read_blocks(path: Path | str, limits: Limits = DEFAULT, size: int | None = None) -> Iterator[bytes]:
    """The file's bytes in blocks of up to `size` bytes (None: the whole file in one read, when
    fstat gives its size), checked as read_bytes checks them (ParseError), so that a table of
    hundreds of MiB need not be in memory at once."""
    name = str(path)
    fd, st_size = open_regular(path, limits)
    try:
        # files under /proc report a size of 0, and a file may grow while it is read: never more
        # than the limit
        total = 0
        step = size or (st_size + 1 if st_size else 1 << 20)
        while True:
            chunk = os.read(fd, min(step, limits.max_bytes + 1 - total))
            if not chunk:
                return
            total += len(chunk)
            if total > limits.max_bytes:
                raise _too_big(name, limits)
            yield chunk
            step = size or 1 << 20
    except OSError as e:
        raise _fail(name, f"cannot be read: {e.strerror or e}") from None
    finally:
        os.close(fd)


def _too_big(name: str, limits: Limits) -> ParseError:
    return _fail(name, f"is larger than {limits.describe_bytes()}, the most one input file may hold; split it into several files")


def open_regular(path: Path | str, limits: Limits = DEFAULT) -> tuple[int, int]:
    """An open descriptor of the file and the size fstat gives it; ParseError when it is missing,
    not a regular file, or larger than the limit (the caller closes the descriptor, and stops
    reading at the limit: a file may grow while it is read)."""
    name = str(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise _fail(name, "file not found; check the path") from None
    except IsADirectoryError:
        raise _fail(name, "is a directory; give a file") from None
    except OSError as e:
        raise _fail(name, f"cannot be read: {e.strerror or e}") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise _fail(name, "is a directory; give a file")
        if not stat.S_ISREG(st.st_mode):
            raise _fail(name, "is not a regular file (it is a pipe, device or socket); save what it holds to a file and give that")
        if st.st_size > limits.max_bytes:
            raise _too_big(name, limits)
    except BaseException:
        os.close(fd)
        raise
    return fd, st.st_size


def read_into(fd: int, path: Path | str, limits: Limits, total: int, buffer: memoryview) -> int:
    """Read from `fd` into `buffer` (as much as one read gives, 0 at the end of the file); `total`:
    the bytes read before, so that no more than the limit is ever read (ParseError)."""
    into = buffer[:max(0, min(len(buffer), limits.max_bytes + 1 - total))]
    try:
        if hasattr(os, "readv"):
            n = os.readv(fd, [into])
        else:  # Windows: no readv, a read and a copy
            data = os.read(fd, len(into))
            n = len(data)
            into[:n] = data
    except OSError as e:
        raise _fail(str(path), f"cannot be read: {e.strerror or e}") from None
    if total + n > limits.max_bytes:
        raise _too_big(str(path), limits)
    return n


def decode(raw: bytes, path: str) -> str:
    """UTF-8 text, with or without a byte-order mark (Windows editors write one)."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _fail(path, "is UTF-16 text; save it as UTF-8")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise _fail(path, f"is not UTF-8 text (byte {e.start}); save it as UTF-8") from None


def read_text(path: Path | str, limits: Limits = DEFAULT) -> str:
    """A regular file's UTF-8 text within the size limit (for readers of other formats, such as
    batch files, that want the same protection)."""
    return decode(read_bytes(path, limits), str(path))
