"""Where the file-format reference (docs/formats.md) is on this machine.

Error messages send people to it, so it is shipped inside the package (the wheel copies it to
ratecard/_defaults/docs/); a source checkout uses the repository's copy.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path


@lru_cache(maxsize=1)
def formats_doc_path() -> Path:
    shipped = Path(str(resources.files("ratecard"))) / "_defaults" / "docs" / "formats.md"
    if shipped.exists():
        return shipped
    return Path(__file__).resolve().parents[1] / "docs" / "formats.md"


def formats_doc() -> str:
    """How to name the reference in a message: its path, so it can be opened as it is."""
    return f"the file formats reference ({formats_doc_path()})"
