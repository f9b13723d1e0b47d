"""Render a Briefing as Markdown or as one self-contained HTML file, from the template files in
ratecard/present/templates/ (kept as files so that wording and layout can be changed without touching code)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from ..decide.briefing import Briefing
from ..rules.wording import label
from .. import labels
from .terminal import shown, shown_lines

Format = Literal["md", "html"]

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")


def md_escape(text: object) -> str:
    """Escape Markdown's inline markup so catalog text shows as written (and control characters,
    which `split()` does not remove, are shown escaped: a briefing may be printed to a terminal)."""
    return _MD_SPECIAL.sub(r"\\\1", shown(" ".join(str(text).split())))


def _visible(value: object) -> object:
    # every value a template prints: control characters shown escaped, line breaks kept; markup
    # already made safe (the style sheet) stays markup
    if isinstance(value, Markup):
        return Markup(shown_lines(str(value)))
    return shown_lines(value) if isinstance(value, str) else value


def _state(s: str) -> str:
    return labels.STATES.get(s, s)


def _weeks(n: int) -> str:
    return "no waiting list" if n == 0 else f"{n} week{'s' if n != 1 else ''}"


def _term(d: str) -> str:
    # the same name rules/wording.py uses inside sentences, so a reader can look the term up
    return label(d, {})


def _anchor(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@lru_cache(maxsize=2)
def _env(fmt: Format) -> Environment:
    env = Environment(
        loader=PackageLoader("ratecard.present", "templates"),
        autoescape=fmt == "html",
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_visible,
    )
    env.filters.update(md=md_escape, state=_state, weeks=_weeks, term=_term, anchor=_anchor)
    return env


def render_briefing(briefing: Briefing, fmt: Format = "md") -> str:
    """The briefing as Markdown (`md`) or HTML (`html`)."""
    if fmt not in ("md", "html"):
        raise ValueError(f"format must be md or html, not {fmt!r}")
    text = _env(fmt).get_template(f"briefing.{fmt}.j2").render(b=briefing)
    # blank-line runs come from template control lines; one blank line is all Markdown needs
    return re.sub(r"\n{3,}", "\n\n", text)
