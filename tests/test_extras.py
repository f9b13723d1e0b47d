"""A part of ratecard that needs an extra that is not installed says so, with a pip command that
works from this installation (never a bare `ratecard[...]`, a name anyone could register on the index)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ratecard.extras import MissingExtra, explain

REPO = Path(__file__).resolve().parent.parent


def test_a_missing_batch_back_end_names_the_extra_and_this_installation() -> None:
    err = explain(ModuleNotFoundError("No module named 'polars'", name="polars"))
    assert isinstance(err, MissingExtra) and isinstance(err, ImportError)
    text = str(err)
    assert "'batch' extra" in text and f"{sys.executable} -m pip install" in text and "[batch]" in text
    assert "install 'ratecard[batch]'" not in text
    assert explain(ModuleNotFoundError("No module named 'numpy'", name="numpy")) is None


def test_screen_batch_without_polars_says_what_to_install_not_a_traceback(tmp_path: Path) -> None:
    cases = tmp_path / "c.jsonl"
    cases.write_text('{"id": "a"}\n')
    code = ("import sys; sys.modules['polars'] = None; from ratecard.cli import main; "
            f"main(['screen-batch', {str(cases)!r}, '--out', {str(tmp_path / 'o.jsonl')!r}])")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "needs the 'batch' extra" in r.stderr and "-m pip install" in r.stderr
