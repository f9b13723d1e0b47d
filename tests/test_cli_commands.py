"""The command line's contract: dates as court staff write them, exit codes, --out on every
command with a typed error for a path that cannot be written, start-up that loads only what a
command needs, and shell completion."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ratecard.cli import main

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "examples" / "cases"
CASE = str(CASES / "community-order-rar-and-bbr-24m.yaml")


def call(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the command in this process as `ratecard ARGS` would: (exit status, stdout, stderr)."""
    try:
        main(args)
        code = 0
    except SystemExit as e:
        code = int(e.code or 0)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


# ---- dates --------------------------------------------------------------------------------------


def test_uk_and_iso_dates_give_the_same_answer(capsys: pytest.CaptureFixture[str]) -> None:
    _, iso, _ = call(["screen", CASE, "--on", "2017-03-01", "--json"], capsys)
    _, uk, _ = call(["screen", CASE, "--on", "01/03/2017", "--json"], capsys)
    _, short, _ = call(["screen", CASE, "--on", "1/3/2017", "--json"], capsys)
    assert iso == uk == short and json.loads(uk)["on"] == "2017-03-01"  # day first, as in the UK


@pytest.mark.parametrize(("value", "says"), [
    ("2017-02-30", "February 2017 has 28 days"),
    ("31/04/2017", "April 2017 has 30 days"),
    ("29/02/2017", "February 2017 has 28 days"),
    ("2017-13-01", "there is no month 13"),
    ("03/13/2017", "there is no month 13"),
    ("1 March 2017", "write it as YYYY-MM-DD (2017-03-01) or DD/MM/YYYY (01/03/2017)"),
    ("17-03-01", "write it as YYYY-MM-DD"),
    ("0000-01-01", "the year must be from 1 to 9999"),
    ("\x1b[2J", "'\\x1b[2J' is not a date"),
])
def test_an_impossible_or_unreadable_date_is_a_usage_error_that_says_why(value: str, says: str,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = call(["screen", CASE, "--on", value], capsys)
    assert code == 2 and out == ""
    assert says in err and "--on" in err


def test_a_leap_day_is_a_date(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = call(["screen", CASE, "--on", "29/02/2016", "--json"], capsys)
    assert code == 0 and json.loads(out)["on"] == "2016-02-29"


# ---- exit codes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "status"), [
    (["screen"], 2),  # missing argument
    (["screen", CASE, "--bogus"], 2),
    (["frobnicate"], 2),
    (["check", CASE], 2),
    (["check-batch", "x.csv", "--format", "xls"], 2),
    (["screen", "no-such-case.yaml"], 1),
    (["check", CASE, "no_such_intervention"], 1),
    (["check-batch", "no-such-batch.csv"], 1),
    (["list", "--area", "atlantis"], 1),
    (["screen", CASE, "--catalog", "/no/such/catalog"], 1),
])
def test_usage_errors_exit_2_and_input_errors_exit_1(args: list[str], status: int, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = call(args, capsys)
    assert code == status and err.strip()


@pytest.mark.parametrize(("case", "intervention", "verdict", "status"), [
    ("community-order-rar-and-bbr-24m.yaml", "sova_mentoring", "accept", 0),
    ("dv-corby-attitude-bold-moves-wait-outlasts-order.yaml", "sova_mentoring", "accept_with_warnings", 3),
    ("age-17-just-under-adult.yaml", "bbr", "reject", 4),
])
def test_check_exit_code_tells_the_verdict_only_when_asked(case: str, intervention: str, verdict: str, status: int,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    args = ["check", str(CASES / case), intervention, "--on", "2017-03-01"]
    code, out, _ = call([*args, "--json"], capsys)
    assert code == 0 and json.loads(out)["verdict"] == verdict
    code, _, _ = call([*args, "--exit-code"], capsys)
    assert code == status
    code, out, _ = call([*args, "--exit-code", "--json"], capsys)
    assert code == status and json.loads(out)["verdict"] == verdict


def test_help_documents_exit_codes_dates_and_completion(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = call(["--help"], capsys)
    flat = " ".join(out.split())
    assert code == 0
    assert "Exit status: 0 done; 1 input error" in flat and "2 usage error" in flat
    assert "3 accept with warnings (or if agreed), 4 reject and 5 undetermined" in flat
    assert "DD/MM/YYYY" in flat and "_RATECARD_COMPLETE" in flat
    code, out, _ = call(["check", "--help"], capsys)
    assert "--exit-code" in out and "4 for reject, 5 for undetermined" in " ".join(out.split())


# ---- --out on every command -----------------------------------------------------------------------

EVERY = [
    ["validate"],
    ["screen", CASE, "--on", "2017-03-01"],
    ["screen", CASE, "--on", "2017-03-01", "--json"],
    ["list"],
    ["check", CASE, "bbr", "--on", "2017-03-01"],
    ["allocate", CASE, "--on", "2017-03-01"],
    ["propose", CASE, "--on", "2017-03-01"],
    ["brief", "--area", "northamptonshire", "--on", "2017-03-01", "--format", "html"],
    ["check-batch", str(ROOT / "examples" / "after-sentence" / "referrals.jsonl"), "--on", "2017-03-01"],
    ["schema"],
]


@pytest.mark.parametrize("args", EVERY, ids=lambda a: " ".join(a[:1] + [x for x in a if x.startswith("--j")]))
def test_every_command_writes_to_out_and_says_so(args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "result.txt"
    code, out, err = call([*args, "--out", str(target)], capsys)
    assert code == 0, err
    assert out == "" and f"Wrote {target}" in err
    text = target.read_text(encoding="utf-8")
    assert text.strip() and "\x1b" not in text  # plain text in a file, no terminal codes
    code, _, _ = call([*args, "-o", str(tmp_path / "short.txt")], capsys)  # the short spelling too
    assert code == 0 and (tmp_path / "short.txt").read_text(encoding="utf-8") == text


@pytest.mark.parametrize("args", EVERY, ids=lambda a: a[0])
@pytest.mark.parametrize("where", ["/nonexistent/x.html", "{tmp}", "/dev/full"])
def test_an_out_path_that_cannot_be_written_is_an_input_error(args: list[str], where: str, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    if where == "/dev/full" and not Path(where).exists():
        pytest.skip("no /dev/full on this system")
    target = where.format(tmp=tmp_path)
    code, out, err = call([*args, "--out", target], capsys)
    assert code == 1, (out, err)
    assert err.startswith(f"ratecard: {target}:") and "--out" in err


# ---- start-up ---------------------------------------------------------------------------------------


def _modules_after(code: str) -> set[str]:
    r = subprocess.run([sys.executable, "-c", code + "\nimport sys; print(' '.join(sorted(sys.modules)))"],
                       capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True)
    return {m.split(".")[0] for m in r.stdout.split()}


def test_help_loads_no_pydantic_rich_yaml_or_engine() -> None:
    loaded = _modules_after("from ratecard.cli import cli\ncli.main(['--help'], standalone_mode=False)")
    assert "click" in loaded
    assert not loaded & {"pydantic", "rich", "yaml", "durable", "durable_rules_engine", "jinja2"}, loaded


def test_a_json_screen_loads_no_rich_or_jinja() -> None:
    loaded = _modules_after(f"from ratecard.cli import cli\ncli.main(['screen', {CASE!r}, '--on', '2017-03-01', '--json'], "
                            "standalone_mode=False)")
    assert "pydantic" in loaded and not loaded & {"rich", "jinja2"}, loaded


def test_shell_completion_script() -> None:
    r = subprocess.run([sys.executable, "-c", "from ratecard.cli import main; main()"], capture_output=True, text=True,
                       env={**os.environ, "PYTHONPATH": str(ROOT), "_RATECARD_COMPLETE": "bash_source"})
    assert r.returncode == 0 and "_ratecard_completion" in r.stdout
    r = subprocess.run([sys.executable, "-c", "from ratecard.cli import main; main()"], capture_output=True, text=True,
                       env={**os.environ, "PYTHONPATH": str(ROOT), "_RATECARD_COMPLETE": "bash_complete",
                            "COMP_WORDS": "ratecard chec", "COMP_CWORD": "1"})
    assert "check" in r.stdout and "check-batch" in r.stdout


def test_list_filters_by_area_and_need(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = call(["list", "--need", "alcohol_misuse", "--json"], capsys)
    items = json.loads(out)
    assert code == 0 and items and all("alcohol_misuse" in i["needs"] for i in items)
    assert {"id", "name", "needs", "status"} <= set(items[0])
    code, out, _ = call(["list", "--area", "northamptonshire", "--json"], capsys)
    assert code == 0 and len(json.loads(out)) >= len(items)
    code, _, err = call(["list", "--need", "finanse"], capsys)
    assert code == 2 and "finance" in err


def test_list_shows_the_status_in_force_on_the_date_given(capsys: pytest.CaptureFixture[str]) -> None:
    # RESOLVE was withdrawn by January 2017: open in mid-2016, withdrawn in March 2017
    status = {}
    for day in ("01/06/2016", "2017-03-01"):
        code, out, _ = call(["list", "--on", day, "--json"], capsys)
        assert code == 0
        status[day] = {i["id"]: i["status"] for i in json.loads(out)}["resolve"]
    assert status == {"01/06/2016": "open", "2017-03-01": "withdrawn"}


def test_check_takes_an_id_typed_in_capitals(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["check", str(CASES / "age-17-just-under-adult.yaml"), "--on", "2017-03-01", "--json"]
    code, out, _ = call([*args[:2], "BBR", *args[2:]], capsys)
    assert code == 0 and json.loads(out)["intervention"] == "bbr"


def test_errors_on_a_terminal_wrap_to_its_width_and_stay_one_line_each_when_piped(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    bad = tmp_path / "typo.yaml"
    bad.write_text("id: x\nrisk:\n  sara_partner: medum\n  ogrs: 30\n", encoding="utf-8")
    args = ["screen", str(bad), "--on", "2017-03-01"]
    _, _, piped = call(args, capsys)
    assert any(len(line) > 80 for line in piped.splitlines())  # one line a problem, for grep
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    monkeypatch.setenv("COLUMNS", "80")
    code, _, shown = call(args, capsys)
    assert code == 1 and all(len(line) <= 80 for line in shown.splitlines())
    assert "did you mean medium?" in " ".join(shown.split())
