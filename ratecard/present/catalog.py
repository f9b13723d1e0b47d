"""`ratecard list`: the catalog's interventions with the ids that `check` takes.

A table from WIDE columns, each intervention stacked below that; ids are never broken.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import datetime as dt

import json
from dataclasses import asdict, dataclass

from ..catalog.load import Catalog
from ..errors import RatecardError
from .. import labels
from .layout import Group, Padding, Table, Renderable, Text, box
from .terminal import WIDE, shown

if TYPE_CHECKING:  # rich is imported only to print at a terminal (layout.py)
    from rich.console import Console


@dataclass(frozen=True)
class Listed:
    id: str
    name: str
    provider: str
    area: str
    kind: str
    needs: tuple[str, ...]
    status: str
    waiting_weeks: int | None


def catalog_listing(catalog: Catalog, *, area: str | None = None, need: str | None = None,
                    on: dt.date | None = None) -> list[Listed]:
    """Interventions of `area` (an area id) meeting `need` (a need section), by id, with the status
    in force on `on` (default today): a course suspended last year is open now."""
    on = on or dt.date.today()
    areas = {a.id for a in catalog.info.areas}
    if area is not None and area not in areas:
        raise RatecardError(f"No area '{shown(area)}' in the catalog; areas: {', '.join(sorted(areas))}")
    out = []
    for iid in sorted(catalog.interventions):
        iv = catalog.interventions[iid]
        if (area and iv.area != area) or (need and need not in iv.needs):
            continue
        st = iv.status_on(on)
        out.append(Listed(iid, iv.name, iv.provider, iv.area, iv.kind, tuple(iv.needs), st.state, st.waiting_weeks))
    return out


def listing_json(items: list[Listed]) -> str:
    return json.dumps([asdict(i) for i in items], indent=2) + "\n"


def _status(i: Listed) -> str:
    if i.waiting_weeks:
        return f"waiting list, {i.waiting_weeks} weeks"
    return labels.STATES.get(i.status, i.status)


def _needs(i: Listed) -> str:
    return ", ".join(labels.need_words(n) for n in i.needs)


def listing_view(items: list[Listed], width: int) -> Renderable:
    if not items:
        return Text("No interventions match.")
    if width >= WIDE:
        table = Table(box=box.SIMPLE_HEAVY, expand=True)
        table.add_column("Id", no_wrap=True, min_width=max(len(shown(i.id)) for i in items))
        table.add_column("Name", ratio=3)
        table.add_column("Needs", ratio=3)
        table.add_column("Status", ratio=1)
        for i in items:
            table.add_row(Text(shown(i.id)), Text(shown(i.name, prose=True)), Text(_needs(i)), Text(_status(i)))
        return table
    blocks: list[Renderable] = []
    for i in items:
        body = Group(Text(f"{shown(i.name, prose=True)} ({_status(i)})"), Text(_needs(i), style="dim"))
        blocks += [Text(shown(i.id), style="bold", no_wrap=True, overflow="ignore"), Padding(body, (0, 0, 0, 2), expand=False)]
    return Group(*blocks)


def print_listing(items: list[Listed], console: Console) -> None:
    console.print(listing_view(items, console.width))
