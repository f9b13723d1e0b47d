"""The court page in a real browser: Debian's chromium, driven by Playwright's Python package.

A PSO's use of it, played out: fill the form for two example cases field by field, submit, and
check that the screen and the proposal on the page are the CLI's for the same case and date
(the CLI run now, not answers written down here); submit impossible values and follow the error
summary's links to the fields; copy the paragraph; use it without JavaScript; print it; look at
it 320 and 1024 pixels wide. Every page is saved as a screenshot in the test's temporary folder
(the path is printed) or in RATECARD_SHOTS_DIR; with RATECARD_UPDATE_SCREENSHOTS=1 the two in the README
(docs/screenshots/) are rewritten.
Skipped, saying why, only when chromium or Playwright is missing.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the serve extras are not installed: pip install -e '.[test]'")
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright's Python package is not installed: pip install -e '.[test]'")

from ratecard import CaseError, coerce_case, default_catalog  # noqa: E402
from ratecard.web.app import create_app  # noqa: E402
from ratecard.decide.results import AVAILABLE, UNUSABLE  # noqa: E402

from ..catalog_copy import REPO  # noqa: E402
from .servers import CASES, ON, case_dict, cli_json, thread_server  # noqa: E402

CHROMIUM = os.environ.get("RATECARD_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# a package with a programme; a woman out of reach of Northampton; a case with no risk scores, whose
# programme is proposed on condition, with a fallback and questions to ask
EXAMPLES = ["dv-first-conviction-sso-fifties.yaml", "woman-corby-family-needs.yaml", "no-risk-scores.yaml"]
DOCS = REPO / "docs" / "screenshots"

if not Path(CHROMIUM).exists():
    pytest.skip(f"no chromium at {CHROMIUM}: install Debian's chromium (apt-get install -y chromium) to run the "
                "browser tests (.ci/run does)", allow_module_level=True)


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with thread_server(create_app(default_catalog())) as url:
        yield url


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    keep = os.environ.get("RATECARD_SHOTS_DIR")  # a folder to keep them in; pytest prunes its own
    d = Path(keep) if keep else tmp_path_factory.mktemp("screenshots")
    d.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots in {d}")
    return d


@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        yield p


@contextlib.contextmanager
def launch(playwright: Any, **options: Any) -> Iterator[Any]:
    """Chromium with a fresh profile (its own --user-data-dir), deleted afterwards."""
    with tempfile.TemporaryDirectory() as profile:
        ctx = playwright.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, args=FLAGS, headless=True,
                                                            viewport={"width": 1024, "height": 900}, **options)
        try:
            yield ctx
        finally:
            ctx.close()


@pytest.fixture(scope="module")
def browser(playwright: Any) -> Iterator[Any]:
    with launch(playwright) as ctx:
        yield ctx


@pytest.fixture()
def page(browser: Any, base: str) -> Iterator[Any]:
    pg = browser.new_page()
    pg.set_default_timeout(30_000)
    elsewhere: list[str] = []
    pg.on("request", lambda r: None if r.url.startswith(base) else elsewhere.append(r.url))
    yield pg
    pg.close()
    assert not elsewhere, f"the page asked for something outside the server: {elsewhere}"


def _leaves(data: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    for k, v in data.items():
        path = f"{prefix}{k}"
        if isinstance(v, dict):
            yield from _leaves(v, path + ".")
        elif v is not None:
            yield path, v


def _fill_date(scope: Any, name: str, iso: str) -> None:
    """Day, month and year boxes of a date; `scope` is a page or a locator (the case form)."""
    y, m, d = iso.split("-")
    for part, value in (("day", str(int(d))), ("month", str(int(m))), ("year", y)):
        scope.locator(f'input[name="{name}-{part}"]').fill(value)


def fill_case(page: Any, case: dict[str, Any]) -> None:
    """Type a case into the form the way a person would, one control at a time."""
    form = page.locator("#case-form")
    form.locator("#id").fill(case["id"])
    _fill_date(form, "on", ON)
    for path, value in _leaves({k: v for k, v in case.items() if k not in ("id", "events", "rar_ledger")}):
        if form.locator(f'input[name="{path}-day"]').count():
            _fill_date(form, path, value)
            continue
        controls = form.locator(f'[name="{path}"]')
        assert controls.count(), f"the form has no field for {path}"
        kind = controls.first.evaluate("e => e.tagName.toLowerCase() + ':' + (e.type || '')")
        if kind == "select:select-one":
            controls.first.select_option(str(value))
        elif kind == "input:radio":
            form.locator(f'input[name="{path}"][value="{str(value).lower() if isinstance(value, bool) else value}"]').check()
        elif kind == "input:checkbox":
            for v in value:
                form.locator(f'input[name="{path}"][value="{v}"]').check()
        elif isinstance(value, list):
            controls.first.fill(", ".join(value) if value else "none")
        else:
            controls.first.fill(str(value))


def _page_facts(page: Any) -> dict[str, Any]:
    return page.evaluate("""() => ({
        decisions: Object.fromEntries([...document.querySelectorAll('tr[data-decision]')].map(r => [r.dataset.intervention, r.dataset.decision])),
        fallback: document.getElementById('if-not-confirmed')?.dataset.package ?? null,
        conditional: [...document.querySelectorAll('#package tr[data-intervention]')].filter(r => r.querySelector('.govuk-tag')).map(r => r.dataset.intervention),
        available: [...document.querySelectorAll('#screen-available tr[data-decision]')].map(r => r.dataset.intervention),
        firstTable: document.querySelector('table.rc-screen').id,
        package: [...document.querySelectorAll('#package tr[data-intervention]')].map(r => r.dataset.intervention),
        requirements: [...document.querySelectorAll('#requirements [data-requirement]')].map(r => r.dataset.requirement),
        unmet: [...document.querySelectorAll('#unmet-needs [data-need]')].map(r => r.dataset.need),
        missing: [...document.querySelectorAll('#missing [data-field]')].map(r => r.dataset.field),
        text: document.getElementById('proposal-text').textContent,
        version: document.getElementById('catalog-version').textContent,
        on: document.getElementById('reference-date').dataset.on,
    })""")


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_form_gives_the_cli_screen_and_proposal(page: Any, base: str, shots: Path, name: str) -> None:
    page.goto(base + "/")
    fill_case(page, case_dict(name))
    page.screenshot(path=str(shots / f"form-{name}.png"), full_page=True)
    update_docs = os.environ.get("RATECARD_UPDATE_SCREENSHOTS") and name == EXAMPLES[0]
    if update_docs:
        DOCS.mkdir(parents=True, exist_ok=True)
        page.set_viewport_size({"width": 1024, "height": 1300})
        page.mouse.move(1000, 5)  # no hover halo on the last control clicked
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(DOCS / "form.png"))
    page.click("#case-form button[type=submit]")
    page.wait_for_selector("#proposal-text")
    page.screenshot(path=str(shots / f"result-{name}.png"), full_page=True)
    got = _page_facts(page)
    scr = cli_json("screen", str(CASES / name), "--on", ON)
    prop = cli_json("propose", str(CASES / name), "--on", ON)
    assert got["decisions"] == {r["intervention"]: r["decision"] for r in scr["results"]}
    assert got["firstTable"] == "screen-available", "eligible and available comes first"
    assert got["available"] == [r["intervention"] for r in scr["results"] if r["decision"] == "eligible"
                                and r["availability"] in AVAILABLE and not any(w["code"] in UNUSABLE for w in r["warnings"])]
    assert got["package"] == [i["intervention"] for i in prop["package"]]
    assert got["requirements"] == [r["requirement"] for r in prop["requirements"]]
    assert got["unmet"] == [u["need"] for u in prop["unmet_needs"]]
    # the same paragraph, with the catalog line's Markdown italics shown as italics, not underscores
    body, foot = prop["text"].split("\n\n", 1)
    assert got["text"] == body + "\n\n" + foot.strip("_") and "_Catalog" not in got["text"]
    assert got["conditional"] == [i["intervention"] for i in prop["package"] if i["conditional"]]
    fallback = prop["if_not_confirmed"]
    assert got["fallback"] == (" ".join(fallback["package"]) if fallback else None)
    assert (got["version"], got["on"]) == (scr["catalog_version"], ON)
    wanted = {m["field"] for m in scr["missing"]} | {m["field"] for r in scr["results"] for m in r["missing"]}
    wanted |= {f for u in prop["unmet_needs"] for f in u["missing"]} | {q["field"] for q in prop["to_find_out"]}
    assert set(got["missing"]) == wanted
    if update_docs:
        page.set_viewport_size({"width": 1024, "height": 1500})
        page.screenshot(path=str(DOCS / "result.png"))
        page.set_viewport_size({"width": 1024, "height": 900})


def test_impossible_values_are_listed_in_an_error_summary_that_links_to_each_field(page: Any, base: str, shots: Path) -> None:
    page.goto(base + "/")
    form = page.locator("#case-form")
    form.locator("#risk-ogrs3_2yr").fill("150")
    _fill_date(form, "person.date_of_birth", "1980-02-30")
    form.locator("#needs-relationships-score").fill("lots")
    page.click("#case-form button[type=submit]")
    summary = page.locator(".govuk-error-summary")
    summary.wait_for()
    page.screenshot(path=str(shots / "form-errors.png"), full_page=False)
    assert page.title().startswith("Error: ")
    assert page.evaluate("document.activeElement.classList.contains('govuk-error-summary')"), "focus moves to the summary"
    links = summary.locator("a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert hrefs == ["#person-date_of_birth-day", "#risk-ogrs3_2yr", "#needs-relationships-score"]
    texts = [links.nth(i).inner_text() for i in range(links.count())]
    # the model's own message for the score out of range, as the CLI prints it
    with pytest.raises(CaseError) as e:
        coerce_case({"id": "a", "risk": {"ogrs3_2yr": 150}})
    assert texts[1] == f"OGRS3 two-year score {e.value.problems[0].message}"
    assert texts[2] == "Family and relationships: section score must be a whole number from 0 to 12"
    for i, href in enumerate(hrefs):
        links.nth(i).click()
        assert page.evaluate("document.activeElement.id") == href[1:]
        # the field shows the same message beside it, and keeps what was typed
        assert page.locator(f"{href}-error" if "date" not in href else "#person-date_of_birth-error").count() == 1
    assert form.locator("#risk-ogrs3_2yr").input_value() == "150"


def test_the_copy_button_copies_the_paragraph(browser: Any, page: Any, base: str) -> None:
    browser.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    page.goto(base + "/")
    fill_case(page, case_dict(EXAMPLES[0]))
    page.click("#case-form button[type=submit]")
    button = page.locator("button[data-copy-target]")
    assert button.is_visible()
    button.click()
    page.wait_for_selector("text=Paragraph copied")
    assert page.evaluate("navigator.clipboard.readText()") == page.locator("#proposal-text").text_content()


def test_without_javascript_the_page_works_and_hides_the_copy_button(playwright: Any, base: str, shots: Path) -> None:
    with launch(playwright, java_script_enabled=False) as ctx:
        page = ctx.new_page()
        page.goto(base + "/")
        fill_case(page, case_dict(EXAMPLES[1]))
        page.click("#case-form button[type=submit]")
        page.wait_for_selector("#proposal-text")
        assert not page.locator("button[data-copy-target]").is_visible()
        page.screenshot(path=str(shots / "result-no-js.png"))
        # "Change the answers" brings the form back with every answer in it
        page.click("text=Change the answers")
        page.wait_for_selector("#case-form")
        assert page.locator('select[name="person.home_town"]').input_value() == case_dict(EXAMPLES[1])["person"]["home_town"]


A11Y = """() => {
  const problems = [];
  const visible = e => !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length);
  document.querySelectorAll('input:not([type=hidden]), select, textarea').forEach(e => {
    if (!e.labels || e.labels.length === 0) problems.push('no label: ' + (e.id || e.name));
    if ((e.type === 'radio' || e.type === 'checkbox') && !e.closest('fieldset')?.querySelector('legend'))
      problems.push('no fieldset legend: ' + e.name);
  });
  if (document.querySelectorAll('h1').length !== 1) problems.push('h1 count ' + document.querySelectorAll('h1').length);
  let last = 0;
  document.querySelectorAll('h1, h2, h3, h4').forEach(h => {
    const level = +h.tagName[1];
    if (level > last + 1) problems.push('heading level skipped before: ' + h.textContent.trim());
    last = level;
  });
  if (!document.documentElement.lang) problems.push('no lang');
  // WCAG contrast of every piece of visible text against the background behind it
  const rgb = s => s.match(/[\\d.]+/g).map(Number);
  const lum = c => { const [r, g, b] = c.slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
                     return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const bg = e => { for (; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor); if (c.length < 4 || c[3] > 0) return c; } return [255, 255, 255]; };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!walker.currentNode.textContent.trim() || seen.has(el) || !visible(el)) continue;
    seen.add(el);
    const fg = rgb(getComputedStyle(el).color), back = bg(el);
    const [a, b] = [lum(fg), lum(back)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    if (ratio < 4.5) problems.push('contrast ' + ratio.toFixed(2) + ': ' + walker.currentNode.textContent.trim().slice(0, 40));
  }
  return problems;
}"""


@pytest.mark.parametrize("width", [320, 1024])
def test_accessible_and_fits_the_screen(page: Any, base: str, shots: Path, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(base + "/")
    assert page.evaluate(A11Y) == []
    # the first Tab reaches the skip link, and focus is plainly visible (GOV.UK's yellow)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "govuk-skip-link"
    assert page.evaluate("getComputedStyle(document.activeElement).backgroundColor") == "rgb(255, 221, 0)"
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "the form scrolls sideways"
    page.screenshot(path=str(shots / f"form-{width}.png"))
    fill_case(page, case_dict(EXAMPLES[0]))
    page.click("#case-form button[type=submit]")
    page.wait_for_selector("#proposal-text")
    assert page.evaluate(A11Y) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "the result scrolls sideways"
    page.screenshot(path=str(shots / f"result-{width}.png"))


def test_the_result_prints(page: Any, base: str, shots: Path) -> None:
    from pypdf import PdfReader

    page.goto(base + "/")
    fill_case(page, case_dict(EXAMPLES[0]))
    page.click("#case-form button[type=submit]")
    page.wait_for_selector("#proposal-text")
    page.emulate_media(media="print")
    assert not page.locator(".govuk-service-navigation").is_visible()
    assert not page.locator("text=Change the answers").is_visible()
    assert page.locator("#proposal-text").is_visible()
    pdf = page.pdf(format="A4", print_background=False)
    (shots / "result.pdf").write_bytes(pdf)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    version = cli_json("screen", str(CASES / EXAMPLES[0]), "--on", ON)["catalog_version"]
    assert version in text.replace("\n", "")
    assert "Change the answers" not in text
    page.emulate_media(media="screen")
