"""Numbers as people type them into a form or a spreadsheet cell: one reader for both.

- `12`, `0.5`, ` 66.58 `, `66.58%` (a percentage sign is allowed: the scores are percentages);
- a decimal comma, as Excel writes numbers in much of Europe: `0,5` is 0.5 and `4,9` is 4.9;
- `1,000` is refused: it is one thousand to some and one to others. A comma is never dropped.

Numbers in JSON and YAML are typed values and stay strict: the text "0,5" there is refused with
the fix (ratecard/inputs/messages.py).
"""

from __future__ import annotations

import re

_PLAIN = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_COMMA = re.compile(r"([+-]?[0-9]*),([0-9]+)")


class NumberTextError(ValueError):
    """Text that is not a number ratecard reads; the message says what to write."""


def parse_number(text: str, whole: bool = False) -> int | float:
    """The number written in `text`: an int for a whole number, else a float.
    `whole`: only a whole number will do (a score, a number of days). Raises NumberTextError."""
    t = text.strip()
    if t.endswith("%"):
        t = t[:-1].rstrip()
    kind = "a whole number" if whole else "a number"
    if not _PLAIN.fullmatch(t):
        comma = _COMMA.fullmatch(t)
        if comma is None:
            if "," in t:
                raise NumberTextError(f"should be {kind} written with digits and at most one decimal point, such as "
                                      f"{'1000' if whole else '1000 or 0.5'}, without separators between thousands")
            raise NumberTextError(f"should be {kind}, such as {'12' if whole else '12 or 0.5'}")
        before, after = comma.groups()
        if len(after) == 3 and before.lstrip("+-") not in ("", "0"):
            # never echoed: the value may be case data; the person has it in front of them
            raise NumberTextError("has a comma that could separate thousands or mark the decimals; write it with "
                                  "no thousands separator and a decimal point, such as 1000 or 1.5")
        t = f"{before}.{after}"
    value = float(t)
    if value.is_integer():
        return int(value)  # 150, not 150.0, in a message about the value
    if whole:
        raise NumberTextError(f"should be {kind}, such as 12")
    return value
