"""A screen's results are made when read (decide.results.Results), and each intervention's
availability from parts cached by the few facts they rest on (decide.screen._Parts.place). What a
caller sees must be what the tuple of eagerly made results was: the same results in any order of
reading, the same comparisons, pickles and bytes, and the same availability and warnings as the
uncached definition (_availability) for any date, town, area, order length and transport."""

from __future__ import annotations

import copy
import datetime as dt
import pickle
import random
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ratecard import default_catalog, screen
from ratecard.catalog.load import load_catalog
from ratecard.decide.results import Results, Screen
from ratecard.decide.screen import _availability, _parts, _Whereabouts

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from bench_screen import generated_case  # noqa: E402

ON = dt.date(2017, 3, 1)


def _cases(n: int, seed: int = 11) -> list:
    rnd = random.Random(seed)
    return [generated_case(rnd, i) for i in range(n)]


def test_results_read_one_at_a_time_in_any_order_are_those_read_whole() -> None:
    cat = default_catalog()
    for case in _cases(12):
        whole = tuple(screen(case, cat, on=ON).results)
        s = screen(case, cat, on=ON)
        assert isinstance(s.results, Results)
        order = list(range(len(whole)))
        random.Random(case.id).shuffle(order)
        for i in order:  # one by one, out of order, some by id, some from the end
            got = s.result(whole[i].intervention) if i % 3 == 0 else s.results[i - len(whole)]
            assert got == whole[i]
        assert s.results == whole and whole == s.results and not (s.results != whole)
        assert s.results[2:5] == whole[2:5] and len(s.results) == len(whole)


def test_a_screen_of_results_made_when_read_dumps_compares_and_pickles_as_the_tuple() -> None:
    cat = default_catalog()
    case = _cases(3)[2]
    lazy = screen(case, cat, on=ON)
    eager = lazy.model_copy(update={"results": tuple(screen(case, cat, on=ON).results)})
    assert isinstance(eager.results, tuple)
    assert lazy.model_dump_json() == eager.model_dump_json()
    assert lazy.model_dump() == eager.model_dump()
    assert lazy.model_dump(mode="json", include={"results": {0: {"intervention"}}}) == \
        eager.model_dump(mode="json", include={"results": {0: {"intervention"}}})
    assert lazy == eager and hash(lazy.results) == hash(eager.results)
    back = pickle.loads(pickle.dumps(lazy))
    assert back == eager and isinstance(back.results, tuple)
    assert copy.deepcopy(lazy) == eager
    # validated from its own JSON, a screen holds the same results as a tuple
    assert Screen.model_validate_json(lazy.model_dump_json()).results == lazy.results
    with pytest.raises(KeyError):
        lazy.result("no_such_intervention")
    with pytest.raises(IndexError):
        lazy.results[len(lazy.results)]


_CATALOGS = {"default": default_catalog, "hmpps": lambda: load_catalog(REPO / "examples/catalogs/hmpps-find-and-refer")}


@pytest.mark.parametrize("which", sorted(_CATALOGS))
@settings(max_examples=40)
@given(data=st.data())
def test_cached_availability_is_the_uncached_definition(which: str, data: st.DataObject) -> None:
    cat = _CATALOGS[which]()
    towns = sorted(cat.towns) or ["nowhere"]
    areas = [a.id for a in cat.info.areas]
    town = data.draw(st.sampled_from([None, *towns]))
    home_area = cat.towns.get(town) if town else data.draw(st.sampled_from([None, *areas]))
    at = _Whereabouts(
        on=data.draw(st.dates(dt.date(2015, 1, 1), dt.date(2019, 12, 31))),
        weeks_left=data.draw(st.none() | st.floats(0, 160, allow_nan=False) | st.integers(0, 160).map(float)),
        town=town if town in cat.towns else None, home_area=home_area,
        has_transport=data.draw(st.sampled_from([None, True, False])))
    parts = _parts(cat)
    for iid, iv in sorted(cat.interventions.items()):
        for _ in range(2):  # made, then from the caches
            availability, warnings = parts.place(iid, at)
            want, texts = _availability(iv, at)
            assert (availability, [(w.code, w.text) for w in warnings]) == (want, [(w["code"], w["text"]) for w in texts]), iid


def test_results_read_by_several_threads_at_once_are_the_same() -> None:
    import threading

    cat = default_catalog()
    case = _cases(5)[4]
    whole = tuple(screen(case, cat, on=ON).results)
    for _ in range(20):
        s = screen(case, cat, on=ON)
        got: list[object] = []

        def read(backwards: bool) -> None:
            got.append(tuple(s.results[i] for i in (reversed(range(len(whole))) if backwards else range(len(whole))))[::-1 if backwards else 1])
            got.append(tuple(s.results))

        threads = [threading.Thread(target=read, args=(b,)) for b in (False, True, False)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert got == [whole] * 6
