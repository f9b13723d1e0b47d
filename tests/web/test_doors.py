"""The Python API's doors: screen, propose, check_referral and allocate take a Case, a plain dict
(JSON-style, ISO date strings) or a JSON/YAML string, and give the same answer for each; anything
else is a TypeError naming what is accepted; a bad field is a CaseError with its path, never a
pydantic ValidationError. And a Catalog travels to other processes (pickle)."""

from __future__ import annotations

import datetime as dt
import json
import pickle
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from ratecard import CaseError, allocate, check_referral, default_catalog, load_case, propose, screen
from ratecard.case.coerce import coerce_case

from ..cases import post_sentence_dicts
from .servers import CASES, case_dict

ON = dt.date(2017, 3, 1)
NAME = "dv-first-conviction-sso-fifties.yaml"
DECISIONS = {
    "screen": lambda c: screen(c, on=ON),
    "propose": lambda c: propose(c, on=ON),
    "check_referral": lambda c: check_referral(c, "bold_moves_motivation", on=ON),
    "allocate": lambda c: allocate(c, on=ON),
}


def _forms(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    d = case_dict(path.name)
    return {"Case": load_case(path), "dict": d, "dict with date objects": yaml.safe_load(text),
            "JSON string": json.dumps(d), "YAML string": text}


@pytest.mark.parametrize("decide", sorted(DECISIONS))
def test_a_case_dict_json_or_yaml_gives_the_same_answer(decide: str) -> None:
    answers = {kind: DECISIONS[decide](case).model_dump_json() for kind, case in _forms(CASES / NAME).items()}
    assert len(set(answers.values())) == 1, answers.keys()


@pytest.mark.parametrize("decide", sorted(DECISIONS))
@pytest.mark.parametrize("wrong, words", [
    (42, "got int"), (None, "got NoneType"), ([{"id": "a"}], "got list"), (b'{"id": "a"}', "got bytes"),
    (Path("case.yaml"), "load_case"), ("examples/cases/x.yaml", "looks like a file name"),
])
def test_anything_else_is_a_type_error_naming_what_is_accepted(decide: str, wrong: Any, words: str) -> None:
    with pytest.raises(TypeError) as e:
        DECISIONS[decide](wrong)
    assert "a ratecard Case, a dict of case fields" in str(e.value) and "JSON/YAML string" in str(e.value)
    assert words in str(e.value)


@pytest.mark.parametrize("bad, field", [
    ({"id": "a", "risk": {"ogrs3_2yr": 150}}, "risk.ogrs3_2yr"),
    ({"id": "a", "risk": {"ogrs3_2yr": "50"}}, "risk.ogrs3_2yr"),
    ({"id": "a", "person": {"date_of_birth": "05/14/1980"}}, "person.date_of_birth"),  # US order: never read
    ({"id": "a", "persn": {}}, "persn"),
    ({"id": "x" * 121, "risk": {}}, "id"),
    ({"id": "a", "history": {"completed_programmes": {"bbr"}}}, "history.completed_programmes"),
    ('id: a\nrisk: {rosh: extreme}\n', "risk.rosh"),
    ('{"id": "a", "needs": {"drug_misuse": {"score": 13}}}', "needs.drug_misuse.score"),
])
def test_a_bad_field_is_a_case_error_with_its_path(bad: Any, field: str) -> None:
    with pytest.raises(CaseError) as e:
        screen(bad, on=ON)
    assert field in [p.field for p in e.value.problems]
    assert not isinstance(e.value, ValidationError)


@settings(max_examples=40, deadline=None)
@given(d=post_sentence_dicts, junk=st.sampled_from(["x", -1, 10**6, 3.5, True, [], {}, None, "2017-02-30"]),
       where=st.sampled_from(["person.sex", "risk.ogrs3_2yr", "sentence.start", "events", "needs.finance.identified",
                              "sentence.requirements", "motivation", "person.home_town", "id"]))
def test_any_dict_is_answered_or_refused_with_a_case_error(d: dict[str, Any], junk: Any, where: str) -> None:
    # a generated case with one field replaced by a value of any shape: an answer, or a CaseError
    head, _, last = where.rpartition(".")
    node = d
    for part in filter(None, head.split(".")):
        if not isinstance(node.get(part), dict):
            node[part] = {}  # a section given as null, or not given
        node = node[part]
    node[last] = junk
    try:
        result = screen(d, on=ON)
    except CaseError as e:
        assert e.problems and all(isinstance(p.message, str) and p.message for p in e.problems)
    else:
        assert result.case_id == (str(d["id"]) if d.get("id") is not None else "case")  # no id: "case" stands in


def _screen_in_child(catalog: Any, case: dict[str, Any]) -> str:
    return screen(case, catalog, on=ON).model_dump_json()


def test_a_catalog_pickles_and_works_in_another_process() -> None:
    catalog = default_catalog()
    catalog.engine  # compiled here; the copy compiles its own
    copy = pickle.loads(pickle.dumps(catalog))
    assert copy.version == catalog.version and copy is not catalog
    case = case_dict(NAME)
    want = screen(case, catalog, on=ON).model_dump_json()
    assert screen(case, copy, on=ON).model_dump_json() == want
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        assert pool.submit(_screen_in_child, catalog, case).result(timeout=120) == want


def test_coerce_keeps_a_case_as_it_is() -> None:
    case = load_case(CASES / NAME)
    assert coerce_case(case) is case
