"""A proposal for people at a terminal: the package as a table, then the paragraph for the report."""

from __future__ import annotations

from rich import box
from rich.console import Console, Group
from rich.markdown import Markdown
from rich.table import Table
from rich.text import Text

from ..decide.proposal import Proposal
from .proposal_text import confirm_words, need_words


def proposal_view(p: Proposal) -> Group:
    head = Text()
    head.append(f"Proposal for case {p.case_id} on {p.on}\n", style="bold")
    head.append(f"Catalog: {p.catalog}, version {p.catalog_version}\n")
    order = f"{p.order_months} months, ending {p.order_end}" if p.order_months else "length not given"
    cap = f"{p.rar_cap}" if p.rar_cap is not None else "none set"
    head.append(f"Order: {order}; RAR cap: {cap}; margin {p.margin_weeks} weeks\n")
    head.append(f"Allocation: {p.allocation or 'unknown'}; tier: {p.tier or 'unknown'}; PNI pathway: {p.pni_pathway or 'unknown'}\n")
    head.append(p.tier_check.text + "\n")
    table = Table(box=box.SIMPLE_HEAVY, title="Package")
    for col in ("Intervention", "Need", "Requirement", "RAR days", "Start", "Finish", "Price"):
        table.add_column(col)
    for i in p.package:
        needs = ", ".join(need_words(n) for n in [i.need, *i.also_meets])
        price = f"£{i.price:,.2f}" if i.price is not None else i.price_basis
        name = i.name + ("\n(on condition: " + confirm_words(i) + ")" if i.conditional else "")
        table.add_row(name, needs, i.requirement, str(i.rar_days or "-"), str(i.start), f"{i.finish} (ongoing)" if i.ongoing else str(i.finish), price)
    unmet = Table(box=box.SIMPLE_HEAVY, title="Unmet needs")
    unmet.add_column("Need")
    unmet.add_column("Why")
    unmet.add_column("Detail")
    for u in p.unmet_needs:
        unmet.add_row(need_words(u.need), u.why.replace("_", " "), u.text)
    parts: list = [head, table]
    if p.if_not_confirmed is not None:
        fb = p.if_not_confirmed
        parts.append(Text("If not confirmed: " + (", ".join(fb.names) or "nothing else can be proposed")
                          + (f" ({fb.rar_days} RAR days)" if fb.rar_days else "") + "\n"))
    if p.unmet_needs:
        parts.append(unmet)
    if p.not_proposed:
        left = Text("Not proposed\n", style="bold")
        for n in p.not_proposed:
            left.append(f"- {n.intervention}: ", style="bold")
            left.append(n.text + "\n")
        parts.append(left)
    if p.to_find_out:
        ask = Text("Still to find out (most useful first)\n", style="bold")
        for q in p.to_find_out:
            ask.append(f"- {q.label} ({q.field}): ", style="bold")
            ask.append(q.why + "\n")
        parts.append(ask)
    for a in p.assumptions:
        parts.append(Text(f"Assumed: {a}\n", style="italic"))
    parts += [Text("Text for the report:", style="bold"), Markdown(p.text)]
    return Group(*parts)


def print_proposal(p: Proposal, console: Console | None = None) -> None:
    (console or Console()).print(proposal_view(p))
