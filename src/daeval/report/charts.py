"""Bar-shaped report charts: the service funnel, 100%-stacked category bars and bars with
confidence intervals (daeval.report.drawing says how every chart is drawn)."""

from __future__ import annotations

from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import PercentFormatter

from daeval.report.drawing import (
    FILLS,
    INK,
    ROW,
    SKY,
    SMALL,
    SUPPRESSED,
    WIDTH,
    Chart,
    _axes,
    _chart,
    _empty,
    _figure,
    _label_width,
    _note,
    _number,
    _pct,
    _rows,
    _suppressed_box,
    _title_height,
)

# Funnel ---------------------------------------------------------------------------------


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


# 100%-stacked category bars -------------------------------------------------------------


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


def shown_segments(
    shares: dict[str, float | None], categories: list[str]
) -> list[tuple[str, float, float]] | None:
    """For a group with suppressed shares: (category, left, width) of each share that passed
    disclosure control, at its own width, left to right; the rest of the bar (from the last
    right edge to 1) is the suppressed shares together, which the shown ones and the whole
    reveal anyway. ``None`` when nothing can be shown: no share passed, only one was suppressed
    (the rest of the bar would be that share: complementary suppression hides two or more), or
    the shares are not proportions of one whole (each in [0, 1], summing to at most 1)."""
    known = [(c, float(v)) for c in categories if (v := shares[c]) is not None]
    if (
        not known
        or len(categories) - len(known) < 2
        or any(not 0 <= v <= 1 for _, v in known)
        or sum(v for _, v in known) > 1 + 1e-9
    ):
        return None
    out, left = [], 0.0
    for category, value in known:
        out.append((category, left, value))
        left += value
    return out


def category_bars(
    key: str,
    title: str,
    groups: dict[str, dict[str, float | None]],
    categories: list[str],
    value_label: str,
) -> Chart:
    """One 100%-stacked horizontal bar per group. In a group with suppressed shares, the shares
    that passed are drawn at their width and the rest of the bar is hatched and labelled
    suppressed (see ``shown_segments``); a group with none to show is hatched whole."""
    if not groups:
        return _empty(key, title)
    segments = {group: category_segments(shares, categories) for group, shares in groups.items()}
    partial = {
        group: shown_segments(shares, categories)
        for group, shares in groups.items()
        if segments[group] is None
    }

    def words(group: str) -> str:
        segs = segments[group] or partial[group]
        if segs is None:
            return f"{group}: {SUPPRESSED}"
        hidden = [f"{c} {SUPPRESSED}" for c in categories if groups[group][c] is None]
        return f"{group}: {', '.join([*(f'{c} {_pct(w)}' for c, _, w in segs), *hidden])}"

    alt = f"{title} ({value_label}): {'; '.join(words(group) for group in groups)}."

    def draw() -> Figure:
        legend_h = 0.3 * ((len(categories) + 2) // 3)
        top = _title_height(title) + legend_h
        fig = _figure(title, top + 0.55 + ROW * len(groups))
        ax = _axes(fig, _label_width(list(groups)), 0.3, top, 0.55)
        for i, group in enumerate(groups):
            segs = segments[group] or partial[group] or []
            end = sum(width for _, _, width in segs)
            if end < 1 - 1e-9:
                _suppressed_box(ax, end, i - 0.3, 1 - end, 0.6, f"suppressed-{i}")
            for category, left, width in segs:
                j = categories.index(category)
                seg = Rectangle((left, i - 0.3), width, 0.6, facecolor=FILLS[j % len(FILLS)],
                                edgecolor="white", linewidth=0.8)  # fmt: skip
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


# Bars with confidence intervals ---------------------------------------------------------


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
