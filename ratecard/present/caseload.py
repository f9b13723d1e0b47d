"""Render a caseload needs assessment as Markdown or as one self-contained, printable HTML file
whose charts are inline SVG (no scripts, fonts or links: the court has no network)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal
from xml.sax.saxutils import escape

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from ..decide.caseload import CaseloadReport
from .briefing import md_escape

Format = Literal["md", "html"]
GAPS_SHOWN = 20  # the JSON carries every gap; the printed report the largest

# colours with at least 3:1 contrast against white and each other's neighbours, plus patterns
# are not needed because every bar is labelled with its number
MET, MAYBE, NONE = "#00703c", "#b35c00", "#a51a1a"
AGREED = "#1d70b8"  # met if a person agrees: apart from met, never counted as demand


def _num(n: float | int | None) -> str:
    if n is None:
        return "not known"
    if isinstance(n, float) and not n.is_integer():
        return f"{n:,.1f}"
    return f"{int(n):,}"


def _money(x: float | None) -> str:
    return "not known" if x is None else f"£{x:,.0f}"


def needs_chart(report: CaseloadReport) -> Markup:
    """Horizontal stacked bars: per need, cases met / met if agreed / undetermined only / none."""
    rows = report.needs
    top = max((r.identified for r in rows), default=0) or 1
    label_w, bar_w, row_h, head = 250, 390, 26, 30
    height = head + row_h * len(rows) + 10
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="needs-chart-title" '
             f'viewBox="0 0 {label_w + bar_w + 50} {height}" width="100%" class="chart">',
             '<title id="needs-chart-title">Cases with each need identified: provision that meets it, provision that meets it if a person agrees, only undetermined provision, none</title>']
    x: float = label_w
    for colour, name in ((MET, "met"), (AGREED, "met if agreed"), (MAYBE, "undetermined only"), (NONE, "no provision")):
        parts.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{colour}"/><text x="{x + 16}" y="16" font-size="12">{name}</text>')
        x += 16 + 8 * len(name) + 14
    for i, r in enumerate(rows):
        y = head + i * row_h
        parts.append(f'<text x="{label_w - 8}" y="{y + 16}" font-size="12" text-anchor="end">{escape(r.label)}</text>')
        x = float(label_w)
        for value, colour in ((r.met, MET), (r.if_agreed, AGREED), (r.undetermined_only, MAYBE), (r.none, NONE)):
            w = bar_w * value / top
            if w > 0:
                parts.append(f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" fill="{colour}">'
                             f'<title>{escape(r.label)}: {value:,}</title></rect>')
            x += w
        parts.append(f'<text x="{x + 4:.1f}" y="{y + 16}" font-size="12">{r.identified:,}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def demand_chart(report: CaseloadReport) -> Markup:
    """Per intervention with demand: bars of demand, and capacity where the catalog gives it."""
    rows = [r for r in report.interventions if r.demand or r.capacity]
    rows.sort(key=lambda r: -r.demand)
    top = max([r.demand for r in rows] + [r.capacity or 0 for r in rows], default=0) or 1
    label_w, bar_w, row_h = 250, 390, 22
    height = 30 + row_h * len(rows) + 10
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="demand-chart-title" '
             f'viewBox="0 0 {label_w + bar_w + 60} {height}" width="100%" class="chart">',
             '<title id="demand-chart-title">Demand for each intervention (cases it would meet a need for) and its capacity a year</title>',
             f'<rect x="{label_w}" y="6" width="12" height="12" fill="#0b4a80"/><text x="{label_w + 16}" y="16" font-size="12">demand</text>',
             f'<line x1="{label_w + 90}" y1="12" x2="{label_w + 110}" y2="12" stroke="#1b1b1b" stroke-width="3"/>'
             f'<text x="{label_w + 114}" y="16" font-size="12">capacity a year (where given)</text>']
    for i, r in enumerate(rows):
        y = 30 + i * row_h
        name = r.name if len(r.name) <= 40 else r.name[:38] + "…"
        parts.append(f'<text x="{label_w - 8}" y="{y + 14}" font-size="11" text-anchor="end">{escape(name)}</text>')
        w = bar_w * r.demand / top
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" fill="#0b4a80">'
                     f'<title>{escape(r.name)}: demand {r.demand:,}</title></rect>')
        parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + 14}" font-size="11">{r.demand:,}</text>')
        if r.capacity:
            cx = label_w + bar_w * r.capacity / top
            parts.append(f'<line x1="{cx:.1f}" y1="{y + 1}" x2="{cx:.1f}" y2="{y + row_h - 3}" stroke="#1b1b1b" stroke-width="3"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


@lru_cache(maxsize=2)
def _env(fmt: Format) -> Environment:
    env = Environment(loader=PackageLoader("ratecard.present", "templates"), autoescape=fmt == "html",
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(md=md_escape, num=_num, money=_money)
    return env


def render_caseload(report: CaseloadReport, fmt: Format = "md") -> str:
    """The report as Markdown (`md`) or HTML (`html`)."""
    if fmt not in ("md", "html"):
        raise ValueError(f"format must be md or html, not {fmt!r}")
    charts = {"needs": needs_chart(report), "demand": demand_chart(report)} if fmt == "html" else {}
    text = _env(fmt).get_template(f"caseload.{fmt}.j2").render(r=report, charts=charts, gaps=report.gaps[:GAPS_SHOWN],
                                                                gaps_more=max(0, len(report.gaps) - GAPS_SHOWN))
    return re.sub(r"\n{3,}", "\n\n", text)
