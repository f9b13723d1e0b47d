"""Proposals that reason as a probation officer does (issue 17): risk first, then need, then
responsivity; an order length proposed when none is given; a paragraph a bench can rely on.

The five situations of the issue are example cases (examples/cases, fictional); the invariants are
property tests over generated cases on the default catalog."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from ratecard import default_catalog, load_case, propose, screen
from ratecard.case.model import Case
from ratecard.decide.proposal import Proposal
from ratecard.decide.responsivity import family_work

from .cases import cases
from .test_proposal_unknowns import EXAMPLES, ON, _court_text_is_plain, _ids, _p


def _work(iid: str):
    return default_catalog().interventions[iid].work


def _body(p: Proposal) -> str:
    return p.text.split("\n\n")[0]


# ---- the five situations ------------------------------------------------------------------------


def test_when_no_perpetrator_work_fits_the_paragraph_says_so_and_family_support_does_not_stand_in():
    p = _p("dv-sso-nine-months-no-perpetrator-work-fits")
    (abuse,) = [o for o in p.offending if o.target == "partner_abuse"]
    assert abuse.proposed is None
    assert {o.intervention: o.why for o in abuse.options} == {
        "bbr": "no_eligible_provision", "bold_moves_safer_relationships": "waiting_list_too_long"}
    assert "No domestic abuse perpetrator work fits this order" in _body(p)
    # no home visits to the partner and children without perpetrator work beside them
    assert not any(family_work(_work(i)) for i in _ids(p))
    left = {n.intervention: n.why for n in p.not_proposed}
    assert left["ormiston_family_support"] == "partner_abuse_family_work"
    assert "belongs only alongside perpetrator work" in _body(p)
    # how long an order would let the work fit, within the two years a suspended sentence order allows
    assert abuse.longer_order_months is not None and 9 < abuse.longer_order_months <= 24
    longer = _p("dv-sso-nine-months-no-perpetrator-work-fits", order_months=abuse.longer_order_months)
    assert abuse.longer_order_for in _ids(longer)
    assert f"An order of {abuse.longer_order_months} months, ending on" in _body(p)


def test_a_programme_open_only_for_want_of_an_answer_is_proposed_on_condition_ahead_of_support():
    p = _p("dv-sex-not-recorded-bbr-on-condition")
    first = p.package[0]
    assert first.intervention == "bbr" and first.conditional
    assert [a.field for a in first.confirm_if] == ["person.sex"]
    assert p.to_find_out[0].field == "person.sex"
    assert p.if_not_confirmed is not None and "bbr" not in p.if_not_confirmed.package
    # without BBR, no family work: it goes only beside perpetrator work
    assert not any(family_work(_work(i)) for i in p.if_not_confirmed.package)
    family = [i for i in p.package if family_work(_work(i.intervention))]
    assert all(i.alongside == "bbr" and i.start >= first.start for i in family)


def test_a_programme_not_adapted_for_learning_disability_is_not_proposed_and_no_alternative_is_said():
    p = _p("learning-disability-cannot-read-tsp-not-adapted")
    assert "tsp" not in _ids(p)
    left = {n.intervention: n for n in p.not_proposed}
    assert left["tsp"].why == "not_suitable" and "not adapted" in left["tsp"].text
    (note,) = [n for n in p.responsivity if n.intervention == "tsp"]
    assert note.code == "learning_disability" and note.alternative is None
    assert "no adapted alternative is offered in this catalog" in _body(p)
    # the screen says it too, as a warning on TSP
    scr = screen(load_case(EXAMPLES / "learning-disability-cannot-read-tsp-not-adapted.yaml"), default_catalog(), on=ON)
    assert any(w.code == "responsivity" for w in scr.result("tsp").warnings)
    # with no learning disability, TSP comes back
    case = load_case(EXAMPLES / "learning-disability-cannot-read-tsp-not-adapted.yaml")
    able = case.model_copy(update={"responsivity": case.responsivity.model_copy(update={"learning_disability": False})})
    assert "tsp" in _ids(propose(able, default_catalog(), on=ON))
    # not known: TSP may be proposed, and the question is asked
    unknown = case.model_copy(update={"responsivity": case.responsivity.model_copy(update={"learning_disability": None})})
    asked = {t.field: t.why for t in propose(unknown, default_catalog(), on=ON).to_find_out}
    assert "not adapted" in asked["responsivity.learning_disability"]


def test_nobody_whose_mental_health_prevents_group_work_is_put_in_a_group():
    p = _p("veteran-ptsd-no-group-work")
    assert p.package and not any(_work(i).group for i in _ids(p))
    left = {n.intervention: n.why for n in p.not_proposed}
    assert left["bold_moves_veterans"] == "not_suitable"
    assert "group work, which the person cannot take part in" in _body(p)


def test_someone_at_risk_in_a_group_is_put_in_no_group():
    p = _p("upw-at-risk-in-group-sexual-offence")
    assert not any(_work(i).group for i in _ids(p))
    assert {"bold_moves_victim_awareness", "horizon"} <= {n.intervention for n in p.not_proposed if n.why == "not_suitable"}


def test_an_order_length_left_to_the_writer_is_proposed_within_the_legal_maximum():
    p = _p("dv-order-length-for-the-writer")
    assert p.order_months_proposed and 6 <= p.order_months <= 24
    assert "bbr" in _ids(p)  # BBR needs 18 months on the order: the shortest order that keeps it
    assert p.order_months == 18
    assert "I propose a suspended sentence order of 18 months (the shortest" in p.text
    assert not any("sentence.length_months" in u.missing for u in p.unmet_needs)
    assert "order length" not in p.text.lower()
    # family work beside BBR starts with it, and the paragraph says it goes only alongside
    (family,) = [i for i in p.package if i.alongside]
    assert family.alongside == "bbr" and family.start >= p.package[0].start
    assert "proposed only alongside Building Better Relationships" in p.text


def test_the_court_paragraph_reads_as_a_report_paragraph():
    p = _p("dv-first-conviction-sso-fifties")
    _court_text_is_plain(p.text)
    assert "BeNCH CRC provision in Northamptonshire as at January 2017" in p.text
    assert p.catalog_version not in p.text
    # prices stay in the JSON and the officer view, labelled illustrative
    assert p.total_price and p.prices_illustrative
    # one item reads as one, many as many
    one = _p("internet-only-sexual-offence")
    assert len(one.package) == 1 and "It is open to them" in one.text and "every one" not in one.text
    many = _p("community-order-rar-and-bbr-24m")
    assert len(many.package) > 1 and "Together they address" in many.text


def test_an_interpreter_is_flagged_and_what_cannot_use_one_is_left_out():
    case = load_case(EXAMPLES / "veteran-alcohol-violence-sso.yaml")
    case = case.model_copy(update={"responsivity": case.responsivity.model_copy(update={"needs_interpreter": True})})
    p = propose(case, default_catalog(), on=ON)
    assert all(_work(i).interpreter != "not_available" for i in _ids(p))
    if any(_work(i).interpreter == "available" for i in _ids(p)):
        assert "needs an interpreter" in p.text and any(i.notes for i in p.package)


# ---- invariants over generated cases --------------------------------------------------------------


def _partner_violence(case: Case) -> bool:
    return case.offence.intimate_partner_violence is True or case.history.intimate_partner_violence is True


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(cases)
def test_generated_proposals_reason_as_an_officer_does(case: Case):
    p = propose(case, default_catalog(), on=ON)
    works = {i.intervention: _work(i.intervention) for i in p.package}
    if _partner_violence(case):
        # never a package whose only relationships work is family or home support
        relationships = [i for i in p.package if "relationships" in (i.need, *i.also_meets)]
        if relationships:
            assert not all(family_work(works[i.intervention]) for i in relationships)
        if any(family_work(w) for w in works.values()):
            assert any("partner_abuse" in i.treats for i in p.package)
            assert case.risk.sara_partner is not None  # the victim's safety assessed
    if case.responsivity.mental_health_prevents_group_work is True or case.responsivity.at_risk_in_group is True:
        assert not any(w.group for w in works.values())
    if case.responsivity.learning_disability is True:
        assert not any(w.learning_disability == "not_adapted" for w in works.values())
    _court_text_is_plain(p.text)
    # a need is never unmet for want of an order length
    assert not any(m.startswith("sentence.length") for u in p.unmet_needs for m in u.missing)
    for n in p.not_proposed:
        assert "order length" not in n.text.lower()
    if p.order_months_proposed and p.sentence_type in (None, "community_order", "suspended_sentence_order"):
        assert p.order_months <= (36 if p.sentence_type == "community_order" else 24)


def test_results_are_immutable_all_the_way_down_and_dump_to_json():
    import json

    p = _p("dv-sex-not-recorded-bbr-on-condition")
    for part in (p.package[0], p.needs[0], p.not_proposed[0], p.offending[0]):
        assert isinstance(part.model_dump(), dict)
    assert all(isinstance(getattr(p, f), tuple) for f in ("package", "needs", "not_proposed", "unmet_needs", "offending"))
    assert isinstance(p.package[0].also_meets, tuple) and isinstance(p.not_proposed[0].needs, tuple)
    try:
        p.package[0].name = "x"  # type: ignore[misc]
    except Exception:
        pass
    else:
        raise AssertionError("a package item can be changed")
    assert json.loads(p.model_dump_json())["package"][0]["intervention"] == "bbr"
    # every part built without validation has every field (a missing one would break model_dump)

    def parts(x: object):
        from pydantic import BaseModel

        if isinstance(x, BaseModel):
            yield x
            for f in type(x).model_fields:
                yield from parts(getattr(x, f))
        elif isinstance(x, tuple):
            for y in x:
                yield from parts(y)

    for name in sorted(EXAMPLES.glob("*.yaml")):
        q = propose(load_case(name), default_catalog(), on=ON)
        for part in parts(q):
            assert set(type(part).model_fields) <= set(part.__dict__), (type(part).__name__, name.stem)
            assert type(part).model_validate(part.model_dump()) == part


def test_the_longer_order_named_is_the_shortest_the_rules_and_the_timing_allow():
    from ratecard.decide.proposal.order import longer_order, with_length

    case = load_case(EXAMPLES / "dv-sso-nine-months-no-perpetrator-work-fits.yaml")
    cat = default_catalog()
    months = longer_order(case, cat, ON, cat.interventions["bbr"], 4, 9)
    assert months is not None
    # the engine agrees: not eligible one month shorter, eligible at that length
    assert screen(with_length(case, months), cat, on=ON).result("bbr").decision != "ineligible"
    assert screen(with_length(case, months - 1), cat, on=ON).result("bbr").decision == "ineligible"
    # beyond the legal maximum nothing is named: a suspended sentence order runs for two years at most
    too_long = cat.interventions["bbr"].model_copy(update={"weeks": 120})
    assert longer_order(case, cat, ON, too_long, 4, 9) is None


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(cases)
def test_confirming_a_programme_in_two_stages_names_the_same_answers_as_trying_every_field(case: Case):
    from ratecard.case.facts import case_facts
    from ratecard.decide.proposal import compose
    from ratecard.decide.whatif import confirming_answers

    cat = default_catalog()
    scr = screen(case, cat, on=ON)
    pathway = scr.derived_missing.get("pni_pathway", [])
    facts = case_facts(case, ON)
    for iid in ("bbr", "tsp", "horizon", "ihorizon"):
        if scr.result(iid).decision != "undetermined":
            continue
        rules = cat.rules.rules[iid]

        def confirmed(ev, iid=iid, rules=rules):
            decision, _ = compose.decide(iid, rules, ev)
            p = ev.possible.get("pni_pathway", frozenset())
            if decision == "ineligible" or not p & compose.PROGRAMME_PATHWAYS:
                return False
            # as the proposal counts it: eligible if a person agrees is confirmed as far as answers go
            return True if decision in ("eligible", "eligible_if_agreed") and p <= compose.PROGRAMME_PATHWAYS else None

        every = list(dict.fromkeys([m.field for m in scr.result(iid).missing] + list(pathway)))
        assert compose._confirm_if(cat, facts, scr, iid, pathway) == confirming_answers(cat, facts, every, confirmed)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(cases)
def test_the_pruned_search_gives_the_exhaustive_optimum_on_the_candidates_of_generated_cases(case: Case):
    """The branch and bound (choice.best_package) against every admissible subset, on the candidates
    a real proposal builds (with offending treated, conditions and perpetrator work), for the package
    and for the fallback if a conditional item is not confirmed."""
    import itertools
    from unittest import mock

    from ratecard.decide.proposal import admissible, compose, package_key
    from ratecard.decide.proposal.choice import best_package

    searches = []

    def recorded(cands, weights, cap, female):  # type: ignore[no-untyped-def]
        chosen = best_package(cands, weights, cap, female)
        searches.append((cands, weights, cap, female, chosen))
        return chosen

    with mock.patch.object(compose, "best_package", recorded):
        propose(case, default_catalog(), on=ON)
    for cands, weights, cap, female, chosen in searches:
        if len(cands) > 12:
            continue  # 4,096 subsets at most: a few seconds in all
        subsets = (c for k in range(len(cands) + 1) for c in itertools.combinations(cands, k))
        best = min(package_key(c, weights, female) for c in subsets if admissible(c, cap))
        assert admissible(chosen, cap)
        assert package_key(chosen, weights, female) == best
        assert [c.iv.id for c in chosen] == sorted(c.iv.id for c in chosen)
