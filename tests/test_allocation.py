"""Allocation, tier and escalation after sentence, with the default catalog's rules."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from click.testing import CliRunner

from ratecard import Case, default_catalog
from ratecard.decide.allocation import allocate
from ratecard.catalog.load import default_catalog_path
from ratecard.cli import cli

pytestmark = pytest.mark.skipif(not (default_catalog_path() / "catalog.yaml").exists(), reason="default catalog not present")
ON = dt.date(2017, 6, 1)


def case(events: list[dict[str, Any]] | None = None, **risk: Any) -> Case:
    data: dict[str, Any] = {
        "id": "alloc",
        "person": {"sex": "male", "date_of_birth": "1980-01-01", "home_town": "kettering"},
        # a known non-sexual offence: with the offence unknown, MAPPA category 1 (and so the NPS) cannot be ruled out
        "offence": {"category": "acquisitive", "sexual": False},
        "risk": {"rosh": "medium", "ogrs3_2yr": 40.0, "mappa_level": 0, **risk},
        "motivation": "low",
        "sentence": {"type": "community_order", "length_months": 12, "start": "2017-01-09"},
    }
    if events is not None:
        data["events"] = events
    return Case.model_validate_json(json.dumps(data))


def test_a_crc_case_whose_rosh_rises_to_high_is_escalated() -> None:
    a = allocate(case([{"date": "2017-04-03", "kind": "risk_review", "rosh": "high"}]), default_catalog(), on=ON)
    assert [h.allocation for h in a.history] == ["crc", "nps"]
    assert a.allocation == "nps"
    assert a.escalation is not None and a.escalation.date == dt.date(2017, 4, 3)
    assert "high" in a.escalation.reason and "NPS" in a.escalation.reason


def test_no_escalation_before_the_rise_or_for_a_case_that_was_always_nps() -> None:
    rising = case([{"date": "2017-04-03", "kind": "risk_review", "rosh": "very_high"}])
    before = allocate(rising, default_catalog(), on=dt.date(2017, 4, 2))
    assert before.allocation == "crc" and before.escalation is None
    always = allocate(case(rosh="high"), default_catalog(), on=ON)
    assert always.allocation == "nps" and always.escalation is None and "risk of serious harm high" in always.reason


def test_mappa_makes_it_an_nps_case_with_that_reason() -> None:
    a = allocate(case(rosh="low", mappa_level=2), default_catalog(), on=ON)
    assert a.allocation == "nps" and "MAPPA level 2" in a.reason


def test_tier_is_recomputed_after_a_change_of_motivation_and_after_a_breach() -> None:
    events = [{"date": "2017-02-01", "kind": "motivation_change", "motivation": "close_to_change"},
              {"date": "2017-03-01", "kind": "breach", "motivation": "not_close_to_change"}]
    a = allocate(case(events), default_catalog(), on=ON)
    assert [h.event for h in a.history] == ["sentence", "motivation_change", "breach"]
    # Figure 1.2: medium RoSH with a low likelihood of reoffending is yellow whenever not close to change
    assert [h.tier for h in a.history] == ["yellow", "red", "yellow"]
    assert a.tier == "yellow" and a.allocation == "crc"


def test_unknown_risk_is_reported_missing_not_guessed() -> None:
    c = Case.model_validate_json(json.dumps({"id": "x", "risk": {"ogrs3_2yr": 20.0}}))
    a = allocate(c, default_catalog(), on=ON)
    assert a.allocation is None
    assert {"risk.rosh", "risk.mappa_level"} <= {m.field for m in a.missing}


def test_an_event_must_say_what_changed() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="motivation"):
        case([{"date": "2017-02-01", "kind": "motivation_change"}])


def test_cli_allocate_json(tmp_path: Any) -> None:
    p = tmp_path / "c.json"
    p.write_text(case([{"date": "2017-04-03", "kind": "risk_review", "rosh": "high"}]).model_dump_json())
    res = CliRunner().invoke(cli, ["allocate", str(p), "--on", "2017-06-01", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["allocation"] == "nps" and out["escalation"]["date"] == "2017-04-03"
    assert out["on"] == "2017-06-01" and out["catalog_version"].startswith("sha256:")
