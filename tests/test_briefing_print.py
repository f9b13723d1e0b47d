"""The HTML briefing printed on A4 by a real headless browser (Debian's chromium).

Two checks of "no table overflows the page": the browser lays the page out with the print
stylesheet at the printable width and measures every table and cell (the DOM check), and the
printed PDF is searched for any word beyond the right margin (needs pdftotext from poppler-utils).
Each check is also run on a deliberately overflowing page, so that it is known to be able to fail.
Skipped only when no browser can be found.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from .catalog_copy import REPO

from ratecard import load_catalog
from ratecard.decide.briefing import build_briefing
from ratecard.present.briefing import render_briefing

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-extensions", "--hide-scrollbars", "--mute-audio"]
A4_WIDTH_MM, A4_WIDTH_PT = 210.0, 595.28
MM_TO_PT = 72 / 25.4

BAD = """<!DOCTYPE html><html lang="en"><head><style>@page { size: A4; margin: 15mm 15mm 15mm 15mm; }</style></head>
<body><h1>Wide</h1><table><tr><th>a</th><td style="white-space: nowrap">AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
BBBBBBBBBBBBBBBBBBBBBBBBBBBBBB CCCCCCCCCCCCCCCCCCCCCCCCCC DDDDDDDDDDDDDDDDDDDDDDDDDDD</td></tr></table></body></html>"""

CHECK_JS = """<script>(function () {
  var limit = document.documentElement.getBoundingClientRect().right + 0.5, bad = [];
  var tables = document.querySelectorAll("table");
  tables.forEach(function (t, i) {
    var r = t.getBoundingClientRect();
    if (r.right > limit || t.scrollWidth > t.clientWidth + 1) bad.push("table " + i + " is " + r.width + "px wide");
    t.querySelectorAll("th, td").forEach(function (c) {
      if (c.scrollWidth > c.clientWidth + 1) bad.push("table " + i + ", cell: " + c.textContent.trim().slice(0, 50));
    });
  });
  var out = document.createElement("pre");
  out.id = "overflow-check";
  out.textContent = JSON.stringify({tables: tables.length, limit: limit, bad: bad});
  document.body.appendChild(out);
})();</script>"""


def browser() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    pytest.skip(f"no headless browser found (looked for {', '.join(BROWSERS)}); install Debian's chromium "
                "(apt-get install -y chromium) to run the print test")


def run(args: list[str], tmp: Path) -> subprocess.CompletedProcess[str]:
    profile = tmp / "profile"
    profile.mkdir(exist_ok=True)
    return subprocess.run([browser(), *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True,
                          timeout=180, check=True)


def page_margins_mm(html: str) -> tuple[float, float]:
    """Left and right margins from the page's own @page rule (top right bottom left, in mm)."""
    m = re.search(r"@page\s*{[^}]*margin:\s*([\d.]+)mm\s+([\d.]+)mm\s+([\d.]+)mm\s+([\d.]+)mm", html)
    assert m, "the stylesheet sets A4 page margins in mm"
    return float(m.group(4)), float(m.group(2))


def dom_overflow(html: str, tmp: Path) -> dict:
    """Lay the page out as printed (print rules applied, printable width) and measure the tables."""
    left, right = page_margins_mm(html)
    width = A4_WIDTH_MM - left - right
    page = html.replace("@media print", "@media all")
    page = page.replace("</head>", f"<style>html {{ width: {width}mm; margin: 0; padding: 0; }}</style></head>", 1)
    page = page.replace("</body>", CHECK_JS + "</body>", 1)
    f = tmp / "check.html"
    f.write_text(page, encoding="utf-8")
    out = run(["--window-size=1600,1200", "--dump-dom", f.as_uri()], tmp).stdout
    m = re.search(r'<pre id="overflow-check">(.*?)</pre>', out, flags=re.S)
    assert m, "the browser ran the check script"
    return json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">"))


def print_pdf(html: str, tmp: Path) -> Path:
    f = tmp / "page.html"
    f.write_text(html, encoding="utf-8")
    pdf = tmp / "page.pdf"
    run(["--no-pdf-header-footer", f"--print-to-pdf={pdf}", f.as_uri()], tmp)
    assert pdf.exists() and pdf.stat().st_size > 0
    return pdf


def words_past_margin(pdf: Path, right_margin_mm: float) -> list[str]:
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext not found: install poppler-utils (apt-get install -y poppler-utils) with chromium")
    xml = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    root = ET.fromstring(re.sub(r"<!DOCTYPE[^>]*>", "", xml).replace('xmlns="http://www.w3.org/1999/xhtml"', ""))
    bad = []
    for page in root.iter("page"):
        limit = float(page.get("width", A4_WIDTH_PT)) - right_margin_mm * MM_TO_PT + 1.0
        bad += [w.text or "" for w in page.iter("word") if float(w.get("xMax", 0)) > limit]
    return bad


@pytest.fixture(scope="module")
def briefing_html() -> tuple[str, int]:
    b = build_briefing(load_catalog(REPO), "northamptonshire", on=dt.date(2017, 3, 1))
    entries = sum(len(g.entries) for g in b.needs) + len(b.unavailable)
    return render_briefing(b, "html"), entries


def test_the_checks_catch_a_table_wider_than_the_page(tmp_path: Path) -> None:
    assert dom_overflow(BAD, tmp_path)["bad"]
    assert words_past_margin(print_pdf(BAD, tmp_path), page_margins_mm(BAD)[1])


def test_no_table_in_the_briefing_overflows_the_printed_page(briefing_html: tuple[str, int], tmp_path: Path) -> None:
    html, _ = briefing_html
    result = dom_overflow(html, tmp_path)
    assert result["tables"] > 10
    assert result["bad"] == []
    assert words_past_margin(print_pdf(html, tmp_path), page_margins_mm(html)[1]) == []


def test_the_briefing_prints_on_a_sensible_number_of_a4_pages(briefing_html: tuple[str, int], tmp_path: Path) -> None:
    from pypdf import PdfReader

    html, entries = briefing_html
    reader = PdfReader(print_pdf(html, tmp_path))
    pages = len(reader.pages)
    width, height = (float(x) for x in reader.pages[0].mediabox.upper_right)
    assert abs(width - A4_WIDTH_PT) < 2 and abs(height - 841.89) < 2, "A4 paper"
    # an entry takes between a sixth of a page and one page; far outside that, the print layout is broken
    assert entries / 6 <= pages <= entries + 3, (pages, entries)
    text = "".join(p.extract_text() or "" for p in reader.pages[:1])
    assert "Interventions for sentencers" in text
