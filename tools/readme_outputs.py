"""Regenerate the command outputs pasted into the README (and docs/*.md), or check they are current.

A pasted output is a block between two markers; the first names the command, run from the
repository's root with the `ratecard` of the Python running this script, in an 80-column terminal
without colour:

    <!-- output: ratecard check examples/cases/woman-corby-family-needs.yaml c2c_rar_good_loaf --on 2017-03-01 -->
    ```text
    $ ratecard check ...
    (what it prints)
    ```
    <!-- /output -->

`<!-- output: COMMAND | lines=1-20 -->` keeps those lines only (and shows `...` where lines were
left out); `from="TEXT"` starts at the first line holding TEXT; `exit` after the command adds its exit status as `$ echo $?` would. Standard error is
shown after standard output, as a terminal shows it.

    python tools/readme_outputs.py            # rewrite the blocks in place
    python tools/readme_outputs.py --check    # exit 1 and show the difference when a block is stale

Kept in tools/ (not benchmarks/, which measures, nor the package, which ships): it maintains the
repository's own documents. tests/test_readme.py runs --check.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = ("README.md", "docs/cli.md")
BLOCK = re.compile(r"(?P<open><!-- output: (?P<spec>.*?) -->\n)(?P<body>.*?)(?P<close><!-- /output -->)", re.S)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RATECARD_", "FORCE_COLOR", "CLICOLOR"))}
    # the width people read the README at; no colour; a fixed cache so the first run is not slower
    env.update(COLUMNS="80", NO_COLOR="1", TERM="dumb", PYTHONIOENCODING="utf-8")
    return env


def render(spec: str) -> str:
    """The fenced block for one marker: the command as typed, then what it printed."""
    command, _, options = spec.partition(" | ")
    opts = dict(o.split("=", 1) if "=" in o else (o, "") for o in shlex.split(options))
    argv = shlex.split(command)
    if argv[0] != "ratecard":
        raise SystemExit(f"readme_outputs: only ratecard commands are run, not {command!r}")
    run = subprocess.run([sys.executable, "-m", "ratecard", *argv[1:]], cwd=ROOT, env=_env(),
                         capture_output=True, text=True, timeout=300)
    lines = (run.stdout + run.stderr).rstrip("\n").split("\n")
    if "from" in opts:  # from the first line holding this text
        start = next((i for i, line in enumerate(lines) if opts["from"] in line), None)
        if start is None:
            raise SystemExit(f"readme_outputs: {command!r} printed no line with {opts['from']!r}")
        lines = ["...", *lines[start:]]
    if "lines" in opts:
        first, last = (int(x) for x in opts["lines"].split("-"))
        kept = lines[first - 1:last]
        lines = (["..."] if first > 1 else []) + kept + (["..."] if last < len(lines) else [])
    shown = [f"$ {command}", *(line.rstrip() for line in lines)]
    if "exit" in opts:
        shown += ["$ echo $?", str(run.returncode)]
    return "```text\n" + "\n".join(shown) + "\n```\n"


def regenerate(text: str) -> str:
    return BLOCK.sub(lambda m: m["open"] + render(m["spec"]) + m["close"], text)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="change nothing; exit 1 if a block is not what the command prints today")
    args = ap.parse_args()
    stale = 0
    for name in DOCUMENTS:
        path = ROOT / name
        old = path.read_text(encoding="utf-8")
        new = regenerate(old)
        if new == old:
            continue
        if args.check:
            stale += 1
            sys.stdout.writelines(difflib.unified_diff(old.splitlines(True), new.splitlines(True), name, f"{name} (today)"))
        else:
            path.write_text(new, encoding="utf-8")
            print(f"rewrote the outputs in {name}")
    if stale:
        print(f"\n{stale} document(s) show outputs that are not what the commands print today: run "
              "`python tools/readme_outputs.py` and commit the result", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
