"""The long run (benchmarks/bench_long.py), short: 8,000 sequential screens of generated cases, and
the answers for the probe cases (the examples and generated ones) must be the same at every mark as
at the start, with memory levelling off. The full run is 1,000,000 screens (docs/engine.md has its
curve); this one takes about 20 s of CPU."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_answers_do_not_change_and_memory_levels_off_over_8000_screens() -> None:
    r = subprocess.run([sys.executable, str(REPO / "benchmarks" / "bench_long.py"), "--screens", "8000", "--every", "2000",
                        "--probes", "16"], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    marks = re.findall(r"^\s*([\d,]+)\s+([\d.]+)\s+[\d.]+\s+[\d.]+\s+(.*)$", r.stdout, re.M)
    assert [m[0] for m in marks] == ["2,000", "4,000", "6,000", "8,000"], r.stdout
    assert all(m[2] == "unchanged" for m in marks), r.stdout
    rss = [float(m[1]) for m in marks]
    # a leak of one session or ruleset per screen would be megabytes by now
    assert rss[-1] - rss[0] < 20, f"RSS grew from {rss[0]} to {rss[-1]} MiB over 6,000 screens"
