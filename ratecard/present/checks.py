"""Terminal renderings of referral checks and allocations. JSON comes straight from the models."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from ..decide.allocation import Allocation
from ..decide.referral import ReferralCheck

_VERDICT = {"accept": ("ACCEPT", "bold green"), "accept_with_warnings": ("ACCEPT WITH WARNINGS", "bold yellow"),
            "reject": ("REJECT", "bold red")}


def check_text(c: ReferralCheck) -> Text:
    t = Text()
    word, style = _VERDICT[c.verdict]
    t.append(f"Referral of case {c.case_id} to {c.name} ({c.intervention}) on {c.on}: ", style="bold")
    t.append(word + "\n", style=style)
    t.append(f"Catalog: {c.catalog}, version {c.catalog_version}; screen: {c.decision}\n", style="dim")
    if c.reasons:
        t.append("\nReasons:\n", style="bold")
        for f in c.reasons:
            t.append(f"  ✗ {f.text}" + (f" [{f.rule}]" if f.rule else "") + "\n")
    if c.missing:
        t.append("\nInformation missing: ", style="yellow")
        t.append("; ".join(f"{m.field} ({m.label})" for m in c.missing) + "\n", style="yellow")
    if c.warnings:
        t.append("\nWarnings:\n", style="bold")
        for f in c.warnings:
            t.append(f"  ! {f.text}\n", style="yellow")
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
            t.append(f"  • {a.name} ({a.intervention}): {', '.join(n.replace('_', ' ') for n in a.shared_needs) or 'same kind'}{weeks}\n")
            for w in a.warnings:
                t.append(f"      ! {w}\n", style="yellow")
        if c.alternatives_note:
            t.append(f"  {c.alternatives_note}\n", style="bold")
    return t


def allocation_text(a: Allocation) -> Text:
    t = Text()
    t.append(f"Case {a.case_id} on {a.on}: ", style="bold")
    t.append(f"{(a.allocation or 'undetermined').upper()}\n", style="bold")
    t.append(f"{a.reason}\n")
    t.append(f"Catalog: {a.catalog}, version {a.catalog_version}\n", style="dim")
    for w in a.warnings:
        t.append(f"Warning: {w}\n", style="bold yellow")
    if a.escalation:
        t.append(f"\nEscalate to the NPS: {a.escalation.reason}\n", style="bold red")
    t.append(f"\nCRC tier: {(a.tier or 'undetermined').upper()}\n", style="bold")
    if a.tier_note:
        t.append(f"{a.tier_note}\n", style="dim")
    if len(a.history) > 1:
        t.append("\nHistory:\n", style="bold")
        for h in a.history:
            when = str(h.date) if h.date else "sentence"
            t.append(f"  {when}: {h.text} -> tier {h.tier or 'undetermined'}, {h.allocation or 'undetermined'}\n")
    if a.missing:
        t.append("\nInformation missing: " + "; ".join(f"{m.field} ({m.label})" for m in a.missing) + "\n", style="yellow")
    return t


def print_check(c: ReferralCheck, console: Console | None = None) -> None:
    (console or Console()).print(check_text(c))


def print_allocation(a: Allocation, console: Console | None = None) -> None:
    (console or Console()).print(allocation_text(a))
