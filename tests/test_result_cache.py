"""A screen's results recur across cases and screens, so each catalog keeps the results it has made
(decide.screen._Parts.made) and the JSON of each (decide.results._JSON), and a screen that is read
whole or dumped uses them. What a caller reads must be what a screen with no cache makes: the same
results whatever was screened before, in any order of reading, when the cache fills and starts
again, from several threads at once; the same JSON, byte for byte, as pydantic writes; and the
decisions, counted without making the results, the results' own."""

from __future__ import annotations

import copy
import datetime as dt
import random
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

import ratecard.decide.results as results_mod
import ratecard.decide.screen as screen_mod
from ratecard import default_catalog, screen
from ratecard.case.model import Case
from ratecard.catalog.load import load_catalog
from ratecard.decide.results import DECISIONS, Results
from ratecard.decide.screen import _parts, _Whereabouts
from ratecard.decide.responsivity import screen_warnings

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from bench_screen import generated_case  # noqa: E402

_CATALOGS = {"default": default_catalog, "hmpps": lambda: load_catalog(REPO / "examples/catalogs/hmpps-find-and-refer")}
DATES = [dt.date(2017, 3, 1), dt.date(2016, 11, 20), dt.date(2018, 6, 30)]


def _case(seed: int):  # type: ignore[no-untyped-def]
    return generated_case(random.Random(seed), seed)


def _living_in(cat, seed: int):  # type: ignore[no-untyped-def]
    """A generated case whose home town is one of the catalog's."""
    d = _case(seed).model_dump(exclude_none=True)
    d["person"]["home_town"] = sorted(cat.towns)[seed % len(cat.towns)]
    return Case.model_validate(d, strict=False)


def _fresh(cat, case, on):  # type: ignore[no-untyped-def]
    """The results a screen makes with every cache of made results emptied first."""
    parts = _parts(cat)
    parts.made.clear()
    parts._listed.clear()
    results_mod._JSON.clear()
    return tuple(screen(case, cat, on=on).results)


@pytest.mark.parametrize("which", sorted(_CATALOGS))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), seeds=st.lists(st.integers(0, 10_000), min_size=1, max_size=5),
       bound=st.sampled_from([0, 3, 40, screen_mod.MADE_BOUND]))
def test_results_read_from_the_cache_are_those_made_afresh(which: str, data: st.DataObject, seeds: list[int],
                                                           bound: int) -> None:
    cat = _CATALOGS[which]()
    parts = _parts(cat)
    saved = screen_mod.MADE_BOUND
    screen_mod.MADE_BOUND = bound  # a small bound: the cache fills and starts again while screening
    try:
        read = []
        for seed in seeds:  # each case screened after the others, on one of a few dates
            case, on = _case(seed), data.draw(st.sampled_from(DATES))
            s = screen(case, cat, on=on)
            order = data.draw(st.permutations(range(len(s.results))))
            by_position = {i: s.results[i] for i in order[: len(order) // 2]}  # half one by one, in any order
            whole = tuple(s.results)
            assert all(whole[i] is r for i, r in by_position.items())
            read.append((case, on, s, whole))
        for case, on, s, whole in read:
            at = _Whereabouts.of(case, on, cat)
            person = screen_warnings(case, cat)
            for r in whole:  # availability and warnings as the (tested) uncached parts give them
                availability, warnings = parts.place(r.intervention, at)
                assert (r.availability, r.warnings) == (availability, warnings + person.get(r.intervention, ()))
            assert s.decisions() == tuple(r.decision for r in whole)
            fresh = _fresh(cat, case, on)
            assert whole == fresh
            assert [r.model_dump_json() for r in whole] == [r.model_dump_json() for r in fresh]
    finally:
        screen_mod.MADE_BOUND = saved


@pytest.mark.parametrize("which", sorted(_CATALOGS))
@settings(max_examples=15, deadline=None)
@given(seeds=st.lists(st.integers(0, 10_000), min_size=1, max_size=4), indent=st.sampled_from([None, 2, 4]),
       read_first=st.booleans())
def test_a_screen_dumps_as_pydantic_writes_it(which: str, seeds: list[int], indent: int | None, read_first: bool) -> None:
    """The JSON written from each result's kept JSON is pydantic's own, byte for byte, whether the
    results were read before, and however often the same results were dumped by other screens."""
    cat = _CATALOGS[which]()
    for seed in seeds + seeds:  # the second time round, every result's JSON is kept
        s = screen(_case(seed), cat, on=DATES[0])
        if read_first:
            tuple(s.results)
        assert s.model_dump_json(indent=indent) == BaseModel.model_dump_json(s, indent=indent)
    # anything else than indent is pydantic's own call
    assert s.model_dump_json(exclude={"values"}) == BaseModel.model_dump_json(s, exclude={"values"})
    assert s.model_dump_json(indent=0) == BaseModel.model_dump_json(s, indent=0)


def test_a_recurring_result_is_one_shared_object() -> None:
    cat = default_catalog()
    case = _case(7)
    first, again = screen(case, cat, on=DATES[0]).results, screen(case, cat, on=DATES[0]).results
    assert all(a is b for a, b in zip(first, again))
    with pytest.raises((TypeError, ValueError)):
        first[0].decision = "eligible"  # type: ignore[misc]  # frozen: safe to share


def test_a_shared_result_copied_with_changes_leaves_the_shared_one_as_it_was() -> None:
    # results share their set of fields set; pydantic's model_copy(update=...) adds to the copy's
    cat = default_catalog()
    case = _case(7)
    shared = screen(case, cat, on=DATES[0]).results[0]
    before = shared.model_dump_json()
    for deep in (False, True):
        changed = shared.model_copy(update={"name": "Renamed"}, deep=deep)
        assert changed.name == "Renamed" and changed.intervention == shared.intervention
        assert "name" in changed.model_fields_set
    assert copy.deepcopy(shared) == shared == copy.copy(shared)
    assert shared.model_dump_json() == before and screen(case, cat, on=DATES[0]).results[0] is shared


def test_decisions_are_counted_without_making_the_results() -> None:
    cat = default_catalog()
    for seed in range(6):
        s = screen(_case(seed), cat, on=DATES[0])
        assert isinstance(s.results, Results)
        counts, eligible = s.counts(), s.by_decision("eligible")
        assert s.results._made == [None] * len(s.results)  # nothing made yet
        whole = tuple(s.results)
        assert counts == {d: sum(r.decision == d for r in whole) for d in DECISIONS}
        assert eligible == [r.intervention for r in whole if r.decision == "eligible"]
        assert s.with_decision("undetermined", "ineligible") == [r for r in whole if r.decision in ("undetermined", "ineligible")]
        eager = s.model_copy(update={"results": whole})  # a validated screen holds a tuple: the same answers
        assert (eager.counts(), eager.by_decision("eligible"), eager.decisions()) == (counts, eligible, s.decisions())
        # a misspelt decision would find nothing: it is refused, with the decisions there are
        for bad in (lambda: s.with_decision("eligble"), lambda: eager.by_decision("Eligible")):  # type: ignore[arg-type]
            with pytest.raises(ValueError, match="not a decision.*eligible_if_agreed"):
                bad()


@pytest.mark.parametrize("which", ["default", "areas"])
def test_screens_read_by_several_threads_at_once_are_those_read_alone(which: str, request: pytest.FixtureRequest) -> None:
    # (the generated catalog's screens, read whole, are made a column at a time: _Parts.outside)
    cat = default_catalog() if which == "default" else request.getfixturevalue("areas_catalog")
    cases = [_case(seed) if which == "default" else _living_in(cat, seed) for seed in range(30, 42)]
    alone = {c.id: _fresh(cat, c, DATES[0]) for c in cases}
    got: dict[str, list[tuple[object, str]]] = {c.id: [] for c in cases}
    saved = screen_mod.MADE_BOUND
    screen_mod.MADE_BOUND = 50  # threads clear the shared cache under each other

    def work(order: list) -> None:  # type: ignore[type-arg]
        for c in order:
            s = screen(c, cat, on=DATES[0])
            read = tuple(s.results[i] for i in reversed(range(len(s.results))))[::-1]
            got[c.id].append((read, s.model_dump_json()))  # one append: threads append to the same list

    try:
        threads = [threading.Thread(target=work, args=(random.Random(k).sample(cases, len(cases)),)) for k in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        screen_mod.MADE_BOUND = saved
    for c in cases:
        want = screen(c, cat, on=DATES[0])
        assert got[c.id] == [(alone[c.id], BaseModel.model_dump_json(want))] * 3


@pytest.mark.parametrize("which", sorted(_CATALOGS))
@settings(max_examples=10, deadline=None)
@given(seeds=st.lists(st.integers(0, 10_000), min_size=1, max_size=3), on=st.sampled_from(DATES))
def test_a_result_made_from_its_decision_s_template_is_the_model_pydantic_builds(which: str, seeds: list[int],
                                                                                on: dt.date) -> None:
    """A result not made before is its decision's template (what does not depend on the person)
    with the person's fields put in: it must be the model pydantic validates from the same fields
    (equal, the same repr and JSON, its fields in the model's order), and making it must leave the
    template, shared by every case with that decision, as it was."""
    cat = _CATALOGS[which]()
    parts = _parts(cat)
    for seed in seeds:
        s = screen(_case(seed), cat, on=on)
        making = s.results._make  # (dropped once every result is made)
        assert isinstance(making, screen_mod._Making)
        results = tuple(s.results)
        for r in results:
            again = results_mod.InterventionResult.model_validate(r.model_dump())
            assert type(r) is results_mod.InterventionResult
            assert list(r.__dict__) == list(results_mod.InterventionResult.model_fields)
            assert (r, repr(r), r.model_dump_json()) == (again, repr(again), again.model_dump_json())
            assert r.model_fields_set == again.model_fields_set
        for d in making.decided:
            assert d.template is not None  # what depends on the person is never left in a template
            assert (d.template["availability"], d.template["warnings"], d.template["missing"],
                    d.template["decided_without"]) == (None, (), (), ())
    assert parts.made  # the results were kept for reuse


def test_results_built_with_every_field_share_one_fields_set_and_copy_as_pydantic_does() -> None:
    # built() gives every instance of a result class given every field its class's one frozenset
    # of the fields set: a copy changed with model_copy(update=...) must get a set of its own, and
    # copies, deep copies and model_fields_set must read as pydantic's own models do
    s = screen(_case(3), default_catalog(), on=DATES[0])
    r = next(r for r in s.results if r.reasons and r.warnings)
    parts = [r.reasons[0], r.warnings[0], r, s]
    parts += [m for m in (s.missing[:1] + r.missing[:1] + r.decided_without[:1] + r.to_check[:1])]
    for m in parts:
        validated = type(m).model_validate(m.model_dump())
        assert m.model_fields_set == set(type(m).model_fields) == validated.model_fields_set
        field = next(iter(type(m).model_fields))
        for deep in (False, True):
            changed = m.model_copy(update={field: getattr(m, field)}, deep=deep)
            assert changed == m and changed.model_fields_set == m.model_fields_set
        for c in (copy.copy(m), copy.deepcopy(m)):
            assert c == m and c.model_fields_set == m.model_fields_set
            assert c.__pydantic_fields_set__ is not m.__pydantic_fields_set__  # its own, to add to
    same = [x for x in parts if type(x) is type(parts[0])]
    assert len({id(x.__pydantic_fields_set__) for x in same}) == 1
    # a model given only some fields has only those set
    few = results_mod.built(results_mod.MissingField, field="risk.rosh", label="RoSH")
    assert few.model_fields_set == {"field", "label"}
    assert few.model_copy(update={"settles": 2}).model_fields_set == {"field", "label", "settles"}


@pytest.fixture()
def judged_soon():  # type: ignore[no-untyped-def]
    """The default catalog's parts with the results cache judged every 200 look-ups, put back after."""
    parts = _parts(default_catalog())
    saved = (screen_mod.REUSE_WINDOW, parts.reusing, parts._lookups, parts._hits, parts._screens)
    screen_mod.REUSE_WINDOW = 200
    parts.reusing, parts._lookups, parts._hits, parts._screens = True, 0, 0, 0
    parts.made.clear()
    try:
        yield parts
    finally:
        screen_mod.REUSE_WINDOW, parts.reusing, parts._lookups, parts._hits, parts._screens = saved
        parts.made.clear()


def test_the_results_cache_is_dropped_to_a_sample_while_results_seldom_recur(judged_soon) -> None:  # type: ignore[no-untyped-def]
    # every case new and each on a date of its own: no result recurs, so after a window of look-ups
    # the cache is used by 1 screen in REUSE_SAMPLE only; what is read is the same either way
    parts, cat = judged_soon, default_catalog()
    n = len(parts.ids)
    seeds = iter(range(500, 10_000))
    while parts.reusing:
        tuple(screen(_case(next(seeds)), cat, on=DATES[0]).results)
        assert parts._screens == 0
    used, read = [], []
    for _ in range(2 * screen_mod.REUSE_SAMPLE):
        seed, before = next(seeds), len(parts.made)
        read.append((seed, tuple(screen(_case(seed), cat, on=DATES[1]).results)))
        used.append(len(parts.made) != before)
    assert 1 <= sum(used) <= 2 and not parts.reusing  # (a sampled screen may find each result made)
    assert parts._lookups <= 2 * n
    for seed, whole in read:
        assert whole == _fresh(cat, _case(seed), DATES[1])


def test_the_results_cache_is_kept_while_results_recur_and_taken_up_again_when_they_do(judged_soon) -> None:  # type: ignore[no-untyped-def]
    parts, cat = judged_soon, default_catalog()
    for _ in range(3 * screen_mod.REUSE_WINDOW // len(parts.ids) + 1):  # the same few cases again and again
        for seed in (1, 2):
            tuple(screen(_case(seed), cat, on=DATES[0]).results)
    assert parts.reusing
    parts.reusing = False  # (as a run of new cases leaves it): the sampled screens find recurring results
    for _ in range(screen_mod.REUSE_SAMPLE * (3 * screen_mod.REUSE_WINDOW // len(parts.ids) + 1)):
        tuple(screen(_case(1), cat, on=DATES[0]).results)
        if parts.reusing:
            break
    assert parts.reusing


@pytest.mark.parametrize("which", ["default", "hmpps"])
def test_a_screen_dropped_is_freed_at_once_leaving_no_cycle_for_the_collector(which: str) -> None:
    """A screen read whole and dropped frees its parts when the last reference goes: a cycle among
    them would keep every screen a service makes alive until a collection finds it."""
    import gc

    cat = _CATALOGS[which]()
    rnd = random.Random(5)
    cases = [generated_case(rnd, i) for i in range(8)]
    for c in cases:  # the catalog's caches made first: they live on, and are no garbage
        tuple(screen(c, cat, on=DATES[0]).results)
    gc.collect()
    gc.disable()
    try:
        for c in cases:
            s = screen(c, cat, on=DATES[0])
            s.results.said(0)
            tuple(s.results)
            del s
        gc.set_debug(gc.DEBUG_SAVEALL)
        found = gc.collect()
        left = sorted({type(o).__name__ for o in gc.garbage})
        assert found == 0, f"a dropped screen left {found} objects in cycles: {left}"
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


@pytest.fixture(scope="module")
def areas_catalog(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A generated catalog of 150 interventions in 4 areas: enough results for a screen read whole
    to be made a column at a time, and areas outside the person's for the columns kept by area."""
    from generate_catalog import generate

    folder = tmp_path_factory.mktemp("areas")
    generate(folder, 150, 4, 5, 3)
    return load_catalog(folder)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), on=st.sampled_from(DATES), reuse=st.booleans(),
       town=st.integers(0, 40) | st.none(), transport=st.sampled_from([None, True, False]),
       months=st.none() | st.integers(1, 36))
def test_results_made_a_column_at_a_time_are_those_made_one_by_one(areas_catalog, seed: int, on: dt.date, reuse: bool,  # type: ignore[no-untyped-def]
                                                                    town: int | None, transport: bool | None, months: int | None) -> None:
    """A screen read whole (its results made a column at a time, outside the person's area from
    columns kept by date and area) gives each result the availability and warnings that the
    uncached parts give it (_Parts.place), and the results read one by one."""
    cat = areas_catalog
    parts = _parts(cat)
    d = _case(seed).model_dump(exclude_none=True)
    towns = sorted(cat.towns)
    if town is not None:
        d["person"]["home_town"] = towns[town % len(towns)]
    else:
        d["person"].pop("home_town", None)
    d.setdefault("responsivity", {})["has_transport"] = transport
    if months is None:
        d.get("sentence", {}).pop("length_months", None)
    elif "sentence" in d:
        d["sentence"]["length_months"] = months
    try:
        case = Case.model_validate(d, strict=False)
    except ValidationError:  # a length the sentence type cannot have
        assume(False)
    parts.reusing = reuse
    try:
        parts.made.clear()
        whole = tuple(screen(case, cat, on=on).results)
        s = screen(case, cat, on=on)
        parts.made.clear()
        one_by_one = tuple(s.results[i] for i in range(len(s.results)))
    finally:
        parts.reusing = True
    assert whole == one_by_one
    at = _Whereabouts.of(case, on, cat)
    person = screen_warnings(case, cat)
    for r in whole:
        availability, warnings = parts.place(r.intervention, at)
        assert (r.availability, r.warnings) == (availability, warnings + person.get(r.intervention, ())), r.intervention
        # its fields in the model's order, in a dict that shares its keys with every result's
        # (_Template): smaller than a dict of its own
        assert list(r.__dict__) == list(results_mod.InterventionResult.model_fields)
        assert sys.getsizeof(r.__dict__) < sys.getsizeof(dict(r.__dict__))
