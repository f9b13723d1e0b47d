"""The caseload needs assessment: its counts agree with screening each case on its own, provision
follows reachability and time left, gaps and missing information are found, and the HTML is one
self-contained printable file (checked in the real browser)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ratecard import default_catalog, screen
from ratecard.case.model import Case
from ratecard.cli import cli
from ratecard.decide.caseload import build_caseload, capacity_of
from ratecard.decide.screen_many import screen_many
from ratecard.present.caseload import render_caseload

from .cases import ON

REPO = Path(__file__).resolve().parent.parent
LINES = (REPO / "examples" / "caseload" / "cases.jsonl").read_text().splitlines()


@pytest.fixture(scope="module")
def sample() -> tuple[list[Case], Any]:
    cases = [Case.model_validate_json(x) for x in LINES[:300]]
    return cases, build_caseload(cases, default_catalog(), on=ON, area="northamptonshire")


def test_counts_agree_with_screening_each_case(sample: tuple[list[Case], Any]) -> None:
    cases, report = sample
    screens = [screen(c, default_catalog(), on=ON) for c in cases]
    assert report.cases == len(cases)
    for row in report.interventions:
        decisions = [s.result(row.intervention).decision for s in screens]
        assert (row.eligible, row.undetermined) == (decisions.count("eligible"), decisions.count("undetermined")), row.intervention
        assert row.demand <= row.eligible
    for n in report.needs:
        flags = [s.derived.get(f"need_{n.need}") for s in screens]
        assert n.identified == flags.count(True)
        assert n.met + n.undetermined_only + n.none == n.identified
    assert [n.need for n in report.needs][:7] == ["thinking_and_behaviour", "emotional_wellbeing", "alcohol_misuse",
                                                   "relationships", "drug_misuse", "accommodation", "attitude"]


def test_missing_information_counts_the_undetermined_decisions_each_field_could_settle(sample: tuple[list[Case], Any]) -> None:
    cases, report = sample
    counts: dict[str, int] = {}
    for c in cases:
        for r in screen(c, default_catalog(), on=ON).results:
            for m in r.missing:
                counts[m.field] = counts.get(m.field, 0) + 1
    assert {m.field: m.decisions for m in report.missing_information} == counts
    assert [m.decisions for m in report.missing_information] == sorted(counts.values(), reverse=True)


def _person(i: int, transport: bool) -> dict[str, Any]:
    return {"id": f"t{i}", "person": {"sex": "male", "date_of_birth": "1980-05-05", "home_town": "daventry", "area": "northamptonshire"},
            "needs": {"finance": {"identified": True}, "education_training_and_employability": {"score": 6}},
            "responsivity": {"has_transport": transport},
            "sentence": {"type": "community_order", "length_months": 12, "start": "2017-02-01"}}


@pytest.fixture(scope="module")
def known_venue(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The catalog with the CRC's ETE service (the only provision for finance) at known venues:
    an assumed venue is never 'not reachable'."""
    from ratecard import load_catalog

    from .catalog_copy import CatalogCopy

    copy = CatalogCopy(tmp_path_factory.mktemp("cat"))
    copy.intervention("crc_ete", lambda e: e["where"].__setitem__("assumed", False))
    return load_catalog(copy.root)


def test_no_transport_outside_the_towns_where_a_service_runs_is_a_gap_and_transport_closes_it(known_venue: Any) -> None:
    # finance is met only by the CRC's ETE service, run in Northampton, Kettering and Wellingborough
    without = build_caseload([_person(i, False) for i in range(12)], known_venue, on=ON)
    finance = next(n for n in without.needs if n.need == "finance")
    assert (finance.identified, finance.met, finance.none) == (12, 0, 12)
    assert {(g.dimension, g.group) for g in without.gaps if g.need == "finance"} >= {("town", "daventry"), ("transport", "no transport")}
    with_car = build_caseload([_person(i, True) for i in range(12)], known_venue, on=ON)
    assert next(n for n in with_car.needs if n.need == "finance").met == 12
    assert not [g for g in with_car.gaps if g.need == "finance"]
    # the shipped catalog only assumes where it runs: then the venue is to be confirmed, never out of reach
    assumed = build_caseload([_person(i, False) for i in range(12)], default_catalog(), on=ON)
    assert next(n for n in assumed.needs if n.need == "finance").met == 12


def test_an_order_too_short_for_the_waiting_list_is_not_provision() -> None:
    short = [{**_person(i, True), "sentence": {"type": "community_order", "length_months": 1, "start": "2017-02-20"}} for i in range(3)]
    report = build_caseload(short, default_catalog(), on=ON)
    # the ETE service takes 8 weeks; a week left on the order cannot fit it
    assert next(n for n in report.needs if n.need == "finance").none == 3


def test_capacity_gives_an_implied_wait_and_absent_capacity_is_reported_unknown(sample: tuple[list[Case], Any]) -> None:
    iv = default_catalog().interventions["tsp"]
    assert capacity_of(iv) == (iv.capacity, "assumed: the report gives none")  # the catalog marks it illustrative
    assert capacity_of(iv.model_copy(update={"capacity": None})) == (None, "not given in the catalog")
    assert capacity_of(iv.model_copy(update={"illustrative": []}))[1] == "from the catalog"
    for row in sample[1].interventions:
        if row.capacity:
            assert row.implied_wait_weeks == round(52 * row.demand / row.capacity, 1)
        else:
            assert row.implied_wait_weeks is None


def test_json_has_the_documented_keys_and_the_cli_writes_every_format(tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(LINES[:60]) + "\n")
    runner = CliRunner()
    r = runner.invoke(cli, ["caseload", str(path), "--on", "2017-03-01", "--format", "json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert {"catalog_version", "on", "needs", "interventions", "gaps", "missing_information"} <= set(data)
    assert {"eligible", "undetermined", "capacity"} <= set(data["interventions"][0])
    for fmt in ("md", "html"):
        out = tmp_path / f"r.{fmt}"
        r = runner.invoke(cli, ["caseload", str(path), "--on", "2017-03-01", "--format", fmt, "--out", str(out)])
        assert r.exit_code == 0, r.output
        assert data["catalog_version"] in out.read_text()


def test_the_html_is_self_contained_and_prints_without_overflow(sample: tuple[list[Case], Any], tmp_path: Path) -> None:
    from .test_briefing_print import dom_overflow, page_margins_mm, print_pdf, words_past_margin

    html = render_caseload(sample[1], "html")
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "") and "https://" not in html
    assert html.count("<svg") == 2
    result = dom_overflow(html, tmp_path)
    assert result["tables"] >= 5 and result["bad"] == []
    assert words_past_margin(print_pdf(html, tmp_path), page_margins_mm(html)[1]) == []


def test_error_rows_are_left_out_of_the_counts_and_said() -> None:
    rows = [json.loads(LINES[0]), {"id": "bad", "risk": {"rosh": "enormous"}}]
    result = screen_many(rows, default_catalog(), on=ON)
    report = build_caseload(result, default_catalog(), on=ON)
    assert (report.cases, report.error_rows) == (1, 1)


def test_an_area_report_keeps_cases_without_a_town_and_says_how_many_live_elsewhere() -> None:
    rows = [_person(0, True), {**_person(1, True), "person": {"sex": "male", "date_of_birth": "1980-05-05"}},
            {**_person(2, True), "person": {"sex": "male", "date_of_birth": "1980-05-05", "area": "bedfordshire"}}]
    report = build_caseload(rows, default_catalog(), on=ON, area="northamptonshire")
    assert (report.cases, report.other_area_cases) == (2, 1)


def test_the_committed_example_report_is_what_the_command_gives_today() -> None:
    from ratecard.case.tables import read_cases

    report = build_caseload(read_cases(REPO / "examples" / "caseload" / "cases.jsonl"), default_catalog(), on=ON,
                            area="northamptonshire")
    assert report.cases == 8142
    for fmt in ("md", "html"):
        assert render_caseload(report, fmt) == (REPO / "examples" / "caseload" / f"report.{fmt}").read_text(), (
            f"regenerate examples/caseload/report.{fmt} (docs/cli.md: 'A whole caseload')")
