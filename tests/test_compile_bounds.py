"""Compiling a catalog is bounded (issue 20): a rule whose exact forms would take minutes is refused
with its file and line, `in:` lists cost their length, and long chains of derived facts are ordered
or refused without a RecursionError. The time it takes is printed by benchmarks/bench_compile.py;
here the work is counted (deterministic units, not seconds)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from ratecard.errors import CatalogError
from ratecard.catalog.load import load_catalog
from ratecard.rules import forms
from ratecard.rules.conditions import All, Any_, Cmp
from ratecard.rules.fields import base_registry
from ratecard.rules.loader import Rule, RuleSet

from .catalog_copy import REPO, CatalogCopy

NUMBERS = ["needs.accommodation.score", "needs.education_training_and_employability.score", "needs.relationships.score",
           "needs.lifestyle_and_associates.score", "needs.drug_misuse.score", "needs.alcohol_misuse.score",
           "needs.thinking_and_behaviour.score", "needs.attitude.score", "risk.ogrs3_2yr", "risk.ovp_2yr", "risk.rsr",
           "sentence.length_months", "sentence.rar_days", "age", "months_left"]


def cycle(n: int) -> dict[str, Any]:
    """n two-term clauses round a cycle of n number fields (12 took 48 s to load, 13 more than two
    minutes; benchmarks/bench_compile.py)."""
    return {"all": [{"any": [{"field": NUMBERS[i], "gte": 2 + i % 5},
                             {"field": NUMBERS[(i + 1) % n], "lt": 2 + (3 * i) % 7}]} for i in range(n)]}


def _validate(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ratecard", "validate", str(root)], capture_output=True, text=True,
                          cwd=REPO, timeout=120, env={"PATH": "/usr/bin:/bin", "RATECARD_NO_CACHE": "1"})


@pytest.mark.parametrize("clauses", [12, 13])
def test_a_rule_too_costly_to_compile_is_refused_with_its_file_and_line(tmp_path: Path, clauses: int) -> None:
    cc = CatalogCopy(tmp_path)
    cc.rules_of("sova_mentoring", lambda r: r["criteria"].append({"id": "sova_mentoring.cycle", "text": "Cycle.",
                                                                    "when": cycle(clauses)}))
    with pytest.raises(CatalogError) as e:
        load_catalog(tmp_path)
    (problem,) = e.value.problems
    rule_file = tmp_path / "rules" / "interventions" / "sova.yaml"
    line = next(i for i, text in enumerate(rule_file.read_text().splitlines(), 1) if "sova_mentoring.cycle" in text)
    assert (problem.file, problem.line, problem.field) == (str(rule_file), line, "sova_mentoring.cycle")
    assert "too complex to decide exactly" in problem.message and "split it" in problem.message
    r = _validate(tmp_path)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert f"sova.yaml:{line}: sova_mentoring.cycle: this condition is too complex" in r.stderr


def _work(cond: Any) -> int:
    """The units of work compiling one rule takes (see forms.MAX_WORK)."""
    spaces: list[forms._Space] = []
    compiler = forms._Compiler(RuleSet({}, (), {}, base_registry()))
    make = compiler.space
    compiler.space = lambda conds: spaces.append(make(conds)) or spaces[-1]  # type: ignore[method-assign]
    compiler.forms(cond, Rule("x.r", "t", "criterion", cond, "x"))
    return sum(s.work for s in spaces)


@pytest.mark.parametrize("kind", [Any_, All])
def test_in_and_not_in_lists_cost_their_length_not_its_square(kind: type) -> None:
    # `in: [5,000 towns]` took 36 s and 2 GB, `not_in` of 9,990 took 228 s and 8.2 GB
    def listed(n: int) -> Any:
        return kind(tuple(Cmp("person.home_town", "eq" if kind is Any_ else "ne", f"town_{i}") for i in range(n)))

    small, large = _work(listed(500)), _work(listed(8000))
    assert large <= 16 * small * 1.2, (small, large)
    ages = Any_(tuple(Cmp("sentence.unpaid_work_hours", "eq", h) for h in range(20, 301)))
    assert _work(ages) <= 4 * 281


def test_the_shipped_rules_compile_far_inside_the_bound() -> None:
    # a rule in the shipped catalog must never be near the refusal: the costliest (the PNI sex domain)
    # is about 21,000 units, a seventh of the bound
    spaces: list[forms._Space] = []
    make = forms._Compiler.space

    def space(self: forms._Compiler, conds: Any) -> forms._Space:
        spaces.append(make(self, conds))
        return spaces[-1]

    original = forms._Compiler.space
    forms._Compiler.space = space  # type: ignore[method-assign]
    try:
        load_catalog(REPO)
    finally:
        forms._Compiler.space = original  # type: ignore[method-assign]
    assert max(s.work for s in spaces) * 5 < forms.MAX_WORK


def _with_derived(root: Path, facts: list[dict[str, Any]]) -> None:
    CatalogCopy(root)
    p = root / "rules" / "derived.yaml"
    data = yaml.safe_load(p.read_text())
    data["derived"] += facts
    p.write_text(yaml.safe_dump(data, sort_keys=False))


def _flag(i: int, when: dict[str, Any]) -> dict[str, Any]:
    return {"id": f"added_{i}", "text": "Added.", "type": "flag", "cases": [{"value": True, "when": when}], "otherwise": False}


def test_a_chain_of_2000_derived_facts_loads_and_decides(tmp_path: Path) -> None:
    n = 2000
    _with_derived(tmp_path, [_flag(i, {"field": "age", "gte": 18} if i == 0 else {"field": f"added_{i - 1}", "eq": True})
                             for i in range(n)])
    cat = load_catalog(tmp_path)
    assert len(cat.rules.strata) >= n and cat.rules.strata[0].count("added_0") == 1


def test_a_chain_of_2000_sums_loads(tmp_path: Path) -> None:
    n = 2000
    _with_derived(tmp_path, [{"id": f"added_{i}", "text": "t", "type": "number",
                              "sum": ["needs.accommodation.score" if i == n - 1 else f"added_{i + 1}"]} for i in range(n)])
    cat = load_catalog(tmp_path)
    assert cat.program.derived["added_0"].sum == ("added_1",)


def test_a_cycle_of_330_derived_facts_is_refused_by_validate_with_a_short_message(tmp_path: Path) -> None:
    n = 330
    _with_derived(tmp_path, [_flag(i, {"field": f"added_{(i + 1) % n}", "eq": True}) for i in range(n)])
    r = _validate(tmp_path)
    assert r.returncode == 1 and "Traceback" not in r.stderr and "RecursionError" not in r.stderr
    assert "derived facts form a cycle: added_0 -> added_1" in r.stderr and "(319 more)" in r.stderr
    assert len(r.stderr) < 1000
