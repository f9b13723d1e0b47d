"""--out never loses data (issue 20): it refuses to name the command's own input, and it is written
whole or not at all, so a failure or a kill half-way leaves the previous results as they were.
And JSON printed to a terminal carries no character that can restyle the screen or reorder it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ratecard.cli import main

from .catalog_copy import REPO
from .test_cli_terminal import run_in_pty

CASES = REPO / "examples" / "cases"
ON = "2017-03-01"
CASE = CASES / "dv-first-conviction-sso-fifties.yaml"


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        main(args)
        code = 0
    except SystemExit as e:
        code = int(e.code or 0)
    return code, capsys.readouterr().err


def _case_copy(tmp_path: Path) -> Path:
    p = tmp_path / "case.yaml"
    p.write_bytes(CASE.read_bytes())
    return p


@pytest.mark.parametrize("command", [["screen"], ["propose"], ["allocate"], ["check", "CASE", "bbr"]])
def test_out_naming_the_case_file_is_refused_and_the_case_kept(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                command: list[str]) -> None:
    case = _case_copy(tmp_path)
    args = [str(case) if a == "CASE" else a for a in command] if "CASE" in command else [*command, str(case)]
    for out in (case, tmp_path / "." / "case.yaml"):
        code, err = _run([*args, "--on", ON, "--json", "--out", str(out)], capsys)
        assert code == 1, err
        assert "is the input file" in err and "Give another --out path" in err and "Traceback" not in err
    assert case.read_bytes() == CASE.read_bytes()


def test_a_link_to_the_input_is_the_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = _case_copy(tmp_path)
    (tmp_path / "sym.yaml").symlink_to(case)
    os.link(case, tmp_path / "hard.yaml")
    for out in ("sym.yaml", "hard.yaml"):
        code, err = _run(["screen", str(case), "--on", ON, "--out", str(tmp_path / out)], capsys)
        assert code == 1 and "is the input file" in err
    assert case.read_bytes() == CASE.read_bytes()


def _cases_jsonl(tmp_path: Path, n: int = 3) -> Path:
    import yaml

    case = yaml.safe_load(CASE.read_text())
    rows = [json.dumps({**case, "id": f"c{i}"}, default=str) for i in range(n)]
    p = tmp_path / "cases.jsonl"
    p.write_text("\n".join(rows) + "\n")
    return p


def test_screen_batch_and_caseload_refuse_to_write_over_their_cases(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = _cases_jsonl(tmp_path)
    before = cases.read_bytes()
    assert _run(["screen-batch", str(cases), "--on", ON, "--out", str(cases)], capsys)[0] == 1
    code, err = _run(["caseload", str(cases), "--on", ON, "--format", "json", "--out", str(cases)], capsys)
    assert code == 1 and "is the input file" in err
    assert cases.read_bytes() == before


def test_check_batch_refuses_its_batch_and_the_case_files_it_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = _case_copy(tmp_path)
    batch = tmp_path / "batch.jsonl"
    batch.write_text(json.dumps({"case": "case.yaml", "intervention": "bbr"}) + "\n")
    before = batch.read_bytes()
    for out in (batch, case):
        code, err = _run(["check-batch", str(batch), "--on", ON, "--out", str(out)], capsys)
        assert code == 1 and "is the input file" in err, err
    assert batch.read_bytes() == before and case.read_bytes() == CASE.read_bytes()
    code, err = _run(["check-batch", str(batch), "--on", ON, "--out", str(tmp_path / "results.jsonl")], capsys)
    assert code == 0, err


def test_out_naming_a_catalog_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from .catalog_copy import CatalogCopy

    cc = CatalogCopy(tmp_path / "cat")
    target = cc.root / "catalog" / "catalog.yaml"
    before = target.read_bytes()
    code, err = _run(["list", "--catalog", str(cc.root), "--out", str(target)], capsys)
    assert code == 1 and "is the input file" in err
    code, err = _run(["validate", str(cc.root), "--out", str(cc.root / "rules" / "derived.yaml")], capsys)
    assert code == 1 and "is the input file" in err
    assert target.read_bytes() == before


# ---- whole or not at all -------------------------------------------------------------------------


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".partial"))


def test_a_failed_write_leaves_the_previous_results(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "screen.json"
    out.write_text("previous results\n")

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    code, err = _run(["screen", str(CASE), "--on", ON, "--json", "--out", str(out)], capsys)
    assert code == 1 and "No space left on device" in err and "as it was before" in err
    assert out.read_text() == "previous results\n" and _leftovers(tmp_path) == []


def test_an_interrupted_screen_batch_leaves_the_previous_results(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import ratecard.decide.screen_many as sm

    cases = _cases_jsonl(tmp_path)
    for name in ("out.jsonl", "out.csv"):
        out = tmp_path / name
        out.write_text("previous results\n")
        real = sm.write_results

        def half_then_interrupted(result: object, path: object, fmt: str, *a: object, **k: object) -> None:
            Path(str(path)).write_text('{"case_id": "c0", "res')  # a torn line, then Ctrl-C
            raise KeyboardInterrupt

        monkeypatch.setattr(sm, "write_results", half_then_interrupted)
        code, err = _run(["screen-batch", str(cases), "--on", ON, "--out", str(out)], capsys)
        assert code == 1 and "aborted" in err
        assert out.read_text() == "previous results\n" and _leftovers(tmp_path) == []
        monkeypatch.setattr(sm, "write_results", real)
        assert _run(["screen-batch", str(cases), "--on", ON, "--out", str(out)], capsys)[0] == 0
        assert out.read_text() != "previous results\n"


def test_an_interrupted_check_batch_leaves_the_previous_results(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import ratecard.present.batch as pb

    _case_copy(tmp_path)
    batch = tmp_path / "batch.jsonl"
    batch.write_text((json.dumps({"case": "case.yaml", "intervention": "bbr"}) + "\n") * 3)
    out = tmp_path / "results.csv"
    out.write_text("previous results\n")
    real = pb.check_batch

    def two_rows_then_interrupted(*a: object, **k: object):  # type: ignore[no-untyped-def]
        rows = real(*a, **k)  # type: ignore[arg-type]
        yield next(rows)
        yield next(rows)
        raise KeyboardInterrupt

    monkeypatch.setattr(pb, "check_batch", two_rows_then_interrupted)
    code, err = _run(["check-batch", str(batch), "--on", ON, "--out", str(out)], capsys)
    assert code == 1 and "aborted" in err
    assert out.read_text() == "previous results\n" and _leftovers(tmp_path) == []


def test_killing_screen_batch_while_it_writes_keeps_the_previous_results(tmp_path: Path) -> None:
    cases = _cases_jsonl(tmp_path, n=3000)
    out = tmp_path / "out.jsonl"
    out.write_text("previous results\n")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "ratecard", "screen-batch", str(cases), "--on", ON, "--out", str(out)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        end = time.monotonic() + 120
        while not _leftovers(tmp_path) and proc.poll() is None and time.monotonic() < end:
            time.sleep(0.001)
        assert _leftovers(tmp_path), "the results were not written beside the output first"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert out.read_text() == "previous results\n"


def test_a_device_is_written_directly(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _run(["screen", str(CASE), "--on", ON, "--json", "--out", os.devnull], capsys)
    assert code == 0 and Path(os.devnull).is_char_device()


def test_a_new_file_gets_the_usual_permissions_and_an_old_one_keeps_its_own(tmp_path: Path,
                                                                             capsys: pytest.CaptureFixture[str]) -> None:
    new, old = tmp_path / "new.json", tmp_path / "old.json"
    old.write_text("x")
    old.chmod(0o600)
    umask = os.umask(0o022)
    try:
        for out in (new, old):
            assert _run(["screen", str(CASE), "--on", ON, "--json", "--out", str(out)], capsys)[0] == 0
    finally:
        os.umask(umask)
    assert (new.stat().st_mode & 0o777, old.stat().st_mode & 0o777) == (0o644, 0o600)
    assert json.loads(new.read_text())["case_id"] == json.loads(old.read_text())["case_id"]


# ---- JSON to a terminal --------------------------------------------------------------------------

HOSTILE = "x\u009b31my\u202ez\u2028w\x7f"


def test_json_to_a_terminal_escapes_c1_controls_and_bidirectional_overrides(tmp_path: Path) -> None:
    case = tmp_path / "case.json"
    case.write_text(json.dumps({"id": HOSTILE, "person": {"sex": "male"}}))
    code, raw = run_in_pty(["screen", str(case), "--on", ON, "--json"], 100)
    assert code == 0, raw
    assert not any(c in raw for c in "\u009b\u202e\u2028\x7f")
    assert json.loads(raw.replace("\r\n", "\n"))["case_id"] == HOSTILE  # the same JSON
    # into a pipe or a file, the JSON is written as it is
    piped = subprocess.run([sys.executable, "-m", "ratecard", "screen", str(case), "--on", ON, "--json"],
                           capture_output=True, text=True, cwd=REPO, timeout=120)
    assert HOSTILE in piped.stdout


def test_check_batch_results_to_a_terminal_are_escaped(tmp_path: Path) -> None:
    case = tmp_path / "case.json"
    case.write_text(json.dumps({"id": HOSTILE, "person": {"sex": "male"}}))
    batch = tmp_path / "batch.jsonl"
    batch.write_text(json.dumps({"case": "case.json", "intervention": "bbr"}) + "\n")
    code, raw = run_in_pty(["check-batch", str(batch), "--on", ON], 100)
    assert code == 0, raw
    assert not any(c in raw for c in "\u009b\u202e\u2028\x7f")
