"""The bytes a user sees for every example case, written into a folder: `screen --json`, plain and
--explain text, `propose --json` and text (all --on 2017-03-01), and the Python API's
model_dump_json() and model_dump() (what the HTTP API sends). A speed change must leave them byte
for byte: run it on two trees and compare the folders.

    python benchmarks/compare_outputs.py OUT        # then: diff -r OUT_BEFORE OUT_AFTER
"""
import datetime as dt
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from click.testing import CliRunner  # noqa: E402

from ratecard import screen  # noqa: E402
from ratecard.cli import cli  # noqa: E402

if len(sys.argv) != 2 or sys.argv[1].startswith("-"):
    # a folder is written: "--help" must not become one
    sys.exit(__doc__)
out = Path(sys.argv[1]); out.mkdir(parents=True, exist_ok=True)
r = CliRunner()
for f in sorted((Path(__file__).resolve().parent.parent / "examples/cases").iterdir()):
    for name, args in [("screen.json", ["screen", str(f), "--json", "--on", "2017-03-01"]),
                       ("screen.txt", ["screen", str(f), "--on", "2017-03-01"]),
                       ("screen-explain.txt", ["screen", str(f), "--explain", "--on", "2017-03-01"]),
                       ("propose.json", ["propose", str(f), "--json", "--on", "2017-03-01"]),
                       ("propose.txt", ["propose", str(f), "--on", "2017-03-01"])]:
        res = r.invoke(cli, args, env={"COLUMNS": "120"})
        (out / f"{f.stem}.{name}").write_bytes(res.stdout_bytes + f"\nexit {res.exit_code}\n".encode())
    try:
        s = screen(f.read_text(), on=dt.date(2017, 3, 1))
        (out / f"{f.stem}.http.json").write_text(s.model_dump_json() + "\n" + repr(s.model_dump()))
    except Exception as e:
        (out / f"{f.stem}.http.json").write_text(f"error {type(e).__name__}: {e}")
