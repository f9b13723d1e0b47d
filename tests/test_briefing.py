"""The sentencer briefing, read as a sentencer would: what is listed where, and what it says."""

from __future__ import annotations

import copy
import json
import datetime as dt
import re
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path

import pytest
from .catalog_copy import REPO, CatalogCopy
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from ratecard import load_catalog
from ratecard.decide.briefing import CONSULTATION_GROUP, BriefingError, build_briefing
from ratecard.labels import NEEDS as NEED_LABELS
from ratecard.present.briefing import md_escape, render_briefing
from ratecard.catalog.load import Catalog
from ratecard.cli import cli, main
from ratecard.rules.wording import rule_precise

AREA = "northamptonshire"
ON = dt.date(2017, 3, 1)


@lru_cache(maxsize=1)
def repo_catalog() -> Catalog:
    return load_catalog(REPO)


@pytest.fixture
def cat() -> Catalog:
    return repo_catalog()


def md_sections(md: str) -> dict[str, list[str]]:
    """Each level-2 heading with the level-3 headings under it."""
    out: dict[str, list[str]] = {}
    current = None
    for line in md.splitlines():
        if line.startswith("## "):
            current = line[3:]
            out[current] = []
        elif line.startswith("### ") and current is not None:
            out[current].append(line[4:])
    return out


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_text(html: str) -> tuple[str, list[tuple[str, dict[str, str | None]]]]:
    p = _Text()
    p.feed(html)
    return " ".join(" ".join(p.parts).split()), p.tags


def is_open_on(iv, on: dt.date) -> bool:  # type: ignore[no-untyped-def]
    return iv.status_on(on).state in ("open", "waiting_list")


def groups_of(iv) -> list[str]:  # type: ignore[no-untyped-def]
    """The need sections an entry is listed under; a consultation (no needs) has its own section."""
    return [n for n in NEED_LABELS if n in iv.needs] or [CONSULTATION_GROUP[0]]


def test_every_open_intervention_appears_once_under_each_of_its_needs_and_nowhere_else(cat: Catalog) -> None:
    md = render_briefing(build_briefing(cat, AREA, on=ON), "md")
    sections = md_sections(md)
    here = [iv for iv in cat.interventions.values() if iv.area == AREA]
    assert here
    for iv in here:
        name = md_escape(iv.name)
        where = {h2: heads.count(name) for h2, heads in sections.items() if name in heads}
        if is_open_on(iv, ON):
            labels = {**NEED_LABELS, CONSULTATION_GROUP[0]: CONSULTATION_GROUP[1]}
            assert where == {labels[n]: 1 for n in groups_of(iv)}, iv.id
        else:
            assert where == {"Withdrawn or suspended": 1}, iv.id
    listed = {h for heads in sections.values() for h in heads}
    assert listed <= {md_escape(iv.name) for iv in here}


@settings(max_examples=25, deadline=None)
@given(on=st.dates(dt.date(2016, 1, 1), dt.date(2019, 12, 31)), town_index=st.integers(-1, 6))
def test_on_any_date_and_town_each_listed_entry_is_open_reachable_and_under_exactly_its_needs(on: dt.date, town_index: int) -> None:
    cat = repo_catalog()
    towns = {a.id: a for a in cat.info.areas}[AREA].towns
    town = towns[town_index % len(towns)] if town_index >= 0 else None
    b = build_briefing(cat, AREA, town=town, on=on)
    placed: dict[str, list[str]] = {}
    for g in b.needs:
        for e in g.entries:
            placed.setdefault(e.id, []).append(g.need)
    for iid, needs in placed.items():
        iv = cat.interventions[iid]
        assert iv.area == AREA and is_open_on(iv, on)
        assert town is None or town in iv.where.towns or iv.where.outreach
        assert needs == groups_of(iv)
    assert not set(placed) & {e.id for e in b.unavailable}


def test_withdrawn_provision_is_listed_separately_with_its_date_and_reason(cat: Catalog) -> None:
    closed = [iv for iv in cat.interventions.values() if iv.area == AREA and not is_open_on(iv, ON)]
    assert closed, "the default catalog has withdrawn provision (RESOLVE)"
    b = build_briefing(cat, AREA, on=ON)
    assert [e.id for e in b.unavailable] == sorted((iv.id for iv in closed), key=lambda i: (cat.interventions[i].name.lower(), i))
    html, _ = html_text(render_briefing(b, "html"))
    for iv in closed:
        assert str(iv.status.since) in html
        assert " ".join(str(iv.status.reason).split()) in html


def test_before_its_withdrawal_date_provision_is_still_listed_with_the_date_it_ends(cat: Catalog) -> None:
    iv = next(iv for iv in cat.interventions.values() if iv.area == AREA and iv.status.state == "withdrawn" and iv.status.since)
    earlier = iv.status.since - dt.timedelta(days=1)  # type: ignore[operator]
    b = build_briefing(cat, AREA, on=earlier)
    assert iv.id not in [e.id for e in b.unavailable]
    (entry,) = [e for e in b.open_entries if e.id == iv.id]
    assert entry.status.startswith(f"Open until {earlier}; withdrawn from {iv.status.since}")


def test_every_eligibility_rule_has_its_own_sentence_and_its_screen_test_in_the_output(cat: Catalog) -> None:
    b = build_briefing(cat, AREA, on=ON)
    md = render_briefing(b, "md")
    html, _ = html_text(render_briefing(b, "html"))
    for e in b.open_entries:
        lines = {x.id: x for x in e.criteria + e.exclusions}
        for r in cat.rules.rules[e.id]:
            precise = rule_precise(r, cat.rules.registry)
            if r.judgement:  # its text is beside it: the screen test says who decides, and when
                precise = lines[r.id].precise
                assert f"eligible if {r.decider} agrees" in precise and (r.applies is None or "needed only if" in precise), r.id
            assert md_escape(r.text) in md and md_escape(precise) in md, r.id
            assert " ".join(r.text.split()) in html and precise in html, r.id


def test_changing_a_criterion_in_the_rules_changes_the_sentence_in_the_briefing(cat: Catalog, tmp_path: Path) -> None:
    rule = next(r for r in cat.rules.all_rules() if r.when.__class__.__name__ == "Cmp" and r.when.field == "risk.ogrs3_2yr"
                and is_open_on(cat.interventions[r.intervention], ON))
    old_value = rule.when.value  # type: ignore[union-attr]
    c = CatalogCopy(tmp_path)

    def change(rules: dict) -> None:
        for r in rules["criteria"] + rules.get("exclusions", []):
            if r["id"] == rule.id:
                r["when"][rule.when.op] = old_value + 7  # type: ignore[union-attr]

    c.rules_of(rule.intervention, change)
    new = load_catalog(c.root)

    def entry_text(catalog: Catalog) -> str:
        md = render_briefing(build_briefing(catalog, AREA, on=ON), "md")
        name = md_escape(catalog.interventions[rule.intervention].name)
        block = md.split(f"### {name}\n", 1)[1]
        return re.split(r"\n##", block, maxsplit=1)[0]

    before, after = entry_text(cat), entry_text(new)
    assert f"OGRS3 two-year score is {old_value:g}" in before
    assert f"OGRS3 two-year score is {old_value + 7:g}" in after
    assert f"OGRS3 two-year score is {old_value:g}" not in after


def test_no_provision_from_another_area_appears(cat: Catalog, tmp_path: Path) -> None:
    c = CatalogCopy(tmp_path)
    c.info(lambda i: i["areas"].append({"id": "rutland", "name": "Rutland", "towns": ["oakham", "uppingham"]}))
    c.providers(lambda p: p["providers"][0]["areas"].append("rutland"))
    base = next(iv for iv in cat.interventions.values() if iv.area == AREA and iv.status.state == "open")
    entry = copy.deepcopy(base.model_dump(mode="json", exclude_none=True))
    entry.update(id="rutland_course", name="Rutland only course", area="rutland",
                 where={"towns": ["oakham"], "offices": [], "outreach": True}, provider=next(iter(cat.providers)))
    c.add(entry, {"criteria": [{"id": "rutland_course.adult", "text": "Adults in Rutland.", "when": {"field": "age", "gte": 18}}]})
    both = load_catalog(c.root)
    for fmt in ("md", "html"):
        text = render_briefing(build_briefing(both, AREA, on=ON), fmt)  # type: ignore[arg-type]
        assert "Rutland" not in text
    rutland = build_briefing(both, "rutland", on=ON)
    assert [e.id for e in rutland.open_entries] == ["rutland_course"]


def test_a_town_briefing_keeps_only_provision_delivered_there_or_by_outreach(cat: Catalog) -> None:
    area = {a.id: a for a in cat.info.areas}[AREA]
    for town in area.towns:
        b = build_briefing(cat, AREA, town=town, on=ON)
        got = {e.id for e in b.open_entries}
        want = {iv.id for iv in cat.interventions.values() if iv.area == AREA and is_open_on(iv, ON)
                and (town in iv.where.towns or iv.where.outreach)}
        assert got == want, town


def test_the_briefing_states_its_catalog_version_and_date_and_is_reproducible(cat: Catalog) -> None:
    for fmt in ("md", "html"):
        one = render_briefing(build_briefing(cat, AREA, on=ON), fmt)  # type: ignore[arg-type]
        two = render_briefing(build_briefing(load_catalog(REPO), AREA, on=ON), fmt)  # type: ignore[arg-type]
        assert one == two
        assert cat.version in one and "2017-03-01" in one and cat.info.edition in one


def test_illustrative_figures_are_marked(cat: Catalog) -> None:
    b = build_briefing(cat, AREA, on=ON)
    for e in b.open_entries:
        iv = cat.interventions[e.id]
        if "rar_days" in iv.illustrative:
            assert "(illustrative)" in e.requirement
        if "waiting_weeks" in iv.illustrative:
            assert "(illustrative)" in e.status


def test_the_html_is_one_accessible_file_with_nothing_fetched_from_elsewhere(cat: Catalog) -> None:
    html = render_briefing(build_briefing(cat, AREA, on=ON), "html")
    _, tags = html_text(html)
    names = [t for t, _ in tags]
    assert names.count("h1") == 1 and "main" in names and "h2" in names and "h3" in names
    assert dict(tags)["html"].get("lang", "").startswith("en")
    assert not {"script", "link", "img", "iframe", "object"} & set(names)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html)
    assert "@import" not in html and "url(" not in html
    for tag, attrs in tags:
        if tag == "th":
            assert attrs.get("scope") in ("row", "col")
    # every table has header cells
    for table in re.findall(r"<table.*?</table>", html, flags=re.S):
        assert "<th" in table
    assert "@media print" in html and "size: A4" in html


def test_cli_writes_the_briefing_and_bad_input_exits_1_without_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "b.html"
    r = CliRunner().invoke(cli, ["brief", "--area", AREA, "--on", "2017-03-01", "--format", "html", "--out", str(out), "--catalog", str(REPO)])
    assert r.exit_code == 0, r.output
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    r = CliRunner().invoke(cli, ["brief", "--area", AREA, "--on", "2017-03-01", "--since", str(REPO), "--catalog", str(REPO)])
    assert r.exit_code == 0 and "No changes." in r.output
    r = CliRunner().invoke(cli, ["brief", "--area", AREA, "--on", "2017-03-01", "--format", "json", "--catalog", str(REPO)])
    assert r.exit_code == 0 and json.loads(r.output)["catalog_version"] == load_catalog(REPO).version
    for args, says in ((["--area", "atlantis"], "No area 'atlantis'"), (["--area", AREA, "--town", "luton"], "No town 'luton'")):
        with pytest.raises(SystemExit) as e:
            main(["brief", *args, "--catalog", str(REPO)])
        assert e.value.code == 1
        err = capsys.readouterr().err
        assert says in err and "Traceback" not in err


def test_an_unknown_area_is_a_clear_error_in_the_api(cat: Catalog) -> None:
    with pytest.raises(BriefingError, match="Areas: northamptonshire"):
        build_briefing(cat, "bedfordshire")


def test_the_committed_example_briefings_match_the_shipped_catalog(cat: Catalog) -> None:
    b = build_briefing(cat, AREA, on=ON)
    for fmt in ("md", "html"):
        committed = (REPO / "examples" / "briefing" / f"northamptonshire.{fmt}").read_text(encoding="utf-8")
        assert committed == render_briefing(b, fmt), (  # type: ignore[arg-type]
            f"examples/briefing/northamptonshire.{fmt} is out of date; regenerate it with the command in docs/cli.md"
        )
