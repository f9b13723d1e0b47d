"""A proposal for people at a terminal: the package as a table, what was left out and what is still
to find out, then the paragraph for the report.

The table fits the console: from WIDE columns a table, below that each item stacked. Plain words
(labels.py) for requirements, needs and the programme pathway; data goes through shown().
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..decide.proposal import NotProposed, PackageItem, Proposal
from ..decide.proposal.paragraph import confirm_words, is_youth
from ..decide.proposal.risk import WORK_WORDS
from .. import labels
from ..labels import need_words
from .layout import Group, Padding, Table, Renderable, Text, box
from .terminal import WIDE, bullets, shown, shown_lines

if TYPE_CHECKING:  # rich is imported only to print at a terminal (layout.py)
    from rich.console import Console


def _name(i: PackageItem) -> str:
    return shown(i.name, prose=True) + (" (on condition: " + shown(confirm_words(i), prose=True) + ")" if i.conditional else "")


def _under(i: PackageItem, sentence_type: str | None) -> str:
    """What the item comes under: on licence a programme is a licence condition, not a court requirement."""
    if sentence_type in ("licence", "post_sentence_supervision"):
        kind = "licence" if sentence_type == "licence" else "post-sentence supervision"
        return {"accredited_programme": f"condition of the {kind} (accredited programme)",
                "supervision": f"{kind} supervision work"}.get(i.requirement, labels.requirement(i.requirement))
    return labels.requirement(i.requirement)


def _item_cells(i: PackageItem, sentence_type: str | None = None) -> tuple[Text, str, str, str, str, str, str]:
    name = Text(_name(i) + "\n")
    name.append(shown(i.intervention), style="dim")
    needs = ", ".join(need_words(n) for n in [i.need, *i.also_meets] if n) or "the offending"
    # the rate card's price is what the NPS pays the CRC: for the officer, labelled where it is invented
    price = (f"£{i.price:,.2f}" if i.price is not None else shown(i.price_basis)) + (" (illustrative)" if "price" in i.illustrative else "")
    finish = f"{i.finish} (ongoing)" if i.ongoing else str(i.finish)
    return name, needs, _under(i, sentence_type), str(i.rar_days or "-"), str(i.start), finish, price


def _left_out(n: NotProposed) -> Text:
    """'Drug rehabilitation group (s2s_drr_group): Would need ...': the name for people, the id dim."""
    head = Text(shown(n.name or n.intervention, prose=True), style="bold")
    if n.name:
        head.append(f" ({shown(n.intervention)})", style="dim")
    return head.append(": " + shown(n.text, prose=True), style="")


def _package(p: Proposal, width: int) -> Renderable:
    if width >= WIDE:
        table = Table(box=box.SIMPLE_HEAVY, title="Package")
        id_width = max((len(shown(i.intervention)) for i in p.package), default=10)
        table.add_column("Intervention", min_width=id_width)
        for col in ("Need", "Requirement", "RAR days", "Start", "Finish", "Price"):
            table.add_column(col)
        for i in p.package:
            table.add_row(*_item_cells(i, p.sentence_type))
        return table
    out: list[Renderable] = [Text("Package", style="bold")]
    for i in p.package:
        name, needs, req, days, start, finish, price = _item_cells(i, p.sentence_type)
        days = "none" if days == "-" else days
        detail = Text(f"For {needs}\n{req[:1].upper()}{req[1:]}; RAR days: {days}\nFrom {start} to {finish}; price {price}")
        out += [Text(_name(i), style="bold"), Text(shown(i.intervention), style="dim", no_wrap=True),
                Padding(detail, (0, 0, 1, 2), expand=False)]
    if not p.package:
        out.append(Text("  nothing proposed\n"))
    return Group(*out)


def proposal_view(p: Proposal, width: int = 120) -> Group:
    head = Text()
    head.append(f"Proposal for case {shown(p.case_id)} on {p.on}\n", style="bold")
    head.append(f"Catalog: {shown(p.catalog)}, version {p.catalog_version}\n")
    order = (f"{p.order_months} months, ending {p.order_end}" + (" (proposed: the case gives no length)" if p.order_months_proposed else "")
             if p.order_months else "length not given")
    cap = f"{p.rar_cap}" if p.rar_cap is not None else "none set"
    if any(is_youth(w) for w in p.warnings):
        head.append("Order: a youth rehabilitation order, for the youth offending team (no adult order, no RAR)\n")
    else:
        head.append(f"Order: {order}; RAR cap: {cap}; margin {p.margin_weeks} weeks\n")
    # a CRC tier is for cases the CRC manages: none is shown for an NPS case
    tier = "" if p.allocation == "nps" else f"tier: {shown(p.tier or 'not known')}; "
    if any(w.code == "under_18" for w in p.warnings):
        head.append("Allocation: the youth offending team (under 18)\n")  # no CRC, no tier, no adult pathway
    elif not p.allocation_applies:  # no NPS and CRC in this catalog: nothing to allocate
        head.append(f"Programme pathway (PNI): {labels.value(p.pni_pathway)}\n")
    else:
        head.append(f"Allocation: {labels.value(p.allocation)}; {tier}"
                    f"programme pathway (PNI): {labels.value(p.pni_pathway)}\n")
    for w in p.warnings:
        head.append(f"Warning: {shown(w.text, prose=True)}\n", style="yellow")
    parts: list[Renderable] = [head]
    if p.offending:
        parts += [Text("Risk: offending behaviour work", style="bold"),
                  bullets([("-", Text(shown(_offending_line(w), prose=True))) for w in p.offending], indent=0), Text("")]
    parts.append(_package(p, width))
    if p.responsivity:
        parts += [Text("Responsivity", style="bold"),
                  bullets([("-", Text(shown(f"{n.name}: {n.text}" + (" (in the package: to arrange)" if n.proposed else "")
                                            + (f" Adapted alternative proposed: {n.alternative}." if n.alternative else ""), prose=True)))
                           for n in p.responsivity], indent=0), Text("")]
    if p.choices:
        parts += [Text("Why this package", style="bold"),
                  bullets([("-", Text(shown(c.text, prose=True))) for c in p.choices], indent=0), Text("")]
    if p.if_not_confirmed is not None:
        fb = p.if_not_confirmed
        parts.append(Text("If not confirmed: " + (", ".join(shown(n, prose=True) for n in fb.names) or "nothing else can be proposed")
                          + (f" ({fb.rar_days} RAR days)" if fb.rar_days else "") + "\n"))
    if p.unmet_needs and width >= WIDE:
        unmet = Table(box=box.SIMPLE_HEAVY, title="Unmet needs")
        unmet.add_column("Need")
        unmet.add_column("Why")
        unmet.add_column("Detail")
        for u in p.unmet_needs:
            unmet.add_row(need_words(u.need), u.why.replace("_", " "), Text(shown(u.text, prose=True)))
        parts.append(unmet)
    elif p.unmet_needs:
        parts += [Text("Unmet needs", style="bold"),
                  bullets([("-", Text(f"{need_words(u.need)[:1].upper()}{need_words(u.need)[1:]} ({u.why.replace('_', ' ')}): ",
                                      style="bold").append(shown(u.text, prose=True), style=""))
                           for u in p.unmet_needs], indent=0), Text("")]
    if p.not_proposed:
        parts += [Text("Not proposed", style="bold"),
                  bullets([("-", _left_out(n)) for n in p.not_proposed], indent=0), Text("")]
    if p.to_find_out:
        # in words: the field paths are in the JSON
        parts += [Text("Still to find out (most useful first)", style="bold"),
                  bullets([("-", Text(shown(q.label, prose=True), style="bold").append(": " + shown(q.why, prose=True), style=""))
                           for q in p.to_find_out], indent=0), Text("")]
    parts.append(Text(shown(p.tier_check.text, prose=True) + "\n"))
    if p.total_price is not None:
        parts.append(Text(f"Rate-card cost of the package: £{p.total_price:,.2f}"
                          + (" (illustrative prices)" if p.prices_illustrative else "") + "\n"))
    for a in p.assumptions:
        parts.append(Text(f"Assumed: {shown(a, prose=True)}\n", style="italic"))
    # on licence or post-sentence supervision nothing goes to a court: the text is a sentence plan note
    heading = "Text for the report:" if p.sentence_type not in ("licence", "post_sentence_supervision") else "Sentence plan note:"
    parts += [Text(heading, style="bold"), Text(shown_lines(p.text))]
    return Group(*parts)


def _offending_line(w: object) -> str:
    from ..decide.proposal import OffendingWork

    assert isinstance(w, OffendingWork)
    work = WORK_WORDS[w.target]
    return f"{work[:1].upper()}{work[1:]} (because {', '.join(w.because)}): {w.text.split(': ', 1)[1] if ': ' in w.text else w.text}"


def print_proposal(p: Proposal, console: Console | None = None) -> None:
    from .terminal import console as default_console

    c = console or default_console()
    c.print(proposal_view(p, c.width))
