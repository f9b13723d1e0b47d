"""The catalog cache: the same catalog as loading it, never a stale or foreign one, never case data."""

from __future__ import annotations

import datetime as dt
import os
import pickle
from pathlib import Path

import pytest

from ratecard import load_case, screen
from ratecard.catalog import cache as cache_mod
from ratecard.catalog.cache import cached_catalog, catalog_key
from ratecard.catalog.load import load_catalog

from .catalog_copy import CatalogCopy

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "cache"
    monkeypatch.setenv("RATECARD_CACHE_DIR", str(d))
    monkeypatch.delenv("RATECARD_NO_CACHE", raising=False)
    return d


@pytest.fixture
def copy(tmp_path: Path) -> CatalogCopy:
    return CatalogCopy(tmp_path / "cat")


def _no_loading(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*a: object, **k: object) -> None:
        raise AssertionError("the catalog was loaded again")

    monkeypatch.setattr(cache_mod, "load_catalog", fail)


def test_a_cached_catalog_screens_exactly_as_a_loaded_one(cache_dir: Path, copy: CatalogCopy,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    fresh = load_catalog(copy.root)
    first = cached_catalog(copy.root)
    assert [p.name for p in cache_dir.iterdir()] == [f"catalog-{catalog_key(copy.root)}.pickle"]
    _no_loading(monkeypatch)
    again = cached_catalog(copy.root)
    assert again.version == first.version == fresh.version and again.source == fresh.source
    on = dt.date(2017, 3, 1)
    for case in sorted((ROOT / "examples" / "cases").glob("*.yaml"))[:6]:
        c = load_case(case)
        assert screen(c, again, on=on) == screen(c, fresh, on=on)


def test_any_change_to_a_catalog_or_rule_file_is_another_entry(cache_dir: Path, copy: CatalogCopy) -> None:
    before = cached_catalog(copy.root)
    copy.intervention("bbr", lambda e: e.update(name="Building Better Relationships, renamed"))
    after = cached_catalog(copy.root)
    assert after.interventions["bbr"].name.endswith("renamed") and after.version != before.version
    copy.rules_of("tsp", lambda r: r.__setitem__("criteria", r["criteria"]))  # rewritten: same meaning, other bytes
    assert cached_catalog(copy.root).version == after.version
    assert len(list(cache_dir.glob("catalog-*.pickle"))) == 3


def _adult_age(copy: CatalogCopy, age: int) -> None:
    copy.rules_of("sova_mentoring", lambda r: r["criteria"][0]["when"].__setitem__("gte", age))


def _sova_for_a_19_year_old(catalog: object) -> str:
    case = {"id": "nineteen", "person": {"date_of_birth": "1998-01-01"}}
    return screen(case, catalog, on=dt.date(2017, 3, 1)).result("sova_mentoring").decision  # type: ignore[arg-type]


def test_an_edit_while_a_catalog_loads_never_stores_it_under_the_wrong_name(cache_dir: Path, copy: CatalogCopy,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    # The key was read from the files, then the files were read again to load them: an edit in
    # between stored the edited catalog under the unedited files' name (181 of 356 cold loads
    # with a rule flipping between gte 18 and gte 21), and it was used from then on.
    _adult_age(copy, 18)
    real = cache_mod.load_catalog

    def edited_meanwhile(*a: object, **k: object) -> object:
        _adult_age(copy, 21)  # after the cache looked the files up, before they are parsed
        return real(*a, **k)

    monkeypatch.setattr(cache_mod, "load_catalog", edited_meanwhile)
    assert _sova_for_a_19_year_old(cached_catalog(copy.root)) == "ineligible"  # what was parsed: gte 21
    monkeypatch.setattr(cache_mod, "load_catalog", real)
    _adult_age(copy, 18)
    assert _sova_for_a_19_year_old(cached_catalog(copy.root)) == "eligible"
    _no_loading(monkeypatch)  # both are in the cache now, each under its own files' name
    assert _sova_for_a_19_year_old(cached_catalog(copy.root)) == "eligible"
    _adult_age(copy, 21)
    assert _sova_for_a_19_year_old(cached_catalog(copy.root)) == "ineligible"


def test_a_damaged_or_foreign_cache_file_is_ignored(cache_dir: Path, copy: CatalogCopy) -> None:
    good = cached_catalog(copy.root)
    entry = cache_dir / f"catalog-{catalog_key(copy.root)}.pickle"
    entry.write_bytes(b"not a pickle")
    assert cached_catalog(copy.root).version == good.version
    entry.write_bytes(pickle.dumps({"not": "a catalog"}))
    assert cached_catalog(copy.root).version == good.version
    os.chmod(entry, 0o666)  # writable by anyone: could have been swapped
    assert cache_mod._read(entry) is None


def test_no_cache_when_turned_off(cache_dir: Path, copy: CatalogCopy, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RATECARD_NO_CACHE", "1")
    cached_catalog(copy.root)
    assert not cache_dir.exists()


def test_the_cache_folder_is_private_and_holds_no_case_data(cache_dir: Path) -> None:
    from ratecard.cli import main

    case = ROOT / "examples" / "cases" / "no-risk-scores.yaml"
    main(["screen", str(case), "--on", "2017-03-01", "--json"])
    assert cache_dir.stat().st_mode & 0o077 == 0
    for f in cache_dir.iterdir():
        assert f.stat().st_mode & 0o077 == 0
        assert b"no-risk-scores" not in f.read_bytes()


def test_an_unwritable_cache_folder_only_costs_time(tmp_path: Path, copy: CatalogCopy, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("RATECARD_CACHE_DIR", str(blocker / "cache"))
    assert cached_catalog(copy.root).version == load_catalog(copy.root).version



def test_a_catalog_pickled_with_its_engine_decides_alike_and_owns_its_rulesets() -> None:
    # the cache keeps the engine's plan; the process that reads it makes its own rulesets, which
    # must give the same answers and live on when the original engine is closed
    import random

    from ratecard.rules.forms import relevant_values

    original = load_catalog()
    original.engine
    copy = pickle.loads(pickle.dumps(original))
    values = relevant_values(original.rules)
    rnd = random.Random(8)
    cases = []
    for _ in range(300):
        full = {f: rnd.choice(vs) for f, vs in values.items()}
        cases.append({f: v for f, v in full.items() if rnd.random() > 0.3})
    expected = [original.engine.evaluate(f) for f in cases]
    # pickled again with the firings it remembers: the copy remembers none and answers alike
    warm = pickle.loads(pickle.dumps(original))
    restored = copy.engine
    assert restored is not original.engine and restored.size == original.engine.size
    original.engine.close()
    assert [restored.evaluate(f) for f in cases] == expected
    assert [warm.engine.evaluate(f) for f in reversed(cases)] == expected[::-1]


def test_two_copies_of_a_cached_catalog_never_share_or_free_each_others_rulesets() -> None:
    # a catalog read from the cache holds its engine's plan until first use; a copy holds the same
    # plan, and each copy's engine must still own its rulesets
    import copy
    import gc

    original = load_catalog()
    original.engine
    a = pickle.loads(pickle.dumps(original))
    b = copy.copy(a)
    ea, eb = a.engine, b.engine
    handles = lambda e: {r.handle for stage in e._rulesets for r in stage} - {None}  # noqa: E731
    assert not handles(ea) & handles(eb)
    expected = original.engine.evaluate({})
    del b, eb
    gc.collect()
    assert ea.evaluate({}) == expected


def test_a_closed_engine_refuses_to_evaluate() -> None:
    from ratecard.rules.durable import Engine

    e = Engine(load_catalog().program)
    e.close()
    with pytest.raises(RuntimeError, match="closed"):
        e.evaluate({})
