"""Hostile and huge inputs: time and peak memory to answer or refuse each one (issue 10, item 3).

Each input is read by `load_case` (or `load_catalog` for the catalog bomb) in a fresh Python
process, so the peak RSS is that input's alone (it includes the interpreter and ratecard's
imports, about 30 MiB; the "import only" row shows that baseline). The target is at most 1 s and
200 MiB for any input.

    python benchmarks/bench_inputs.py            # every input
    python benchmarks/bench_inputs.py bomb keys  # some of them
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

_RUN = r"""
import sys, time
kind, path = sys.argv[1], sys.argv[2]
from ratecard.errors import RatecardError
from ratecard import load_case, load_catalog
t = time.perf_counter()
try:
    if kind == "case":
        load_case(path)
    elif kind == "catalog":
        load_catalog(path)
    outcome = "accepted"
except RatecardError as e:
    outcome = "refused: " + str(e).splitlines()[1].strip()[:90] if len(str(e).splitlines()) > 1 else str(e)[:90]
except Exception as e:
    outcome = f"CRASH {type(e).__name__}: {e}"[:100]
took = time.perf_counter() - t
# peak RSS of this process (VmHWM; ru_maxrss would include the parent's at fork)
peak = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")) / 1024
print(f"{took:.3f}\t{peak:.0f}\t{outcome}")
"""


def bomb(levels: int) -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    names = "abcdefghijklmnop"
    for i in range(1, levels):
        lines.append(f"{names[i]}: &{names[i]} [" + ",".join([f"*{names[i - 1]}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def inputs(tmp: Path) -> dict[str, tuple[str, str]]:
    """name -> (kind, path)"""
    out: dict[str, tuple[str, str]] = {}

    def write(name: str, text: str | bytes, kind: str = "case") -> None:
        p = tmp / name
        p.write_bytes(text if isinstance(text, bytes) else text.encode())
        out[name] = (kind, str(p))

    write("import-only.yaml", "id: x\n")
    write("bomb-7-levels.yaml", bomb(7))
    write("bomb-9-levels.yaml", bomb(9))
    with open(tmp / "list-50MB.yaml", "w") as f:  # the 50 MB valid list
        f.write("id: x\nhistory:\n  completed_programmes: [" + "bbr," * 12_500_000 + "tsp]\n")
    out["list-50MB.yaml"] = ("case", str(tmp / "list-50MB.yaml"))
    keys = {f"k{i}": 1 for i in range(2_500_000)}
    keys["id"] = "x"
    write("keys-2.5M.json", json.dumps(keys))
    # the largest files the size limit lets through, as dense as YAML and JSON can be
    limit = 1024 * 1024 - 64
    write("dense-list-1MiB.yaml", "id: x\nz: [" + "a," * (limit // 2 - 16) + "a]\n")
    write("dense-lists-1MiB.json", '{"id": "x", "z": [' + "[]," * (limit // 3 - 16) + "[]]}")
    write("dense-objects-1MiB.json", '{"id": "x", "z": [' + "{}," * (limit // 3 - 16) + "{}]}")
    write("unknown-keys-10k.yaml", "id: x\n" + "".join(f"k{i}: 1\n" for i in range(9_999)))
    ledger = "".join(f"  - {{date: 2017-01-{1 + i % 28:02d}, kind: activity, nonsense: {i}}}\n" for i in range(9_999))
    write("ledger-10k-bad-rows.yaml", "id: x\nrar_ledger:\n" + ledger)
    # the largest valid case the value limit lets through (7 values a row, field names included)
    good = "".join(f"  - {{date: 2017-01-{1 + i % 28:02d}, kind: activity, intervention: bbr}}\n" for i in range(8_500))
    write("ledger-8.5k-valid.yaml", "id: x\nrar_ledger:\n" + good)
    write("aliases-49k-values.yaml", "id: x\nz: &a [" + ",".join(["1"] * 9_000) + "]\nw: [*a, *a, *a, *a]\n")
    write("deep-nesting.yaml", "a: " + "[" * 100_000 + "]" * 100_000 + "\n")
    write("deep-nesting.json", "[" * 100_000 + "]" * 100_000)
    write("long-text.yaml", "id: " + "x" * 2_000_000 + "\n")
    out["dev-zero"] = ("case", "/dev/zero")
    fifo = tmp / "fifo.yaml"
    os.mkfifo(fifo)
    out["fifo"] = ("case", str(fifo))
    cat = tmp / "catalog-bomb"
    shutil.copytree(REPO / "catalog", cat / "catalog")
    shutil.copytree(REPO / "rules", cat / "rules")
    (cat / "rules" / "interventions" / "bomb.yaml").write_text(bomb(7))
    out["catalog-with-bomb"] = ("catalog", str(cat))
    return out


def main() -> None:
    wanted = sys.argv[1:]
    with tempfile.TemporaryDirectory() as d:
        for name, (kind, path) in inputs(Path(d)).items():
            if wanted and not any(w in name for w in wanted):
                continue
            try:
                r = subprocess.run([sys.executable, "-c", _RUN, kind, path], capture_output=True, text=True, timeout=120)
                line = r.stdout.strip() or f"-\t-\tCRASH {r.stderr.strip().splitlines()[-1] if r.stderr.strip() else r.returncode}"
            except subprocess.TimeoutExpired:
                line = "> 120\t-\tno answer within 120 s"
            took, rss, outcome = line.split("\t", 2)
            print(f"{name:26} {took:>8} s {rss:>6} MiB  {outcome}")


if __name__ == "__main__":
    main()
