"""What every report chart shares: the palette, sizes, the ``Chart`` record, matplotlib set up
for deterministic SVG, and turning a figure into an SVG element to inline in HTML.

Every chart is drawn only from aggregate figures that have already been through disclosure
control, passed in as plain values; ``None`` means suppressed and is shown as such (hatched or
dashed, labelled "suppressed"), never as zero. Each chart comes with its title and an ``alt``
text that says what it shows with its main numbers, for screen readers and the PDF.

The SVG is made for inlining: no XML declaration or DOCTYPE, ``width="100%"`` and a viewBox so it
scales to the column, ``role="img"`` with ``<title>`` and ``<desc>`` as its first children, and
every id prefixed with the chart's key (so several charts share a page without clashes). Text
stays text (``svg.fonttype: none``, DejaVu Sans then any sans-serif): selectable, read by screen
readers and small. Output is byte-for-byte deterministic: matplotlib's default style and a fixed
hash salt are applied locally, and no dates or versions are written. ``rc_context`` changes
matplotlib's process-wide settings for its duration, so do not draw from several threads at once.

Colours are the Okabe–Ito palette, safe for colour-blind readers; colour is never the only cue
(segments and bars carry labels, suppressed figures are hatched or dashed and labelled).
"""

from __future__ import annotations

import io
import re
import textwrap
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from xml.sax.saxutils import escape

import matplotlib
import matplotlib.style
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

OKABE_ITO: tuple[str, ...] = (
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#009E73",  # bluish green
    "#F0E442",  # yellow
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#000000",  # black
)
"""Okabe M, Ito K (2008), "Color Universal Design (CUD): how to make figures and presentations
that are friendly to colorblind people", https://jfly.uni-koeln.de/color/. Text is black."""
ORANGE, SKY, GREEN, YELLOW, BLUE, VERMILLION, PURPLE, BLACK = OKABE_ITO
LINES = (BLUE, VERMILLION, GREEN, PURPLE, ORANGE, SKY, BLACK)
"""Lines on white: the darker colours first."""
FILLS = (SKY, ORANGE, GREEN, YELLOW, PURPLE, VERMILLION, BLUE)
"""Areas under black text: the lighter colours first."""
DASHES = ("-", "--", "-.", ":")
INK, MUTED, SUPPRESSED_EDGE = "#000000", "#555555", "#767676"
SUPPRESSED = "suppressed"

WIDTH = 6.5
"""Inches: an A4 page column."""
FONT, SMALL, TITLE_FONT = 9.0, 8.0, 11.0
ROW = 0.34
"""Inches per bar row."""
_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")
_TAG = re.compile(r"<[A-Za-z][^>]*>")


@dataclass(frozen=True)
class Chart:
    key: str
    """Unique within a page; every id in the SVG starts with it."""
    title: str
    svg: str
    """An ``<svg>`` element with ``<title>`` and ``<desc>`` (the alt text) as first children."""
    alt: str
    """What the chart shows, in words, with its main numbers."""


# Words and numbers -------------------------------------------------------------------------


def _pct(value: float, digits: int = 0) -> str:
    return f"{100 * value:.{digits}f}%"


def _number(value: float, percent: bool = False) -> str:
    if percent:
        return _pct(value, 1)
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _wrap(text: str, width: int = 26) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def _label_width(labels: Sequence[str], size: float = FONT) -> float:
    """Rough inches taken by the widest (wrapped) label: DejaVu Sans averages ~0.6 em a character."""
    longest = max((len(line) for text in labels for line in _wrap(text).split("\n")), default=0)
    return 0.25 + longest * size * 0.6 / 72


def _sample(n: int, most: int = 6) -> list[int]:
    """Up to ``most`` indices spread evenly over ``range(n)``, always with the last one."""
    return (
        sorted({round(i * (n - 1) / (most - 1)) for i in range(most)})
        if n > most
        else list(range(n))
    )


def _listing(days: list[float], most: int = 5) -> str:
    shown = ", ".join(f"{d:g}" for d in days[:most])
    return shown + (f" and {len(days) - most} more" if len(days) > most else "")


# Drawing and SVG ---------------------------------------------------------------------------


@contextmanager
def _style() -> Iterator[None]:
    with (
        matplotlib.style.context("default"),
        matplotlib.rc_context(
            {
                "svg.hashsalt": "daeval-charts",
                "svg.fonttype": "none",
                "font.family": "sans-serif",
                "font.sans-serif": ["DejaVu Sans"],
                "font.size": FONT,
                "hatch.linewidth": 0.6,
            }
        ),
    ):
        yield


def _figure(title: str, height: float) -> Figure:
    fig = Figure(figsize=(WIDTH, height), facecolor="white")
    FigureCanvasAgg(fig)
    fig.text(0.12 / WIDTH, 1 - 0.1 / height, _wrap(title, 80), ha="left", va="top",
             fontsize=TITLE_FONT, fontweight="bold", color=INK)  # fmt: skip
    return fig


def _title_height(title: str) -> float:
    return 0.2 + 0.22 * len(textwrap.wrap(title, 80) or [""])


def _axes(fig: Figure, left: float, right: float, top: float, bottom: float) -> Axes:
    """Axes with margins given in inches."""
    w, h = fig.get_size_inches()
    ax = fig.add_axes((left / w, bottom / h, 1 - (left + right) / w, 1 - (top + bottom) / h))
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def _note(fig: Figure, text: str) -> None:
    fig.text(0.12 / WIDTH, 0.06 / fig.get_figheight(), text, ha="left", va="bottom",
             fontsize=SMALL, style="italic", color=MUTED)  # fmt: skip


def _suppressed_box(ax: Axes, x: float, y: float, width: float, height: float, gid: str) -> None:
    box = Rectangle((x, y), width, height, facecolor="white", edgecolor=SUPPRESSED_EDGE,
                    hatch="///", linestyle="--", linewidth=0.8)  # fmt: skip
    box.set_gid(gid)
    ax.add_patch(box)
    ax.text(x + width / 2, y + height / 2, SUPPRESSED, ha="center", va="center", style="italic",
            fontsize=SMALL, color=INK, bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})  # fmt: skip


def _prefix(tag: str, key: str) -> str:
    tag = re.sub(r'(\sid=")', rf"\g<1>{key}-", tag)
    tag = tag.replace("url(#", f"url(#{key}-")
    return re.sub(r'(href=")#', rf"\g<1>#{key}-", tag)


def _svg(fig: Figure, key: str, title: str, alt: str) -> str:
    """The figure as an inlinable ``<svg>`` element: ids prefixed with ``key``, title and desc."""
    out = io.StringIO()
    fig.savefig(out, format="svg", metadata=dict.fromkeys(("Creator", "Date", "Format", "Type")))
    return _inlined(out.getvalue(), key, title, alt)


def _inlined(svg: str, key: str, title: str, alt: str) -> str:
    """An SVG document as an ``<svg>`` element to inline in a page: no declaration, DOCTYPE or
    metadata, every id prefixed with ``key``, scaled to the page's width, with title and desc."""
    text = svg[svg.index("<svg") :]
    text = re.sub(r"<!--.*?-->|<metadata>.*?</metadata>\s*", "", text, flags=re.S)
    text = _TAG.sub(lambda m: _prefix(m.group(0), key), text)
    # Scope matplotlib's stylesheet to this chart: inlined, it would otherwise apply to the page.
    text = text.replace('<style type="text/css">*{', f'<style type="text/css">#{key} *{{', 1)
    end = text.index(">")
    root = re.sub(r'\s(?:width|height)="[^"]*"', "", text[:end])
    return (
        f'{root} id="{key}" width="100%" role="img" aria-labelledby="{key}-title {key}-desc">\n'
        f' <title id="{key}-title">{escape(title)}</title>\n'
        f' <desc id="{key}-desc">{escape(alt)}</desc>' + text[end + 1 :]
    )


def _chart(key: str, title: str, alt: str, draw: Callable[[], Figure]) -> Chart:
    if not _KEY.match(key):
        raise ValueError(f"chart key {key!r} must be a letter then letters, digits, - or _")
    with _style():
        return Chart(key, title, _svg(draw(), key, title, alt), alt)


def _empty(key: str, title: str) -> Chart:
    def draw() -> Figure:
        fig = _figure(title, 1.2)
        fig.text(0.5, 0.4, "No figures to show.", ha="center", style="italic", color=MUTED)
        return fig

    return _chart(key, title, f"{title}: no figures to show.", draw)


def _rows(ax: Axes, labels: list[str]) -> None:
    ax.set_yticks(range(len(labels)), [_wrap(label) for label in labels])
    ax.set_ylim(len(labels) - 0.5, -0.5)
    ax.tick_params(axis="y", length=0)
