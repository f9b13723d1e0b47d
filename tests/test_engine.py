"""The durable_rules engine agrees with the plain reference evaluator, case by case."""

from __future__ import annotations

import datetime as dt
import random
import threading

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ratecard.rules.durable import Engine
from ratecard.rules.forms import compile_program
from ratecard.rules.reference import evaluate

from .strategies import facts, rulesets


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rulesets(), st.lists(facts(), min_size=1, max_size=6))
def test_engine_agrees_with_reference_on_generated_rules_and_cases(rules, cases):
    program = compile_program(rules)
    engine = Engine(program)
    for f in cases:
        assert engine.evaluate(f) == evaluate(program, f)


@settings(max_examples=60, deadline=None)
@given(rulesets(), facts(), st.lists(facts(), max_size=5))
def test_a_case_is_not_affected_by_the_cases_before_it(rules, b, before):
    program = compile_program(rules)
    engine = Engine(program)
    alone = Engine(program).evaluate(b)
    for a in before:
        engine.evaluate(a)
    assert engine.evaluate(b) == alone


@settings(max_examples=40, deadline=None)
@given(rulesets(), st.lists(facts(), min_size=1, max_size=4))
def test_the_same_case_again_and_after_a_failed_assert_gets_the_reference_answer(rules, cases):
    """Each ruleset keeps one session from case to case (the fact retracted after its firings):
    an identical fact asserted again must not be refused as already seen, and a failure half-way
    through a case must leave nothing of it behind for the next."""
    import ratecard.rules.durable as durable

    program = compile_program(rules)
    engine = Engine(program)

    def forget_firings():  # firings remembered for a fact would spare the engine the assert tested here
        for stage in engine._rulesets:
            for rs in stage:
                rs.memo.clear()

    for f in cases:
        assert engine.evaluate(f) == evaluate(program, f)
    forget_firings()
    for f in cases:
        assert engine.evaluate(f) == evaluate(program, f)
    forget_firings()
    saved = durable._dre.start_action_for_state

    def broken(*a):  # the engine failing between the assert and its firings
        raise RuntimeError("simulated engine failure")

    durable._dre.start_action_for_state = broken
    try:
        for f in cases:
            try:
                engine.evaluate(f)
            except RuntimeError:
                pass
    finally:
        durable._dre.start_action_for_state = saved
    for f in reversed(cases):
        assert engine.evaluate(f) == evaluate(program, f)


@settings(max_examples=30, deadline=None)
@given(rulesets(), st.lists(facts(), min_size=2, max_size=8))
def test_firings_remembered_for_a_fact_give_the_reference_answer_when_the_memory_is_full(rules, cases):
    """A ruleset remembers what each fact fired and starts again when full: answers from memory, from
    the engine, and after the memory was emptied agree with the reference."""
    import ratecard.rules.durable as durable

    program = compile_program(rules)
    engine = Engine(program)
    saved = durable.MEMO_FACTS
    durable.MEMO_FACTS = 2
    try:
        for f in cases + cases[::-1] + cases:
            assert engine.evaluate(f) == evaluate(program, f)
    finally:
        durable.MEMO_FACTS = saved


def test_with_the_memory_off_every_fact_of_every_case_reaches_durable_rules(monkeypatch):
    """MEMO_FACTS = 0 (docs/engine.md): screening the same case again asserts to durable_rules
    as often as the first time, and gives the same answer."""
    from pathlib import Path

    import ratecard.rules.durable as durable
    from ratecard import load_case, screen
    from ratecard.catalog.load import load_catalog

    monkeypatch.setattr(durable, "MEMO_FACTS", 0)
    catalog = load_catalog()  # its own engine: nothing remembered from other tests
    case = load_case(Path(__file__).resolve().parent.parent / "examples" / "cases" / "woman-corby-family-needs.yaml")
    asserted = []
    real = durable._dre.assert_fact

    def counting(handle, text):  # type: ignore[no-untyped-def]
        asserted.append(text)
        return real(handle, text)

    monkeypatch.setattr(durable._dre, "assert_fact", counting)
    on = dt.date(2017, 3, 1)
    first = screen(case, catalog, on=on).model_dump_json()
    once = len(asserted)
    assert once > 0
    assert screen(case, catalog, on=on).model_dump_json() == first
    assert len(asserted) == 2 * once


def test_threads_screening_different_cases_get_the_answers_a_single_thread_gets():
    from pathlib import Path

    from ratecard import default_catalog, load_case, screen

    from .cases import ON

    cat = default_catalog()
    examples = sorted((Path(__file__).parent.parent / "examples" / "cases").glob("*.yaml"))
    cases = [load_case(p) for p in examples]
    expected = [screen(c, cat, on=ON) for c in cases]
    errors: list[str] = []

    def work(seed: int) -> None:
        order = list(range(len(cases)))
        random.Random(seed).shuffle(order)
        for _ in range(4):
            for i in order:
                if screen(cases[i], cat, on=ON) != expected[i]:
                    errors.append(f"{cases[i].id} differs")

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
