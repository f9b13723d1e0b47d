"""How big an input file may be, checked while it is read and before anything is expanded.

Case, catalog and rule files are small (the default catalog's largest file is 11 KB and 1,000
values, a case is about 1 KB). The limits are far above that and low enough that any file is answered or refused
within about a second and 200 MiB on a 2-core machine: YAML is read as a stream of events and
reading stops at the first limit passed, so a 358-byte "billion laughs" or a 50 MB list costs
next to nothing. docs/formats.md lists them; a catalog larger than one file allows can be split
over as many files as needed (catalog/interventions/*.yaml, rules/interventions/*.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 1024 * 1024
    # values (mappings, lists, text, numbers... and field names) counted after aliases are
    # expanded: the cap on what an alias (*name) can make a small file grow to. Reading and
    # checking cost up to 10 microseconds a value on a busy machine, so this is what keeps the
    # worst file within a second.
    max_values: int = 60_000
    max_depth: int = 50
    max_text: int = 10_000  # characters in one text value or key
    max_items: int = 10_000  # entries in one list or mapping

    def describe_bytes(self) -> str:
        n = self.max_bytes
        return f"{n // (1024 * 1024)} MiB" if n % (1024 * 1024) == 0 else f"{n} bytes"


DEFAULT = Limits()
