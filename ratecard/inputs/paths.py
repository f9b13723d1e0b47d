"""How a place in a file is named to the person who wrote it: by id where the item has one.

`interventions[bbr].hours` says which entry is wrong; `interventions.0.hours` makes the reader
count. A list item without an id is named by its position, `rar_ledger[2].date`.
"""

from __future__ import annotations

from typing import Any

Loc = tuple[str | int, ...]


def where(loc: Loc, data: Any = None) -> str:
    """The dotted path of `loc`, list items by id when `data` (the file's content) gives one."""
    out = ""
    node = data
    for part in loc:
        if isinstance(part, int) and not isinstance(part, bool):
            item = node[part] if isinstance(node, list) and 0 <= part < len(node) else None
            ident = item.get("id") if isinstance(item, dict) else None
            out += f"[{ident}]" if isinstance(ident, str) and ident and len(ident) <= 80 else f"[{part}]"
            node = item
        else:
            out += ("." if out else "") + str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return out
