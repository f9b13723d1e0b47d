"""Plain text without rich (present/layout.py): what a PSO gets in a file or a pipe is exactly what
rich would have printed, line for line, for every view of every example, and for any text."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st
from rich.console import Console

from ratecard import allocate, check_referral, default_catalog, propose, screen
from ratecard.case.model import load_case
from ratecard.present.catalog import catalog_listing, listing_view
from ratecard.present.checks import allocation_text, check_view
from ratecard.present.layout import Group, Padding, Text, plain
from ratecard.present.proposal import proposal_view
from ratecard.present.screen import screen_view
from ratecard.present.terminal import bullets

from .test_cli_commands import _modules_after

ROOT = Path(__file__).resolve().parent.parent
ON = dt.date(2017, 3, 1)
CASES = sorted((ROOT / "examples" / "cases").glob("*.yaml"))


def by_rich(view: object, width: int) -> str:
    """What the command wrote before: rich's rendering without colour, line ends stripped."""
    buf = io.StringIO()
    Console(file=buf, width=width, color_system=None, force_terminal=False, highlight=False, emoji=False,
            soft_wrap=False).print(view)
    return "\n".join(line.rstrip() for line in buf.getvalue().splitlines()) + "\n"


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_every_view_of_every_example_is_what_rich_prints(path: Path) -> None:
    cat = default_catalog()
    case = load_case(path)
    s, p = screen(case, cat, on=ON), propose(case, cat, on=ON)
    c, a = check_referral(case, "bbr", cat, on=ON), allocate(case, cat, on=ON)
    # the narrowest width allowed, a terminal's, the file width, just below and at the wide tables
    for width in (20, 80, 100, 119, 120):
        for view in (screen_view(s, False, width), screen_view(s, True, width), proposal_view(p, width), check_view(c),
                     check_view(c, True), allocation_text(a)):
            assert plain(view, width) == by_rich(view, width), (path.name, width)


def test_the_catalog_listing_is_what_rich_prints() -> None:
    items = catalog_listing(default_catalog(), on=ON)
    for width in (20, 80, 100, 120):
        assert plain(listing_view(items, width), width) == by_rich(listing_view(items, width), width)


# any text: long words (folded, or cut with '…' in a list), wide and combining characters, blank
# lines, runs of spaces, line breaks
_chars = st.sampled_from(list("abcdefghij  .,:;-") + ["\n", "  ", "é", "e\u0301", "語", "✓", "£", "“", "—", "x" * 30])
_words = st.lists(_chars, max_size=60).map("".join)


@st.composite
def _views(draw: st.DrawFn) -> object:
    def text() -> Text:
        t = Text(draw(_words), style=draw(st.sampled_from(["", "bold", "dim yellow"])),
                 no_wrap=draw(st.sampled_from([None, True])), overflow=draw(st.sampled_from([None, "ignore", "fold", "ellipsis"])))
        for _ in range(draw(st.integers(0, 2))):
            t.append(draw(_words), style=draw(st.sampled_from([None, "cyan"])))
        return t

    parts: list[object] = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["text", "padding", "bullets"]))
        if kind == "text":
            parts.append(text())
        elif kind == "padding":
            parts.append(Padding(Group(text(), text()), (0, 0, draw(st.integers(0, 1)), draw(st.integers(0, 4))), expand=False))
        else:
            marks = st.sampled_from(["-", "?", "✗", "•", "!!"])
            parts.append(bullets([(draw(marks), text()) for _ in range(draw(st.integers(1, 3)))], indent=draw(st.integers(0, 2))))
    return Group(*parts)


@settings(max_examples=300, deadline=None)
@given(view=_views(), width=st.integers(20, 130))
def test_any_text_is_laid_out_as_rich_lays_it_out(view: object, width: int) -> None:
    assert plain(view, width) == by_rich(view, width), (repr(view), width)


@pytest.mark.parametrize("command", ["screen", "propose", "allocate"])
def test_plain_text_to_a_file_loads_no_rich(command: str, tmp_path: Path) -> None:
    case = str(ROOT / "examples" / "cases" / "woman-corby-family-needs.yaml")
    out = tmp_path / "out.txt"
    loaded = _modules_after(f"from ratecard.cli import cli\ncli.main([{command!r}, {case!r}, '--on', '2017-03-01', "
                            f"'--out', {str(out)!r}], standalone_mode=False)")
    assert "pydantic" in loaded and "rich" not in loaded, loaded
    assert "woman-corby-family-needs on 2017-03-01" in out.read_text(encoding="utf-8")
