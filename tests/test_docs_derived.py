"""docs/formats.md lists the derived-fact ids generated from rules/derived.yaml (issue 12): a
catalog editor reads the list there, so it must never drift from the rules."""

from __future__ import annotations

from pathlib import Path

from ratecard.rules.derived_doc import COMMAND, DOC, current, rewrite

ROOT = Path(__file__).resolve().parent.parent


def test_the_derived_fact_table_in_docs_formats_is_current() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert rewrite(text, current(ROOT / "rules")) == text, f"docs/formats.md is out of date; run: {COMMAND}"


def test_the_table_names_every_derived_fact_and_only_those(tmp_path: Path) -> None:
    import yaml

    ids = [d["id"] for d in yaml.safe_load((ROOT / "rules" / "derived.yaml").read_text())["derived"]]
    block = current(ROOT / "rules")
    rows = [line for line in block.splitlines() if line.startswith("| `")]
    assert sorted(r.split("`")[1] for r in rows) == sorted(ids)
    # a fact added to the rules makes the committed doc stale
    rules = tmp_path / "rules"
    (rules / "interventions").mkdir(parents=True)
    (rules / "derived.yaml").write_text((ROOT / "rules" / "derived.yaml").read_text() + (
        "  - id: new_fact\n    text: A new fact.\n    type: flag\n"
        "    cases: [{value: true, when: {field: age, gte: 18}}]\n    otherwise: false\n"))
    assert "`new_fact`" in current(rules)
    assert rewrite(DOC.read_text(encoding="utf-8"), current(rules)) != DOC.read_text(encoding="utf-8")
