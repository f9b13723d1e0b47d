"""A criterion only a person can decide (`judgement: true`): loaded, carried by every back end as
unknown, never met, and refused when written wrong."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from ratecard import screen
from ratecard.case.model import Case
from ratecard.catalog.load import load_catalog
from ratecard.errors import CatalogError
from ratecard.rules.batch import BatchProgram
from ratecard.rules.durable import Engine
from ratecard.rules.reference import evaluate
from ratecard.rules.wording import rule_precise

from .cases import ON

REPO = Path(__file__).resolve().parent.parent
JUDGED = """\
      - id: tsp.treatment_manager
        text: A repeat needs the treatment manager's agreement.
        judgement: true
        basis: report
        source: Inspection report 2017, "Delivery"
"""


def _catalog(tmp_path: Path, rule: str = JUDGED) -> Path:
    """The shipped catalog with one more criterion for TSP."""
    root = tmp_path / "cat"
    shutil.copytree(REPO / "catalog", root / "catalog")
    shutil.copytree(REPO / "rules", root / "rules", ignore=shutil.ignore_patterns("tests"))
    f = root / "rules" / "interventions" / "bench_crc.yaml"
    text = f.read_text(encoding="utf-8")
    anchor = "      - id: tsp.ogrs3\n"
    assert anchor in text
    f.write_text(text.replace(anchor, rule + anchor, 1), encoding="utf-8")
    return root


def _man(ogrs: float) -> Case:
    return Case.model_validate({"id": "j", "person": {"sex": "male", "date_of_birth": "1980-01-01", "home_town": "northampton",
                                                      "area": "northamptonshire"},
                                "offence": {"category": "acquisitive", "sexual": False}, "history": {"completed_programmes": []},
                                "risk": {"ogrs3_2yr": ogrs}}, strict=False)


def test_a_judgement_is_loaded_with_its_text_and_source_and_no_condition(tmp_path: Path) -> None:
    cat = load_catalog(_catalog(tmp_path))
    (r,) = [x for x in cat.rules.rules["tsp"] if x.judgement]
    assert r.when is None and r.fields == () and r.source == 'Inspection report 2017, "Delivery"' and r.kind == "criterion"
    assert cat.program.rules[r.id].true == () and cat.program.rules[r.id].false == () and cat.program.rules[r.id].judgement
    assert "Decided by a person" in rule_precise(r, cat.rules.registry)


def test_every_back_end_leaves_a_judgement_unknown_and_the_screen_never_calls_it_met(tmp_path: Path) -> None:
    cat = load_catalog(_catalog(tmp_path))
    met, failed = _man(80), _man(10)
    from ratecard.case.facts import case_facts

    for case in (met, failed):
        facts = case_facts(case, ON)
        ref = evaluate(cat.program, facts)
        dur = Engine(cat.program).evaluate(facts)
        assert ref == dur
        assert ref.outcomes["tsp.treatment_manager"] is None
    frame = pl.DataFrame([{"risk.ogrs3_2yr": 80.0}]).with_row_index("row", 1)
    bp = BatchProgram(cat.program, cat.rules)
    cols = [f for f in cat.program.registry if cat.program.registry[f].source != "derived" and f not in frame.columns]
    frame = frame.with_columns([pl.lit(None).alias(f) for f in cols])
    screened = bp.screen(frame.lazy()).collect()
    assert screened[bp.outcome_col("tsp.treatment_manager")][0] is None
    # everything case data decides is met, and the judgement keeps the result open
    r = screen(met, cat, on=ON).result("tsp")
    assert r.decision == "undetermined" and not r.missing
    assert [x.rule for x in r.reasons] == ["tsp.treatment_manager"] and r.reasons[0].outcome == "unknown"
    # a criterion case data fails still makes the person ineligible: the judgement does not hide it
    assert screen(failed, cat, on=ON).result("tsp").decision == "ineligible"


@pytest.mark.parametrize(("rule", "says"), [
    (JUDGED.replace("judgement: true", "judgement: false"), "write 'judgement: true'"),
    (JUDGED.replace("        source: Inspection report 2017, \"Delivery\"\n", ""), "missing 'source'"),
    (JUDGED + "        when: {field: age, gte: 18}\n", "a judgement has no condition"),
    (JUDGED.replace("        judgement: true\n", ""), "unknown field 'source'"),
])
def test_a_judgement_written_wrong_is_refused_with_the_fix(tmp_path: Path, rule: str, says: str) -> None:
    if "unknown field 'source'" in says:
        # without 'judgement' it is an ordinary rule, which needs a condition
        says = "missing 'when'"
    with pytest.raises(CatalogError, match=says):
        load_catalog(_catalog(tmp_path, rule))
