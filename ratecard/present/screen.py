"""A screen for people at a terminal. JSON comes straight from the models.

Plain words: reasons are the rule authors' sentences with the case values in words ("OGRS3
two-year score: 18%"); rule ids and field paths appear only with `explain`. The view fits the
console's width: a table from WIDE columns, each intervention stacked below that. An intervention
id is never broken across lines (a PSO copies it into `ratecard check`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..decide.screen import InterventionResult, Screen
from .. import labels
from .layout import Group, Padding, Table, Renderable, Text, box
from .terminal import WIDE, bullets, shown

if TYPE_CHECKING:  # rich is imported only to print at a terminal (layout.py)
    from rich.console import Console

_STYLE = {"eligible": "bold green", "eligible_if_agreed": "bold cyan", "ineligible": "red", "undetermined": "yellow"}
_AVAILABILITY = {"open": ("open", "green"), "waiting_list": ("waiting list", "green"), "suspended": ("SUSPENDED", "bold red"),
                 "withdrawn": ("WITHDRAWN", "bold red"), "not_reachable": ("NOT REACHABLE", "bold red")}
_MARK = {"met": "✓", "not_met": "✗", "excluded": "✗", "not_excluded": "✓", "unknown": "?", "to_check": "?", "not_applicable": "–"}
# steps on the way, shown with --explain (the PNI's sexual-interest items matter only through the
# pathway, which is shown; an approximated sex domain is shown when it is one)
_HIDDEN_DERIVED = ("pni_domain", "pni_need_score", "need_", "pni_risk_", "pni_sex_items", "pni_sexual", "pni_osp")


def _hidden(k: str, v: Any) -> bool:
    return k.startswith(_HIDDEN_DERIVED) or (k == "pni_sex_domain_approximated" and v is not True)
_FIRST = ("allocation", "tier", "pni_pathway", "pni_risk", "pni_need")
_SUMS = ("pni_need_score",)  # derived facts whose open values are a range, not a list


def _parts(r: InterventionResult, explain: bool, values: dict[str, Any]) -> tuple[Text | None, list[tuple[str, Text]], Text | None]:
    """What to say about one result: a summary line, each reason with its mark, and what to find out."""
    summary = None
    if r.decision == "eligible" and not r.reasons:
        summary = Text("Open to everyone: no criteria.")
    elif r.decision == "eligible" and not explain:
        n = len(r.reasons)
        summary = Text(f"All {n} criteria met." if n > 1 else "Its one criterion is met.")
    elif r.if_agreed:
        # what the case can decide is met; what is left is for a person, in their words, each with
        # where it is published
        if len(r.to_check) == 1:
            summary = Text(shown(r.if_agreed[0].upper() + r.if_agreed[1:-1], prose=True), style="cyan")
            summary.append(f" ({shown(r.to_check[0].source, prose=True)}).", style="dim")
        else:
            summary = Text("Eligible if a person agrees to each of these (everything the case can decide is met):", style="cyan")
    reasons = []
    if r.if_agreed and len(r.to_check) > 1 and not explain:
        for j in r.to_check:
            t = Text(shown(_then(j), prose=True))
            t.append(f" ({shown(j.source, prose=True)})", style="dim")
            reasons.append(("?", t))
    for reason in r.reasons if r.decision not in ("eligible", "eligible_if_agreed") or explain else []:
        t = Text(shown(reason.text, prose=True))
        if explain:
            vals = "; ".join(f"{shown(k)} = {shown(labels.value(v, k, missing='not given'))}" for k, v in ((f, values.get(f)) for f in reason.fields))
            t.append(f" [{shown(reason.rule)}: {vals}]", style="dim")
        else:
            # the values that decided; an unknown one is named once, under "find out"
            known = [shown(labels.statement(k, v)) for k in reason.fields if (v := values.get(k)) is not None]
            if known:
                t.append(" (" + "; ".join(known) + ")", style="dim")
        reasons.append((_MARK.get(reason.outcome, "?"), t))
    find_out = None
    if r.missing:
        words = (f"{shown(m.field)} ({shown(labels.field(m.field))})" if explain else shown(labels.field(m.field)) for m in r.missing)
        find_out = Text("To decide, find out: " + "; ".join(words), style="yellow")
        if r.to_check:  # information missing and a judgement open: both to settle
            find_out.append("\nThen, eligible only if " + "; and if ".join(
                shown(_then(j), prose=True) for j in r.to_check), style="cyan")
    elif r.decided_without:
        # decided on an incomplete file: say so, and that the missing answers cannot change it
        fields = "; ".join(shown(labels.field(m.field)) for m in r.decided_without)
        find_out = Text(f"Decided without {fields}: every answer gives the same decision.", style="dim")
    return summary, reasons, find_out


def _then(j: Any) -> str:
    """One judgement to check: who must agree to what (and when it is needed, if the case does not say)."""
    what = "agrees that the person meets this" if j.kind == "criterion" else "finds that this does not rule the person out"
    when = f" (needed only if {j.applies_when}, which the case does not say)" if j.applies is None and j.applies_when else ""
    return f"{j.by} {what}: \u201c{j.text.rstrip('.')}\u201d{when}"


def _why(r: InterventionResult, explain: bool, values: dict[str, Any]) -> Text:
    """The parts as one cell of the wide table."""
    summary, reasons, find_out = _parts(r, explain, values)
    lines = [x for x in (summary, *(Text(f"{m} ").append_text(t) for m, t in reasons), find_out) if x is not None]
    return Text("\n").join(lines)


def _head(s: Screen, explain: bool) -> Text:
    head = Text()
    head.append(f"Screen of case {shown(s.case_id)} on {s.on}\n", style="bold")
    head.append(f"Catalog: {shown(s.catalog)}, version {s.catalog_version}\n")
    # what court staff ask first (who manages the case, the tier, the programme pathway), then the rest
    ordered = sorted(s.derived.items(), key=lambda kv: (_FIRST.index(kv[0]) if kv[0] in _FIRST else len(_FIRST), kv[0]))
    shown_derived = {k: v for k, v in ordered if explain or not _hidden(k, v)}
    if explain:
        facts = "; ".join(f"{shown(k)} = {shown(labels.value(v, k))}" for k, v in shown_derived.items())
    else:
        facts = "; ".join(shown(labels.statement(k, v)) for k, v in shown_derived.items())
    head.append(f"Worked out from the case: {facts or 'nothing yet (information missing)'}\n")
    # facts still open: the values the missing answers leave possible, and what would settle them
    for k, vals in s.derived_possible.items():
        if not explain and _hidden(k, True):
            continue
        could = " or ".join(shown(labels.value(v, k)) for v in vals) if k not in _SUMS else f"from {vals[0]:g} to {vals[1]:g}"
        settle = "; ".join(shown(labels.field(f)) for f in s.derived_missing.get(k, [])[:4])
        head.append(f"Not yet settled: {shown(labels.field(k))} could be {could}" + (f" (find out: {settle})" if settle else "") + "\n",
                    style="yellow")
    if s.age is not None:
        when = {"conviction": "when convicted", "order_start": "at the order start (no conviction date given)",
                "reference_date": "on the reference date (no conviction date given)"}[s.age.basis]
        head.append(f"Age {s.age.years} {when}, {s.age.on}\n")
    counts = s.counts()
    unusable = sum(1 for r in s.with_decision("eligible") if not r.usable_now)
    head.append(
        f"{counts['eligible'] - unusable} eligible and available, {unusable} eligible but not available now, "
        + (f"{counts['eligible_if_agreed']} eligible if a person agrees, " if counts["eligible_if_agreed"] else "")
        + f"{counts['undetermined']} undetermined, {counts['ineligible']} ineligible\n"
    )
    for w in s.warnings:
        head.append(f"Warning: {shown(w.text, prose=True)}\n", style="bold yellow")
    if s.missing:
        head.append("Information still missing (each would settle an undetermined result):\n", style="yellow")
        for m in s.missing:
            item = f"{shown(m.field)}: {shown(labels.field(m.field))}" if explain else shown(labels.field(m.field))
            head.append(f"  - {item}\n", style="yellow")
    return head


def _name(r: InterventionResult) -> Text:
    t = Text(shown(r.name, prose=True) + "\n")
    t.append(shown(r.intervention), style="dim")
    return t


def _availability(r: InterventionResult, explain: bool = False) -> Text:
    return Text("\n".join(shown(w.text, prose=True) for w in (r.warnings if explain else _notes(r))))


# about getting to it and finishing it in time: nothing to check for what the person is not eligible for
_LOGISTICS = frozenset({"length_not_given", "venue_to_be_confirmed", "order_length_unknown"})


def _notes(r: InterventionResult) -> tuple[Any, ...]:
    """The warnings worth reading: for what the person is not eligible for, not where it runs or
    whether its length is known (that changes nothing for them; a withdrawal is still said); all
    of them with --explain."""
    return tuple(w for w in r.warnings if w.code not in _LOGISTICS) if r.decision == "ineligible" else r.warnings


def _table(results: list[InterventionResult], explain: bool, width: int, values: dict[str, Any]) -> Table:
    id_width = max((len(shown(r.intervention)) for r in results), default=10)
    table = Table(box=box.SIMPLE_HEAVY, show_lines=True, expand=True)
    # exactly as wide as the longest id (rich shrinks ratio columns below their min_width), so no
    # id is ever folded; names wrap at spaces inside it
    table.add_column("Intervention", width=max(id_width, min(44, width // 4)), overflow="fold")
    table.add_column("Decision", no_wrap=True)
    table.add_column("Availability", no_wrap=True)
    table.add_column("Why", ratio=6, overflow="fold")
    table.add_column("Notes", ratio=3)
    for r in results:
        word, style = _AVAILABILITY[r.availability]
        table.add_row(_name(r), Text(labels.DECISIONS[r.decision], style=_STYLE[r.decision]), Text(word, style=style),
                      _why(r, explain, values), _availability(r, explain))
    return table


def _stacked(results: list[InterventionResult], explain: bool, values: dict[str, Any]) -> Group:
    blocks: list[Renderable] = []
    for r in results:
        head = Text()
        head.append(labels.DECISIONS[r.decision].upper(), style=_STYLE[r.decision])
        head.append(": ")
        head.append(shown(r.name, prose=True), style="bold")
        summary, reasons, find_out = _parts(r, explain, values)
        word, style = _AVAILABILITY[r.availability]
        available = Text("Availability: ").append(word, style=style)
        body: list[Renderable] = [x for x in (available, summary, bullets(reasons, indent=0) if reasons else None, find_out) if x]
        notes = r.warnings if explain else _notes(r)
        if notes:
            body.append(bullets([("!", w.text) for w in notes], "yellow", indent=0))
        # the id on a line of its own, never wrapped (a terminal narrower than an id soft-wraps
        # it, and copying gives it back whole)
        blocks += [Text(""), head, Text(shown(r.intervention), style="dim", no_wrap=True, overflow="ignore"),
                   Padding(Group(*body), (0, 0, 0, 2), expand=False)]
    return Group(*blocks)


def screen_view(s: Screen, explain: bool = False, width: int = 120) -> Group:
    """The screen for a console `width` columns wide; `explain` adds rule ids, field names and
    every criterion an eligible person meets. Eligible and available first, then eligible but not
    available now, then eligible if a person agrees, then undetermined, then ineligible."""
    results = s.in_reading_order()
    body = _table(results, explain, width, s.values) if width >= WIDE else _stacked(results, explain, s.values)
    return Group(_head(s, explain), body)


def print_screen(s: Screen, console: Console | None = None, explain: bool = False) -> None:
    from .terminal import console as default_console

    c = console or default_console()
    c.print(screen_view(s, explain, c.width))
