"""Renderings of a screen for people at a terminal. JSON comes straight from the models."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from ..decide.screen import InterventionResult, Screen

_STYLE = {"eligible": "bold green", "ineligible": "red", "undetermined": "yellow"}
_AVAILABILITY = {"open": ("open", "green"), "waiting_list": ("waiting list", "green"), "suspended": ("SUSPENDED", "bold red"),
                 "withdrawn": ("WITHDRAWN", "bold red"), "not_reachable": ("NOT REACHABLE", "bold red")}
_ORDER = {"eligible": 0, "undetermined": 1, "ineligible": 2}
_MARK = {"met": "✓", "not_met": "✗", "excluded": "✗", "not_excluded": "✓", "unknown": "?"}


def _value(v: Any) -> str:
    if v is None:
        return "not given"
    if isinstance(v, list):
        return ", ".join(map(str, v)) or "none"
    if isinstance(v, bool):
        return "yes" if v else "no"
    return str(v)


def _why(r: InterventionResult, explain: bool) -> Text:
    t = Text()
    if r.decision == "eligible" and not r.reasons:
        t.append("Open to everyone: no criteria.")
    shown = r.reasons if r.decision != "eligible" or explain else []
    if r.decision == "eligible" and r.reasons and not explain:
        n = len(r.reasons)
        t.append(f"All {n} criteria met." if n > 1 else "Its one criterion is met.")
    for reason in shown:
        if len(t):
            t.append("\n")
        t.append(f"{_MARK[reason.outcome]} {reason.text} ")
        vals = "; ".join(f"{k} = {_value(v)}" for k, v in reason.values.items())
        t.append(f"[{reason.rule}: {vals}]", style="dim")
    if r.missing:
        t.append("\nNeeds: " + ", ".join(m.field for m in r.missing), style="yellow")
    return t


def screen_table(s: Screen, explain: bool = False) -> Group:
    """The screen as a table; `explain` also lists each criterion an eligible person meets."""
    head = Text()
    head.append(f"Screen of case {s.case_id} on {s.on}\n", style="bold")
    head.append(f"Catalog: {s.catalog}, version {s.catalog_version}\n")
    facts = ", ".join(f"{k} = {_value(v)}" for k, v in s.derived.items() if not k.startswith(("pni_domain", "need_")))
    head.append(f"Derived: {facts or 'none (information missing)'}\n")
    if s.age is not None:
        when = "when the order starts" if s.age.basis == "order_start" else "on the reference date (no order start given)"
        head.append(f"Age {s.age.years} {when}, {s.age.on}\n")
    counts = {d: sum(1 for r in s.results if r.decision == d) for d in _ORDER}
    unusable = sum(1 for r in s.results if r.decision == "eligible" and not r.available)
    head.append(
        f"{counts['eligible'] - unusable} eligible and available, {unusable} eligible but not available now, "
        f"{counts['undetermined']} undetermined, {counts['ineligible']} ineligible\n"
    )
    for w in s.warnings:
        head.append(f"Warning: {w.text}\n", style="bold yellow")
    if s.missing:
        head.append("Information still missing (each would settle an undetermined result):\n", style="yellow")
        for m in s.missing:
            head.append(f"  - {m.field}: {m.label}\n", style="yellow")
    table = Table(box=box.SIMPLE_HEAVY, show_lines=True, expand=True)
    table.add_column("Intervention", ratio=3, overflow="fold")
    table.add_column("Decision", no_wrap=True)
    table.add_column("Availability", no_wrap=True)
    table.add_column("Why", ratio=6, overflow="fold")
    table.add_column("Notes", ratio=3)
    for r in s.in_reading_order():
        why = _why(r, explain)
        warn = "\n".join(w.text for w in r.warnings)
        word, style = _AVAILABILITY[r.availability]
        table.add_row(f"{r.name}\n[dim]{r.intervention}[/dim]", Text(r.decision, style=_STYLE[r.decision]),
                      Text(word, style=style), why, warn)
    return Group(head, table)


def print_screen(s: Screen, console: Console | None = None, explain: bool = False) -> None:
    (console or Console()).print(screen_table(s, explain))
