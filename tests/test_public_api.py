"""The Python contract (issue 19): every entry point takes a case as a Case, a mapping or a JSON/YAML
string through the one validation, in one argument order; every type a result holds is exported,
frozen and dumpable, tuples all the way down."""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import json
import types
import typing
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

import ratecard
from ratecard import Case, CaseError, check_referral, default_catalog, load_case, propose, screen

ON = dt.date(2017, 3, 1)
ROOT = Path(__file__).resolve().parent.parent
ALAN = ROOT / "examples" / "cases" / "dv-first-conviction-sso-fifties.yaml"
LEDGER = ROOT / "examples" / "cases" / "rar-20-days-little-time-left.yaml"


def _three_doors(path: Path) -> tuple[Case, types.MappingProxyType[str, typing.Any], str]:
    text = path.read_text()
    data = json.loads(json.dumps(yaml.safe_load(text), default=str))
    # read-only mappings and tuples, not dicts and lists: the signature says Mapping, so any must do
    return load_case(path), _read_only(data), text


def _read_only(data: typing.Any) -> typing.Any:
    if isinstance(data, dict):
        return types.MappingProxyType({k: _read_only(v) for k, v in data.items()})
    return tuple(_read_only(v) for v in data) if isinstance(data, list) else data


@pytest.mark.parametrize("call", [
    lambda c: screen(c, None, on=ON),
    lambda c: propose(c, None, on=ON),
    lambda c: check_referral(c, "bold_moves_victim_awareness", None, on=ON),
    lambda c: ratecard.allocate(c, None, on=ON),
    lambda c: ratecard.rar_ledger(c, None, on=ON),
], ids=["screen", "propose", "check_referral", "allocate", "rar_ledger"])
def test_every_entry_point_gives_the_same_answer_for_a_case_a_mapping_and_its_text(call: typing.Any) -> None:
    answers = [call(c) for c in _three_doors(LEDGER)]
    dumps = [a.model_dump(mode="json") if a is not None else None for a in answers]
    assert dumps[0] is not None and dumps[0] == dumps[1] == dumps[2]


@pytest.mark.parametrize("bad", [{"risk": {"ogrs3_2yr": 140}}, "risk: {ogrs3_2yr: 140}"])
def test_a_bad_mapping_or_text_is_a_case_error_naming_the_field_on_every_path(bad: typing.Any) -> None:
    for call in (screen, propose, ratecard.allocate, ratecard.rar_ledger):
        with pytest.raises(CaseError) as e:
            call(bad, on=ON)
        assert [p.field for p in e.value.problems] == ["risk.ogrs3_2yr"]


def test_rar_ledger_reads_as_the_other_entry_points_and_refuses_the_old_order() -> None:
    case, catalog = load_case(LEDGER), default_catalog()
    ledger = ratecard.rar_ledger(case, catalog, on=ON)
    assert ledger is not None and ledger.rar_days == 20
    # the referral check counts the same days
    check = check_referral(case, "bold_moves_victim_awareness", catalog, on=ON)
    assert check.rar is not None and check.rar.days_used == ledger.days_used
    # the order before: never read as a catalog, and the message gives the form to write
    with pytest.raises(TypeError, match=r"rar_ledger\(case, catalog, on=date\)"):
        ratecard.rar_ledger(case, ON)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="positional"):
        ratecard.rar_ledger(case, ON, catalog)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="load_catalog"):
        ratecard.rar_ledger(case, "catalog/")  # type: ignore[arg-type]


def test_build_briefing_takes_the_area_first_and_still_reads_the_old_order_with_a_warning() -> None:
    catalog = default_catalog()
    new = ratecard.build_briefing("northamptonshire", catalog, on=ON)
    with pytest.warns(DeprecationWarning, match="old order"):
        old = ratecard.build_briefing(catalog, "northamptonshire", on=ON)  # type: ignore[arg-type]
    assert new == old and new.area == "northamptonshire"
    assert ratecard.build_briefing("northamptonshire", on=ON) == new  # the shipped catalog by default


@pytest.mark.parametrize("door", [0, 1, 2], ids=["Case", "mapping", "text"])
def test_screen_many_reads_one_case_as_one_case_never_as_its_fields_or_letters(door: int) -> None:
    one = _three_doors(ALAN)[door]
    table = ratecard.screen_many(one, on=ON)
    assert table.height == 1 and not table.errors
    got = {r["intervention"]: r["decision"] for r in table.long.iter_rows(named=True)}
    assert got == {r.intervention: r.decision for r in screen(one, on=ON).results}


# ---- the exported types ---------------------------------------------------------------------------

_RESULTS = ("Screen", "Proposal", "ReferralCheck", "Allocation", "RarLedger", "Briefing", "CaseloadReport", "BatchRow",
            "CatalogDiff", "RuleTestResult")
_OWN_INPUTS = ("ratecard.case.", "ratecard.catalog.model")  # the case and catalog models, exported by their roots


def _reachable(tp: typing.Any, seen: dict[type, str], path: str, mutable: list[str]) -> None:
    origin = typing.get_origin(tp)
    if origin in (list, dict, set) or tp in (list, dict, set):
        mutable.append(f"{path}: {tp}")
    for arg in typing.get_args(tp):
        _reachable(arg, seen, path, mutable)
    if isinstance(tp, type) and issubclass(tp, BaseModel) and tp not in seen:
        seen[tp] = path
        if tp.__module__.startswith(_OWN_INPUTS):
            return  # a rule test result holds its Case: the input model, not a result
        hints = typing.get_type_hints(tp)
        for name in tp.model_fields:
            _reachable(hints[name], seen, f"{tp.__name__}.{name}", mutable)


def test_every_type_a_result_holds_is_exported_frozen_and_holds_no_list_or_dict() -> None:
    seen: dict[type, str] = {}
    mutable: list[str] = []
    for name in _RESULTS:
        _reachable(getattr(ratecard, name), seen, name, mutable)
    assert not mutable, "results hold tuples and read-only mappings, never lists or dicts"
    unexported = sorted(f"{t.__module__}.{t.__name__} (in {where})" for t, where in seen.items()
                        if not t.__module__.startswith(_OWN_INPUTS) and getattr(ratecard, t.__name__, None) is not t)
    assert not unexported
    assert all(t.model_config.get("frozen") for t in seen), "every result model is frozen"
    assert not any(dataclasses.is_dataclass(t) for t in seen)


def test_results_are_immutable_all_the_way_down_and_dump() -> None:
    s = screen(ALAN.read_text(), on=ON)
    with pytest.raises(Exception):
        s.results[0].reasons[0].text = "changed"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        s.results[0].reasons.append(s.results[0].reasons[0])  # type: ignore[attr-defined]
    check = check_referral(ALAN.read_text(), "bbr", on=ON)
    assert isinstance(check.reasons, tuple) and isinstance(check.alternatives, tuple)
    json.dumps(check.model_dump(mode="json"))
    rule_results = ratecard.run_rule_tests()
    assert rule_results and rule_results[0].model_dump()["test"]["name"]


def test_the_public_names_are_listed_once_and_typed() -> None:
    assert sorted(ratecard.__all__) == sorted(ratecard._EXPORTS)
    assert "Warning" not in ratecard.__all__  # it would shadow the builtin on `from ratecard import *`
    # the names type checkers see (the TYPE_CHECKING imports) are the names __getattr__ serves
    tree = ast.parse((ROOT / "ratecard" / "__init__.py").read_text())
    block = next(n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING")
    checked = {a.asname or a.name for node in ast.walk(block) if isinstance(node, ast.ImportFrom) for a in node.names}
    assert checked == set(ratecard.__all__)
    for name in ratecard.__all__:
        assert getattr(ratecard, name) is not None
