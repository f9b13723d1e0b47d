"""The terminal views as people see them: in an 80- and a 200-column terminal (rich consoles of that
width, and the real command in a pseudo-terminal of that size), in plain words, with every id whole
and every piece of data shown as text, never as markup or terminal control."""

from __future__ import annotations

import datetime as dt
import fcntl
import io
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.console import Console

from ratecard import allocate, check_referral, default_catalog, load_case, load_catalog, propose, screen
from ratecard.present.catalog import catalog_listing, print_listing
from ratecard.present.checks import print_allocation, print_check
from ratecard.present.proposal import print_proposal
from ratecard.present.screen import print_screen
from ratecard.present.terminal import shown

from .catalog_copy import CatalogCopy

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted((ROOT / "examples" / "cases").glob("*.yaml"))
ON = dt.date(2017, 3, 1)
WIDTHS = (80, 200)
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def render(draw, width: int) -> str:  # type: ignore[no-untyped-def]
    buf = io.StringIO()
    draw(Console(file=buf, width=width, color_system=None, force_terminal=False))
    return buf.getvalue()


def assert_fits(text: str, width: int) -> None:
    wide = [line for line in text.splitlines() if cell_len(line.rstrip()) > width]
    assert not wide, wide[:3]


def assert_whole(ids: list[str], text: str) -> None:
    """Each id stands whole on one line, so it can be copied into `ratecard check`."""
    lines = text.splitlines()
    for i in ids:
        pattern = re.compile(rf"(?<![\w]){re.escape(i)}(?![\w])")
        assert any(pattern.search(line) for line in lines), i


@pytest.mark.parametrize("width", WIDTHS)
def test_every_screen_fits_the_terminal_and_keeps_every_id_whole(width: int) -> None:
    cat = default_catalog()
    for path in CASES:
        s = screen(load_case(path), cat, on=ON)
        for explain in (False, True):
            out = render(lambda c: print_screen(s, c, explain=explain), width)
            assert_fits(out, width)
            assert_whole([r.intervention for r in s.results], out)


@pytest.mark.parametrize("width", WIDTHS)
def test_check_allocate_propose_and_list_fit_the_terminal(width: int) -> None:
    cat = default_catalog()
    for path in CASES[::3]:
        case = load_case(path)
        for iid in ("bbr", "c2c_rar_good_loaf", "upw_group_corby"):
            chk = check_referral(case, iid, cat, on=ON)
            out = render(lambda c: print_check(chk, c), width)
            assert_fits(out, width)
            assert_whole([chk.intervention, *(a.intervention for a in chk.alternatives)], out)
        al = allocate(case, cat, on=ON)
        assert_fits(render(lambda c: print_allocation(al, c), width), width)
        p = propose(case, cat, on=ON)
        out = render(lambda c: print_proposal(p, c), width)
        assert_fits(out, width)
        assert_whole([i.intervention for i in p.package], out)
    items = catalog_listing(cat)
    out = render(lambda c: print_listing(items, c), width)
    assert_fits(out, width)
    assert_whole([i.id for i in items], out)


def test_the_wide_view_is_a_table_and_the_narrow_one_stacks() -> None:
    s = screen(load_case(ROOT / "examples" / "cases" / "no-risk-scores.yaml"), default_catalog(), on=ON)
    narrow, wide = render(lambda c: print_screen(s, c), 80), render(lambda c: print_screen(s, c), 200)
    assert "Decision" in wide and "Availability" in wide  # column headers
    assert "Decision" not in narrow and "UNDETERMINED: Building Better Relationships (BBR)" in narrow


# ---- plain words ------------------------------------------------------------------------------


def test_reasons_are_in_plain_words_and_ids_only_with_explain() -> None:
    case = load_case(ROOT / "examples" / "cases" / "dv-first-conviction-sso-fifties.yaml")
    s = screen(case, default_catalog(), on=ON)
    plain = " ".join(render(lambda c: print_screen(s, c), 80).split())
    assert "OGRS3 two-year score: 18%" in plain  # the "OGRS3 is 18%", next to the rule's own sentence
    assert "is 50% or more" in plain
    for jargon in ("risk.ogrs3_2yr", "[tsp.ogrs3", "need_education_training_and_employability", "= not given"):
        assert jargon not in plain
    explained = " ".join(render(lambda c: print_screen(s, c, explain=True), 80).split())
    assert "[tsp.ogrs3: risk.ogrs3_2yr = 18%]" in explained


def test_the_proposal_names_requirements_and_pathways_in_words() -> None:
    case = load_case(ROOT / "examples" / "cases" / "community-order-rar-and-bbr-24m.yaml")
    p = propose(case, default_catalog(), on=ON)
    for width in WIDTHS:
        out = " ".join(render(lambda c: print_proposal(p, c), width).split())
        assert "accredited programme requirement" in out and "moderate intensity" in out
        assert "accredited_programme" not in out and "moderate_intensity" not in out


def test_a_referral_check_gives_no_rule_ids_unless_asked() -> None:
    case = load_case(ROOT / "examples" / "cases" / "age-17-just-under-adult.yaml")
    chk = check_referral(case, "bbr", default_catalog(), on=ON)
    assert chk.verdict == "reject" and any(r.rule for r in chk.reasons)
    plain = render(lambda c: print_check(chk, c), 200)
    rule = next(r.rule for r in chk.reasons if r.rule)
    assert f"[{rule}]" not in plain
    assert f"[{rule}]" in render(lambda c: print_check(chk, c, explain=True), 200)


# ---- data is text, never markup or terminal control ------------------------------------------

HOSTILE_ID = "case\x1b]0;pwned\x07\x1b[2J\u202eend"
MARKUP = "BBR [/] [bold red]boom[/bold red] [link=http://x]"


@pytest.fixture(scope="module")
def hostile_catalog(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("hostile")
    cc = CatalogCopy(root)
    cc.intervention("bbr", lambda e: e.update(name=MARKUP))
    cc.intervention("resolve", lambda e: e["status"].update(reason="Gone [/] [blink]now\x1b[5m"))
    cc.info(lambda d: d.update(name="Rate card [/]\x1b[31m"))
    return load_catalog(root)


@pytest.mark.parametrize("width", WIDTHS)
def test_markup_and_control_characters_in_data_are_shown_as_text(hostile_catalog, width: int) -> None:  # type: ignore[no-untyped-def]
    base = load_case(ROOT / "examples" / "cases" / "community-order-rar-and-bbr-24m.yaml")
    case = base.model_copy(update={"id": HOSTILE_ID})
    outs = [
        render(lambda c: print_screen(screen(case, hostile_catalog, on=ON), c), width),
        render(lambda c: print_check(check_referral(case, "bbr", hostile_catalog, on=ON), c), width),
        render(lambda c: print_allocation(allocate(case, hostile_catalog, on=ON), c), width),
        render(lambda c: print_proposal(propose(case, hostile_catalog, on=ON), c), width),
        render(lambda c: print_listing(catalog_listing(hostile_catalog), c), width),
    ]
    for out in outs:
        assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
        assert_fits(out, width)
    joined = " ".join(" ".join(outs).split())
    assert "[/]" in joined and "[bold red]boom[/bold red]" in joined  # as written, not as styles
    assert "\\x1b]0;pwned\\x07\\x1b[2J\\u202eend" in joined  # the id, with its controls visible
    assert "[blink]now\\x1b[5m" in joined  # a status reason (its words may wrap in a table cell)


def test_shown_escapes_every_control_character_and_keeps_text() -> None:
    assert shown("a\x00b\x1bc\x7f\x9b\u2028\u2066") == "a\\x00b\\x1bc\\x7f\\x9b\\u2028\\u2066"
    assert shown("Relationships — café ✓") == "Relationships — café ✓"
    assert shown("two\nlines\tand tab", prose=True) == "two lines and tab"


# ---- the real command in a pseudo-terminal -------------------------------------------------------


def run_in_pty(args: list[str], cols: int, rows: int = 60, timeout: float = 120) -> tuple[int, str]:
    """Run `ratecard ARGS` with its output on a terminal of `cols` columns, as a person would."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    env.update(PYTHONPATH=str(ROOT), TERM="xterm-256color")
    proc = subprocess.Popen([sys.executable, "-m", "ratecard", *args], stdin=slave, stdout=slave, stderr=slave,
                            env=env, close_fds=True, cwd=ROOT)
    os.close(slave)
    chunks: list[bytes] = []
    try:
        while select.select([master], [], [], timeout)[0]:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the command has exited and closed the terminal
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(master)
    return proc.wait(timeout=timeout), b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.parametrize("cols", WIDTHS)
def test_screen_in_a_real_terminal_fits_its_width(cols: int) -> None:
    case = ROOT / "examples" / "cases" / "no-risk-scores.yaml"
    code, raw = run_in_pty(["screen", str(case), "--on", "01/03/2017"], cols)
    assert code == 0, raw
    text = _ANSI.sub("", raw).replace("\r\n", "\n")
    assert_fits(text, cols)
    ids = [r.intervention for r in screen(load_case(case), default_catalog(), on=ON).results]
    assert_whole(ids, text)
    assert "\x1b[" in raw  # a terminal gets colour


def test_a_hostile_case_id_never_reaches_a_real_terminal_raw(tmp_path: Path) -> None:
    f = tmp_path / "case.yaml"
    f.write_text('id: "x\\e]0;pwned\\a\\e[2Jy"\nperson: {sex: male}\n', encoding="utf-8")
    code, raw = run_in_pty(["screen", str(f), "--on", "2017-03-01"], 80)
    assert code in (0, 1), raw  # shown escaped, or refused with a message: never written raw
    assert "\x1b]" not in raw and "\x07" not in raw and "\x1b[2J" not in raw
    assert "Traceback" not in raw


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_a_briefing_printed_to_a_terminal_carries_no_control_characters(hostile_catalog, fmt: str) -> None:  # type: ignore[no-untyped-def]
    from ratecard import build_briefing, render_briefing

    text = render_briefing(build_briefing("northamptonshire", hostile_catalog, on=ON), fmt)  # type: ignore[arg-type]
    assert "\x1b" not in text
    assert text.count("\\x1b") >= 2  # the catalog name and the status reason, escaped
    if fmt == "html":
        assert "<style>" in text and "&lt;" not in text.split("</style>")[0]  # the style sheet stays a style sheet


# ---- any text at all ------------------------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from ratecard.decide.screen import Screen  # noqa: E402

ANY_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=40) | st.sampled_from(
    ["[/]", "[bold red]x[/bold red]", "\x1b]0;t\x07", "\x1b[2J", "\u202e", "[link=file:///etc/passwd]y", "\\[/]", "a\nb"])


@settings(max_examples=60)
@given(case_id=ANY_TEXT, name=ANY_TEXT, text=ANY_TEXT, warning=ANY_TEXT, width=st.sampled_from(WIDTHS))
def test_any_text_in_a_result_renders_as_text(case_id: str, name: str, text: str, warning: str, width: int) -> None:
    s = Screen.model_validate({
        "catalog_version": "sha256:0", "catalog": name, "on": ON, "case_id": case_id, "derived": {"tier": text},
            "values": {"person.home_town": text},
        "missing": [], "warnings": [{"code": "unknown_town", "text": warning}],
        "results": [{"intervention": "bbr", "name": name, "provider": "p", "decision": d,
                     "reasons": [{"rule": text, "text": text, "outcome": "unknown", "fields": ["person.home_town"]}],
                     "missing": [], "availability": "withdrawn", "warnings": [{"code": "withdrawn", "text": warning}]}
                    for d in ("eligible", "undetermined", "ineligible")],
    })
    for explain in (False, True):
        out = render(lambda c: print_screen(s, c, explain=explain), width)
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", out)
        assert_fits(out, width)
        assert_whole(["bbr"], out)
