"""Report charts of curves over time: survival (cumulative incidence) curves with their
confidence bands, and recruitment projections (daeval.report.drawing says how every chart is
drawn)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from daeval.report.drawing import (
    BLUE,
    DASHES,
    INK,
    LINES,
    SKY,
    SMALL,
    SUPPRESSED,
    Chart,
    _axes,
    _chart,
    _empty,
    _figure,
    _listing,
    _note,
    _pct,
    _sample,
    _title_height,
)

# Survival (cumulative incidence) curves -------------------------------------------------

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


# Recruitment projection -----------------------------------------------------------------


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
