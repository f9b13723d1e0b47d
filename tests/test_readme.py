"""The README cannot drift (issue 19): its pasted outputs are what the commands print today, it opens
with the two commands a newcomer runs, its Python runs, and its links lead somewhere."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_pasted_outputs_are_what_the_commands_print_today() -> None:
    run = subprocess.run([sys.executable, str(ROOT / "tools" / "readme_outputs.py"), "--check"], cwd=ROOT,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr
    # every marked block has an output in it (a marker with nothing inside would check nothing)
    for doc in ("README.md", "docs/cli.md"):
        text = (ROOT / doc).read_text(encoding="utf-8")
        blocks = re.findall(r"<!-- output: (.*?) -->\n(.*?)<!-- /output -->", text, re.S)
        assert blocks and all(body.startswith("```text\n$ ratecard ") for _, body in blocks), doc


def test_the_readme_opens_with_the_install_and_run_command_then_the_test_command() -> None:
    first, second = re.findall(r"```sh\n(.*?)\n```", README, re.S)[:2]
    assert first.startswith("python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/ratecard screen examples/cases/")
    assert (ROOT / first.split("ratecard screen ")[1].split()[0]).is_file()
    assert second == 'python3 -m venv .venv && .venv/bin/pip install -e ".[test]" && .venv/bin/python -m pytest'
    # CI runs the same test command after installing the same extra (.ci/ is not in the sdist)
    ci = ROOT / ".ci" / "run"
    if ci.exists():
        assert '.venv/bin/pip install -q -e ".[test]"' in ci.read_text() and ".venv/bin/python -m pytest" in ci.read_text()
    # nothing comes before them but the title and what the tool answers
    assert README.index("```sh") < 1500


def test_the_readme_python_runs_as_shown(capsys: object) -> None:
    (code,) = re.findall(r"```python\n(.*?)\n```", README, re.S)
    exec(compile(code, "README.md", "exec"), {"__name__": "readme"})
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    assert re.search(r"^\w+ (eligible|ineligible|undetermined) \[", out, re.M) and "I propose" in out


def test_every_relative_link_in_the_readme_and_docs_leads_to_a_file() -> None:
    broken = []
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", doc.read_text(encoding="utf-8")):
            if not (doc.parent / target).exists():
                broken.append(f"{doc.relative_to(ROOT)}: {target}")
    assert not broken


def test_the_changelog_and_licence_are_there() -> None:
    licence = (ROOT / "LICENSE").read_text()
    assert licence.startswith("MIT License") and "Copyright (c) 2026 ratecard contributors" in licence
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert "## [Unreleased]" in changelog and "keepachangelog.com" in changelog


def test_the_readme_curl_request_is_answered() -> None:
    pytest.importorskip("fastapi", reason="the serve extras are not installed: pip install -e '.[test]'")
    from ratecard import default_catalog
    from ratecard.web.app import create_app

    from .web.servers import post, thread_server

    (curl,) = [block for block in re.findall(r"```sh\n(.*?)\n```", README, re.S) if block.startswith("curl ")]
    path = re.search(r"http://127\.0\.0\.1:8000(/\S+)", curl)[1]  # type: ignore[index]
    body = json.loads(re.search(r"-d '(.*)'", curl, re.S)[1])  # type: ignore[index]
    with thread_server(create_app(default_catalog())) as base:
        status, answer, _ = post(base, path, body)
    assert status == 200 and answer["on"] == body["on"] and answer["results"]
