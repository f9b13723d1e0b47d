"""A list field (read with `contains`: the programmes completed before, the requirements) asks one
yes-or-no question per item the rules name, each independent of the others. The proposal's "confirm
if" answers try, for a missing list, every combination of the items the rules they test read only
(usually one or two), never every combination of every item the catalog names: 2^58 of them on a
generated 300-intervention catalog filled 24 GB and raised MemoryError. Checked against brute force
(every combination of every item) where that is small, and at scale against brute force over the
test's own items with other items of the catalog added.
"""

from __future__ import annotations

import gc
import os
import random
import resource
import subprocess
import sys
import weakref
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ratecard import default_catalog, propose, screen
from ratecard.case.model import Case
from ratecard.catalog.load import Catalog, load_catalog
from ratecard.decide import whatif
from ratecard.decide.screen import decide
from ratecard.decide.whatif import Answer, Reads, confirming_answers
from ratecard.rules.completions import spread
from ratecard.rules.conditions import Cmp
from ratecard.rules.forms import (MAX_LIST_ITEMS, TooManyItems, _atoms, item_combinations, item_cubes, relevant_pieces,
                                  relevant_values)
from ratecard.rules.loader import Evaluation

from .cases import ON
from .catalog_copy import CatalogCopy

REPO = Path(__file__).resolve().parents[1]
DONE = "history.completed_programmes"
_SETTINGS: Any = dict(deadline=None, suppress_health_check=list(HealthCheck))
HMPPS = load_catalog(REPO / "examples" / "catalogs" / "hmpps-find-and-refer")


def _verdict(catalog: Catalog, iid: str) -> Any:
    """The test a proposal puts to an intervention on condition: eligible confirms it, ineligible
    rules it out."""
    rules = catalog.rules.rules[iid]

    def confirmed(ev: Evaluation) -> bool | None:
        d, _ = decide(iid, rules, ev)
        return True if d == "eligible" else False if d == "ineligible" else None
    return confirmed


def _reads(catalog: Catalog, iid: str) -> Reads:
    return Reads(rules=tuple(r.id for r in catalog.rules.rules[iid]), eligibility=(iid,), derived=("pni_pathway",))


def _items_named(catalog: Catalog, iid: str, field: str) -> set[str]:
    """The items of `field` that an intervention's rule trees name (as written, not compiled)."""
    return {a.value for r in catalog.rules.rules[iid] if r.condition is not None for a in _atoms(r.condition)
            if isinstance(a, Cmp) and a.op == "contains" and a.field == field}


def _answers(catalog: Catalog, facts: dict[str, Any], fields: list[str], iid: str,
             tried: dict[str, list[tuple[Any, Any]]] | None = None) -> list[Answer]:
    """The answers that confirm `iid`; with `tried`, every field tried at those pieces instead."""
    if tried is None:
        return confirming_answers(catalog, facts, fields, _verdict(catalog, iid), _reads(catalog, iid))
    with patch.object(whatif, "_pieces", lambda c, r: tried):
        return confirming_answers(catalog, facts, fields, _verdict(catalog, iid), _reads(catalog, iid))


def _reading(catalog: Catalog, field: str) -> list[str]:
    cones = catalog.program.cones
    return [iid for iid, rs in catalog.rules.rules.items() if any(field in cones.get(r.id, r.fields) for r in rs)]


@st.composite
def _partial(draw: st.DrawFn, catalog: Catalog, values: dict[str, list[Any]], lists: list[str]) -> dict[str, Any]:
    """Every field at one of its relevant values, then the list fields and up to three others removed."""
    fields = sorted(values)
    full = {f: draw(st.sampled_from(values[f])) for f in fields}
    drop = set(lists) | set(draw(st.lists(st.sampled_from(fields), max_size=3, unique=True)))
    return {f: v for f, v in full.items() if f not in drop}


_DEFAULT = default_catalog()
_VALUES = {"default": relevant_values(_DEFAULT.rules), "hmpps": relevant_values(HMPPS.rules)}


@pytest.mark.parametrize("name", ["default", "hmpps"])
@settings(max_examples=12, **_SETTINGS)
@given(data=st.data())
def test_items_the_test_reads_give_the_answers_every_combination_of_every_item_gives(name: str, data: st.DataObject) -> None:
    # the shipped catalogs name 4 (default) and 10 (HMPPS) completed programmes: 16 and 1,024
    # combinations, few enough to try every one for every intervention that reads the list
    catalog = _DEFAULT if name == "default" else HMPPS
    full = relevant_pieces(catalog.rules)
    lists = [f for f, ps in full.items() if ps and isinstance(ps[0][0], tuple)]
    facts = data.draw(_partial(catalog, _VALUES[name], lists))
    fields = sorted(f for f in full if f not in facts)
    for f in lists:
        for iid in _reading(catalog, f):
            assert _answers(catalog, facts, fields, iid) == _answers(catalog, facts, fields, iid, full), (f, iid, facts)


# what the rules may name: ids of the catalog's interventions (the loader refuses any other)
_IDS = sorted(set(_DEFAULT.interventions) - {"tsp", "bbr", "horizon", "ihorizon"})
_ITEMS = _IDS[:6]


def _tree(depth: int) -> st.SearchStrategy[Any]:
    leaf = st.one_of(st.sampled_from(_ITEMS).map(lambda x: {"field": DONE, "contains": x}),
                     st.sampled_from([40, 60, 80]).map(lambda n: {"field": "risk.ogrs3_2yr", "gte": n}))
    if depth == 0:
        return leaf
    sub = _tree(depth - 1)
    return st.one_of(leaf, st.lists(sub, min_size=2, max_size=3).map(lambda xs: {"all": xs}),
                     st.lists(sub, min_size=2, max_size=3).map(lambda xs: {"any": xs}), sub.map(lambda x: {"not": x}))


@pytest.fixture(scope="module")
def copies(tmp_path_factory: pytest.TempPathFactory) -> Any:
    made = iter(range(10_000))
    return lambda: CatalogCopy(tmp_path_factory.mktemp(f"cat{next(made)}"))


@settings(max_examples=15, **_SETTINGS)
@given(when=_tree(2), kind=st.sampled_from(["criteria", "exclusions"]), ogrs=st.one_of(st.none(), st.sampled_from([30, 50, 70, 90])),
       others=st.lists(st.sampled_from(_ITEMS), max_size=3, unique=True))
def test_any_rule_on_a_few_items_gives_the_answers_of_every_combination(copies: Any, when: Any, kind: str, ogrs: int | None,
                                                                        others: list[str]) -> None:
    # TSP gets one more rule, drawn over six more programmes (and OGRS3); BBR names some of them:
    # every combination of the catalog's items against the items TSP's rules read
    cat = copies()
    cat.rules_of("tsp", lambda r: r.setdefault(kind, []).append({"id": "tsp.drawn", "text": "Drawn.", "basis": "report", "when": when}))
    if others:
        cat.rules_of("bbr", lambda r: r["exclusions"].append(
            {"id": "bbr.drawn", "text": "Drawn.", "basis": "report", "when": {"any": [{"field": DONE, "contains": x} for x in others]}}))
    catalog = load_catalog(cat.root)
    facts = {"person.sex": "male", "age": 30, "offence.category": "acquisitive", "sexual_offence": False}
    if ogrs is not None:
        facts["risk.ogrs3_2yr"] = ogrs
    full = relevant_pieces(catalog.rules)
    fields = sorted(f for f in full if f not in facts)
    assert _answers(catalog, facts, fields, "tsp") == _answers(catalog, facts, fields, "tsp", full)


def test_combinations_come_in_the_order_of_every_combination_and_are_refused_past_the_limit() -> None:
    assert item_combinations(DONE, ["b", "a"]) == [(), ("b",), ("a",), ("a", "b")]
    assert len(item_combinations(DONE, map(str, range(MAX_LIST_ITEMS)))) == 2 ** MAX_LIST_ITEMS
    with pytest.raises(TooManyItems, match=r"history.completed_programmes: the rules ask about 13 of its items"):
        item_combinations(DONE, map(str, range(MAX_LIST_ITEMS + 1)))


def _many_items(cat: CatalogCopy, n: int) -> list[str]:
    names = _IDS[:n]
    cat.rules_of("tsp", lambda r: r["exclusions"].append(
        {"id": "tsp.done_any", "text": "Not after any of these.", "basis": "report",
         "when": {"any": [{"field": DONE, "contains": x} for x in names]}}))
    return names


_MAN = {"id": "m", "person": {"sex": "male", "date_of_birth": "1980-01-01", "home_town": "northampton", "area": "northamptonshire"},
        "offence": {"category": "acquisitive", "sexual": False}, "risk": {"ogrs3_2yr": 70},
        "sentence": {"type": "community_order", "length_months": 24}}


def test_one_rule_on_more_items_than_can_be_tried_says_so_and_never_guesses(tmp_path: Path) -> None:
    cat = CatalogCopy(tmp_path)
    _many_items(cat, MAX_LIST_ITEMS + 8)
    catalog = load_catalog(cat.root)
    case = Case.model_validate(_MAN, strict=False)
    (tsp,) = [r for r in screen(case, catalog, on=ON).results if r.intervention == "tsp"]
    assert tsp.decision == "undetermined" and DONE in {m.field for m in tsp.missing}
    facts = {"person.sex": "male", "age": 37, "risk.ogrs3_2yr": 70.0, "offence.category": "acquisitive"}
    (answer,) = [a for a in _answers(catalog, facts, [DONE], "tsp") if a.field == DONE]
    n = len(_items_named(catalog, "tsp", DONE))
    assert n > MAX_LIST_ITEMS and not answer.alone
    assert answer.text == (f"not worked out: its rules name {n} possible programmes completed before, more than the "
                           f"{MAX_LIST_ITEMS} this tool tries together; check the programmes completed before "
                           "against its rules by hand")
    assert answer.clause == f"the programmes completed before allow it ({answer.text})"
    # the brute-force yardsticks refuse plainly, naming the field, before making a single value
    with pytest.raises(TooManyItems, match="history.completed_programmes"):
        relevant_values(catalog.rules)
    with pytest.raises(ValueError, match="too many to enumerate"):
        spread(catalog.rules, {})
    # every other field's pieces are still there for those that want them
    assert DONE not in relevant_pieces(catalog.rules, lists=False) and "risk.ogrs3_2yr" in relevant_pieces(catalog.rules, lists=False)


def test_a_catalog_whose_answer_was_not_worked_out_is_still_freed(tmp_path: Path) -> None:
    # the what-if tables are per catalog and must not refer back to it: a service that loads
    # catalogs in turn would otherwise keep every one whose rules name many items
    cat = CatalogCopy(tmp_path)
    _many_items(cat, MAX_LIST_ITEMS + 8)
    catalog = load_catalog(cat.root)
    facts = {"person.sex": "male", "age": 37, "risk.ogrs3_2yr": 70.0, "offence.category": "acquisitive"}
    (answer,) = [a for a in _answers(catalog, facts, [DONE], "tsp") if a.field == DONE]
    assert answer.text.startswith("not worked out")
    gone = weakref.ref(catalog)
    del catalog
    gc.collect()
    assert gone() is None


def test_a_catalog_that_names_many_items_gives_each_intervention_the_answers_of_its_own(tmp_path: Path) -> None:
    # TSP names two more programmes, BBR 27 others (29 in all, with the shipped four): TSP's answer
    # is the one every combination of its own items and some of BBR's gives
    cat = CatalogCopy(tmp_path)
    cat.rules_of("tsp", lambda r: r["exclusions"].append(
        {"id": "tsp.done_two", "text": "Not after these.", "basis": "report",
         "when": {"any": [{"field": DONE, "contains": x} for x in _IDS[:2]]}}))
    cat.rules_of("bbr", lambda r: r["exclusions"].append(
        {"id": "bbr.done_many", "text": "Not after all of these.", "basis": "report",
         "when": {"all": [{"field": DONE, "contains": x} for x in _IDS[2:]]}}))
    catalog = load_catalog(cat.root)
    assert len(relevant_pieces(catalog.rules, lists=False)) > 10 and len(_IDS) + 4 > 2 * MAX_LIST_ITEMS
    facts = {"person.sex": "male", "age": 37, "risk.ogrs3_2yr": 70.0, "offence.category": "acquisitive"}
    got = _answers(catalog, facts, [DONE], "tsp")
    names = " or ".join(sorted(catalog.interventions[i].name for i in _IDS[:2]))
    assert [a.text for a in got] == [f"do not include {names}"]
    mine = sorted(_items_named(catalog, "tsp", DONE) | set(_IDS[2:6]))
    assert got == _answers(catalog, facts, [DONE], "tsp", {**relevant_pieces(catalog.rules, lists=False),
                                                          DONE: [(h, h) for h in item_combinations(DONE, mine)]})
    # BBR's own rule reads 27 items: said as not worked out, never tried 2^27 ways
    assert all(a.text.startswith("not worked out") for a in _answers(catalog, facts, [DONE], "bbr"))
    propose(Case.model_validate(_MAN, strict=False), catalog, on=ON)


_GENERATED = """
import random, resource, sys, tempfile
from pathlib import Path
sys.path.insert(0, "benchmarks")
from generate_catalog import generate
from bench_screen import generated_case, ON
from ratecard import propose, screen
from ratecard.catalog.load import load_catalog
root = Path(tempfile.mkdtemp()) / "catalog"
generate(root, 300, 6, 5, 2017)
catalog = load_catalog(root)
rnd = random.Random(3)
lists = 0
for i in range(25):
    c = generated_case(rnd, i)
    c = c.model_copy(update={"history": c.history.model_copy(update={"completed_programmes": None})})
    screen(c, catalog, on=ON)
    p = propose(c, catalog, on=ON)
    lists += sum(a.field == "history.completed_programmes" for it in p.package for a in it.confirm_if)
print(len({a.value for r in catalog.rules.all_rules() if r.condition is not None for a in __import__("ratecard.rules.forms", fromlist=["_atoms"])._atoms(r.condition)
           if getattr(a, "op", "") == "contains" and a.field == "history.completed_programmes"}), lists,
      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def test_screen_and_propose_on_a_generated_300_intervention_catalog_run_in_bounded_memory() -> None:
    # its rules name 58 completed programmes: every combination would be 2^58 values (MemoryError
    # after 24 GB before); run apart under a 3 GiB address-space limit so a regression cannot take
    # the machine
    limit = 3 << 30

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    r = subprocess.run([sys.executable, "-c", _GENERATED], cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
                       preexec_fn=cap)
    assert r.returncode == 0, r.stderr[-3000:]
    items, _, rss_mib = map(int, r.stdout.split())
    assert items > 2 * MAX_LIST_ITEMS
    assert rss_mib < 1024, f"{rss_mib} MiB"


def test_a_generated_catalogs_answers_are_those_of_each_interventions_own_items_with_others_added(tmp_path: Path) -> None:
    sys.path.insert(0, str(REPO / "benchmarks"))
    from generate_catalog import generate
    generate(tmp_path / "c", 300, 6, 5, 2017)
    catalog = load_catalog(tmp_path / "c")
    every = sorted({x for iid in catalog.rules.rules for x in _items_named(catalog, iid, DONE)})
    assert len(every) > 2 * MAX_LIST_ITEMS
    others = relevant_pieces(catalog.rules, lists=False)
    rnd = random.Random(5)
    checked = 0
    for iid in _reading(catalog, DONE)[:40]:
        own = _items_named(catalog, iid, DONE)
        tried = sorted(own | set(rnd.sample(every, 3)))
        facts = {"person.sex": "male", "age": 30}
        got = _answers(catalog, facts, [DONE], iid)
        assert got == _answers(catalog, facts, [DONE], iid, {**others, DONE: [(h, h) for h in item_combinations(DONE, tried)]}), iid
        checked += bool(got)
    assert checked


@settings(max_examples=200, **_SETTINGS)
@given(n=st.integers(0, 5), data=st.data())
def test_item_cubes_describe_exactly_the_lists_chosen(n: int, data: st.DataObject) -> None:
    items = [f"i{k}" for k in range(n)]
    every = [frozenset(c) for c in item_combinations(DONE, items)]
    chosen = set(data.draw(st.lists(st.sampled_from(every), min_size=1, unique=True)))
    cubes = item_cubes(chosen, items)
    assert {c for c in every for must, never in cubes if must <= c and not never & c} == chosen
    must = frozenset.intersection(*chosen)
    never = frozenset(items) - frozenset().union(*chosen)
    if chosen == {c for c in every if must <= c and not never & c}:
        assert cubes == [(must, never)]  # one description when one is exact: today's words
