"""The types say what the README says (issue 19): `mypy --strict` passes on the package and on the
typed integrator example, and the example runs. About 30 s cold (mypy's cache lives in a temporary
folder, so a stale cache can never hide an error)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "integrator" / "integrate.py"

pytest.importorskip("mypy", reason="mypy comes with the test extra: pip install -e '.[test]'")


def _mypy(*target: str, cache: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(cache), *target],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_mypy_strict_passes_on_the_package_and_the_integrator_example(tmp_path: Path) -> None:
    package = _mypy("-p", "ratecard", cache=tmp_path)
    assert package.returncode == 0, package.stdout + package.stderr
    example = _mypy(str(EXAMPLE), cache=tmp_path)
    assert example.returncode == 0, example.stdout + example.stderr


def test_the_integrator_example_runs_and_shows_decisions_missing_fields_and_a_proposal(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, str(EXAMPLE)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "record-1001 on 2017-03-01" in out and "eligible and open:" in out  # the dict
    assert out.count("to find out:") == 2  # the record and the YAML text both leave questions
    assert "proposal for record-1001:" in out and "I propose" in out
    assert "Traceback" not in run.stderr


def test_the_package_says_it_is_typed() -> None:
    assert (ROOT / "ratecard" / "py.typed").is_file()
