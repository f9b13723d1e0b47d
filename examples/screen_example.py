"""Screen every example case with the Python API and print a one-line summary of each.

    python examples/screen_example.py
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ratecard import CaseError, load_case, load_catalog, screen

ON = date(2017, 3, 1)


def main() -> None:
    catalog = load_catalog()  # the catalog shipped with ratecard
    print(f"{catalog.info.name}, version {catalog.version}, on {ON}")
    for path in sorted((Path(__file__).parent / "cases").glob("*.yaml")):
        try:
            case = load_case(path)
        except CaseError as e:  # a user's file: report it, carry on with the rest
            print(e)
            continue
        result = screen(case, catalog, on=ON)
        eligible = result.by_decision("eligible")
        undetermined = result.by_decision("undetermined")
        line = f"{case.id}: {len(eligible)} eligible"
        if undetermined:
            line += f", {len(undetermined)} undetermined (needs {', '.join(m.field for m in result.missing)})"
        print(line)


if __name__ == "__main__":
    main()
