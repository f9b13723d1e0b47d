"""The optional parts of ratecard and how to install one that is missing, from where the user stands.

`pip install ratecard` (from a checkout, a wheel or a private index) brings the core: the one-case
screen, proposal, referral check, allocation and briefing. Heavier parts are extras:

- `batch`: Polars and pyarrow, for `screen-batch`, `caseload` and `screen_many`;
- `serve`: FastAPI, uvicorn and python-multipart, for `ratecard serve`;
- `all`: every extra.

There is no `ratecard` package on the public index (and someone else could register the name), so
advice never says `pip install 'ratecard[batch]'` on its own: it names the checkout or the wheel
this copy was installed from (pip's direct_url.json), with the Python that runs it.
"""

from __future__ import annotations

import json
import shlex
import sys
from urllib.parse import unquote, urlparse

from .errors import RatecardError

# the top-level modules each extra brings, and what it is for
EXTRAS: dict[str, tuple[tuple[str, ...], str]] = {
    "batch": (("polars", "pyarrow"), "screening tables of cases (screen-batch, caseload, screen_many)"),
    "serve": (("fastapi", "uvicorn", "multipart", "python_multipart", "starlette"), "the web page and HTTP API (ratecard serve)"),
}


class MissingExtra(RatecardError, ImportError):
    """A part of ratecard that needs an extra that is not installed; the message says how to add it."""


def extra_for(module: str | None) -> str | None:
    """The extra that brings `module` (a top-level name such as 'polars'), or None."""
    top = (module or "").split(".")[0]
    return next((name for name, (mods, _) in EXTRAS.items() if top in mods), None)


def install_command(extra: str) -> str:
    """A pip command that adds `extra` to this installation of ratecard."""
    pip = f"{shlex.quote(sys.executable)} -m pip install"
    source = _installed_from()
    if source is None:
        # not installed from a known place: the checkout's folder is the only safe source to name
        return f"{pip} '.[{extra}]'  (from the ratecard checkout you installed from)"
    path, editable = source
    return f"{pip} {'-e ' if editable else ''}{shlex.quote(f'{path}[{extra}]')}"


def missing(extra: str, module: str | None = None) -> MissingExtra:
    mods, what = EXTRAS[extra]
    name = module or mods[0]
    return MissingExtra(f"{what} needs the '{extra}' extra ({name} is not installed); install it with: "
                        f"{install_command(extra)}")


def explain(error: ImportError) -> MissingExtra | None:
    """The advice for an import that failed because an extra is missing, else None."""
    extra = extra_for(getattr(error, "name", None))
    return missing(extra, getattr(error, "name", None)) if extra else None


def _installed_from() -> tuple[str, bool] | None:
    """(the folder or wheel ratecard was installed from, whether editable), from pip's record."""
    from importlib import metadata

    try:
        text = metadata.distribution("ratecard").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return None
    if not text:
        return None
    try:
        info = json.loads(text)
    except json.JSONDecodeError:
        return None
    url = urlparse(str(info.get("url", "")))
    if url.scheme != "file":
        return None
    return unquote(url.path), bool((info.get("dir_info") or {}).get("editable"))
