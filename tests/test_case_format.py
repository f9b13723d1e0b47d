"""The case format as people write it (issue 19): nothing a case says is silently dropped, and the
file forgives what cannot change a meaning (capitals, spaces, the UK order of a date, no id)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from ratecard import default_catalog, propose, screen
from ratecard.case.model import NEVER_GIVEN, Case, load_case, parse_case
from ratecard.case.needs import THRESHOLDS
from ratecard.errors import CaseError
from ratecard.rules.fields import CASE_FIELDS, COMPUTED_FROM

REPO = Path(__file__).resolve().parent.parent
ON = dt.date(2017, 3, 1)

# Fields no rule reads that outputs use, and where (each is checked to change that output below).
USED_BY_OUTPUTS = {
    "person.date_of_birth": "age, which rules read",
    "offence.conviction_date": "age at conviction (adult or youth), which rules read",
    "person.area": "the screen's area warnings and where provision is",
    "sentence.start": "age and months left, which rules read",
    "sentence.rar_days": "the proposal's and the check's RAR days",
    "sentence.requirements": "the referral check",
    "sentence.unpaid_work_hours": "the referral check of unpaid work",
    "responsivity.care_responsibilities": "placement warnings",
    "responsivity.has_transport": "reachability of a venue",
    **{f"needs.{s}.linked_to_harm": "the proposal's order of needs" for s in
       ("accommodation", "education_training_and_employability", "finance", "relationships", "lifestyle_and_associates",
        "drug_misuse", "alcohol_misuse", "emotional_wellbeing", "thinking_and_behaviour", "attitude")},
    **{f"needs.{s}.linked_to_reoffending": "the proposal's order of needs" for s in
       ("accommodation", "education_training_and_employability", "finance", "relationships", "lifestyle_and_associates",
        "drug_misuse", "alcohol_misuse", "emotional_wellbeing", "thinking_and_behaviour", "attitude")},
}
# Fields the format accepts that no rule of the default or the example catalogs reads, nor any
# output: documented as information only in docs/formats.md. A rule that starts reading one must
# take it off this list.
INFORMATION_ONLY = {"responsivity.needs_interpreter"}


def _read_by_rules() -> set[str]:
    """Fields the rules of the default catalog and of the catalogs shipped as examples read."""
    from ratecard import load_catalog

    read: set[str] = set()
    catalogs = [default_catalog(), *(load_catalog(p) for p in sorted((REPO / "examples" / "catalogs").glob("*")) if p.is_dir())]
    for rules in (c.rules for c in catalogs):
        for rs in rules.rules.values():
            for r in rs:
                read |= set(r.fields)
        for d in rules.derived.values():
            read |= set(d.uses())
    for computed, sources in COMPUTED_FROM.items():
        if computed in read:
            read |= set(sources)
    return read


def test_every_field_the_format_accepts_is_read_by_a_rule_used_by_an_output_or_information_only() -> None:
    fields = set(CASE_FIELDS) - set(NEVER_GIVEN)
    read = _read_by_rules()
    ignored = fields - read - set(USED_BY_OUTPUTS) - INFORMATION_ONLY
    assert not ignored, (f"{sorted(ignored)}: a new field that nothing reads would be silently ignored; add a rule that "
                         "reads it, use it in an output (USED_BY_OUTPUTS), or document it as information only")
    # the lists stay honest: a field a rule reads is not listed as unread
    assert not (INFORMATION_ONLY & read), "a rule reads a field listed as information only: take it off the list"
    formats = (REPO / "docs" / "formats.md").read_text(encoding="utf-8")
    section = formats[formats.index("### Information only"):]
    for f in INFORMATION_ONLY:
        assert f"`{f}`" in section, f"docs/formats.md does not list {f} as information only"


BASE = ("id: a\nperson: {sex: male, date_of_birth: 1980-06-10, home_town: northampton, area: northamptonshire}\n"
        "offence: {category: violence, intimate_partner_violence: true, sexual: false}\n"
        "risk: {rosh: medium, ogrs3_2yr: 60, ovp_2yr: 40, sara_partner: medium, mappa_level: 0}\n"
        "needs: {relationships: {score: 5}, alcohol_misuse: {score: 5}, thinking_and_behaviour: {score: 6}}\n"
        "sentence: {type: community_order, length_months: 24, requirements: [rar], rar_days: 20}\n")


def _outputs(case: Case) -> str:
    from ratecard import check_referral

    return "\n".join(x.model_dump_json() for x in (
        screen(case, on=ON), propose(case, on=ON), check_referral(case, "bbr", on=ON),
        check_referral(case, "upw_group_wellingborough", on=ON)))


@pytest.mark.parametrize(("field", "a", "b"), [
    ("person.date_of_birth", "1980-06-10", "2001-06-10"),
    ("person.area", "northamptonshire", "elsewhere"),
    ("sentence.start", "2017-02-01", "2015-03-01"),
    ("offence.conviction_date", "1990-06-10", "2017-02-01"),
    ("sentence.rar_days", 20, 5),
    ("sentence.requirements", ["rar"], ["rar", "unpaid_work"]),
    ("responsivity.has_transport", True, False),
    ("needs.relationships.linked_to_harm", True, False),
    ("needs.alcohol_misuse.linked_to_reoffending", True, False),
    ("sentence.unpaid_work_hours", 100, None),
    ("responsivity.care_responsibilities", True, False),
])
def test_a_field_outputs_use_changes_an_output(field: str, a: object, b: object) -> None:
    assert field in USED_BY_OUTPUTS
    import yaml

    outs = []
    for v in (a, b):
        d = yaml.safe_load(BASE)
        *parents, last = field.split(".")
        node = d
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = v
        if field == "responsivity.has_transport":
            d["person"]["home_town"] = "daventry"
        if field in ("sentence.unpaid_work_hours", "responsivity.care_responsibilities", "responsivity.has_transport"):
            d["sentence"]["requirements"] = ["rar", "unpaid_work"]
        outs.append(_outputs(parse_case(yaml.safe_dump(d, default_flow_style=True))))
    assert outs[0] != outs[1], field


def test_a_naive_file_that_says_needs_are_identified_gets_them(tmp_path: Path) -> None:
    f = tmp_path / "naive.yaml"
    f.write_text("person: {sex: male, date_of_birth: 1980-06-10, home_town: northampton}\n"
                 "needs: {alcohol_misuse: {identified: true}, accommodation: {identified: true}}\n"
                 "sentence: {type: community_order, length_months: 12}\n")
    case = load_case(f)
    assert case.id == "naive"  # the file name stands in for the id it does not give
    s = screen(case, on=ON)
    by_id = {r.intervention: r for r in s.results}
    assert by_id["s2s_alcohol"].decision == "eligible"
    assert not any(m.field.startswith("needs.alcohol_misuse") for m in by_id["s2s_alcohol"].missing)
    p = propose(case, on=ON)
    assert any(item.intervention == "s2s_alcohol" for item in p.package)


@pytest.mark.parametrize("section", sorted(THRESHOLDS))
def test_identified_stands_over_the_score_and_the_screen_says_they_disagree(section: str) -> None:
    t = THRESHOLDS[section]
    for identified, score in ((True, t - 1), (False, t)):
        case = parse_case(f"id: a\nneeds: {{{section}: {{identified: {str(identified).lower()}, score: {score}}}}}\n")
        s = screen(case, on=ON)
        assert s.derived[f"need_{section}"] is identified
        (w,) = [w for w in s.warnings if w.code == "need_identified_and_score_disagree"]
        assert f"score {score}" in w.text and f"threshold of {t}" in w.text
    # agreeing, or only one of them: no warning, and the one given decides
    for text, want in ((f"{{identified: true, score: {t}}}", True), (f"{{score: {t}}}", True), (f"{{score: {t - 1}}}", False),
                       ("{identified: false}", False)):
        s = screen(parse_case(f"id: a\nneeds: {{{section}: {text}}}\n"), on=ON)
        assert s.derived[f"need_{section}"] is want
        assert not [w for w in s.warnings if w.code == "need_identified_and_score_disagree"]


def test_the_need_thresholds_are_the_rules_own() -> None:
    text = (REPO / "rules" / "derived.yaml").read_text(encoding="utf-8")
    for section, t in THRESHOLDS.items():
        assert re.search(rf"field: needs\.{section}\.score, gte: {t}\}}", text), section


def test_words_and_ids_are_read_whatever_their_capitals_and_spaces() -> None:
    case = parse_case("person: {sex: ' Male ', home_town: ' Northampton ', area: Northamptonshire}\n"
                      "risk: {rosh: Very High, osp_dc: Not Applicable}\noffence: {category: Public-Order}\n"
                      "sentence: {type: Community Order, requirements: [RAR, Accredited Programme], rar_days: 5}\n"
                      "history: {completed_programmes: [' BBR ']}\n")
    assert (case.person.sex, case.person.home_town, case.person.area) == ("male", "northampton", "northamptonshire")
    assert (case.risk.rosh, case.risk.osp_dc, case.offence.category) == ("very_high", "not_applicable", "public_order")
    assert case.sentence.requirements == ["rar", "accredited_programme"]
    assert case.history.completed_programmes == ["bbr"]
    # an id keeps what was written: it names the person's record
    assert parse_case("id: ' AB-12 '").id == " AB-12 "


def test_every_closed_list_of_words_in_the_case_is_caseless() -> None:
    from ratecard.case.tables import layout

    for leaf in layout().leaves:
        if leaf.adapter is None:
            continue
        schema = str(leaf.adapter.core_schema)
        if "'type': 'literal'" in schema and "expected': ['" in schema:
            assert "_fold_text" in schema, f"{leaf.path}: declare it Caseless[...] (ratecard/inputs/types.py)"


@pytest.mark.parametrize(("written", "day"), [("10/06/1992", dt.date(1992, 6, 10)), ("1/6/1992", dt.date(1992, 6, 1)),
                                              ("1992-06-10", dt.date(1992, 6, 10)), ("'1992-6-1'", dt.date(1992, 6, 1))])
def test_dates_in_the_uk_order_are_read_as_on_the_command_line(written: str, day: dt.date) -> None:
    assert parse_case(f"person: {{date_of_birth: {written}}}").person.date_of_birth == day


@pytest.mark.parametrize(("written", "says"), [
    ("06/30/1992", "no month 30 (the month comes second"), ("30/07/99", "year of fewer than four figures"),
    ("17-03-01", "year of fewer than four figures"), ("0000-01-01", "year must be from 1 to 9999"),
    ("31/02/2017", "February 2017 has 28 days"), ("1992/06/10", "should be a date written"),
])
def test_a_us_impossible_or_two_digit_year_date_says_which_form_to_write(written: str, says: str) -> None:
    for text in (f"person: {{date_of_birth: {written}}}", f'{{"person": {{"date_of_birth": "{written}"}}}}'):
        with pytest.raises(CaseError) as e:
            parse_case(text)
        (p,) = e.value.problems
        assert p.field == "person.date_of_birth" and says in p.message
        assert repr(written) not in p.message  # never echoed: case data


def test_a_year_zero_order_start_is_refused_not_a_traceback() -> None:
    with pytest.raises(CaseError) as e:
        parse_case('{"sentence": {"start": "0000-03-01", "length_months": 12}}')
    assert e.value.problems[0].field == "sentence.start"


def test_a_birth_date_giving_an_age_over_150_is_refused_by_the_screen_and_the_batch() -> None:
    from ratecard import screen_many

    data = {"id": "old", "person": {"sex": "male", "date_of_birth": "1850-01-01"}, "risk": {"ogrs3_2yr": 60},
            "sentence": {"type": "community_order", "length_months": 24}}
    with pytest.raises(CaseError) as e:
        screen(data, on=ON)
    (p,) = e.value.problems
    result = screen_many([data], on=ON)
    assert result.height == 0
    assert result.errors[0]["errors"] == [{"field": "person.date_of_birth", "message": p.message}]
    assert "more than 150" in p.message


def test_a_string_with_a_decimal_comma_where_a_number_belongs_says_to_write_a_point() -> None:
    with pytest.raises(CaseError) as e:
        parse_case('{"risk": {"rsr": "0,5"}}')
    (p,) = e.value.problems
    assert p.field == "risk.rsr" and "decimal point (not a comma)" in p.message
