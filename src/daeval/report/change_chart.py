"""The pre/post reliable-change plot with its bands (Jacobson and Truax 1991), drawn from
controlled shares instead of people.

The classic plot puts each person at (baseline score, end score): the diagonal is no change, the
band around it (± the instrument's reliable change threshold) holds changes too small to be
more than measurement error, and the clinical cut-off splits each axis. Points are record-level,
so here the regions carry the controlled shares of people in them instead (reliably improved,
unchanged, reliably deteriorated, and recovered when the instrument has a cut-off), and no point
is drawn.

Jacobson NS, Truax P (1991). Clinical significance: a statistical approach to defining
meaningful change in psychotherapy research. J Consult Clin Psychol 59(1):12-19.
"""

from __future__ import annotations

from matplotlib.figure import Figure

from daeval.instruments.definition import Instrument, Rule
from daeval.report.drawing import (
    BLUE,
    INK,
    MUTED,
    SKY,
    SUPPRESSED,
    VERMILLION,
    Chart,
    _axes,
    _chart,
    _figure,
    _title_height,
)


def total_range(instrument: Instrument) -> tuple[float, float] | None:
    """The lowest and highest total score the instrument's scoring rule can give."""
    scoring, items, responses = instrument.scoring, instrument.items, instrument.responses
    if scoring is None:
        return None
    if scoring.range is not None:
        return scoring.range
    if scoring.rule is Rule.CONVERSION and scoring.conversion:
        return min(scoring.conversion.values()), max(scoring.conversion.values())
    if items is None or responses is None:
        return None
    if scoring.rule is Rule.SUM:
        return responses.low * items.count, responses.high * items.count
    if scoring.rule is Rule.MEAN:
        return responses.low, responses.high
    if scoring.rule is Rule.MEAN_TIMES and scoring.multiplier:
        return responses.low * scoring.multiplier, responses.high * scoring.multiplier
    if scoring.rule is Rule.COUNT:
        return 0.0, float(items.count)
    return None


def _share(value: float | None) -> str:
    return SUPPRESSED if value is None else f"{100 * value:.0f}%"


def change_band_chart(
    key: str,
    instrument: Instrument,
    threshold: float,
    cutoff: float | None,
    shares: dict[str, float | None],
) -> Chart:
    """Baseline against end score with the no-change band and the cut-off, each region
    labelled with its controlled share (``shares``: reliably_improved, unchanged,
    reliably_deteriorated and, optionally, recovered)."""
    bounds = total_range(instrument)
    if bounds is None or threshold <= 0:
        raise ValueError(f"{instrument.code}: no score range or no reliable change threshold")
    low, high = bounds
    worse_up = instrument.higher_is_worse
    title = f"{instrument.code}: reliable change from baseline to end"
    improved, unchanged, worse = (shares.get(k) for k in
                                  ("reliably_improved", "unchanged", "reliably_deteriorated"))  # fmt: skip
    alt = (
        f"{title}. Scores run from {low:g} to {high:g}"
        f"{' (higher is worse)' if worse_up else ' (higher is better)'}; a change of "
        f"{threshold:g} points or more is reliable"
        + (f"; the clinical cut-off is {cutoff:g}" if cutoff is not None else "")
        + f". Reliably improved: {_share(improved)}; unchanged: {_share(unchanged)}; reliably "
        f"deteriorated: {_share(worse)}"
        + (f"; recovered: {_share(shares.get('recovered'))}" if "recovered" in shares else "")
        + ". Regions carry shares of people, not points, so that no one can be picked out."
    )

    def draw() -> Figure:
        top = _title_height(title)
        fig = _figure(title, top + 4.0)
        ax = _axes(fig, 2.0, 2.0, top, 0.6)
        ax.set_xlim(low, high)
        ax.set_ylim(low, high)
        ax.set_aspect("equal", adjustable="box")
        span = [low, high]
        ax.plot(span, span, color=INK, linewidth=0.8, gid="no-change")
        ax.fill_between(span, [low - threshold, high - threshold], [low + threshold,
                        high + threshold], color=SKY, alpha=0.35, linewidth=0, gid="band")  # fmt: skip
        if cutoff is not None:
            ax.axvline(cutoff, color=MUTED, linestyle="--", linewidth=0.8, gid="cutoff-x")
            ax.axhline(cutoff, color=MUTED, linestyle="--", linewidth=0.8, gid="cutoff-y")
        mid = (low + high) / 2
        gap = (high - low) * 0.28
        better_y, worse_y = (mid - gap, mid + gap) if worse_up else (mid + gap, mid - gap)
        ax.text(mid, mid, f"Unchanged\n{_share(unchanged)}", ha="center", va="center",
                color=INK, fontsize=8, rotation=45, gid="label-unchanged")  # fmt: skip
        ax.text(mid + (0.7 * gap if worse_up else -0.7 * gap), better_y, f"Reliably improved\n"
                f"{_share(improved)}", ha="center", va="center", color=BLUE, fontsize=8,
                fontweight="bold", gid="label-improved")  # fmt: skip
        ax.text(mid - (0.7 * gap if worse_up else -0.7 * gap), worse_y, f"Reliably deteriorated\n"
                f"{_share(worse)}", ha="center", va="center", color=VERMILLION, fontsize=8,
                fontweight="bold", gid="label-deteriorated")  # fmt: skip
        ax.set_xlabel("Baseline score")
        ax.set_ylabel("End score")
        return fig

    return _chart(key, title, alt, draw)
