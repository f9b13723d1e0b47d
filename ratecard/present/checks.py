"""Terminal renderings of referral checks and allocations. JSON comes straight from the models.

Plain words; rule ids and field paths only with `explain`. Every piece of data goes through
`shown()` into Text objects (never markup), and rich wraps the text to the console's width.
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from ..decide.allocation import Allocation
from ..decide.referral import ReferralCheck
from ..decide.screen import MissingField
from . import labels
from .terminal import shown

_STYLE = {"accept": "bold green", "accept_with_warnings": "bold yellow", "reject": "bold red"}


def _missing(missing: list[MissingField], explain: bool) -> str:
    if explain:
        return "; ".join(f"{shown(m.field)} ({shown(labels.field(m.field))})" for m in missing)
    return "; ".join(shown(labels.field(m.field)) for m in missing)


def check_text(c: ReferralCheck, explain: bool = False) -> Text:
    t = Text()
    t.append(f"Referral of case {shown(c.case_id)} to {shown(c.name, prose=True)} ({shown(c.intervention)}) on {c.on}: ", style="bold")
    t.append(labels.VERDICTS[c.verdict] + "\n", style=_STYLE[c.verdict])
    t.append(f"Catalog: {shown(c.catalog)}, version {c.catalog_version}; screen: {labels.DECISIONS.get(c.decision, c.decision)}\n", style="dim")
    if c.reasons:
        t.append("\nReasons:\n", style="bold")
        for f in c.reasons:
            t.append(f"  ✗ {shown(f.text, prose=True)}")
            if explain and f.rule:
                t.append(f" [{shown(f.rule)}]", style="dim")
            t.append("\n")
    if c.missing:
        t.append("\nInformation missing: ", style="yellow")
        t.append(_missing(c.missing, explain) + "\n", style="yellow")
    if c.warnings:
        t.append("\nWarnings:\n", style="bold")
        for f in c.warnings:
            t.append(f"  ! {shown(f.text, prose=True)}\n", style="yellow")
    if c.rar is not None:
        r = c.rar
        imposed = r.rar_days if r.rar_days is not None else "not given"
        left = r.days_left if r.days_left is not None else "unknown"
        t.append(f"\nRAR days: {imposed} imposed, {r.days_used} used, {left} left", style="bold")
        t.append(f"; last activity {r.last_activity or 'none recorded'}\n")
    if c.verdict == "reject":
        t.append("\nAlternatives that meet the same need and can finish in time:\n", style="bold")
        for a in c.alternatives:
            weeks = f", about {a.weeks_to_finish} weeks" if a.weeks_to_finish is not None else ""
            needs = ", ".join(labels.need_words(n) for n in a.shared_needs) or "same kind"
            t.append(f"  • {shown(a.name, prose=True)} ({shown(a.intervention)}): {shown(needs)}{weeks}\n")
            for w in a.warnings:
                t.append(f"      ! {shown(w, prose=True)}\n", style="yellow")
        if c.alternatives_note:
            t.append(f"  {shown(c.alternatives_note, prose=True)}\n", style="bold")
    return t


def _who(allocation: str | None) -> str:
    return labels.value(allocation, missing="undetermined")


def allocation_text(a: Allocation, explain: bool = False) -> Text:
    t = Text()
    t.append(f"Case {shown(a.case_id)} on {a.on}: ", style="bold")
    t.append(f"{_who(a.allocation)}\n", style="bold")
    t.append(f"{shown(a.reason, prose=True)}\n")
    t.append(f"Catalog: {shown(a.catalog)}, version {a.catalog_version}\n", style="dim")
    if a.escalation:
        t.append(f"\nEscalate to the NPS: {shown(a.escalation.reason, prose=True)}\n", style="bold red")
    t.append(f"\nCRC tier: {shown(a.tier or 'undetermined').upper()}\n", style="bold")
    if a.tier_note:
        t.append(f"{shown(a.tier_note, prose=True)}\n", style="dim")
    if len(a.history) > 1:
        t.append("\nHistory:\n", style="bold")
        for h in a.history:
            when = str(h.date) if h.date else "sentence"
            t.append(f"  {when}: {shown(h.text, prose=True)} -> tier {shown(h.tier or 'undetermined')}, {_who(h.allocation)}\n")
    if a.missing:
        t.append("\nInformation missing: " + _missing(a.missing, explain) + "\n", style="yellow")
    return t


def print_check(c: ReferralCheck, console: Console | None = None, explain: bool = False) -> None:
    from .terminal import console as default_console

    (console or default_console()).print(check_text(c, explain))


def print_allocation(a: Allocation, console: Console | None = None, explain: bool = False) -> None:
    from .terminal import console as default_console

    (console or default_console()).print(allocation_text(a, explain))
