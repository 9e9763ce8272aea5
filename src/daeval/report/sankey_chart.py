"""The Sankey (alluvial) diagram of a report: flows between two columns of nodes, drawn from
the geometry of daeval.report.sankey (daeval.report.drawing says how every chart is drawn)."""

from __future__ import annotations

from matplotlib.figure import Figure
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.path import Path

from daeval.report.drawing import (
    FILLS,
    INK,
    MUTED,
    SMALL,
    SUPPRESSED,
    WIDTH,
    Chart,
    _chart,
    _empty,
    _figure,
    _note,
    _title_height,
    _wrap,
)
from daeval.report.sankey import LEFT, RIGHT, SankeyBand, sankey_layout


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
