"""Charts for the evidence reports, as SVG elements to inline in HTML (and so in the PDF).

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
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.path import Path
from matplotlib.ticker import PercentFormatter

from daeval.report.sankey import LEFT, RIGHT, SankeyBand, sankey_layout

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
    return inlined(out.getvalue(), key, title, alt)


def inlined(svg: str, key: str, title: str, alt: str) -> str:
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


# 1. Funnel ---------------------------------------------------------------------------------


def funnel_chart(key: str, title: str, stages: list[tuple[str, int | None]]) -> Chart:
    """Horizontal bars, top to bottom, each with its count and its share of the first stage."""
    if not stages:
        return _empty(key, title)
    if any(c is not None and c < 0 for _, c in stages):
        raise ValueError("funnel counts must not be negative")
    first_name, first = stages[0]

    def share(i: int, count: int) -> str:
        return f" ({_pct(count / first)})" if i and first else ""

    labels = [SUPPRESSED if c is None else f"{c:,}{share(i, c)}" for i, (_, c) in enumerate(stages)]
    parts = [
        f"{name}: {SUPPRESSED}" if c is None else f"{c:,} {name}{share(i, c)}"
        for i, (name, c) in enumerate(stages)
    ]
    alt = f"{title}: {'; '.join(parts)}."
    if first and len(stages) > 1:
        alt += f" Percentages are of {first_name}."

    def draw() -> Figure:
        names = [n for n, _ in stages]
        fig = _figure(title, _title_height(title) + 0.3 + ROW * len(stages))
        ax = _axes(fig, _label_width(names), 0.3, _title_height(title), 0.3)
        top = max((c for _, c in stages if c is not None), default=0) or 1
        for i, ((_, count), text) in enumerate(zip(stages, labels, strict=True)):
            if count is None:
                _suppressed_box(ax, 0, i - 0.3, top, 0.6, f"suppressed-{i}")
                continue
            bar = Rectangle((0, i - 0.3), count, 0.6, facecolor=SKY, edgecolor=INK, linewidth=0.6)
            bar.set_gid(f"bar-{i}")
            ax.add_patch(bar)
            inside = count >= 0.55 * top
            x = count - 0.01 * top if inside else count + 0.01 * top
            ax.text(x, i, text, ha="right" if inside else "left", va="center", color=INK)
        ax.set_xlim(0, top * 1.01)
        _rows(ax, names)
        ax.xaxis.set_visible(False)
        ax.spines["bottom"].set_visible(False)
        return fig

    return _chart(key, title, alt, draw)


# 2. Survival (cumulative incidence) curves -------------------------------------------------

Point = tuple[float, float | None, float | None, float | None]


def _check_point(name: str, point: Point) -> None:
    day, value, lower, upper = point
    given = [v for v in (lower, value, upper) if v is not None]
    if any(not 0 <= v <= 1 for v in given):
        raise ValueError(f"{name}, day {day:g}: values and bounds must lie in [0, 1]")
    if value is None and given:
        raise ValueError(f"{name}, day {day:g}: bounds given for a suppressed value")
    if (lower is not None and value is not None and lower > value) or (
        upper is not None and value is not None and value > upper
    ):
        raise ValueError(f"{name}, day {day:g}: need lower <= value <= upper")


def _runs(points: list[Point], keep: Callable[[Point], bool]) -> Iterator[list[Point]]:
    """Stretches of consecutive points that ``keep``, each with the next point's day appended
    (holding its last values: a step curve keeps its value until the next point)."""
    run: list[Point] = []
    for point in [*points, None]:
        if point is not None and keep(point):
            run.append(point)
            continue
        if run:
            yield run + ([(point[0], *run[-1][1:])] if point is not None else [])
        run = []


def survival_chart(
    key: str,
    title: str,
    series: dict[str, list[Point]],
    y_label: str,
    x_label: str = "Days",
) -> Chart:
    """Step curves of (day, value, lower, upper) per series, from (0, 0), with shaded bands."""
    if not any(series.values()):
        return _empty(key, title)
    curves: dict[str, list[Point]] = {}
    for name, points in series.items():
        for point in points:
            _check_point(name, point)
        days = [p[0] for p in points]
        if days != sorted(set(days)) or (days and days[0] < 0):
            raise ValueError(f"{name}: days must be non-negative and strictly increasing")
        curves[name] = points if points and points[0][0] == 0 else [(0, 0.0, 0.0, 0.0), *points]
    parts = []
    for name, points in series.items():
        known = [p for p in points if p[1] is not None]
        said = []
        for i in _sample(len(known)):
            day, value, lower, upper = known[i]
            ci = (
                f" (95% CI {_pct(lower, 1)} to {_pct(upper, 1)})"
                if lower is not None and upper is not None
                else ""
            )
            said.append(f"{_pct(value or 0, 1)}{ci} by day {day:g}")
        hidden = [p[0] for p in points if p[1] is None]
        if hidden:
            said.append(f"{SUPPRESSED} at day{'s' if len(hidden) > 1 else ''} {_listing(hidden)}")
        parts.append(f"{name}: {', '.join(said) or 'no figures'}")
    alt = f"{title} ({y_label}): {'; '.join(parts)}."

    def draw() -> Figure:
        fig = _figure(title, 3.4)
        ax = _axes(fig, 0.8, 0.3, _title_height(title), 0.75)
        for i, (name, points) in enumerate(curves.items()):
            colour, dash = LINES[i % len(LINES)], DASHES[i % len(DASHES)]
            bands = _runs(points, lambda p: None not in p[1:])
            for j, run in enumerate(bands):
                band = ax.fill_between([p[0] for p in run], [p[2] or 0 for p in run],
                                       [p[3] or 0 for p in run], step="post", color=colour,
                                       alpha=0.2, linewidth=0)  # fmt: skip
                band.set_gid(f"band-{i}-{j}")
            for j, run in enumerate(_runs(points, lambda p: p[1] is not None)):
                (line,) = ax.step([p[0] for p in run], [p[1] or 0 for p in run], where="post",
                                  color=colour, linestyle=dash, linewidth=1.6, markersize=3,
                                  marker="o" if len(run) == 1 else "",
                                  label=name if j == 0 else None)  # fmt: skip
                line.set_gid(f"curve-{i}-{j}")
        top = max(v for ps in curves.values() for p in ps for v in p[1:] if v is not None)
        ax.set_ylim(0, min(1.0, max(0.05, top * 1.15)))
        ax.set_xlim(0, max(p[0] for ps in curves.values() for p in ps) or 1)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_xlabel(x_label)
        ax.set_ylabel(y_label)
        ax.grid(color="#DDDDDD", linewidth=0.6)
        if len(curves) > 1:
            ax.legend(loc="upper left", frameon=False, fontsize=SMALL, handlelength=3)
        notes = []
        if any(None not in p[1:] and p[2] != p[3] for ps in curves.values() for p in ps):
            notes.append("Shaded: 95% confidence interval.")
        if any(p[1] is None for ps in curves.values() for p in ps):
            notes.append(f"Gaps: figures {SUPPRESSED}.")
        if notes:
            _note(fig, " ".join(notes))
        return fig

    return _chart(key, title, alt, draw)


# 3. Sankey -----------------------------------------------------------------------------------


def _bezier(x0: float, y0: float, x1: float, y1: float, t: float) -> tuple[float, float]:
    """A point on the S-curve from (x0, y0) to (x1, y1) with control points at mid-x."""
    a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t**2, t**3
    xm = (x0 + x1) / 2
    return a * x0 + (b + c) * xm + d * x1, (a + b) * y0 + (c + d) * y1


def _band_path(x0: float, x1: float, band: SankeyBand) -> Path:
    xm, s, t, h = (x0 + x1) / 2, band.source_top, band.target_top, band.thickness
    verts = [(x0, s), (xm, s), (xm, t), (x1, t), (x1, t + h), (xm, t + h), (xm, s + h),
             (x0, s + h), (x0, s)]  # fmt: skip
    c = Path.CURVE4
    return Path(verts, [Path.MOVETO, c, c, c, Path.LINETO, c, c, c, Path.CLOSEPOLY])


def sankey_chart(
    key: str,
    title: str,
    flows: list[tuple[str, str, int | None]],
    columns: tuple[str, str] = ("From", "To"),
) -> Chart:
    """Flows from left nodes to right nodes, band widths proportional to counts."""
    if not flows:
        return _empty(key, title)
    geo = sankey_layout(flows)  # validates

    def total(column: int, name: str) -> str:
        node = geo.node(column, name)
        return f"{node.total:,}" + (f" + {SUPPRESSED}" if node.suppressed else "")

    sources = list(dict.fromkeys(s for s, _, _ in flows))
    parts = []
    for source in sources:
        outs = [
            f"{SUPPRESSED if c is None else f'{c:,}'} to {t}" for s, t, c in flows if s == source
        ]
        parts.append(f"from {source} ({total(LEFT, source)}): {', '.join(outs)}")
    alt = f"{title} ({columns[0]} to {columns[1]}): {'; '.join(parts)}."

    def draw() -> Figure:
        rows = max(sum(n.column == col for n in geo.nodes) for col in (LEFT, RIGHT))
        inner = max(2.2, 0.55 * rows)
        head = _title_height(title) + 0.3
        fig = _figure(title, head + inner + 0.45)
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_axis_off()
        ax.set_xlim(0, WIDTH)
        ax.set_ylim(fig.get_figheight(), 0)
        x0, x1, node_w = 1.9, WIDTH - 1.9, 0.12
        names = list(dict.fromkeys(n.name for n in geo.nodes))
        colour = {name: FILLS[i % len(FILLS)] for i, name in enumerate(names)}
        for x, text in ((x0 - node_w / 2, columns[0]), (x1 + node_w / 2, columns[1])):
            ax.text(x, head - 0.12, text, ha="center", va="bottom", fontweight="bold")
        for i, band in enumerate(geo.bands):
            s, t = band.source_top * inner + head, band.target_top * inner + head
            if band.count is None:
                path = Path([(x0, s), ((x0 + x1) / 2, s), ((x0 + x1) / 2, t), (x1, t)],
                            [Path.MOVETO, Path.CURVE4, Path.CURVE4, Path.CURVE4])  # fmt: skip
                line = PathPatch(path, facecolor="none", edgecolor=MUTED, linestyle="--", lw=0.9)
                line.set_gid(f"suppressed-{i}")
                ax.add_patch(line)
                ax.text(*_bezier(x0, s, x1, t, 0.35), SUPPRESSED, ha="center", va="center",
                        style="italic", fontsize=7, color=INK,
                        bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5})  # fmt: skip
                continue
            scaled = SankeyBand(band.source, band.target, band.count, band.thickness * inner, s, t)
            patch = PathPatch(_band_path(x0, x1, scaled), facecolor=colour[band.source],
                              alpha=0.55, edgecolor="none")  # fmt: skip
            patch.set_gid(f"band-{i}")
            ax.add_patch(patch)
            if scaled.thickness >= 0.16:
                ax.text(x1 - 0.06, t + scaled.thickness / 2, f"{band.count:,}", ha="right",
                        va="center", fontsize=SMALL, color=INK)  # fmt: skip
        for node in geo.nodes:
            left = node.column == LEFT
            top, size = node.top * inner + head, max(node.height * inner, 0.03)
            x = x0 - node_w if left else x1
            ax.add_patch(Rectangle((x, top), node_w, size, facecolor=colour[node.name],
                                   edgecolor=INK, linewidth=0.6))  # fmt: skip
            ax.text(x - 0.08 if left else x + node_w + 0.08, top + size / 2,
                    f"{_wrap(node.name, 22)}\n{total(node.column, node.name)}",
                    ha="right" if left else "left", va="center", fontsize=SMALL, color=INK)  # fmt: skip
        note = "Band widths are proportional to counts."
        if any(b.count is None for b in geo.bands):
            note += f" Dashed lines: {SUPPRESSED} flows, not in the widths or totals."
        _note(fig, note)
        return fig

    return _chart(key, title, alt, draw)


# 4. 100%-stacked category bars -------------------------------------------------------------


def category_segments(
    shares: dict[str, float | None], categories: list[str]
) -> list[tuple[str, float, float]] | None:
    """(category, left, width) per category, widths scaled to sum to 1; ``None`` if any share is
    suppressed. Shares may be proportions or counts."""
    if set(shares) != set(categories) or len(set(categories)) != len(categories):
        raise ValueError(f"shares {sorted(shares)} must be given for exactly {categories}")
    if any(shares[c] is None for c in categories):
        return None
    values = [float(shares[c] or 0) for c in categories]
    if any(v < 0 for v in values) or sum(values) <= 0:
        raise ValueError("shares must be non-negative with a positive total")
    out, left = [], 0.0
    for category, value in zip(categories, values, strict=True):
        out.append((category, left, value / sum(values)))
        left += value / sum(values)
    return out


def category_bars(
    key: str,
    title: str,
    groups: dict[str, dict[str, float | None]],
    categories: list[str],
    value_label: str,
) -> Chart:
    """One 100%-stacked horizontal bar per group; a group with a suppressed share is grey."""
    if not groups:
        return _empty(key, title)
    segments = {group: category_segments(shares, categories) for group, shares in groups.items()}
    parts = [
        f"{group}: {SUPPRESSED}"
        if segs is None
        else f"{group}: {', '.join(f'{c} {_pct(w)}' for c, _, w in segs)}"
        for group, segs in segments.items()
    ]
    alt = f"{title} ({value_label}): {'; '.join(parts)}."

    def draw() -> Figure:
        legend_h = 0.3 * ((len(categories) + 2) // 3)
        top = _title_height(title) + legend_h
        fig = _figure(title, top + 0.55 + ROW * len(groups))
        ax = _axes(fig, _label_width(list(groups)), 0.3, top, 0.55)
        for i, segs in enumerate(segments.values()):
            if segs is None:
                _suppressed_box(ax, 0, i - 0.3, 1, 0.6, f"suppressed-{i}")
                continue
            for j, (category, left, width) in enumerate(segs):
                seg = Rectangle((left, i - 0.3), width, 0.6, facecolor=FILLS[j % len(FILLS)],
                                edgecolor="white", linewidth=0.8, label=category if i == 0 else None)  # fmt: skip
                seg.set_gid(f"segment-{i}-{j}")
                ax.add_patch(seg)
                if width >= 0.07:
                    ax.text(left + width / 2, i, _pct(width), ha="center", va="center",
                            fontsize=SMALL, color=INK)  # fmt: skip
        handles = [Rectangle((0, 0), 1, 1, facecolor=FILLS[j % len(FILLS)]) for j in range(len(categories))]  # fmt: skip
        fig.legend(handles, categories, loc="upper left", ncol=3, frameon=False, fontsize=SMALL,
                   bbox_to_anchor=(0.12 / WIDTH, 1 - _title_height(title) / fig.get_figheight()))  # fmt: skip
        _rows(ax, list(groups))
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_xlabel(value_label)
        return fig

    return _chart(key, title, alt, draw)


# 5. Bars with confidence intervals ---------------------------------------------------------


def bar_chart(
    key: str,
    title: str,
    values: list[tuple[str, float | None, float | None, float | None]],
    value_label: str,
    percent: bool = True,
) -> Chart:
    """Horizontal bars (label, value, lower, upper) with interval whiskers; ``None`` values are
    written as "suppressed" where the bar would be."""
    if not values:
        return _empty(key, title)
    for label, value, lower, upper in values:
        if (lower is None) != (upper is None) or (value is None and lower is not None):
            raise ValueError(
                f"{label}: give both bounds or neither, and none for a suppressed value"
            )
        if (
            value is not None
            and lower is not None
            and upper is not None
            and not lower <= value <= upper
        ):
            raise ValueError(f"{label}: need lower <= value <= upper")  # fmt: skip

    def words(value: float | None, lower: float | None, upper: float | None) -> str:
        if value is None:
            return SUPPRESSED
        ci = "" if lower is None or upper is None else f" (95% CI {_number(lower, percent)} to {_number(upper, percent)})"  # fmt: skip
        return _number(value, percent) + ci

    texts = [words(v, lo, hi) for _, v, lo, hi in values]
    alt = f"{title} ({value_label}): " + "; ".join(f"{v[0]}: {t}" for v, t in zip(values, texts, strict=True)) + "."  # fmt: skip

    def draw() -> Figure:
        names = [v[0] for v in values]
        top = _title_height(title)
        fig = _figure(title, top + 0.75 + ROW * len(values))
        ax = _axes(fig, _label_width(names), 2.0, top, 0.75)
        known = [x for _, *xs in values for x in xs if x is not None]
        low, high = min([0.0, *known]), max([0.0, *known]) or 1.0
        for i, ((_, value, lower, upper), text) in enumerate(zip(values, texts, strict=True)):
            if value is None:
                ax.text(low + 0.01 * (high - low), i, SUPPRESSED, ha="left", va="center",
                        style="italic", color=INK).set_gid(f"suppressed-{i}")  # fmt: skip
                continue
            bar = Rectangle((0, i - 0.3), value, 0.6, facecolor=SKY, edgecolor=INK, linewidth=0.6)
            bar.set_gid(f"bar-{i}")
            ax.add_patch(bar)
            if lower is not None and upper is not None:
                ax.errorbar(value, i, xerr=[[value - lower], [upper - value]], fmt="none",
                            ecolor=INK, elinewidth=1, capsize=3).lines[2][0].set_gid(f"ci-{i}")  # fmt: skip
            ax.annotate(text, (1, i), xycoords=("axes fraction", "data"), xytext=(6, 0),
                        textcoords="offset points", ha="left", va="center", fontsize=SMALL)  # fmt: skip
        _rows(ax, names)
        ax.set_xlim(low, high * 1.05)
        if low < 0:
            ax.axvline(0, color=INK, linewidth=0.8)
        if percent:
            ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_xlabel(value_label)
        if any(lo is not None for _, _, lo, _ in values):
            _note(fig, "Whiskers: 95% confidence interval.")
        return fig

    return _chart(key, title, alt, draw)


# 6. Recruitment projection -----------------------------------------------------------------


def _reaches(months: list[int], values: list[float], target: float) -> str:
    month = next((m for m, v in zip(months, values, strict=True) if v >= target), None)
    return f"in month {month}" if month is not None else f"not by month {months[-1]}"


def projection_chart(
    key: str,
    title: str,
    curve: list[tuple[int, float, float, float]],
    target: float,
    y_label: str = "Participants (cumulative)",
    x_label: str = "Month",
) -> Chart:
    """Cumulative participants by month: median line, 10th–90th percentile band, target line."""
    if not curve:
        return _empty(key, title)
    months = [c[0] for c in curve]
    if months != sorted(set(months)):
        raise ValueError("months must be strictly increasing")
    if any(not 0 <= p10 <= median <= p90 for _, median, p10, p90 in curve) or target < 0:
        raise ValueError("need 0 <= 10th percentile <= median <= 90th percentile, target >= 0")
    said = [
        f"month {m}: median {med:,.0f} (10th to 90th percentile {lo:,.0f} to {hi:,.0f})"
        for m, med, lo, hi in (curve[i] for i in _sample(len(curve)))
    ]
    reach = [_reaches(months, [c[k] for c in curve], target) for k in (1, 2, 3)]
    alt = (
        f"{title} ({y_label}): {'; '.join(said)}. Target {target:,.0f}: the median reaches it "
        f"{reach[0]}, the 10th percentile {reach[1]}, the 90th percentile {reach[2]}."
    )

    def draw() -> Figure:
        fig = _figure(title, 3.4)
        ax = _axes(fig, 0.85, 0.3, _title_height(title), 0.75)
        band = ax.fill_between(months, [c[2] for c in curve], [c[3] for c in curve], color=SKY,
                               alpha=0.35, linewidth=0, label="10th to 90th percentile")  # fmt: skip
        band.set_gid("band")
        ax.plot(months, [c[1] for c in curve], color=BLUE, linewidth=2, label="Median")[0].set_gid("median")  # fmt: skip
        line = ax.axhline(target, color=INK, linestyle="--", linewidth=1, label=f"Target ({target:,.0f})")  # fmt: skip
        line.set_gid("target")
        ax.set_xlim(months[0], months[-1] if len(months) > 1 else months[0] + 1)
        ax.set_ylim(0, max(target, max(c[3] for c in curve)) * 1.1 or 1)
        ax.set_xlabel(x_label)
        ax.set_ylabel(y_label)
        ax.grid(color="#DDDDDD", linewidth=0.6)
        ax.legend(loc="upper left", frameon=False, fontsize=SMALL)
        return fig

    return _chart(key, title, alt, draw)
