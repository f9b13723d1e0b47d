"""A reference date long after the catalog's own date is said plainly: the 2017 provision is not
today's, and a court officer who leaves the date at today must be told before relying on it."""

from __future__ import annotations

import datetime as dt

from pathlib import Path

from click.testing import CliRunner

from ratecard import default_catalog, load_case, screen
from ratecard.cli import cli

CASE = Path(__file__).parent.parent / "examples" / "cases" / "dv-first-conviction-sso-fifties.yaml"


def _codes(on: dt.date) -> list[str]:
    return [w.code for w in screen(load_case(CASE), default_catalog(), on=on).warnings]


def test_a_reference_date_over_a_year_after_the_catalog_is_warned() -> None:
    as_of = default_catalog().info.as_of
    assert "catalog_dated" not in _codes(dt.date(2017, 3, 1))
    assert "catalog_dated" not in _codes(as_of + dt.timedelta(days=366))
    assert "catalog_dated" in _codes(as_of + dt.timedelta(days=367))
    assert "catalog_dated" in _codes(dt.date(2026, 12, 3))


def test_the_proposal_carries_the_warning_to_the_officer() -> None:
    out = CliRunner().invoke(cli, ["propose", str(CASE), "--on", "2026-12-03"], env={"COLUMNS": "100"})
    assert out.exit_code == 0, out.output
    text = out.output
    assert "as at January 2017, more than a year before the reference date" in " ".join(text.split())
