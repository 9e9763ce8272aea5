"""A plain-Python reference for the pathway measures (address_moves, screening_funnel), used only
as an oracle in tests. It follows the definitions' words directly, with no cleverness."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from daeval.study.screening import Screening

RISK_LEVELS = ("standard", "medium", "high")
Counts = dict[tuple[str, str, str], tuple[int, int]]


def address_moves_counts(
    events: list[dict], addresses: list[dict], as_of: date, window_days: int = 365
) -> Counts:
    """{(group_by, group, category): (numerator, denominator)}.

    events: notification_id, child_key, notification_date, risk_level (or None);
    addresses: child_key, from_date.
    """
    starts: dict[str, set[date]] = defaultdict(set)
    for a in addresses:
        starts[a["child_key"]].add(a["from_date"])
    moves_of: dict[tuple[str, str], list[int]] = defaultdict(list)
    for e in events:
        d = e["notification_date"]
        if (as_of - d).days < window_days:
            continue  # the window is not over by as_of
        known = starts[e["child_key"]]
        moves = [
            f for f in known if f != min(known) and 1 <= (f - d).days <= window_days
        ]  # a set: two records starting the same day are one move
        moves_of[("all", "all")].append(len(moves))
        if e["risk_level"] in RISK_LEVELS:
            moves_of[("risk_level", e["risk_level"])].append(len(moves))
    out: Counts = {}
    for (group_by, group), moves in moves_of.items():
        out[(group_by, group, "0")] = (sum(m == 0 for m in moves), len(moves))
        out[(group_by, group, "1")] = (sum(m == 1 for m in moves), len(moves))
        out[(group_by, group, "2_or_more")] = (sum(m >= 2 for m in moves), len(moves))
        out[(group_by, group, "moves_per_child")] = (sum(moves), len(moves))
    return out


def screening_counts(
    referrals: list[dict], episodes: list[dict], screening: Screening, as_of: date
) -> Counts:
    """{("all", "all", category): (numerator, denominator)}; referrals: referral_id, child_key,
    referral_date and the cohort's columns; episodes: episode_id, site_id, child_key,
    referral_date, eligibility, ineligible_reason."""
    cohort = [
        r for r in referrals
        if all(r[column] in values for column, values in screening.cohort.items())
        and (as_of - r["referral_date"]).days >= screening.window_days
    ]  # fmt: skip
    if not cohort:
        return {}
    first_episodes = []
    for r in cohort:
        found = [
            e for e in episodes
            if e["child_key"] == r["child_key"]
            and screening.site_id in (None, e["site_id"])
            and 0 <= (e["referral_date"] - r["referral_date"]).days <= screening.window_days
        ]  # fmt: skip
        if found:
            first_episodes.append(min(found, key=lambda e: (e["referral_date"], e["episode_id"])))
    eligible = [e for e in first_episodes if e["eligibility"] == "eligible"]
    ineligible = [e for e in first_episodes if e["eligibility"] == "ineligible"]
    out: Counts = {
        ("all", "all", "screened"): (len(first_episodes), len(cohort)),
        ("all", "all", "eligible"): (len(eligible), len(first_episodes)),
        ("all", "all", "ineligible"): (len(ineligible), len(first_episodes)),
    }
    for reason in screening.reasons:
        n = sum(e["ineligible_reason"] == reason for e in ineligible)
        out[("all", "all", f"ineligible:{reason}")] = (n, len(ineligible))
    other = sum(e["ineligible_reason"] not in screening.reasons for e in ineligible)
    out[("all", "all", "ineligible:other")] = (other, len(ineligible))
    return out
