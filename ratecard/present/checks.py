"""Terminal renderings of referral checks and allocations. JSON comes straight from the models.

Plain words; rule ids and field paths only with `explain`. Every piece of data goes through
`shown()` into Text objects (never markup), wrapped to the console's width (present/layout.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..decide.allocation import Allocation
from ..decide.referral import MISSING, ReferralCheck
from ..decide.screen import Judgement, MissingField
from .. import labels
from .layout import Group, Padding, Renderable, Text
from .terminal import bullets, shown

if TYPE_CHECKING:  # rich is imported only to print at a terminal (layout.py)
    from rich.console import Console

_STYLE = {"accept": "bold green", "accept_with_warnings": "bold yellow", "accept_if_agreed": "bold cyan",
          "undetermined": "bold magenta", "reject": "bold red"}


def _missing(missing: Sequence[MissingField], explain: bool) -> str:
    if explain:
        return "; ".join(f"{shown(m.field)} ({shown(labels.field(m.field))})" for m in missing)
    return "; ".join(shown(labels.field(m.field)) for m in missing)


def _agree(j: Judgement) -> str:
    what = "agrees that the person meets this" if j.kind == "criterion" else "finds that this does not rule the person out"
    when = f" (needed only if {j.applies_when}, which the case does not say)" if j.applies is None and j.applies_when else ""
    return f"{j.by[0].upper()}{j.by[1:]} {what}: \u201c{j.text.rstrip('.')}\u201d{when}"


def check_view(c: ReferralCheck, explain: bool = False) -> Group:
    head = Text()
    head.append(f"Referral of case {shown(c.case_id)} to {shown(c.name, prose=True)} ({shown(c.intervention)}) on {c.on}: ", style="bold")
    head.append(labels.VERDICTS[c.verdict], style=_STYLE[c.verdict])
    head.append(f"\nCatalog: {shown(c.catalog)}, version {c.catalog_version}; screen: {labels.DECISIONS.get(c.decision, c.decision)}", style="dim")
    parts: list[Renderable] = [head]
    if c.reasons:
        reasons = []
        for f in c.reasons:
            t = Text(shown(f.text, prose=True))
            if explain and f.rule:
                t.append(f" [{shown(f.rule)}]", style="dim")
            reasons.append(t)
        # information not given is a question to settle, not a reason against (verdict undetermined)
        marks = ["?" if f.code == MISSING else "✗" for f in c.reasons]
        title = "\nTo settle before referring:" if c.verdict == "undetermined" else "\nReasons:"
        parts += [Text(title, style="bold"), bullets(list(zip(marks, reasons)))]
    if c.missing:
        parts.append(Text("\nInformation missing: " + _missing(c.missing, explain), style="yellow"))
    if c.to_agree:
        # what only a person can decide: agree it with them before referring
        parts.append(Text("\nTo agree before referring:", style="bold"))
        items = []
        for j in c.to_agree:
            t = Text(shown(_agree(j), prose=True))
            t.append(f" ({shown(j.source, prose=True)}" + (f"; {shown(j.rule)}" if explain else "") + ")", style="dim")
            items.append(("?", t))
        parts.append(bullets(items, "cyan"))
    if c.warnings:
        parts += [Text("\nWarnings:", style="bold"), bullets([("!", f.text) for f in c.warnings], "yellow")]
    if c.rar is not None:
        r = c.rar
        imposed = r.rar_days if r.rar_days is not None else "not given"
        left = r.days_left if r.days_left is not None else "unknown"
        t = Text(f"\nRAR days: {imposed} imposed, {r.days_used} used, {left} left", style="bold")
        t.append(f"; last activity {r.last_activity or 'none recorded'}")
        parts.append(t)
    if c.verdict in ("reject", "undetermined") and (c.alternatives or c.alternatives_note):
        parts.append(Text("\nAlternatives that meet the same need and can finish in time:", style="bold"))
        alts = []
        for a in c.alternatives:
            weeks = f", about {a.weeks_to_finish} weeks" if a.weeks_to_finish is not None else ""
            needs = ", ".join(labels.need_words(n) for n in a.shared_needs) or "same kind"
            t = Text(f"{shown(a.name, prose=True)} ({shown(a.intervention)}): {shown(needs)}{weeks}")
            for w in a.warnings:
                t.append(f"\n! {shown(w, prose=True)}", style="yellow")
            alts.append(t)
        if alts:
            parts.append(bullets([("•", t) for t in alts]))
        if c.alternatives_note:
            parts.append(Padding(Text(shown(c.alternatives_note, prose=True), style="bold"), (0, 0, 0, 2), expand=False))
    return Group(*parts)


def _who(allocation: str | None) -> str:
    return labels.value(allocation, missing="undetermined")


def allocation_text(a: Allocation, explain: bool = False) -> Text:
    t = Text()
    t.append(f"Case {shown(a.case_id)} on {a.on}: ", style="bold")
    t.append(f"{_who(a.allocation)}\n", style="bold")
    t.append(f"{shown(a.reason, prose=True)}\n")
    t.append(f"Catalog: {shown(a.catalog)}, version {a.catalog_version}\n", style="dim")
    for w in a.warnings:
        t.append(f"Warning: {shown(w, prose=True)}\n", style="bold yellow")
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

    (console or default_console()).print(check_view(c, explain))


def print_allocation(a: Allocation, console: Console | None = None, explain: bool = False) -> None:
    from .terminal import console as default_console

    (console or default_console()).print(allocation_text(a, explain))
