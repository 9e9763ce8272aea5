"""A plain-Python reference implementation of the measures, used only as an oracle in tests.

It follows the data contract's words as directly as possible, with no cleverness, so that the
engines (Ibis on DuckDB, SQLite, ...) can be checked against it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date


def re_referral_counts(
    referrals: list[dict], period_start: date, period_end: date, window_days: int = 365
) -> dict[tuple[str, str], tuple[int, int]]:
    """{(group_by, group): (re-referrals, referrals)} for referrals dated in the period."""
    dates_by_child: dict[tuple[str, str], list[date]] = defaultdict(list)
    for r in referrals:
        dates_by_child[(r["la_code"], r["child_id"])].append(r["referral_date"])
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for r in referrals:
        d = r["referral_date"]
        if not (period_start <= d <= period_end):
            continue
        earlier = dates_by_child[(r["la_code"], r["child_id"])]
        is_re = any(p < d and (d - p).days <= window_days for p in earlier)
        for key in (("all", "all"), ("la_code", r["la_code"])):
            counts[key][0] += int(is_re)
            counts[key][1] += 1
    return {k: (v[0], v[1]) for k, v in counts.items()}


def csc_referral_within_window_counts(
    events: list[dict], referrals: list[dict], as_of: date, window_days: int = 365
) -> dict[tuple[str, str], tuple[int, int]]:
    """{(group_by, group): (index events followed by a referral, index events)}.

    events: notification_id, child_key, notification_date, risk_level (or None);
    referrals: child_key, referral_date.
    """
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for e in events:
        d = e["notification_date"]
        if (as_of - d).days < window_days:
            continue  # the window is not over by as_of
        followed = any(
            r["child_key"] == e["child_key"] and 1 <= (r["referral_date"] - d).days <= window_days
            for r in referrals
        )
        keys = [("all", "all")]
        if e["risk_level"] in ("standard", "medium", "high"):
            keys.append(("risk_level", e["risk_level"]))
        for key in keys:
            counts[key][0] += int(followed)
            counts[key][1] += 1
    return {k: (v[0], v[1]) for k, v in counts.items()}
