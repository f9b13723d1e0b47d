"""Test helper: a writable copy of the default catalog, with small edits to catalog and rule files."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]


class CatalogCopy:
    def __init__(self, root: Path):
        self.root = root
        shutil.copytree(REPO / "catalog", root / "catalog")
        shutil.copytree(REPO / "rules", root / "rules")

    def _edit(self, path: Path, change: Callable[[Any], None]) -> None:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")

    def _file_with(self, folder: str, iid: str) -> Path:
        for p in sorted((self.root / folder).glob("*.yaml")):
            data = yaml.safe_load(p.read_text(encoding="utf-8"))
            items = data["interventions"]
            if (isinstance(items, dict) and iid in items) or (isinstance(items, list) and any(i["id"] == iid for i in items)):
                return p
        raise KeyError(iid)

    def intervention(self, iid: str, change: Callable[[dict[str, Any]], None]) -> None:
        def edit(data: Any) -> None:
            (entry,) = [i for i in data["interventions"] if i["id"] == iid]
            change(entry)

        self._edit(self._file_with("catalog/interventions", iid), edit)

    def rules_of(self, iid: str, change: Callable[[dict[str, Any]], None]) -> None:
        self._edit(self._file_with("rules/interventions", iid), lambda data: change(data["interventions"][iid]))

    def derived(self, did: str, change: Callable[[dict[str, Any]], None]) -> None:
        def edit(data: Any) -> None:
            (entry,) = [d for d in data["derived"] if d["id"] == did]
            change(entry)

        self._edit(self.root / "rules" / "derived.yaml", edit)

    def remove(self, iid: str) -> None:
        self._edit(self._file_with("catalog/interventions", iid),
                   lambda d: d.__setitem__("interventions", [i for i in d["interventions"] if i["id"] != iid]))
        self._edit(self._file_with("rules/interventions", iid), lambda d: d["interventions"].pop(iid))

    def add(self, entry: dict[str, Any], rules: dict[str, Any], file: str = "added.yaml") -> None:
        cat_file = self.root / "catalog" / "interventions" / file
        rule_file = self.root / "rules" / "interventions" / file
        cats = yaml.safe_load(cat_file.read_text()) if cat_file.exists() else {"interventions": []}
        rls = yaml.safe_load(rule_file.read_text()) if rule_file.exists() else {"interventions": {}}
        cats["interventions"].append(entry)
        rls["interventions"][entry["id"]] = rules
        cat_file.write_text(yaml.safe_dump(cats, sort_keys=False))
        rule_file.write_text(yaml.safe_dump(rls, sort_keys=False))

    def info(self, change: Callable[[dict[str, Any]], None]) -> None:
        self._edit(self.root / "catalog" / "catalog.yaml", change)

    def providers(self, change: Callable[[dict[str, Any]], None]) -> None:
        self._edit(self.root / "catalog" / "providers.yaml", change)

    def entry(self, iid: str) -> dict[str, Any]:
        data = yaml.safe_load(self._file_with("catalog/interventions", iid).read_text())
        (entry,) = [i for i in data["interventions"] if i["id"] == iid]
        return entry
