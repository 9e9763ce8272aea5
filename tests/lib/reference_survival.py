"""A plain-Python reference for km_csc_referral and time_to_first_referral, an oracle for tests.

It follows the definitions word for word, one index event at a time, with exact fractions for the
Kaplan-Meier product and ``statistics.median`` for the median among those referred.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import date
from fractions import Fraction

LEVELS = ("standard", "medium", "high")
TIME_POINTS = (30, 91, 182, 273, 365)
AT_RISK = 10  # ACRO's SURVIVAL_THRESHOLD

Rows = dict[tuple[str, str, str], tuple[int, int, float | None]]
Timed = tuple[int, bool]  # (days, an event rather than a censoring)


def time_to_referral(event: dict, referrals: list[dict], as_of: date) -> Timed:
    """Days from the index event to the child's first referral in (d, as_of], else to as_of."""
    d = event["notification_date"]
    later = [
        r["referral_date"] for r in referrals
        if r["child_key"] == event["child_key"] and d < r["referral_date"] <= as_of
    ]  # fmt: skip
    return ((min(later) - d).days, True) if later else ((as_of - d).days, False)


def _groups(events: list[dict]) -> dict[tuple[str, str], list[dict]]:
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for e in events:
        groups[("all", "all")].append(e)
        if e["risk_level"] in LEVELS:
            groups[("risk_level", e["risk_level"])].append(e)
    return groups


def kaplan_meier(times: list[Timed]) -> list[tuple[int, Fraction]]:
    """(u, S(u)) at each event day u: S(u) = product over event days v <= u of 1 - e(v)/n(v)."""
    s, curve = Fraction(1), []
    for u in sorted({t for t, event in times if event}):
        at_risk = sum(1 for t, _ in times if t >= u)
        events = sum(1 for t, event in times if event and t == u)
        s *= 1 - Fraction(events, at_risk)
        curve.append((u, s))
    return curve


def km_rows(events: list[dict], referrals: list[dict], as_of: date, window_days: int = 365) -> Rows:
    """{(group_by, group, day): (events by day, index events, 1 - S(day))}."""
    index = [e for e in events if e["notification_date"] < as_of]
    out: Rows = {}
    for (group_by, group), members in _groups(index).items():
        times = [time_to_referral(e, referrals, as_of) for e in members]
        curve = kaplan_meier(times)
        for t in sorted({*TIME_POINTS, window_days}):
            if sum(1 for u, _ in times if u >= t) < AT_RISK:
                break
            s = min((s for u, s in curve if u <= t), default=Fraction(1))
            hits = sum(1 for u, event in times if event and u <= t)
            out[(group_by, group, str(t))] = (hits, len(times), float(1 - s))
    return out


def median_rows(
    events: list[dict], referrals: list[dict], as_of: date, window_days: int = 365
) -> Rows:
    """{(group_by, group, "kaplan_meier_median" | "median_among_referred"): (n, d, median)}."""
    out: Rows = {}
    index = [e for e in events if e["notification_date"] < as_of]
    for (group_by, group), members in _groups(index).items():
        times = [time_to_referral(e, referrals, as_of) for e in members]
        median = next((u for u, s in kaplan_meier(times) if s <= Fraction(1, 2)), None)
        hits = sum(1 for _, event in times if event)
        out[(group_by, group, "kaplan_meier_median")] = (
            hits, len(times), None if median is None else float(median)
        )  # fmt: skip
    complete = [e for e in index if (as_of - e["notification_date"]).days >= window_days]
    for (group_by, group), members in _groups(complete).items():
        times = [time_to_referral(e, referrals, as_of) for e in members]
        days = [t for t, event in times if event and t <= window_days]
        middle = float(statistics.median(days)) if days else None
        out[(group_by, group, "median_among_referred")] = (len(days), len(members), middle)
    return out
