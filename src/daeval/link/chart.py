"""The linkage figures that may leave the secure setting: a match-weight chart and a summary file.

Every count passes disclosure control first (small counts suppressed, others rounded), so the chart
and ``outputs/linkage.json`` are drawn from controlled figures only.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from daeval.link.quality import WEIGHT_BIN
from daeval.privacy.disclosure_control import DisclosurePolicy, controlled_count

if TYPE_CHECKING:
    from daeval.link.run import LinkReport

WIDTH, HEIGHT, MARGIN = 640, 320, 48
BAR = "#0072B2"  # Okabe-Ito blue: readable with every common colour-vision deficiency
LINE = "#D55E00"  # Okabe-Ito vermilion


def controlled_histogram(
    histogram: list[tuple[float, int]], policy: DisclosurePolicy = DisclosurePolicy()
) -> list[tuple[float, int | None]]:
    return [(low, controlled_count(n, policy)) for low, n in histogram]


def weight_chart_svg(histogram: list[tuple[float, int | None]], threshold: float) -> str:
    """An SVG bar chart of pairs by match weight, with the threshold marked and alt text."""
    shown = [(low, n) for low, n in histogram if n]
    lows = [low for low, _ in histogram] or [0.0]
    first, last = min(lows + [threshold]), max(lows + [threshold]) + WEIGHT_BIN
    top = max((n for _, n in shown), default=1)
    plot_w, plot_h = WIDTH - 2 * MARGIN, HEIGHT - 2 * MARGIN

    def x(weight: float) -> float:
        return MARGIN + (weight - first) / (last - first) * plot_w

    bars = []
    for low, n in shown:
        h = plot_h * n / top
        bars.append(
            f'<rect x="{x(low):.1f}" y="{MARGIN + plot_h - h:.1f}" '
            f'width="{max(x(low + WEIGHT_BIN) - x(low) - 1, 1):.1f}" height="{h:.1f}" '
            f'fill="{BAR}"><title>{low:g} to {low + WEIGHT_BIN:g}: {n:,} pairs</title></rect>'
        )
    ticks = []
    weight = first
    while weight <= last:
        ticks.append(
            f'<text x="{x(weight):.1f}" y="{HEIGHT - MARGIN + 16}" font-size="11" '
            f'text-anchor="middle">{weight:g}</text>'
        )
        weight += 2 * WEIGHT_BIN
    suppressed = sum(1 for _, n in histogram if n is None)
    description = (
        f"Bar chart of candidate pairs by match weight, from {first:g} to {last:g} in bins of "
        f"{WEIGHT_BIN:g}; the largest bin holds {top:,} pairs. Pairs at or right of the line at "
        f"{threshold:g} are taken as the same person."
        + (f" {suppressed} bin(s) with 7 or fewer pairs are not shown." if suppressed else "")
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="t d"><title id="t">Match weights of candidate pairs</title>'
        f'<desc id="d">{escape(description)}</desc>'
        f'<line x1="{MARGIN}" y1="{MARGIN + plot_h}" x2="{WIDTH - MARGIN}" '
        f'y2="{MARGIN + plot_h}" stroke="#333"/>{"".join(bars)}'
        f'<line x1="{x(threshold):.1f}" y1="{MARGIN - 8}" x2="{x(threshold):.1f}" '
        f'y2="{MARGIN + plot_h}" stroke="{LINE}" stroke-width="2" stroke-dasharray="4 3"/>'
        f'<text x="{x(threshold) + 4:.1f}" y="{MARGIN - 10}" font-size="11" fill="{LINE}">'
        f"threshold {threshold:g}</text>{''.join(ticks)}"
        f'<text x="{WIDTH / 2}" y="{HEIGHT - 8}" font-size="12" text-anchor="middle">'
        "match weight</text></svg>"
    )


def write_outputs(outputs: Path, report: LinkReport) -> tuple[Path, Path]:
    """Write ``linkage_weights.svg`` and ``linkage.json`` (controlled counts) into ``outputs``."""
    outputs.mkdir(parents=True, exist_ok=True)
    histogram = controlled_histogram(report.histogram)
    chart = outputs / "linkage_weights.svg"
    chart.write_text(weight_chart_svg(histogram, report.threshold), encoding="utf-8")
    summary = {
        "run_id": report.run_id,
        "engine": report.engine,
        "threshold": report.threshold,
        "model": report.model_origin,
        "records": controlled_count(report.records),
        "people": controlled_count(report.clusters),
        "pairs_scored": controlled_count(report.pairs_scored),
        "pairs_linked": controlled_count(report.pairs_linked),
        "trusted_links": controlled_count(report.trusted_links),
        "links_by_source_pair": [
            {"sources": [a, b], "pairs": controlled_count(n)} for a, b, n in report.source_pairs
        ],
        "match_weight_histogram": [
            {"from": low, "to": low + WEIGHT_BIN, "pairs": n} for low, n in histogram
        ],
        "disclosure_control": DisclosurePolicy().describe(),
    }
    if report.accuracy is not None:
        a = report.accuracy
        summary["accuracy"] = {
            "precision": round(a.precision, 4),
            "recall": round(a.recall, 4),
            "f1": round(a.f1, 4),
            "merged_key_rate": round(a.merged_rate, 4),
            "split_person_rate": round(a.split_rate, 4),
        }
    path = outputs / "linkage.json"
    path.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return chart, path
