"""Memory over a service's life (issue 10, item 5), in one run. Prints numbers; asserts nothing.

1. Reloads (run first, so that RSS is theirs): the default catalog loaded (files, checks, exact forms), compiled to durable_rules,
   used for one screen and dropped, --reloads times; RSS every --every reloads. Before the engine
   deleted its rulesets, each compile kept about 1.84 MB for good.
2. Kept results: --keep screen() results of generated cases held in a list; RSS before and after,
   and JSON bytes per result.
3. A service's caches (--serve N): N generated cases, each new to the process, screened, dumped as
   JSON and proposed, as the HTTP API does, on the default catalog and then the HMPPS one; RSS
   after each fifth, and the size of each bounded cache (the results made, their JSON, the
   decisions, the proposal's verdicts): RSS must level off once the caches reach their bounds.
4. Where the size comes from: the Screen JSON by field, and the objects one Screen holds in memory
   (pydantic models, their dicts and field sets, strings, lists) by field, with what compact forms
   of the same result would weigh.

    python benchmarks/bench_memory.py [--reloads 2000] [--every 200] [--keep 10000] [--skip-reloads] [--serve 0]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import gzip
import json
import os
import random
import statistics
import sys
import time
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_screen import generated_case, rss_mib  # noqa: E402

ON = dt.date(2017, 3, 1)


def reloads(n: int, every: int) -> None:
    from ratecard import screen
    from ratecard.catalog.load import default_catalog_path, load_catalog

    case = generated_case(random.Random(5), 0)
    path = default_catalog_path()
    print(f"reloads of {path}: load_catalog + engine + one screen, then dropped")
    start = rss_mib()
    t0 = time.perf_counter()
    c0 = time.process_time()
    last = t0
    for i in range(1, n + 1):
        cat = load_catalog(path)
        screen(case, cat, on=ON)
        del cat
        if i % every == 0:
            now = time.perf_counter()
            print(f"  {i:6d} reloads  RSS {rss_mib():7.1f} MiB  ({(now - last) / every * 1e3:.0f} ms a reload, wall)", flush=True)
            last = now
    print(f"  RSS {start:.1f} MiB before, {rss_mib():.1f} MiB after {n} reloads; "
          f"{time.perf_counter() - t0:.0f} s wall, {time.process_time() - c0:.0f} s CPU")


def _parts(obj: Any) -> tuple[str, dict[str, Any]] | None:
    """A model's or slotted dataclass's kind and fields, else None."""
    from pydantic import BaseModel

    if isinstance(obj, BaseModel):
        return "model", obj.__dict__
    slots = getattr(type(obj), "__slots__", None)
    if slots and hasattr(type(obj), "__dataclass_fields__"):
        return "dataclass", {k: getattr(obj, k) for k in type(obj).__dataclass_fields__}
    return None


def deep_size(obj: Any, seen: set[int], skip: set[int], out: Counter[str], label: str) -> int:
    """Bytes of obj and everything it holds that is not already counted or shared (skip)."""
    if id(obj) in seen or id(obj) in skip:
        return 0
    seen.add(id(obj))
    size = sys.getsizeof(obj)
    parts = _parts(obj)
    if parts is not None:
        kind, fields = parts
        out[f"{label}: {kind} objects"] += size
        if kind == "model":
            for extra, what in ((obj.__dict__, "model __dict__"), (obj.__pydantic_fields_set__, "model fields-set")):
                if id(extra) not in seen:
                    seen.add(id(extra))
                    out[f"{label}: {what}"] += sys.getsizeof(extra)
                    size += sys.getsizeof(extra)
        for k, v in fields.items():
            size += deep_size(v, seen, skip, out, label if label != "Screen" else k)
        return size
    out[f"{label}: {type(obj).__name__}"] += size
    if isinstance(obj, dict):
        for k, v in obj.items():
            size += deep_size(k, seen, skip, out, label) + deep_size(v, seen, skip, out, label)
    elif isinstance(obj, (list, tuple, set, frozenset)):
        for v in obj:
            size += deep_size(v, seen, skip, out, label)
    return size


def shared_with_catalog(cat: Any) -> set[int]:
    """Objects the catalog holds (texts, ids): a result referring to them costs nothing more."""
    ids: set[int] = set()

    def walk(x: Any, depth: int = 0) -> None:
        if id(x) in ids or depth > 12:
            return
        ids.add(id(x))
        if isinstance(x, dict):
            for k, v in x.items():
                walk(k, depth + 1)
                walk(v, depth + 1)
        elif isinstance(x, (list, tuple, set, frozenset)):
            for v in x:
                walk(v, depth + 1)
        elif hasattr(x, "__dict__"):
            walk(vars(x), depth + 1)

    walk(cat.interventions)
    walk(cat.rules.rules)
    walk(cat.rules.registry)
    return ids


def compact(d: dict[str, Any]) -> dict[str, Any]:
    """One compact form of a Screen's JSON (a proposal, measured here only): what the catalog of
    that version already says is not repeated, empty lists and defaults are left out, and the case
    values the reasons cite are given once for the whole screen."""
    values: dict[str, Any] = dict(d.get("values", {}))  # given once a screen since issue 10; before, per reason
    results = []
    for r in d["results"]:
        row: dict[str, Any] = {"i": r["intervention"], "d": r["decision"][0], "a": r["availability"]}
        reasons = []
        for x in r["reasons"]:
            values.update(x.get("values", {}))
            reasons.append([x["rule"], x["outcome"]])
        if reasons:
            row["r"] = reasons
        if r["missing"]:
            row["m"] = [m["field"] for m in r["missing"]]
        if r["decided_without"]:
            row["w"] = [m["field"] for m in r["decided_without"]]
        if r["warnings"]:
            row["x"] = [w["code"] for w in r["warnings"]]
        results.append(row)
    head = {k: v for k, v in d.items() if k not in ("results", "missing", "catalog", "values")}
    head["missing"] = [[m["field"], m["settles"]] for m in d["missing"]]
    return {**head, "values": values, "results": results}


def kept_results(n: int) -> None:
    from ratecard import default_catalog, screen

    cat = default_catalog()
    rnd = random.Random(1)
    cases = [generated_case(rnd, i) for i in range(n)]
    for c in cases[:20]:
        screen(c, cat, on=ON)  # warm up: the engine, caches
    gc.collect()
    before = rss_mib()
    t = time.perf_counter()
    kept = [screen(c, cat, on=ON) for c in cases]
    wall = time.perf_counter() - t
    gc.collect()
    after = rss_mib()
    print(f"\n{n} screen results kept ({len(cat.interventions)} interventions each; {wall / n * 1e3:.2f} ms a screen, wall):")
    print(f"  RSS {before:.0f} MiB before, {after:.0f} MiB after: {after - before:.0f} MiB, "
          f"{(after - before) * 2**20 / n / 1024:.1f} KiB a result")
    sample = kept[:: max(1, n // 500)]
    blobs = [r.model_dump_json() for r in sample]
    sizes = [len(b.encode()) for b in blobs]
    print(f"  JSON (model_dump_json) per result: median {statistics.median(sizes):,.0f} bytes, mean {statistics.mean(sizes):,.0f}")

    # the JSON by field: top level, and inside each intervention result
    top: Counter[str] = Counter()
    inner: Counter[str] = Counter()
    keys = 0
    for b in blobs:
        d = json.loads(b)
        for k, v in d.items():
            top[k] += len(json.dumps(v, ensure_ascii=False, separators=(",", ":"))) + len(k) + 3
        for r in d["results"]:
            for k, v in r.items():
                inner[k] += len(json.dumps(v, ensure_ascii=False, separators=(",", ":"))) + len(k) + 3
                keys += len(k) + 3
    m = len(blobs)
    print("  JSON bytes a result, by field:", ", ".join(f"{k} {v / m:,.0f}" for k, v in top.most_common()))
    print("  ... inside 'results':", ", ".join(f"{k} {v / m:,.0f}" for k, v in inner.most_common()),
          f"(of which key names {keys / m:,.0f})")
    reasons = Counter()
    for b in blobs:
        for r in json.loads(b)["results"]:
            for x in r["reasons"]:
                for k, v in x.items():
                    reasons[k] += len(json.dumps(v, ensure_ascii=False, separators=(",", ":"))) + len(k) + 3
            for w in r["warnings"]:
                reasons["warnings.text"] += len(json.dumps(w["text"], ensure_ascii=False))
    print("  ... inside 'reasons' (and warning texts):", ", ".join(f"{k} {v / m:,.0f}" for k, v in reasons.most_common()))
    comp = [json.dumps(compact(json.loads(b)), separators=(",", ":")).encode() for b in blobs]
    print(f"  compact JSON (proposal, see compact()): median {statistics.median(map(len, comp)):,.0f} bytes; "
          f"gzip of the full JSON: median {statistics.median(len(gzip.compress(b.encode())) for b in blobs):,.0f} bytes")

    # in memory: tracemalloc over a fresh batch, and a deep walk of one Screen by field
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    probe = [screen(c, cat, on=ON) for c in cases[:500]]
    gc.collect()
    traced = (tracemalloc.get_traced_memory()[0] - base) / len(probe)
    tracemalloc.stop()
    print(f"  traced Python memory a kept result: {traced / 1024:.1f} KiB (tracemalloc, 500 results)")
    skip = shared_with_catalog(cat)
    by: Counter[str] = Counter()
    totals = []
    shared_text = 0
    for s in probe[:100]:
        totals.append(deep_size(s, set(), skip, by, "Screen"))
        shared_text += sum(1 for r in s.results for x in r.reasons if id(x.text) in skip)
    k = len(totals)
    print(f"  deep size of one Screen (objects not shared with the catalog): median {statistics.median(totals) / 1024:.1f} KiB; "
          f"rule texts shared with the catalog: {shared_text / k:.0f} a result")
    fields = Counter()
    for key, v in by.items():
        fields[key.split(":")[0]] += v
    print("  ... by Screen field:", ", ".join(f"{f} {v / k / 1024:.1f} KiB" for f, v in fields.most_common(8)))
    print("  ... by kind of object:")
    kinds = Counter()
    for key, v in by.items():
        kinds[key.split(": ")[1]] += v
    for kind, v in kinds.most_common(10):
        print(f"      {kind:20s} {v / k / 1024:6.1f} KiB")
    objs = Counter()
    for s in probe[:1]:
        stack: list[Any] = [s]
        seen: set[int] = set()
        while stack:
            x = stack.pop()
            if id(x) in seen:
                continue
            seen.add(id(x))
            objs[type(x).__name__] += 1
            parts = _parts(x)
            if parts is not None:
                stack.extend(parts[1].values())
            elif isinstance(x, dict):
                stack.extend(x.values())
            elif isinstance(x, (list, tuple)):
                stack.extend(x)
    print("  objects in one Screen:", ", ".join(f"{t} {c}" for t, c in objs.most_common(10)))
    as_json = [s.model_dump_json().encode() for s in probe[:100]]
    as_gzip = [gzip.compress(b) for b in as_json]
    print(f"  kept as JSON bytes instead: {statistics.mean(map(sys.getsizeof, as_json)) / 1024:.1f} KiB a result; "
          f"gzipped: {statistics.mean(map(sys.getsizeof, as_gzip)) / 1024:.1f} KiB")
    del kept, probe


def serving(n: int) -> None:
    """RSS and cache sizes over n new cases screened, dumped and proposed, per catalog."""
    from ratecard import default_catalog, propose, screen
    from ratecard.catalog.load import load_catalog
    import ratecard.decide.results as results
    import ratecard.decide.screen as screen_mod

    on = dt.date(2017, 3, 1)
    for name, cat in (("default", default_catalog()),
                      ("hmpps", load_catalog(Path(__file__).resolve().parents[1] / "examples/catalogs/hmpps-find-and-refer"))):
        rnd = random.Random(11)
        marks = []
        t = time.process_time()
        for i in range(n):
            c = generated_case(rnd, i)
            s = screen(c, cat, on=on)
            s.model_dump_json()
            propose(c, cat, on=on)
            if (i + 1) % max(n // 5, 1) == 0:
                marks.append(f"{rss_mib():.0f}")
        parts = screen_mod._parts(cat)
        sizes = {k: len(getattr(parts, k, {})) for k in ("made", "_reach", "_listed")}
        sizes["_decided"] = sum(map(len, getattr(parts, "_decided", [])))
        sizes["json"] = len(getattr(results, "_JSON", {}))
        print(f"serving {n} new cases on the {name} catalog (screen, JSON, propose): "
              f"{(time.process_time() - t) / n * 1e3:.2f} ms CPU a case; RSS after each fifth "
              + ", ".join(marks) + " MiB; cache sizes " + ", ".join(f"{k} {v:,}" for k, v in sizes.items()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reloads", type=int, default=2000)
    ap.add_argument("--every", type=int, default=200)
    ap.add_argument("--keep", type=int, default=10_000)
    ap.add_argument("--skip-reloads", action="store_true")
    ap.add_argument("--serve", type=int, default=0, help="cases screened, dumped and proposed as a service would (0: skip)")
    args = ap.parse_args()
    print(f"pid {os.getpid()}, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if not args.skip_reloads:
        reloads(args.reloads, args.every)  # first: its RSS is then the reloads' own
    gc.collect()
    if args.serve:
        serving(args.serve)
        gc.collect()
    kept_results(args.keep)


if __name__ == "__main__":
    main()
