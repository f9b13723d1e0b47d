"""Issue 10, items 2 and 3: case values read with one meaning only, and input files read within
limits. One test per reproducer in the issue, plus the neighbours each fix implies."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from ratecard import Case, CaseError, load_case, load_catalog, screen
from ratecard.case.model import parse_case
from ratecard.errors import CatalogError, InputError, Problem
from ratecard.inputs.limits import DEFAULT
from tests.catalog_copy import CatalogCopy

ROOT = Path(__file__).resolve().parent.parent
ON = "2017-03-01"


def _write(tmp: Path, text: str | bytes, name: str = "case.yaml") -> Path:
    p = tmp / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return p


def _refused(path: Path) -> Problem:
    with pytest.raises(CaseError) as e:
        load_case(path)
    assert all(p.file == str(path) for p in e.value.problems)
    return e.value.problems[0]


# ---- item 2: values with another meaning --------------------------------------------------


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('id: a\nperson: {date_of_birth: "0"}\n', "person.date_of_birth"),
        ('id: a\nsentence: {start: "0", length_months: 12}\n', "sentence.start"),
        ('id: a\nrar_ledger: [{date: "0", kind: activity}]\n', "rar_ledger[0].date"),
        ('id: a\nevents: [{date: "1488326400", kind: breach}]\n', "events[0].date"),
        ("id: a\nperson: {date_of_birth: 0}\n", "person.date_of_birth"),
        ("id: a\nperson: {date_of_birth: 2017-03-01 10:00:00}\n", "person.date_of_birth"),
    ],
)
def test_a_date_given_as_digits_or_with_a_time_is_refused_not_read_as_a_timestamp(tmp_path: Path, text: str, where: str) -> None:
    p = _refused(_write(tmp_path, text))
    assert p.field == where
    assert "YYYY-MM-DD" in p.message


def test_a_date_of_birth_of_zero_in_json_is_refused(tmp_path: Path) -> None:
    # the reproducer: "0" was 1970-01-01, so the person was "aged 18 or over"
    p = _refused(_write(tmp_path, json.dumps({"id": "a", "person": {"date_of_birth": "0"}}), "case.json"))
    assert (p.field, p.line) == ("person.date_of_birth", 1)


def test_dates_written_as_dates_or_iso_text_are_the_same_date(tmp_path: Path) -> None:
    as_yaml = load_case(_write(tmp_path, "id: a\nperson: {date_of_birth: 1990-05-04}\n"))
    quoted = load_case(_write(tmp_path, "id: a\nperson: {date_of_birth: '1990-05-04'}\n", "q.yaml"))
    as_json = load_case(_write(tmp_path, '{"id": "a", "person": {"date_of_birth": "1990-05-04"}}', "case.json"))
    assert as_yaml == quoted == as_json
    assert str(as_yaml.person.date_of_birth) == "1990-05-04"


@pytest.mark.parametrize("text", ["id: a\nrisk: {mappa_level: true}\n", "id: a\nevents: [{date: 2017-01-01, kind: risk_review, mappa_level: true}]\n",
                                  '{"id": "a", "risk": {"mappa_level": true}}'])
def test_mappa_level_true_is_refused_not_taken_as_1(tmp_path: Path, text: str) -> None:
    p = _refused(_write(tmp_path, text, "case.json" if text.startswith("{") else "case.yaml"))
    assert p.field.endswith("mappa_level")
    assert "not true or false" in p.message


@pytest.mark.parametrize("number", ["1e-05", "5e-324"])
def test_json_numbers_with_exponents_are_read_as_json_reads_them(tmp_path: Path, number: str) -> None:
    case = load_case(_write(tmp_path, '{"id": "a", "risk": {"ogrs3_2yr": %s}}' % number, "case.json"))
    assert case.risk.ogrs3_2yr == float(number)
    screen(case, on=__import__("datetime").date(2017, 3, 1))  # and the engine takes them


def test_a_json_file_with_a_utf8_byte_order_mark_is_read(tmp_path: Path) -> None:
    case = load_case(_write(tmp_path, b"\xef\xbb\xbf" + b'{"id": "a", "person": {"sex": "male"}}', "case.json"))
    assert case.person.sex == "male"


@pytest.mark.parametrize("text", ['{"id": "a", "risk": {"ogrs3_2yr": NaN}}', '{"id": "a", "risk": {"ogrs3_2yr": Infinity}}',
                                  '{"id": "a", "risk": {"ogrs3_2yr": 1e999}}'])
def test_json_that_is_not_json_numbers_is_refused(tmp_path: Path, text: str) -> None:
    _refused(_write(tmp_path, text, "case.json"))


def test_a_duplicate_key_in_json_is_refused_with_both_lines(tmp_path: Path) -> None:
    p = _refused(_write(tmp_path, '{\n "id": "a",\n "risk": {\n  "rosh": "low",\n  "rosh": "high"\n }\n}\n', "case.json"))
    assert (p.line, p.field) == (5, "risk.rosh")
    assert "duplicate key 'rosh'" in p.message and "line 4" in p.message


@pytest.mark.parametrize(
    ("value", "fix"),
    [("010", "write 10"), ("1:30", "base 60"), ("1_000", "write 1000"), ("0x1F", "decimal")],
)
def test_yaml_1_1_number_forms_are_refused_with_the_fix(tmp_path: Path, value: str, fix: str) -> None:
    p = _refused(_write(tmp_path, f"id: a\nrisk:\n  ogrs3_2yr: {value}\n"))
    assert (p.line, p.field) == (3, "risk.ogrs3_2yr")
    assert fix in p.message and "quotes" in p.message or fix in p.message


@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "Yes", "OFF"])
def test_yes_no_on_off_where_a_flag_is_expected_are_refused_with_the_fix(tmp_path: Path, word: str) -> None:
    p = _refused(_write(tmp_path, f"id: a\noffence:\n  sexual: {word}\n"))
    assert (p.line, p.field) == (3, "offence.sexual")
    assert "write true or false" in p.message


def test_yes_is_text_where_text_is_expected(tmp_path: Path) -> None:
    # YAML 1.2: 'yes' is text, so an id of yes is the text "yes", not true
    assert load_case(_write(tmp_path, "id: yes\n")).id == "yes"


@pytest.mark.parametrize("section", ["person", "offence", "history", "risk", "needs", "responsivity", "sentence"])
def test_a_null_section_means_absent(tmp_path: Path, section: str) -> None:
    case = load_case(_write(tmp_path, f"id: a\n{section}: null\n"))
    assert case == Case(id="a")


def test_a_score_for_an_unscored_section_is_refused(tmp_path: Path) -> None:
    p = _refused(_write(tmp_path, "id: a\nneeds:\n  finance: {score: 3}\n"))
    assert (p.line, p.field) == (3, "needs.finance.score")
    assert "identified" in p.message


def test_case_messages_do_not_repeat_the_value_given(tmp_path: Path) -> None:
    secret = "Jane Doe, 1 High Street"
    with pytest.raises(CaseError) as e:
        load_case(_write(tmp_path, f"id: a\nperson: {{sex: '{secret}', home_town: '{secret}'}}\n"))
    assert secret not in str(e.value) and "Jane" not in str(e.value)
    assert {p.field for p in e.value.problems} == {"person.sex", "person.home_town"}


# ---- item 3: unbounded input --------------------------------------------------------------


def _bomb(levels: int) -> str:
    names = "abcdefghij"
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"{names[i]}: &{names[i]} [" + ",".join([f"*{names[i - 1]}"] * 9) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("levels", [7, 9])
def test_the_billion_laughs_is_refused_without_expanding_it(tmp_path: Path, levels: int) -> None:
    # 7 levels took 38 s and 4.2 GB before its error; 9 would exhaust memory if any step expanded it
    text = _bomb(levels)
    assert len(text) < 400
    p = _refused(_write(tmp_path, text))
    assert "aliases" in p.message and f"{DEFAULT.max_values:,}" in p.message
    # refused at the first line whose aliases pass the limit, before the next line is read
    held = [sum(9**k for k in range(1, n + 2)) for n in range(levels)]
    assert p.line == 1 + next(n for n, h in enumerate(held) if h > DEFAULT.max_values)


def test_the_billion_laughs_in_a_catalog_file_is_refused(tmp_path: Path) -> None:
    cat = CatalogCopy(tmp_path)
    bomb = cat.root / "rules" / "interventions" / "bomb.yaml"
    bomb.write_text(_bomb(7))
    with pytest.raises(CatalogError) as e:
        load_catalog(cat.root)
    assert [p.file for p in e.value.problems] == [str(bomb)]


def test_a_50_mb_list_is_refused_by_its_size(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with open(path, "w") as f:
        f.write("id: x\nhistory:\n  completed_programmes: [" + "bbr," * 12_500_000 + "tsp]\n")
    p = _refused(path)
    assert DEFAULT.describe_bytes() in p.message and "split" in p.message


def test_two_and_a_half_million_json_keys_are_refused_by_their_size(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    with open(path, "w") as f:
        f.write('{"id": "x"' + "".join(f', "k{i}": 1' for i in range(2_500_000)) + "}")
    assert DEFAULT.describe_bytes() in _refused(path).message


def test_many_unknown_keys_within_the_size_limit_list_the_first_hundred(tmp_path: Path) -> None:
    path = _write(tmp_path, json.dumps({"id": "x", **{f"k{i}": 1 for i in range(5_000)}}), "keys.json")
    with pytest.raises(CaseError) as e:
        load_case(path)
    assert len(e.value.problems) == 101
    assert "4900 more problems" in e.value.problems[-1].message
    assert len(str(e.value).splitlines()) == 102


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "case.yaml"
    os.mkfifo(fifo)
    assert "not a regular file" in _refused(fifo).message


def test_dev_zero_is_refused_without_reading_it() -> None:
    with pytest.raises(CaseError) as e:
        load_case("/dev/zero")
    assert "not a regular file" in e.value.problems[0].message


def test_a_fifo_in_a_catalog_folder_is_reported_not_skipped(tmp_path: Path) -> None:
    cat = CatalogCopy(tmp_path)
    fifo = cat.root / "catalog" / "interventions" / "zz.yaml"
    os.mkfifo(fifo)
    with pytest.raises(CatalogError) as e:
        load_catalog(cat.root)
    assert [(p.file, "not a regular file" in p.message) for p in e.value.problems] == [(str(fifo), True)]


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_nesting_deeper_than_the_limit_is_refused(tmp_path: Path, suffix: str) -> None:
    depth = DEFAULT.max_depth + 1
    text = '{"id": "a", "x": ' + "[" * depth + "]" * depth + "}"
    p = _refused(_write(tmp_path, text, "case" + suffix))
    assert str(DEFAULT.max_depth) in p.message


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_a_text_longer_than_the_limit_is_refused(tmp_path: Path, suffix: str) -> None:
    p = _refused(_write(tmp_path, json.dumps({"id": "x" * (DEFAULT.max_text + 1)}), "case" + suffix))
    assert p.field == "id" and str(DEFAULT.max_text) in p.message


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_a_list_longer_than_the_limit_is_refused(tmp_path: Path, suffix: str) -> None:
    data = {"id": "a", "history": {"completed_programmes": ["bbr"] * (DEFAULT.max_items + 1)}}
    p = _refused(_write(tmp_path, json.dumps(data), "case" + suffix))
    assert p.field == "history.completed_programmes" and str(DEFAULT.max_items) in p.message


def test_a_list_at_the_limit_is_read(tmp_path: Path) -> None:
    data = {"id": "a", "rar_ledger": [{"date": "2017-01-02", "kind": "activity"}] * DEFAULT.max_items}
    assert len(load_case(_write(tmp_path, json.dumps(data), "case.json")).rar_ledger or []) == DEFAULT.max_items


def test_aliases_within_the_limits_are_read_as_yaml_means_them(tmp_path: Path) -> None:
    text = "id: a\nsentence:\n  requirements: &reqs [rar, supervision]\n  rar_days: 10\nx: *reqs\n"
    with pytest.raises(CaseError) as e:  # 'x' is not a field, but the alias itself was fine
        load_case(_write(tmp_path, text))
    assert [p.field for p in e.value.problems] == ["x"]
    ok = "id: a\nperson: &p {sex: male}\n"
    assert load_case(_write(tmp_path, ok, "ok.yaml")).person.sex == "male"


def test_every_limit_is_documented_in_docs_formats() -> None:
    doc = (ROOT / "docs" / "formats.md").read_text(encoding="utf-8")
    section = doc.split("### Limits", 1)[1].split("\n## ", 1)[0]
    for value in (DEFAULT.describe_bytes(), f"{DEFAULT.max_values:,}", f"{DEFAULT.max_depth} levels",
                  f"{DEFAULT.max_items:,} entries", f"{DEFAULT.max_text:,} characters"):
        assert value in section, value
    assert "regular files only" in section


def test_text_given_to_parse_case_is_read_within_the_same_limits() -> None:
    with pytest.raises(CaseError) as e:
        parse_case(_bomb(7))
    assert "aliases" in e.value.problems[0].message
    with pytest.raises(CaseError):
        parse_case("id: a\nx: '\ud800'\n")  # not Unicode text: refused, not a UnicodeEncodeError


def test_problems_are_listed_in_line_then_natural_order() -> None:
    err = InputError([Problem("f", 1, f"all[{i}]", "m") for i in (10, 2, 1)])
    assert [p.field for p in err.problems] == ["all[1]", "all[2]", "all[10]"]
    assert re.search(r"all\[1\].*\n.*all\[2\].*\n.*all\[10\]", str(err))
