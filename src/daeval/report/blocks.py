"""The parts a report page is made of, and how figures are written in them."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from markupsafe import Markup, escape

from daeval.model.measure_row import MeasureRow
from daeval.report.drawing import Chart
from daeval.report.tables import Table

SUPPRESSED = "suppressed"
NO_MEASURES = "No measures yet: run `daeval measures --workspace WS`, then the report again."


def scope(site: str | None) -> tuple[str, str | None]:
    """The grouping and group of a report's figures: all sites, or one site."""
    return ("site_id", site) if site else ("all", None)


@dataclass(frozen=True)
class Text:
    """A paragraph (plain text; escaped when drawn)."""

    text: str
    kind: str = "p"  # p, note, lede

    def html(self) -> Markup:
        return Markup("<p class='{}'>{}</p>").format(self.kind, escape(self.text))


@dataclass(frozen=True)
class Image:
    """A picture embedded in the page (a PNG as a data URI: the page stays self-contained)."""

    key: str
    title: str
    png: bytes
    alt: str

    def html(self) -> Markup:
        data = base64.b64encode(self.png).decode("ascii")
        return Markup(
            "<figure id='image-{}'><img src='data:image/png;base64,{}' alt='{}' "
            "style='width:100%'><figcaption>{}</figcaption></figure>"
        ).format(self.key, data, self.alt, self.alt)


Block = Table | Chart | Text | Image


@dataclass(frozen=True)
class Section:
    """One heading of a report. ``missing`` says why a section has nothing to show (its
    inputs are not there yet), so that it never silently disappears."""

    id: str
    title: str
    blocks: tuple[Block, ...] = ()
    missing: str | None = None

    @property
    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]

    @property
    def charts(self) -> list[Chart]:
        return [b for b in self.blocks if isinstance(b, Chart)]


def n(value: int | None) -> int | str:
    """A count for a table cell: the number, or 'suppressed'."""
    return SUPPRESSED if value is None else value


def frac(value: float | None) -> float | str:
    """A share for a table cell (shown as a percentage): the number, or 'suppressed'."""
    return SUPPRESSED if value is None else value


def cell(value: object, as_percent: bool = False) -> str:
    """How a table cell reads on the page."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if as_percent:
        return percent(float(value))
    return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"


def count(value: int | None) -> str:
    return SUPPRESSED if value is None else f"{value:,}"


def percent(value: float | None, digits: int = 1) -> str:
    return SUPPRESSED if value is None else f"{100 * value:.{digits}f}%"


def statistic(value: float | None) -> str:
    return SUPPRESSED if value is None else f"{value:.2f}"


def with_ci(row: MeasureRow | None, as_percent: bool = False) -> str:
    """'0.23 (0.20 to 0.26)', or 'suppressed', or '' when there is no row."""
    if row is None:
        return ""
    show = percent if as_percent else statistic
    if row.value is None:
        return SUPPRESSED
    if row.ci_lower is None or row.ci_upper is None:
        return show(row.value)
    return f"{show(row.value)} ({show(row.ci_lower)} to {show(row.ci_upper)})"


def share(row: MeasureRow | None) -> float | None:
    return None if row is None or row.suppressed else row.value


WORDS = {"cin_plan": "CIN plan", "cp_plan": "Child protection plan", "cla": "Looked after"}
"""Codes whose words are not the code spelt out."""


def label(text: str) -> str:
    """A code as words: 'reliably_improved' → 'Reliably improved'."""
    if text in WORDS:
        return WORDS[text]
    words = text.replace("_", " ").strip()
    return words[:1].upper() + words[1:]
