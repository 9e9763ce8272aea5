"""Design charts as self-contained SVG: cumulative recruitment with its 80% band, and power curves.

Colours are the Okabe-Ito palette (readable with every common colour-vision deficiency); each
chart carries a title and a text description for screen readers.
"""

from __future__ import annotations

from html import escape

import numpy as np

from daeval.design.recruitment import Projection

WIDTH, HEIGHT, MARGIN = 640, 360, 56
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
GREY = "#555555"


def _frame(title: str, description: str, x_label: str, y_label: str, body: list[str]) -> str:
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
            f'role="img" aria-labelledby="t d" font-family="sans-serif" font-size="12">',
            f'<title id="t">{escape(title)}</title>',
            f'<desc id="d">{escape(description)}</desc>',
            f'<line x1="{MARGIN}" y1="{HEIGHT - MARGIN}" x2="{WIDTH - MARGIN / 2}" '
            f'y2="{HEIGHT - MARGIN}" stroke="{GREY}"/>',
            f'<line x1="{MARGIN}" y1="{MARGIN / 2}" x2="{MARGIN}" y2="{HEIGHT - MARGIN}" '
            f'stroke="{GREY}"/>',
            f'<text x="{WIDTH / 2}" y="{HEIGHT - 12}" text-anchor="middle">{escape(x_label)}</text>',
            f'<text x="14" y="{HEIGHT / 2}" text-anchor="middle" '
            f'transform="rotate(-90 14 {HEIGHT / 2})">{escape(y_label)}</text>',
            *body,
            "</svg>",
        ]
    )


def _scale(values: np.ndarray, low: float, high: float, start: float, end: float) -> np.ndarray:
    span = high - low or 1.0
    return start + (values - low) / span * (end - start)


def _ticks(high: float, x: bool, low: float = 0.0) -> list[str]:
    out = []
    for value in np.linspace(low, high, 5):
        if x:
            px = _scale(np.array([value]), low, high, MARGIN, WIDTH - MARGIN / 2)[0]
            out.append(
                f'<text x="{px:.1f}" y="{HEIGHT - MARGIN + 16}" text-anchor="middle">{value:g}</text>'
            )
        else:
            py = _scale(np.array([value]), low, high, HEIGHT - MARGIN, MARGIN / 2)[0]
            out.append(
                f'<text x="{MARGIN - 6}" y="{py + 4:.1f}" text-anchor="end">{value:.3g}</text>'
            )
    return out


def recruitment_svg(projection: Projection, months: int | None = None) -> str:
    """Cumulative analysable participants by month: median and 80% band, and the target."""
    curve = projection.curve
    shown = min(len(curve), months or len(curve))
    curve = curve[:shown]
    x = np.arange(1, shown + 1, dtype=float)
    top = max(float(curve[:, 2].max()), projection.total_needed) * 1.05
    px = _scale(x, 0, shown, MARGIN, WIDTH - MARGIN / 2)

    def py(v: np.ndarray) -> np.ndarray:
        return _scale(v, 0, top, HEIGHT - MARGIN, MARGIN / 2)

    band = [f"{a:.1f},{b:.1f}" for a, b in zip(px, py(curve[:, 2]), strict=True)]
    band += [f"{a:.1f},{b:.1f}" for a, b in zip(px[::-1], py(curve[::-1, 0]), strict=True)]
    median = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(px, py(curve[:, 1]), strict=True))
    target_y = py(np.array([projection.total_needed]))[0]
    reached = projection.months_median
    description = (
        f"Cumulative analysable participants by month. {projection.total_needed} are needed "
        f"({projection.per_arm} in the smaller arm). "
        + (
            f"The median projection reaches it in month {reached:g} (80% interval "
            f"{projection.months_low:g} to {projection.months_high or 'beyond the window'})."
            if reached is not None
            else f"The median projection does not reach it within {projection.window} months."
        )
    )
    body = [
        f'<polygon points="{" ".join(band)}" fill="{PALETTE[0]}" fill-opacity="0.2" stroke="none"/>',
        f'<polyline points="{median}" fill="none" stroke="{PALETTE[0]}" stroke-width="2"/>',
        f'<line x1="{MARGIN}" y1="{target_y:.1f}" x2="{WIDTH - MARGIN / 2}" y2="{target_y:.1f}" '
        f'stroke="{PALETTE[1]}" stroke-dasharray="6 4"/>',
        f'<text x="{WIDTH - MARGIN / 2}" y="{target_y - 6:.1f}" text-anchor="end" '
        f'fill="{PALETTE[1]}">target {projection.total_needed}</text>',
        *_ticks(shown, x=True),
        *_ticks(top, x=False),
    ]
    return _frame(
        "Projected recruitment (median and 80% interval)",
        description,
        "Months from the start of recruitment",
        "Analysable participants",
        body,
    )


def power_curves_svg(curves: dict[str, list[tuple[float, float]]], x_label: str) -> str:
    """Power (y) against effect size or sample size (x), one line per labelled curve."""
    xs = [x for points in curves.values() for x, _ in points]
    low, high = min(xs), max(xs)
    body = []
    for i, (label, points) in enumerate(curves.items()):
        colour = PALETTE[i % len(PALETTE)]
        x = _scale(np.array([p[0] for p in points]), low, high, MARGIN, WIDTH - MARGIN / 2)
        y = _scale(np.array([p[1] for p in points]), 0, 1, HEIGHT - MARGIN, MARGIN / 2)
        line = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(x, y, strict=True))
        body.append(f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="2"/>')
        body.append(
            f'<text x="{WIDTH - MARGIN / 2}" y="{MARGIN / 2 + 14 * (i + 1)}" text-anchor="end" '
            f'fill="{colour}">{escape(label)}</text>'
        )
    eighty = _scale(np.array([0.8]), 0, 1, HEIGHT - MARGIN, MARGIN / 2)[0]
    body.append(
        f'<line x1="{MARGIN}" y1="{eighty:.1f}" x2="{WIDTH - MARGIN / 2}" y2="{eighty:.1f}" '
        f'stroke="{GREY}" stroke-dasharray="2 3"/>'
    )
    body += _ticks(high, x=True, low=low) + _ticks(1.0, x=False)
    description = (
        "Power by "
        + x_label.lower()
        + ": "
        + "; ".join(
            f"{label} reaches 80% at {_first_at(points, 0.8)}" for label, points in curves.items()
        )
    )
    return _frame("Power curves", description, x_label, "Power", body)


def _first_at(points: list[tuple[float, float]], level: float) -> str:
    for x, p in points:
        if p >= level:
            return f"{x:.3g}"
    return "none of the values shown"
