"""Bad input of every kind gets a typed error (CaseError or CatalogError) that names the file,
the line and the field, and never any other exception."""

from __future__ import annotations

import copy
import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ratecard import Case, CaseError, CatalogError, InputError, Problem, load_case, load_catalog, screen
from ratecard.case.model import parse_case

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "examples" / "cases"
EXAMPLE = CASES / "community-order-rar-and-bbr-24m.yaml"
FUZZ = settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check_problems(err: InputError) -> None:
    """Every problem is fully formed: a file, a line or None, a field path, and a message."""
    assert err.problems
    for p in err.problems:
        assert isinstance(p, Problem)
        assert isinstance(p.file, str) and p.file
        assert p.line is None or (isinstance(p.line, int) and p.line >= 1)
        assert isinstance(p.field, str)
        assert isinstance(p.message, str) and p.message


def _load_or_error(path: Path) -> Case | CaseError:
    try:
        return load_case(path)
    except CaseError as e:
        _check_problems(e)
        assert all(p.file == str(path) for p in e.problems)
        return e


def _problem(err: InputError, where: str) -> Problem:
    found = [p for p in err.problems if p.field == where]
    assert found, f"no problem at {where!r}; got {[str(p) for p in err.problems]}"
    return found[0]


def _line_of(text: str, needle: str, start: int = 0) -> int:
    """1-based line of the first line containing `needle`, at or after line index `start`."""
    for i, line in enumerate(text.splitlines()[start:], start):
        if needle in line:
            return i + 1
    raise AssertionError(f"{needle!r} not in text")


# ---- case files: fuzzing ----------------------------------------------------------------


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@FUZZ
@given(text=st.text(), suffix=st.sampled_from([".yaml", ".json"]))
def test_any_text_gives_a_case_or_a_case_error(scratch: Path, text: str, suffix: str) -> None:
    path = scratch / f"case{suffix}"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    _load_or_error(path)


@FUZZ
@given(raw=st.binary(max_size=300))
def test_any_bytes_give_a_case_or_a_case_error(scratch: Path, raw: bytes) -> None:
    path = scratch / "case.yaml"
    path.write_bytes(raw)
    _load_or_error(path)


# YAML that is valid but awkward: tags, aliases, odd keys and nesting
NASTY = [
    "id: x\n? [a, b]\n: 1\n",
    "id: x\n? {a: 1}\n: 1\n",
    "id: x\nperson: &a [*a]\n",
    "&a {id: x, p: *a}\n",
    "id: x\nperson: {date_of_birth: 2017-02-30}\n",
    "id: x\nperson: {home_town: !!binary aGVsbG8=}\n",
    "id: x\nperson: !!set {a, b}\n",
    "id: !!python/object:os.system x\n",
    "id: x\n<<: {a: 1}\n",
    "id: x\n~: 1\n",
    "id: x\n1.5: 2\n",
    "id: x\nrisk: {ogrs3_2yr: .nan}\n",
    "id: x\nrisk: {ogrs3_2yr: .inf}\n",
    "id: x\nsentence: {length_months: 99999999999999999999999999}\n",
    "[" * 700 + "]" * 700,  # deeper than the YAML parser can recurse
    "[" * 60 + "]" * 60,  # deeper than any real case
    "a:\n" + "".join(" " * i + "b:\n" for i in range(1, 200)),
]


@pytest.mark.parametrize("text", NASTY)
def test_awkward_yaml_gives_a_case_error(text: str) -> None:
    with pytest.raises(CaseError) as e:
        parse_case(text, "nasty.yaml")
    _check_problems(e.value)


def test_deeply_nested_json_gives_a_case_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    assert isinstance(_load_or_error(path), CaseError)


FIELD_NAMES = ["id", "person", "risk", "needs", "sentence", "sex", "ogrs3_2yr", "score", "requirements",
               "date_of_birth", "rar_days", "events", "date", "kind", "relationships"]
scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10)
json_like = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=8), inner, max_size=5),
    max_leaves=25,
)


@FUZZ
@given(data=json_like, as_json=st.booleans())
def test_any_json_like_structure_gives_a_case_or_a_case_error(scratch: Path, data: Any, as_json: bool) -> None:
    if as_json:
        path = scratch / "structure.json"
        path.write_text(json.dumps(data))
    else:
        path = scratch / "structure.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True))
    _load_or_error(path)


# ---- case files: mutations of a valid example -------------------------------------------


_EXAMPLE_DATA = yaml.load(EXAMPLE.read_text(), Loader=yaml.CSafeLoader)


def _example() -> dict[str, Any]:
    return copy.deepcopy(_EXAMPLE_DATA)


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = []
    if isinstance(data, dict):
        for k, v in data.items():
            out.append(prefix + (k,))
            out.extend(_paths(v, prefix + (k,)))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out.append(prefix + (i,))
            out.extend(_paths(v, prefix + (i,)))
    return out


EXAMPLE_PATHS = _paths(_example())
KEY_PATHS = [p for p in EXAMPLE_PATHS if isinstance(p[-1], str)]


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for k in path:
        data = data[k]
    return data


LEAF_PATHS = [p for p in EXAMPLE_PATHS if not isinstance(_get(_example(), p), (dict, list))]


def _wrong(value: Any) -> Any:
    """A value of a type the field cannot take."""
    if isinstance(value, bool):
        return "yes"
    if isinstance(value, (int, float)):
        return "high"
    if isinstance(value, str):
        return 12345
    if isinstance(value, dt.date):
        return 12
    return ["not", "a", "value"]  # None: every such field takes a scalar


def _yaml_line(text: str, path: tuple[Any, ...]) -> int:
    """Line of the key (or list item) at `path`, found with PyYAML's own node marks."""
    node = yaml.compose(text, Loader=yaml.CSafeLoader)
    line = node.start_mark.line
    for k in path:
        if isinstance(node, yaml.MappingNode):
            key_node, node = next((kn, vn) for kn, vn in node.value if kn.value == k)
            line = key_node.start_mark.line
        else:
            node = node.value[k]
            line = node.start_mark.line
    return line + 1


def _write(tmp: Path, data: dict[str, Any], name: str = "case.yaml") -> tuple[Path, str]:
    text = yaml.dump(data, Dumper=yaml.CSafeDumper, sort_keys=False, default_flow_style=False)
    path = tmp / name
    path.write_text(text)
    return path, text


def _dotted(path: tuple[Any, ...]) -> str:
    """How messages name a place: dotted fields, list positions in brackets (rar_ledger[2].date)."""
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


@settings(max_examples=30, deadline=None)
@given(path=st.sampled_from(KEY_PATHS))
def test_dropping_any_field_leaves_a_valid_case_and_the_file_name_stands_in_for_the_id(scratch: Path, path: tuple[Any, ...]) -> None:
    data = _example()
    del _get(data, path[:-1])[path[-1]]
    file, _ = _write(scratch, data)
    # absent is "not known", never an error: the screen reports it as missing
    case = load_case(file)
    assert case.id == (file.stem if path == ("id",) else data["id"])


@settings(max_examples=30, deadline=None)
@given(path=st.sampled_from(KEY_PATHS))
def test_a_misspelt_field_is_named_with_its_line(scratch: Path, path: tuple[Any, ...]) -> None:
    data = _example()
    parent = _get(data, path[:-1])
    parent[path[-1] + "_x"] = parent.pop(path[-1])
    file, text = _write(scratch, data)
    with pytest.raises(CaseError) as e:
        load_case(file)
    new = path[:-1] + (path[-1] + "_x",)
    p = _problem(e.value, _dotted(new))
    assert "unknown field" in p.message
    assert p.file == str(file)
    assert p.line == _yaml_line(text, new)


@settings(max_examples=40, deadline=None)
@given(path=st.sampled_from(LEAF_PATHS))
def test_a_wrong_typed_value_is_named_with_its_line(scratch: Path, path: tuple[Any, ...]) -> None:
    data = _example()
    parent = _get(data, path[:-1])
    parent[path[-1]] = _wrong(parent[path[-1]])
    file, text = _write(scratch, data)
    with pytest.raises(CaseError) as e:
        load_case(file)
    _check_problems(e.value)
    p = _problem(e.value, _dotted(path))
    assert p.file == str(file)
    assert p.line == _yaml_line(text, path)


# ---- case files: specific mistakes ------------------------------------------------------


def _case_error(tmp_path: Path, text: str) -> tuple[CaseError, Path]:
    path = tmp_path / "case.yaml"
    path.write_text(text)
    with pytest.raises(CaseError) as e:
        load_case(path)
    _check_problems(e.value)
    return e.value, path


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    err, path = _case_error(tmp_path, "id: a\nperson:\n  sex: male\n  home_town: [northampton\nrisk: {rosh: low}\n")
    (p,) = err.problems
    assert p.file == str(path)
    assert p.line in (4, 5)  # the open bracket, or where the parser noticed it was never closed
    assert "not valid YAML" in p.message
    assert f"{path}:{p.line}" in str(err)


def test_json_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    path.write_text('{\n  "id": "a",\n  "risk": {"rosh": "low",}\n}\n')
    with pytest.raises(CaseError) as e:
        load_case(path)
    (p,) = e.value.problems
    assert (p.file, p.line) == (str(path), 3)


def test_unknown_field_is_named_with_its_line(tmp_path: Path) -> None:
    err, path = _case_error(tmp_path, "id: a\nperson: {sex: male}\nrisk: {ogrs: 30}\n")
    p = _problem(err, "risk.ogrs")
    assert (p.file, p.line) == (str(path), 3)
    assert "unknown field" in p.message
    assert "risk.ogrs" in str(err) and f"{path}:3" in str(err)


@pytest.mark.parametrize(
    ("text", "where", "line"),
    [
        ("id: a\nrisk:\n  ogrs3_2yr: high\n", "risk.ogrs3_2yr", 3),
        ('id: a\nrisk:\n  ogrs3_2yr: "50"\n', "risk.ogrs3_2yr", 3),
        ('id: a\noffence:\n  category: violence\n  intimate_partner_violence: "yes"\n', "offence.intimate_partner_violence", 4),
        ("id: a\nperson: {sex: man}\n", "person.sex", 2),
        ("id: a\nperson: {date_of_birth: last tuesday}\n", "person.date_of_birth", 2),
        ("id: a\nsentence:\n  requirements: rar\n", "sentence.requirements", 3),
        ("id: a\nsentence:\n  requirements: [rar, yoga]\n", "sentence.requirements[1]", 3),
        ("id: a\nrisk: high\n", "risk", 2),
        ("id: 7\n", "id", 1),
    ],
)
def test_wrong_type_is_named_with_its_line(tmp_path: Path, text: str, where: str, line: int) -> None:
    err, path = _case_error(tmp_path, text)
    p = _problem(err, where)
    assert (p.file, p.line) == (str(path), line)


@pytest.mark.parametrize(
    ("text", "where", "line"),
    [
        ("id: a\nrisk:\n  rosh: low\n  ogrs3_2yr: 101\n", "risk.ogrs3_2yr", 4),
        ("id: a\nrisk:\n  ogrs3_2yr: -0.5\n", "risk.ogrs3_2yr", 3),
        ("id: a\nsentence:\n  requirements: [rar]\n  rar_days: -5\n", "sentence.rar_days", 4),
        ("id: a\nsentence:\n  type: community_order\n  length_months: 0\n", "sentence.length_months", 4),
        ("id: a\nneeds:\n  relationships: {score: 13}\n", "needs.relationships.score", 3),
        ("id: a\nrisk: {mappa_level: 4}\n", "risk.mappa_level", 2),
        ('id: ""\n', "id", 1),
    ],
)
def test_impossible_values_are_named_with_their_line(tmp_path: Path, text: str, where: str, line: int) -> None:
    err, path = _case_error(tmp_path, text)
    p = _problem(err, where)
    assert (p.file, p.line) == (str(path), line)


def test_several_case_problems_are_reported_at_once(tmp_path: Path) -> None:
    err, _ = _case_error(tmp_path, "id: a\nrisk: {ogrs: 30}\nperson: {sex: man}\nsentence: {length_months: 0}\n")
    assert {"risk.ogrs", "person.sex", "sentence.length_months"} <= {p.field for p in err.problems}


def test_duplicate_key_is_an_error_naming_both_lines(tmp_path: Path) -> None:
    err, path = _case_error(tmp_path, "id: a\nrisk:\n  rosh: low\n  ogrs3_2yr: 30\n  rosh: high\n")
    (p,) = err.problems
    assert (p.file, p.line) == (str(path), 5)
    assert "duplicate key 'rosh'" in p.message and "line 3" in p.message


def test_impossible_calendar_date_names_its_line(tmp_path: Path) -> None:
    err, path = _case_error(tmp_path, "id: a\nperson:\n  date_of_birth: 1990-02-30\n")
    (p,) = err.problems
    assert (p.file, p.line) == (str(path), 3)


def test_missing_file_and_directory_are_case_errors(tmp_path: Path) -> None:
    for path in (tmp_path / "nope.yaml", tmp_path):
        with pytest.raises(CaseError) as e:
            load_case(path)
        (p,) = e.value.problems
        assert p.file == str(path)


def test_birth_after_the_reference_date_is_a_case_error() -> None:
    case = load_case(EXAMPLE)
    born = case.person.date_of_birth
    assert born is not None
    with pytest.raises(CaseError) as e:
        screen(case, on=born - dt.timedelta(days=1))
    p = _problem(e.value, "person.date_of_birth")
    assert case.id in p.file
    assert str(born - dt.timedelta(days=1)) in p.message


# ---- catalog and rules ------------------------------------------------------------------


@pytest.fixture
def cat(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "catalog", tmp_path / "catalog")
    shutil.copytree(ROOT / "rules", tmp_path / "rules")
    return tmp_path


def _edit(path: Path, old: str, new: str) -> int:
    """Replace the first line containing `old` with `new` (may be several lines); return the
    1-based line number of the first line of `new`."""
    lines = path.read_text().splitlines()
    i = next(i for i, line in enumerate(lines) if old in line)
    lines[i : i + 1] = new.splitlines()
    path.write_text("\n".join(lines) + "\n")
    return i + 1


def _append(path: Path, text: str) -> int:
    """Append text; return the 1-based line where it starts."""
    before = path.read_text()
    if not before.endswith("\n"):
        before += "\n"
    path.write_text(before + text)
    return len(before.splitlines()) + 1


def _catalog_error(root: Path) -> CatalogError:
    with pytest.raises(CatalogError) as e:
        load_catalog(root)
    _check_problems(e.value)
    return e.value


def _only(err: CatalogError, file: Path) -> Problem:
    assert {p.file for p in err.problems} == {str(file)}, [str(p) for p in err.problems]
    return err.problems[0]


def test_unknown_field_in_an_intervention(cat: Path) -> None:
    f = cat / "catalog" / "interventions" / "sova.yaml"
    line = _edit(f, "    sessions: 12", "    sessions: 12\n    colour: blue") + 1
    p = _only(_catalog_error(cat), f)
    # named by id, not by position in the list (issue 12)
    assert (p.line, p.field) == (line, "interventions[sova_mentoring].colour")
    assert "unknown field" in p.message


def test_wrong_type_in_an_intervention(cat: Path) -> None:
    f = cat / "catalog" / "interventions" / "sova.yaml"
    line = _edit(f, "    sessions: 12", "    sessions: twelve")
    p = _only(_catalog_error(cat), f)
    assert (p.line, p.field) == (line, "interventions[sova_mentoring].sessions")


def test_rule_naming_a_field_that_does_not_exist(cat: Path) -> None:
    f = cat / "rules" / "interventions" / "sova.yaml"
    line = _edit(f, "{field: age, gte: 18}", "        when: {field: ogrs3_2yr, gte: 18}")
    p = _only(_catalog_error(cat), f)
    assert p.line == line
    assert "no field named 'ogrs3_2yr'" in p.message
    assert "risk.ogrs3_2yr" in p.message  # the suggestion


def test_rule_value_of_the_wrong_type_for_its_field(cat: Path) -> None:
    f = cat / "rules" / "interventions" / "sova.yaml"
    line = _edit(f, "{field: age, gte: 18}", "        when: {field: age, gte: eighteen}")
    p = _only(_catalog_error(cat), f)
    assert p.line == line
    assert "'eighteen'" in p.message and "age" in p.message


def test_rules_for_an_unknown_intervention(cat: Path) -> None:
    f = cat / "rules" / "interventions" / "sova.yaml"
    line = _append(f, "  no_such_course:\n    criteria: []\n    exclusions: []\n")
    p = _only(_catalog_error(cat), f)
    assert (p.line, p.field) == (line, "interventions.no_such_course")
    assert "no intervention 'no_such_course'" in p.message


def test_duplicate_intervention_ids_across_two_files(cat: Path) -> None:
    first = cat / "catalog" / "interventions" / "nacro.yaml"
    items = first.read_text().split("interventions:\n", 1)[1]
    first_id = yaml.safe_load(first.read_text())["interventions"][0]["id"]
    f = cat / "catalog" / "interventions" / "sova.yaml"
    line = _append(f, items)
    err = _catalog_error(cat)
    p = _problem(err, f"interventions[{first_id}].id")
    assert (p.file, p.line) == (str(f), line)
    assert f"'{first_id}'" in p.message and str(first) in p.message


def test_duplicate_rule_ids(cat: Path) -> None:
    f = cat / "rules" / "interventions" / "sova.yaml"
    line = _edit(
        f,
        "{field: age, gte: 18}",
        "        when: {field: age, gte: 18}\n"
        "      - id: sova_mentoring.adult\n"
        "        text: Again.\n"
        "        when: {field: age, gte: 21}",
    )
    p = _only(_catalog_error(cat), f)
    assert p.line == line + 1
    assert "rule id 'sova_mentoring.adult'" in p.message


def test_cycle_between_derived_facts(cat: Path) -> None:
    f = cat / "rules" / "derived.yaml"
    line = _append(
        f,
        "  - id: cyc_a\n    text: A.\n    type: flag\n    cases:\n      - {value: true, when: {field: cyc_b, eq: true}}\n"
        "    otherwise: false\n"
        "  - id: cyc_b\n    text: B.\n    type: flag\n    cases:\n      - {value: true, when: {field: cyc_a, eq: true}}\n"
        "    otherwise: false\n",
    )
    p = _only(_catalog_error(cat), f)
    assert p.line == line
    assert "cycle" in p.message and "cyc_a" in p.message and "cyc_b" in p.message


def test_catalog_intervention_without_rules(cat: Path) -> None:
    f = cat / "catalog" / "interventions" / "sova.yaml"
    entry = f.read_text().split("interventions:\n", 1)[1].replace("id: sova_mentoring", "id: sova_mentoring_extra", 1)
    line = _append(f, entry)
    p = _only(_catalog_error(cat), f)
    assert (p.line, p.field) == (line, "sova_mentoring_extra")
    assert "no eligibility entry" in p.message


def test_syntax_error_in_a_rule_file(cat: Path) -> None:
    f = cat / "rules" / "interventions" / "sova.yaml"
    line = _edit(f, "{field: age, gte: 18}", "        when: {field: age, gte: 18")
    p = _only(_catalog_error(cat), f)
    assert p.line is not None and line <= p.line <= line + 2


def test_problems_in_several_files_are_all_reported_at_once(cat: Path) -> None:
    broken = {
        cat / "catalog" / "interventions" / "sova.yaml": _edit(
            cat / "catalog" / "interventions" / "sova.yaml", "    sessions: 12", "    sessions: twelve"
        ),
        cat / "rules" / "interventions" / "sova.yaml": _edit(
            cat / "rules" / "interventions" / "sova.yaml", "{field: age, gte: 18}", "        when: {field: agee, gte: 18}"
        ),
        cat / "rules" / "derived.yaml": _append(
            cat / "rules" / "derived.yaml", "  - id: broken_fact\n    text: B.\n    type: flag\n    cases:\n"
            "      - {value: maybe, when: {field: age, gte: 18}}\n    otherwise: false\n"
        ) + 4,
    }
    err = _catalog_error(cat)
    assert {(p.file, p.line) for p in err.problems} >= {(str(f), line) for f, line in broken.items()}
    text = str(err)
    for f, line in broken.items():
        assert f"{f}:{line}" in text


def test_missing_catalog_folder(tmp_path: Path) -> None:
    err = _catalog_error(tmp_path / "nowhere")
    (p,) = err.problems
    assert p.file == str(tmp_path / "nowhere")
