"""The catalogs the web page offers: the one the server was started with (`ratecard serve --catalog`,
or the shipped one), then the shipped 2017 catalog and HMPPS's national catalogue where they are
not that one. Each result names the catalog and its edition, so a court knows which it rests on.

The others are loaded on first use, not at start: most people never change the catalog, and
loading one takes about a second.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from ..catalog.load import Catalog, default_catalog_path, load_catalog
from ..errors import RatecardError


def national_catalog_path() -> Path | None:
    """HMPPS's national catalogue as ratecard ships it (examples/catalogs/hmpps-find-and-refer in a
    checkout; inside the package when installed), or None when neither is there."""
    shipped = Path(str(resources.files("ratecard"))) / "_defaults" / "national"
    for p in (shipped, Path(__file__).resolve().parents[2] / "examples" / "catalogs" / "hmpps-find-and-refer"):
        if (p / "catalog" / "catalog.yaml").exists():
            return p
    return None


def _folder(source: str | Path) -> Path:
    """A catalog's folder as load_catalog reads it: the catalog/ folder inside it, if it has one."""
    p = Path(source).resolve()
    return p / "catalog" if (p / "catalog" / "catalog.yaml").exists() else p


def _label(folder: Path) -> str:
    """'HMPPS Find and refer an intervention (national catalogue), edition 2026-06', from its catalog.yaml."""
    info = yaml.safe_load((folder / "catalog.yaml").read_text(encoding="utf-8")) or {}
    return f"{info.get('name', folder.name)}, edition {info.get('edition', 'not given')}"


@dataclass(frozen=True)
class Choice:
    key: str  # what the form sends: "0" is the served catalog
    label: str  # the catalog's name and edition


class CatalogChoices:
    def __init__(self, primary: Catalog, others: list[Path] | None = None):
        self.primary = primary
        paths = others if others is not None else [p for p in (default_catalog_path(), national_catalog_path()) if p]
        seen = {_folder(primary.source)}
        self._paths: dict[str, Path] = {}
        self.choices = [Choice("0", f"{primary.info.name}, edition {primary.info.edition}")]
        for p in paths:
            folder = _folder(p)
            if folder in seen or not (folder / "catalog.yaml").exists():
                continue
            seen.add(folder)
            key = str(len(self.choices))
            self._paths[key] = p
            self.choices.append(Choice(key, _label(folder)))
        self._loaded: dict[str, Catalog] = {"0": primary}
        self._lock = threading.Lock()

    def get(self, key: str | None) -> Catalog:
        """The catalog the form chose (none chosen: the served one). A key this server does not
        offer (a page from another server, or from before a restart) is refused, never replaced
        by another catalog: the result must rest on the catalog the person chose."""
        if not key or key == "0":
            return self.primary
        if key not in self._paths:
            names = "; ".join(c.label for c in self.choices)
            raise RatecardError(f"The catalog chosen is not one this server offers. Go back, choose one of: {names}, and submit again.")
        with self._lock:  # two first requests load it once
            got = self._loaded.get(key)
            if got is None:
                got = self._loaded[key] = load_catalog(self._paths[key])
                got.engine  # compiled once, here, not inside a request that is timed
            return got
