"""A cache of loaded catalogs, so that a command does not parse and check every catalog file again.

Reading and checking the shipped catalog (YAML parsing, pydantic validation, rule trees) is most
of what `ratecard screen` does apart from importing Python; the result only depends on the bytes
of the catalog and rule files and on ratecard's own code. So the loaded Catalog is pickled under
the user's cache folder, in a file named by a hash of exactly those bytes (file names included),
the folder, the Python and pydantic versions, and ratecard's source files (sizes and times). Any
change to any of them is another key: a stale entry is never used. A new entry is named by the
bytes the loader parsed (load.recording_reader), not by a second reading of the files, so an edit
made while a catalog loads cannot store it under the name of the edited files. The compiled durable_rules
engine is kept as its plan (Engine.__getstate__): the rulesets themselves live in C extension state,
so a process that reads the cache creates them again from their definitions, which is quick.

The cache holds catalog data only, never case data. It lives in $RATECARD_CACHE_DIR, else
$XDG_CACHE_HOME/ratecard, else ~/.cache/ratecard, a folder only its owner can read or write;
RATECARD_NO_CACHE=1 turns it off. A cache file that is not the user's own, is writable by others,
or does not load is ignored (and rebuilt): the cache can only ever save time.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
import sys
import tempfile
from pathlib import Path

from ..inputs.files import ParseError, read_bytes
from .load import Catalog, default_catalog_path, load_catalog, recording_reader, source_files

_KEEP = 8  # cache files kept; older ones are removed when a new one is written
_SOURCE = Path(__file__).resolve().parents[1]  # the ratecard package


def cache_dir() -> Path | None:
    """Where cached catalogs live, or None when caching is off."""
    if os.environ.get("RATECARD_NO_CACHE", "") not in ("", "0"):
        return None
    env = os.environ.get("RATECARD_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ratecard"


def _code_and_place(root: Path) -> bytes:
    """What a cached catalog depends on besides its files: Python, pydantic, durable_rules,
    ratecard's own code, and the folder it was loaded from."""
    import pydantic

    # durable_rules too: the cached engine plan (packing, ruleset definitions) is made for its limits.
    # Its extension's file by size and time, as ratecard's own code below (importlib.metadata's
    # version lookup scans every installed distribution: 57 ms, on every command)
    import importlib.util

    spec = importlib.util.find_spec("durable_rules_engine")
    try:
        so = os.stat(spec.origin) if spec and spec.origin else None
    except OSError:
        so = None
    engine_version = f"{spec.origin}:{so.st_size}:{so.st_mtime_ns}" if spec and so else "?"
    # the folder too: a loaded Catalog records where it came from
    parts = [f"{sys.version}\0{pydantic.VERSION}\0{engine_version}\0{root.resolve()}\0"]
    # ratecard's own code by size and modification time (reading every source file would cost
    # more than the cache saves); the catalog and rules by their bytes
    for p in sorted(_SOURCE.glob("**/*.py")):
        st = p.stat()
        parts.append(f"src\0{p.relative_to(_SOURCE).as_posix()}\0{st.st_size}\0{st.st_mtime_ns}\0")
    return "".join(parts).encode()


def _key(root: Path, digests: dict[Path, bytes]) -> str:
    """The name of a cache entry: the code, the folder, and each file read by path and SHA-256."""
    h = hashlib.sha256(_code_and_place(root))
    for path, digest in sorted((os.path.relpath(p, root), d) for p, d in digests.items()):
        h.update(f"file\0{Path(path).as_posix()}\0".encode() + digest)
    return h.hexdigest()[:32]


def catalog_key(root: Path) -> str:
    """The cache key of the catalog at `root` as its files are now: the same files and bytes
    load_catalog would read (load.source_files), and the code. Raises ParseError for a file that
    cannot be read."""
    return _key(root, {p: hashlib.sha256(read_bytes(p)).digest() for p in source_files(root) if p.exists()})


def _own_and_private(st: os.stat_result) -> bool:
    return st.st_uid == os.getuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _read(path: Path) -> Catalog | None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        try:
            if not (stat.S_ISREG(os.fstat(fd).st_mode) and _own_and_private(os.fstat(fd))):
                return None
            obj = pickle.load(f)
        except Exception:  # noqa: BLE001 - a damaged or foreign cache file is only a cache miss
            return None
    return obj if isinstance(obj, Catalog) else None


def _write(folder: Path, path: Path, catalog: Catalog) -> None:
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _own_and_private(folder.stat()):
            return  # someone else's folder: never write a file they could swap
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".catalog-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump(catalog, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        old = sorted(folder.glob("catalog-*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)[_KEEP:]
        for p in old:
            p.unlink(missing_ok=True)
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        pass  # a read-only home or a full disk: run without the cache


def cached_catalog(path: str | Path | None = None) -> Catalog:
    """load_catalog(path), from the cache when the same files were loaded before by the same code."""
    root = Path(path) if path is not None else default_catalog_path()
    folder = cache_dir()
    if folder is None or not root.is_dir():
        return load_catalog(path)  # no cache; or no folder, which load_catalog reports
    try:
        key = catalog_key(root)
    except (OSError, ParseError):
        return load_catalog(path)  # an unreadable file: load_catalog names it
    cat = _read(folder / f"catalog-{key}.pickle")
    if cat is None:
        # Stored under the key of the bytes actually parsed, never the key looked up: a file edited
        # between the two reads would otherwise put one catalog under another's name for good
        digests: dict[Path, bytes] = {}
        cat = load_catalog(path, read=recording_reader(digests))
        cat.engine  # compiled once and kept with the catalog: the next command creates its rulesets only
        _write(folder, folder / f"catalog-{_key(root, digests)}.pickle", cat)
    return cat
