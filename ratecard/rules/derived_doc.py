"""The table of derived-fact ids in docs/formats.md, generated from rules/derived.yaml so that the
documentation cannot drift from the rules (tests/test_docs_derived.py fails when it has).

    python -m ratecard.rules.derived_doc            # rewrite the table in docs/formats.md
    python -m ratecard.rules.derived_doc --check    # exit 1 if the table is out of date
"""

from __future__ import annotations

import sys
from pathlib import Path

from .loader import RuleSet, load_rules

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "formats.md"
START = "<!-- derived-facts: generated from rules/derived.yaml by `python -m ratecard.rules.derived_doc`; do not edit by hand -->"
END = "<!-- end of derived-facts -->"
COMMAND = "python -m ratecard.rules.derived_doc"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def render(rules: RuleSet) -> str:
    """The generated block, markers included."""
    rows = ["| id | values | meaning |", "| --- | --- | --- |"]
    for stratum in rules.strata:
        for did in stratum:
            d = rules.derived[did]
            if d.kind == "choice":
                values = ", ".join(f"`{v}`" for v in d.values)
            elif d.kind == "flag":
                values = "`true` / `false`"
            elif d.sum:
                values = "number: the sum of " + ", ".join(f"`{t}`" for t in d.sum)
            else:
                values = "number: " + ", ".join(f"`{v}`" for v in sorted({v for v, _ in d.cases} | {d.otherwise}))
            rows.append(f"| `{did}` | {values} | {_cell(d.text)} |")
    return "\n".join([START, "", *rows, "", END])


def current(rules_dir: Path = REPO / "rules") -> str:
    rules, problems = load_rules(rules_dir, None)
    if rules is None:
        raise SystemExit("rules/derived.yaml has problems:\n" + "\n".join(map(str, problems)))
    return render(rules)


def rewrite(doc: str, block: str) -> str:
    head, sep, rest = doc.partition(START)
    if not sep:
        raise SystemExit(f"{DOC} has no line {START!r}; put it where the table goes, followed by {END!r}")
    _, sep, tail = rest.partition(END)
    if not sep:
        raise SystemExit(f"{DOC} has the start marker but no {END!r}")
    return head + block + tail


def main(argv: list[str]) -> int:
    text = DOC.read_text(encoding="utf-8")
    new = rewrite(text, current())
    if "--check" in argv:
        if new != text:
            print(f"{DOC} lists derived facts that differ from rules/derived.yaml; run: {COMMAND}")
            return 1
        return 0
    if new != text:
        DOC.write_text(new, encoding="utf-8")
        print(f"rewrote the derived-facts table in {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
