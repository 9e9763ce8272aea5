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
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for r, is_re in _re_referrals_in_period(referrals, period_start, period_end, window_days):
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
        _tally(counts, followed, e["risk_level"])
    return {k: (v[0], v[1]) for k, v in counts.items()}


def repeat_notification_counts(
    notifications: list[dict], period_start: date, period_end: date, window_days: int = 365
) -> dict[tuple[str, str], tuple[int, int]]:
    """{(group_by, group): (repeats, notifications)} for DA notifications dated in the period.

    notifications: notification_date, incident_type, victim_key (or None), risk_level (or None).
    """
    da = [n for n in notifications if n["incident_type"] == "domestic_abuse" and n["victim_key"]]
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for n in da:
        d = n["notification_date"]
        if not (period_start <= d <= period_end):
            continue
        repeat = any(
            o["victim_key"] == n["victim_key"]
            and o["notification_date"] < d
            and (d - o["notification_date"]).days <= window_days
            for o in da
        )
        _tally(counts, repeat, n["risk_level"])
    return {k: (v[0], v[1]) for k, v in counts.items()}


def _tally(counts: dict, hit: bool, risk_level: str | None) -> None:
    """Count one event in the 'all' row and, if it has a level, in its risk level's row."""
    keys = [("all", "all")]
    if risk_level in ("standard", "medium", "high"):
        keys.append(("risk_level", risk_level))
    for key in keys:
        counts[key][0] += int(hit)
        counts[key][1] += 1


FUNNEL_STAGES = ("referred", "eligible", "contacted", "accepted", "started", "completed")


def service_funnel_counts(
    episodes: list[dict], as_of: date
) -> dict[tuple[str, str, str], tuple[int, int]]:
    """{(group_by, group, stage): (count at the stage, count at the stage before)}."""

    def reached(e: dict) -> list[bool]:
        steps = [
            True,
            e["eligibility"] == "eligible",
            e["first_contact_date"] is not None,
            e["offer"] == "accepted",
            e["start_date"] is not None,
            e["end_reason"] == "completed",
        ]
        out, ok = [], True
        for step in steps:
            ok = ok and step
            out.append(ok)
        return out

    totals: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * len(FUNNEL_STAGES))
    for e in episodes:
        if e["referral_date"] > as_of:
            continue
        for group in (("all", "all"), ("site_id", e["site_id"])):
            for i, ok in enumerate(reached(e)):
                totals[group][i] += int(ok)
    out = {}
    for (group_by, group), counts in totals.items():
        for i, stage in enumerate(FUNNEL_STAGES):
            out[(group_by, group, stage)] = (counts[i], counts[max(i - 1, 0)])
    return out


def dropout_counts(episodes: list[dict], as_of: date) -> dict[tuple[str, str], tuple[int, int]]:
    """{(group_by, group): (dropped out, episodes with a start and an end date)}."""
    dropped = ("disengaged", "declined", "moved_away", "unable_to_contact")
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for e in episodes:
        if e["referral_date"] > as_of or e["start_date"] is None or e["end_date"] is None:
            continue
        for group in (("all", "all"), ("site_id", e["site_id"])):
            counts[group][0] += int(e["end_reason"] in dropped)
            counts[group][1] += 1
    return {k: (v[0], v[1]) for k, v in counts.items()}


def risk_trajectory_counts(
    notifications: list[dict], as_of: date, window_days: int = 365
) -> dict[tuple[str, str, str], tuple[int, int]]:
    """{(group_by, group, class): (index events in the class, index events in the group)}."""
    rank = {"standard": 1, "medium": 2, "high": 3}
    da = [n for n in notifications if n["incident_type"] == "domestic_abuse" and n["victim_key"]]
    classes: dict[tuple[str, str], list[str]] = defaultdict(list)
    for n in da:
        d, level = n["notification_date"], n["risk_level"]
        if level not in rank or (as_of - d).days < window_days:
            continue
        later = [
            o for o in da
            if o["victim_key"] == n["victim_key"]
            and 1 <= (o["notification_date"] - d).days <= window_days
        ]  # fmt: skip
        levels = [rank[o["risk_level"]] for o in later if o["risk_level"] in rank]
        if not later:
            kind = "no_repeat"
        elif levels and max(levels) > rank[level]:
            kind = "escalated"
        elif levels and max(levels) < rank[level]:
            kind = "de_escalated"
        else:
            kind = "repeat_same_level"
        classes[("all", "all")].append(kind)
        classes[("risk_level", level)].append(kind)
    out = {}
    for (group_by, group), kinds in classes.items():
        for kind in ("no_repeat", "escalated", "de_escalated", "repeat_same_level"):
            out[(group_by, group, kind)] = (kinds.count(kind), len(kinds))
    return out


def post_separation_counts(
    notifications: list[dict], period_start: date, period_end: date
) -> dict[tuple[str, str], tuple[int, int]]:
    """{(group_by, group): (separated, DA notifications with post_separation recorded)}."""
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for n in notifications:
        if n["incident_type"] != "domestic_abuse" or n["post_separation"] not in ("Y", "N"):
            continue
        if period_start <= n["notification_date"] <= period_end:
            _tally(counts, n["post_separation"] == "Y", n["risk_level"])
    return {k: (v[0], v[1]) for k, v in counts.items()}


def csc_outcome_counts(
    events: list[dict], found: list[dict], as_of: date, window_days: int = 365
) -> dict[tuple[str, str, str], tuple[int, int]]:
    """{(group_by, group, outcome): (events reaching it, events)}; found: child_key,
    outcome_date, category."""
    outcomes = ("referral", "assessment", "cin_plan", "cp_plan", "cla")
    reached: dict[tuple[str, str], list[set[str]]] = defaultdict(list)
    for e in events:
        d = e["notification_date"]
        if (as_of - d).days < window_days:
            continue
        kinds = {
            f["category"] for f in found
            if f["child_key"] == e["child_key"]
            and 1 <= (f["outcome_date"] - d).days <= window_days
        }  # fmt: skip
        reached[("all", "all")].append(kinds)
        if e["risk_level"] in ("standard", "medium", "high"):
            reached[("risk_level", e["risk_level"])].append(kinds)
    return {
        (group_by, group, outcome): (sum(outcome in k for k in kinds), len(kinds))
        for (group_by, group), kinds in reached.items()
        for outcome in outcomes
    }


def re_referral_by_factor_counts(
    referrals: list[dict],
    assessments: list[dict],
    period_start: date,
    period_end: date,
    window_days: int = 365,
) -> dict[tuple[str, str], tuple[int, int]]:
    """{("factor", F): (re-referrals, referrals)} among referrals whose assessment recorded F."""
    factors_of: dict[str, set[str]] = defaultdict(set)
    for a in assessments:
        if a["factors"]:
            factors_of[a["referral_id"]] |= {f.strip().upper() for f in a["factors"].split(";")}
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for r, is_re in _re_referrals_in_period(referrals, period_start, period_end, window_days):
        for factor in factors_of[r["referral_id"]]:
            counts[("factor", factor)][0] += int(is_re)
            counts[("factor", factor)][1] += 1
    return {k: (v[0], v[1]) for k, v in counts.items()}


def _re_referrals_in_period(
    referrals: list[dict], period_start: date, period_end: date, window_days: int
) -> list[tuple[dict, bool]]:
    """Each referral dated in the period, with whether it is a re-referral (same child, same LA,
    an earlier referral at most ``window_days`` before)."""
    dates_by_child: dict[tuple[str, str], list[date]] = defaultdict(list)
    for r in referrals:
        dates_by_child[(r["la_code"], r["child_id"])].append(r["referral_date"])
    out = []
    for r in referrals:
        d = r["referral_date"]
        if period_start <= d <= period_end:
            earlier = dates_by_child[(r["la_code"], r["child_id"])]
            out.append((r, any(p < d and (d - p).days <= window_days for p in earlier)))
    return out
