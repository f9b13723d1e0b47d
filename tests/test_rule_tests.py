"""Rule tests (rules/tests/*.yaml): the shipped ones pass, and the runner reports what a catalog
editor needs, with file and line, for a failing expectation and for a test that names nothing real."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from ratecard import default_catalog, load_catalog
from ratecard.cli import cli, main
from ratecard.docs import formats_doc_path
from ratecard.ruletests import default_tests_dir, load_rule_tests, run_rule_test, run_rule_tests

from .catalog_copy import REPO, CatalogCopy

CATALOG = default_catalog()
_dir = default_tests_dir(CATALOG)
SHIPPED, _PROBLEMS = load_rule_tests(_dir, CATALOG) if _dir is not None else ([], [])


def test_the_shipped_rule_tests_load_without_problems() -> None:
    assert not _PROBLEMS, "\n".join(map(str, _PROBLEMS))
    assert len(SHIPPED) >= 50
    # every test file says what it is about, and every test says why
    assert all(t.reason and t.name for t in SHIPPED)


@pytest.mark.parametrize("test", SHIPPED, ids=lambda t: f"{Path(t.file).name}:{t.line}")
def test_shipped_rule_test(test) -> None:  # type: ignore[no-untyped-def]
    result = run_rule_test(test, CATALOG)
    assert result.passed, "\n".join(str(f) for f in result.failures) + f"\n  why it should hold: {test.reason}"


def _write(tmp_path: Path, text: str, name: str = "t.yaml") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


# a case on one line, so that it can be put into tests at any indentation
GOOD_CASE = (" {person: {sex: male, date_of_birth: 1999-04-20}, offence: {conviction_date: 2017-04-21}, "
             "sentence: {type: community_order, length_months: 12, start: 2017-04-24}}")
WRONG_AGE = "derived: {age: 17}"  # the person is 18 when convicted


def _one_test(tmp_path: Path, expect: str, name: str = "wrong on purpose", date_key: str = "date") -> Path:
    """A file with one test of GOOD_CASE; `expect` is the body of its expect mapping."""
    body = textwrap.indent(textwrap.dedent(expect).strip(), " " * 6)
    return _write(tmp_path, f"""tests:
  - name: {name}
    reason: The person is 18 when convicted.
    {date_key}: 2017-03-01
    case:{GOOD_CASE}
    expect:
{body}
""")


def test_a_failing_expectation_names_its_file_line_and_what_was_found(tmp_path: Path) -> None:
    p = _one_test(tmp_path, f"""
        {WRONG_AGE}
        decisions:
          bold_moves_motivation: ineligible
          sova_mentoring: eligible
    """)
    (result,) = run_rule_tests(p, CATALOG)
    assert not result.passed
    got = {f.line: f.message for f in result.failures}
    assert got[_line_of(p, "derived:")] == "age: expected 17, got 18"
    assert got[_line_of(p, "bold_moves_motivation:")].startswith("bold_moves_motivation: expected ineligible, got eligible")
    assert _line_of(p, "sova_mentoring:") not in got
    assert all(f.file == str(p) and f.test == "wrong on purpose" for f in result.failures)


def test_unknown_is_an_answer_that_can_be_expected(tmp_path: Path) -> None:
    p = _write(tmp_path, """
    tests:
      - name: no scores at all
        reason: Missing information is reported, never guessed.
        date: 2017-03-01
        case: {person: {sex: male}}
        expect:
          derived: {allocation: null, tier: null, age: null}
          decisions: {tsp: undetermined}
    """)
    assert all(r.passed for r in run_rule_tests(p, CATALOG))


@pytest.mark.parametrize(
    "bad, needle, message",
    [
        ("decisions: {bbrr: eligible}", "bbrr", "no intervention 'bbrr' in the catalog. Did you mean bbr?"),
        ("decisions: {bbr: maybe}", "maybe", "'maybe' is not a decision"),
        ("derived: {tierr: green}", "tierr", "'tierr' is not a derived fact or computed field"),
        ("derived: {tier: purple}", "purple", "'purple' can never be the value of 'tier'"),
        ("availability: {tsp: closed}", "closed", "'closed' is not an availability"),
        ("case_warnings: [unknown_areaa]", "unknown_areaa", "'unknown_areaa' is not a warning code"),
        ("referrals: {tsp: {verdict: yes_please}}", "yes_please", "'yes_please' is not a verdict"),
        ("expected: {tsp: eligible}", "expected", "unknown expectation"),
    ],
)
def test_a_test_that_names_nothing_real_is_a_problem_with_file_and_line(tmp_path: Path, bad: str, needle: str, message: str) -> None:
    p = _one_test(tmp_path, bad, name="a typo")
    tests, problems = load_rule_tests(p, CATALOG)
    assert tests == []
    assert [(pr.line, message in pr.message) for pr in problems] == [(_line_of(p, needle), True)], problems


def test_a_case_field_that_does_not_exist_is_reported_where_it_is_written(tmp_path: Path) -> None:
    p = _write(tmp_path, """
    tests:
      - name: bad case
        reason: The case is checked like a case file.
        date: 2017-03-01
        case:
          person: {sex: male, shoe_size: 9}
        expect:
          decisions: {tsp: eligible}
    """)
    _, problems = load_rule_tests(p, CATALOG)
    assert [(pr.line, pr.field) for pr in problems] == [(_line_of(p, "shoe_size"), "tests[0].case.person.shoe_size")]


def test_on_is_refused_with_a_reason_because_yaml_reads_it_as_true(tmp_path: Path) -> None:
    p = _one_test(tmp_path, "decisions: {tsp: eligible}", date_key="on")
    _, problems = load_rule_tests(p, CATALOG)
    assert any("write the reference date as 'date:'" in pr.message for pr in problems)


def test_the_cli_runs_the_shipped_tests_and_exits_1_on_a_failure_with_file_and_line(tmp_path: Path) -> None:
    ok = CliRunner().invoke(cli, ["test"])
    assert ok.exit_code == 0, ok.output
    assert re.search(rf"{len(SHIPPED)} rule tests: {len(SHIPPED)} passed, 0 failed", ok.output)
    p = _one_test(tmp_path, WRONG_AGE)
    bad = CliRunner().invoke(cli, ["test", str(p)])
    assert bad.exit_code == 1
    assert f"{p}:{_line_of(p, 'derived:')}: wrong on purpose: age: expected 17, got 18" in bad.output
    assert "why it should hold: The person is 18 when convicted." in bad.output


def test_an_invalid_test_file_exits_1_without_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = _write(tmp_path, "tests: [1, 2]\n")
    with pytest.raises(SystemExit) as e:
        main(["test", str(p)])
    assert e.value.code == 1
    err = capsys.readouterr().err
    assert "problems in the rule tests" in err and "Traceback" not in err and f"{p}:" in err


def test_validate_checks_the_catalogs_rule_tests(tmp_path: Path) -> None:
    c = CatalogCopy(tmp_path)
    broken = _one_test(c.root / "rules" / "tests", "decisions: {no_such_course: eligible}")
    res = CliRunner().invoke(cli, ["validate", str(c.root)])
    assert res.exit_code == 1
    assert f"{broken}:{_line_of(broken, 'no_such_course')}:" in str(res.exception)
    assert "no intervention 'no_such_course'" in str(res.exception)


def test_a_catalog_folder_as_path_runs_its_own_tests_against_it(tmp_path: Path) -> None:
    """Remove a rule that a rule test protects: the test catches it (the tests are not decoration)."""
    c = CatalogCopy(tmp_path)
    c.rules_of("bbr", lambda r: r.__setitem__("criteria", [x for x in r["criteria"] if x["id"] != "bbr.female_partner"]))
    res = CliRunner().invoke(cli, ["test", str(c.root)])
    assert res.exit_code == 1
    assert "law_and_criteria.yaml" in res.output and "bbr: expected ineligible, got eligible" in res.output


def test_a_rar_day_count_below_the_sessions_is_a_validate_warning(tmp_path: Path) -> None:
    c = CatalogCopy(tmp_path)
    c.intervention("sova_mentoring", lambda e: e.__setitem__("rar_days", 6))
    res = CliRunner().invoke(cli, ["validate", str(c.root)])
    assert res.exit_code == 0, res.output
    assert "1 warning" in res.stdout
    assert re.search(r"sova\.yaml:\d+: sova_mentoring\.rar_days: 6 RAR days for 12 sessions", res.stderr)
    # explained, it is no longer a warning
    c.intervention("sova_mentoring", lambda e: e.__setitem__("rar_days_note", "Two short meetings a day."))
    assert load_catalog(c.root).warnings == ()


def test_the_shipped_catalog_has_no_warnings() -> None:
    assert CATALOG.warnings == ()


def test_the_format_reference_is_shipped_and_documents_every_key() -> None:
    from ratecard import ruletests

    assert formats_doc_path().exists()
    text = formats_doc_path().read_text(encoding="utf-8")
    for key in (*ruletests._TEST_KEYS, *ruletests._EXPECT_KEYS, *ruletests._REFERRAL_KEYS):
        assert f"`{key}`" in text, key
    assert '"docs/formats.md" = "ratecard/_defaults/docs/formats.md"' in (REPO / "pyproject.toml").read_text()


def test_the_example_in_the_format_reference_is_a_passing_rule_test(tmp_path: Path) -> None:
    section = formats_doc_path().read_text(encoding="utf-8").split("## Rule tests", 1)[1]
    example = section.split("```yaml", 1)[1].split("```", 1)[0]
    results = run_rule_tests(_write(tmp_path, example), CATALOG)
    assert [str(f) for r in results for f in r.failures] == []
