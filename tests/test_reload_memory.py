"""A service that reloads its catalog must not grow (issue 10, item 5): each compile used to keep
about 1.84 MB for good, because durable_rules rulesets were never deleted. 200 reloads of the
default catalog, each loaded (from the catalog cache, and every tenth from the files), compiled to
durable_rules, used for a screen and dropped, in a fresh interpreter so that nothing else the test
run holds is measured. benchmarks/bench_memory.py does 2,000 and prints the curve."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def reload_loop(n: int = 200) -> None:
    import datetime as dt

    sys.path.insert(0, str(REPO / "benchmarks"))
    from bench_screen import rss_mib

    from ratecard import load_case, screen
    from ratecard.catalog.cache import cached_catalog
    from ratecard.catalog.load import load_catalog

    case = load_case(REPO / "examples" / "cases" / "dv-first-conviction-sso-fifties.yaml")
    finalizers = []
    rss = []
    decisions = set()
    for i in range(1, n + 1):
        cat = load_catalog() if i % 10 == 0 else cached_catalog()
        decisions.add(tuple(r.decision for r in screen(case, cat, on=dt.date(2017, 3, 1)).results))
        finalizers.append(cat.engine._finalizer)  # alive while the engine's rulesets exist
        del cat
        if i % 20 == 0:
            rss.append(rss_mib())
    print(json.dumps({"rss": rss, "alive": sum(f.alive for f in finalizers), "answers": len(decisions)}))


def test_200_reloads_of_the_default_catalog_keep_memory_flat() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    r = subprocess.run([sys.executable, "-c", "import tests.test_reload_memory as t; t.reload_loop()"], cwd=REPO, env=env,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-4000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["answers"] == 1  # every reload screens the case the same way
    assert out["alive"] == 0, f"{out['alive']} dropped catalogs still hold their durable_rules rulesets"
    rss = out["rss"]
    # after the first 20 reloads (imports, caches, allocator arenas), at most 20 MiB more; the old
    # leak was 1.84 MB a compile, 330 MB over these 180
    assert rss[-1] - rss[0] < 20, f"RSS {rss}"
