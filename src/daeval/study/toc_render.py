"""Draw a theory of change as SVG and PNG with matplotlib.

The causal chain runs left to right in columns, one per chain type that has nodes (inputs,
activities, mechanisms, outputs, short-, medium- and long-term outcomes; empty types take no
column). Nodes are stacked top to bottom in the order they appear in ``toc.nodes``. The setting
(need, population) is a band above the chain and the surroundings (assumptions, unintended
consequences, barriers, enablers, context, sustainability) a band below; within a band each
type is a group of stacked boxes under its heading. Boxes are rounded, coloured by type from a
muted palette and hold the node text wrapped to the box width; box height grows with the lines.

Each link is an arrow between box edges: side to side within the chain, top to bottom between
the chain and a band or within a column; slightly curved so opposite links do not overlap. Line
style shows plausibility: high is solid, thick and dark; medium solid; low dashed; unknown
dotted grey. A legend at the foot explains them. Links from or to a node that does not exist,
links from a node to itself and repeats of a link already drawn are skipped (the study check
reports them). In the SVG each box is a ``<g id="node-{id}">`` and each arrow a
``<g id="link-{source}-{target}">``.

Output is byte-for-byte deterministic: matplotlib's default style is applied locally (so a
user's ``matplotlibrc`` has no effect), the SVG hash salt is fixed, and dates and software
versions are left out of the metadata. Text in the SVG is drawn as glyph paths
(``svg.fonttype: path``): boxes are sized for DejaVu Sans, so the drawing must not depend on
the fonts of whoever opens it; node text stays available from the theory of change itself.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import matplotlib
import matplotlib.style
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from daeval.study.toc import CHAIN, LABELS, SETTING, SURROUNDINGS, Link, Node, TheoryOfChange
from daeval.whole_files import written_whole

# Geometry, in inches (matplotlib's figure unit).
MARGIN, TITLE_H, HEAD_H, LEGEND_H, NOTE_H = 0.3, 0.6, 0.3, 0.4, 0.8
SECTION_GAP, COL_W, COL_GAP, BOX_GAP, PAD = 0.3, 1.9, 0.6, 0.15, 0.08
MIN_WIDTH = 6.0
FONT, HEAD_FONT, TITLE_FONT = 8.0, 9.0, 13.0
LINE_H = FONT * 1.35 / 72
WRAP = int((COL_W - 2 * PAD) * 72 / (FONT * 0.54))
"""Characters per line: DejaVu Sans text averages about 0.5 em per character."""
DPI = 150

COLOURS: dict[str, str] = dict(
    zip(
        SETTING + CHAIN + SURROUNDINGS,
        "#E9DFCC #EFE6D6 #DCE3EA #CADCEB #DDD3E8 #D4E6E4 #D5E8D4 #C4DEC6 #B3D3B8 "
        "#EFEACF #F0D6D2 #EEDCCB #DCEBDA #E3E3E3 #D3E3E6".split(),
        strict=True,
    )
)
"""Box fill by node type: muted sand for the setting, blues to greens along the chain."""
INK, EDGE = "#222222", "#666666"

LineStyle = Literal["solid"] | tuple[float, tuple[float, ...]]
STYLES: dict[str, tuple[str, str, float, LineStyle]] = {
    "high": ("High plausibility", "#1A1A1A", 2.2, "solid"),
    "medium": ("Medium plausibility", "#4D4D4D", 1.3, "solid"),
    "low": ("Low plausibility", "#4D4D4D", 1.3, (0, (5, 3))),
    "unknown": ("Plausibility unknown", "#9A9A9A", 1.3, (0, (1, 2))),
}
"""Plausibility → (legend label, colour, line width in points, line style)."""
TEXT = {"ha": "center", "va": "center", "color": INK}


@dataclass(frozen=True)
class Box:
    """A node's box: lower-left corner (``x``, ``y``), size, and its text wrapped into lines."""

    x: float
    y: float
    width: float
    height: float
    lines: tuple[str, ...]

    @property
    def centre(self) -> tuple[float, float]:
        return self.x + self.width / 2, self.y + self.height / 2


@dataclass(frozen=True)
class Heading:
    """A column or group heading, centred on (``x``, ``y``)."""

    text: str
    x: float
    y: float


@dataclass(frozen=True)
class Layout:
    """Where everything goes, in inches, with y measured up from the bottom edge (as matplotlib)."""

    width: float
    height: float
    boxes: dict[str, Box]
    headings: tuple[Heading, ...] = ()


def _unique(nodes: list[Node]) -> list[Node]:
    """The nodes without repeated ids (the first one wins)."""
    first: dict[str, Node] = {}
    for node in nodes:
        first.setdefault(node.id, node)
    return list(first.values())


def _groups(nodes: list[Node], types: tuple[str, ...]) -> list[list[Node]]:
    """The nodes of each of ``types`` that has any, in the order of ``types``."""
    groups = [[n for n in nodes if n.type == t] for t in types]
    return [g for g in groups if g]


def _box_height(lines: tuple[str, ...]) -> float:
    return 2 * PAD + len(lines) * LINE_H


def layout(toc: TheoryOfChange) -> Layout:
    """Place the title row, the setting band, the chain columns, the surroundings and the legend."""
    nodes = _unique(toc.nodes)
    sections = [g for g in (_groups(nodes, t) for t in (SETTING, CHAIN, SURROUNDINGS)) if g]
    slots = max((len(s) for s in sections), default=0)
    width = max(MIN_WIDTH, 2 * MARGIN + slots * COL_W + max(slots - 1, 0) * COL_GAP)
    if not sections:
        return Layout(width, 2 * MARGIN + TITLE_H + NOTE_H, {})
    # First measure depth from the top edge, then flip to matplotlib's y-up once height is known.
    depth = MARGIN + TITLE_H
    placed: list[tuple[str, float, float, tuple[str, ...]]] = []
    heads: list[tuple[str, float, float]] = []
    for groups in sections:
        span = len(groups) * COL_W + (len(groups) - 1) * COL_GAP
        left = (width - span) / 2
        bottom = depth + HEAD_H
        for i, group in enumerate(groups):
            x = left + i * (COL_W + COL_GAP)
            heads.append((LABELS[group[0].type], x + COL_W / 2, depth + HEAD_H / 2))
            top = depth + HEAD_H
            for node in group:
                lines = tuple(textwrap.wrap(node.text, WRAP)) or ("",)
                placed.append((node.id, x, top, lines))
                top += _box_height(lines) + BOX_GAP
            bottom = max(bottom, top - BOX_GAP)
        depth = bottom + SECTION_GAP
    height = depth - SECTION_GAP + LEGEND_H + MARGIN
    boxes = {
        nid: Box(x, height - top - _box_height(lines), COL_W, _box_height(lines), lines)
        for nid, x, top, lines in placed
    }
    headings = tuple(Heading(text, x, height - d) for text, x, d in heads)
    return Layout(width, height, boxes, headings)


def drawn_links(toc: TheoryOfChange, geo: Layout) -> list[Link]:
    """The links to draw: both ends placed, not a self-link, first of any repeated pair."""
    seen: set[tuple[str, str]] = set()
    out = []
    for link in toc.links:
        pair = (link.source, link.target)
        if link.source in geo.boxes and link.target in geo.boxes and pair not in seen:
            if link.source != link.target:
                out.append(link)
            seen.add(pair)
    return out


def _anchors(a: Box, b: Box) -> tuple[tuple[float, float], tuple[float, float]]:
    """Where an arrow from ``a`` to ``b`` leaves and arrives: mid-sides or mid-top/bottom edges."""
    across = max(b.x - (a.x + a.width), a.x - (b.x + b.width))
    down = max(a.y - (b.y + b.height), b.y - (a.y + a.height))
    (ax, ay), (bx, by) = a.centre, b.centre
    if across >= down and down < SECTION_GAP + HEAD_H:  # not between the chain and a band
        if bx > ax:
            return (a.x + a.width, ay), (b.x, by)
        return (a.x, ay), (b.x + b.width, by)
    if by < ay:
        return (ax, a.y), (bx, b.y + b.height)
    return (ax, a.y + a.height), (bx, b.y)


def _label(ax: Axes, x: float, y: float, text: str, size: float, **style: Any) -> None:
    ax.text(x, y, text, ha="center", va="center", fontsize=size, color=INK, zorder=3, **style)


def _draw_node(ax: Axes, node: Node, box: Box) -> None:
    shape = "round,pad=0,rounding_size=0.06"
    patch = FancyBboxPatch((box.x, box.y), box.width, box.height, boxstyle=shape, zorder=2,
                           facecolor=COLOURS[node.type], edgecolor=EDGE, linewidth=0.8)  # fmt: skip
    patch.set_gid(f"node-{node.id}")
    ax.add_patch(patch)
    _label(ax, *box.centre, "\n".join(box.lines), FONT, linespacing=1.2)


def _draw_link(ax: Axes, link: Link, geo: Layout) -> None:
    _, colour, width, style = STYLES[link.plausibility]
    start, end = _anchors(geo.boxes[link.source], geo.boxes[link.target])
    arrow = FancyArrowPatch(start, end, arrowstyle="-|>", connectionstyle="arc3,rad=0.1",
                            mutation_scale=10, shrinkA=1, shrinkB=1, color=colour,
                            linewidth=width, linestyle=style, zorder=1)  # fmt: skip
    arrow.set_gid(f"link-{link.source}-{link.target}")
    ax.add_patch(arrow)


def _legend(ax: Axes, geo: Layout) -> None:
    handles = [
        Line2D([], [], color=colour, linewidth=width, linestyle=style, label=label)
        for label, colour, width, style in STYLES.values()
    ]
    ax.legend(handles=handles, loc="center", bbox_to_anchor=(geo.width / 2, MARGIN + LEGEND_H / 2),
              bbox_transform=ax.transData, ncol=len(handles), frameon=False, fontsize=FONT,
              handlelength=3)  # fmt: skip


def _figure(toc: TheoryOfChange, title: str, geo: Layout) -> Figure:
    fig = Figure(figsize=(geo.width, geo.height), facecolor="white")
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, geo.width)
    ax.set_ylim(0, geo.height)
    ax.set_axis_off()
    top = geo.height - MARGIN - TITLE_H / 2
    _label(ax, geo.width / 2, top, title, TITLE_FONT, fontweight="bold")
    if not geo.boxes:
        _label(ax, geo.width / 2, MARGIN + NOTE_H / 2, "No nodes yet", HEAD_FONT, style="italic")
        return fig
    for heading in geo.headings:
        _label(ax, heading.x, heading.y, heading.text, HEAD_FONT, fontweight="bold")
    for node in _unique(toc.nodes):
        _draw_node(ax, node, geo.boxes[node.id])
    for link in drawn_links(toc, geo):
        _draw_link(ax, link, geo)
    _legend(ax, geo)
    return fig


def render_toc(toc: TheoryOfChange, title: str, out_stem: Path) -> tuple[Path, Path]:
    """Write ``out_stem`` with ``.svg`` and ``.png`` (150 dpi) suffixes; return both paths.

    Matplotlib's style is set with ``rc_context``, which changes its process-wide settings for
    the duration, so do not render from several threads at once.
    """
    geo = layout(toc)
    svg, png = out_stem.with_suffix(".svg"), out_stem.with_suffix(".png")
    # Glyphs as paths: boxes are sized for DejaVu Sans, whatever fonts the viewer has.
    with (
        matplotlib.style.context("default"),
        matplotlib.rc_context(
            {"svg.hashsalt": "daeval", "svg.fonttype": "path", "font.family": ["DejaVu Sans"]}
        ),
    ):
        fig = _figure(toc, title, geo)
        with written_whole(svg) as temporary:
            fig.savefig(temporary, format="svg",
                        metadata={"Title": title, "Date": None, "Creator": None})  # fmt: skip
        with written_whole(png) as temporary:
            fig.savefig(
                temporary, format="png", dpi=DPI, metadata={"Title": title, "Software": None}
            )
    return svg, png
