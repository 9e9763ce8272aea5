"""Police vulnerable-person referrals: domestic-abuse notifications and other vulnerabilities.

Notifications are shared out among families in proportion to each family's rate, so a few families
account for many repeat incidents. Each domestic-abuse notification has a latent severity: a family
level plus a random walk over the family's incidents plus noise, so risk rises and falls erratically
across repeats (Step Up: "erratic patterns of re-referral, escalation and de-escalation of risk").
Levels are then cut from the severity ranks so the shares match the targets exactly.

Risk tool: DASH throughout, a few forms on another tool, and from 1 October of the period's third
year (2021-10-01) a minority graded with DARA. DARA was launched nationally only in November 2022;
its use here is a fictional early pilot so that data with both tools exercise the analyses. DARA and other tools give no DASH yes-count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from daeval.model import codes
from daeval.synth.calibration import PERIOD_START
from daeval.synth.grouping import run_bounds
from daeval.synth.population import PERPETRATOR, SLOTS, VICTIM, Population
from daeval.synth.timeline import END_DAY, STEP_UP_WINDOW_END, day_of

NOT_ASSESSED_SHARE = 0.05
"""Domestic-abuse notifications with no risk level recorded."""
LEVEL_SHARES = (0.52, 0.29, 0.14)
"""Shares of all domestic-abuse notifications graded standard, medium and high (Step Up: 52%
standard); with NOT_ASSESSED_SHARE they sum to one."""
DARA_PILOT_START = day_of(date(PERIOD_START.year + 2, 10, 1))
DARA_PILOT_SHARE = 0.3
OTHER_TOOL_SHARE = 0.02
COUNTER_ALLEGATION_SHARE = 0.04
"""Notifications where the abusive parent is recorded as the victim."""
DUPLICATE_ID_SHARE = 0.02
"""People the force holds under two ids (a second id used from some day on)."""

TOOLS = tuple(codes.RISK_TOOL)  # DASH, DARA, other
DASH, DARA, OTHER_TOOL = (TOOLS.index(t) for t in ("DASH", "DARA", "other"))
STANDARD, MEDIUM, HIGH = 0, 1, 2  # indices into codes.RISK_LEVEL
NONE = -1


@dataclass
class Notifications:
    """A chunk's notifications, in date order."""

    number: np.ndarray  # sequential id number
    family: np.ndarray
    day: np.ndarray
    domestic: np.ndarray  # bool: domestic_abuse, else other_vulnerability
    level: np.ndarray  # STANDARD/MEDIUM/HIGH or NONE
    tool: np.ndarray  # index into TOOLS or NONE
    dash: np.ndarray  # 0..27 or NONE
    post_separation: np.ndarray  # bool (meaningful for domestic abuse only)
    victim: np.ndarray  # chunk-local person index
    perpetrator: np.ndarray  # chunk-local person index or NONE
    children: np.ndarray  # [n, 4] children in the household
    second_id_from: np.ndarray  # [people] day from which a person's second police id is used

    def police_code(self, person: np.ndarray, day: np.ndarray) -> np.ndarray:
        """person * 2 + 1 when the record uses the person's second id, else person * 2."""
        return person.astype(np.int64) * 2 + (day >= self.second_id_from[person])


def _ranked_levels(rng: np.random.Generator, severity: np.ndarray) -> np.ndarray:
    """Risk levels cut from severity ranks with exactly the target shares (NONE: not assessed)."""
    n = len(severity)
    level = np.full(n, NONE, np.int8)
    assessed = np.flatnonzero(rng.random(n) >= NOT_ASSESSED_SHARE)
    n_standard = round(LEVEL_SHARES[0] * n)
    n_medium = round(LEVEL_SHARES[1] * n)
    ranked = assessed[np.argsort(severity[assessed], kind="stable")]
    level[ranked[:n_standard]] = STANDARD
    level[ranked[n_standard : n_standard + n_medium]] = MEDIUM
    level[ranked[n_standard + n_medium :]] = HIGH
    return level


def _dash_counts(rng: np.random.Generator, level: np.ndarray) -> np.ndarray:
    """DASH yes-counts consistent with the level: 0-9 standard, 10-13 medium, 14+ high, with
    professional judgement sometimes grading above the count (never below, per SafeLives) and a
    few standard grades recorded against a medium count."""
    n = len(level)
    u = rng.random(n)
    standard = np.where(u < 0.97, rng.binomial(9, 0.4, n), rng.integers(10, 13, n))
    medium = np.where(u < 0.78, rng.integers(10, 14, n), rng.integers(5, 10, n))
    high = np.where(u < 0.75, 14 + rng.binomial(13, 0.25, n), rng.integers(8, 14, n))
    out = np.select([level == STANDARD, level == MEDIUM, level == HIGH], [standard, medium, high])
    return out.astype(np.int16)


def _window_days(rng: np.random.Generator, in_window: int, after: int) -> np.ndarray:
    return np.concatenate(
        (
            rng.integers(0, STEP_UP_WINDOW_END + 1, in_window),
            rng.integers(STEP_UP_WINDOW_END + 1, END_DAY + 1, after),
        )
    ).astype(np.int32)


def _allocate(rng: np.random.Generator, weight: np.ndarray, n: int) -> np.ndarray:
    if n == 0 or weight.sum() <= 0:
        return np.zeros(0, np.int32)
    cdf = np.cumsum(weight)
    return np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right").astype(np.int32)


def notify(
    rng: np.random.Generator, pop: Population, quotas: dict[str, int], first_number: int
) -> Notifications:
    """Draw the chunk's notifications: ``quotas`` gives counts per incident type and window."""
    n_da = quotas["da_window"] + quotas["da_after"]
    n_other = quotas["other_window"] + quotas["other_after"]
    family = np.concatenate(
        (_allocate(rng, pop.da_weight, n_da), _allocate(rng, pop.other_weight, n_other))
    )
    day = np.concatenate(
        (
            _window_days(rng, quotas["da_window"], quotas["da_after"]),
            _window_days(rng, quotas["other_window"], quotas["other_after"]),
        )
    )
    domestic = np.arange(len(family)) < n_da
    window = np.where(day <= STEP_UP_WINDOW_END, 0, 1)

    # Severity: family level + random walk over the family's incidents (in date order) + noise.
    order = np.lexsort((day, family))
    fam_sorted = family[order]
    steps = rng.normal(0.0, 0.55, len(order))
    walk = np.cumsum(steps)
    starts, ends = run_bounds(fam_sorted)
    walk -= np.repeat(walk[starts], ends - starts + 1)
    severity = np.empty(len(order))
    base = rng.normal(0.0, 1.0, pop.size)
    severity[order] = base[fam_sorted] + walk + rng.normal(0.0, 0.5, len(order))

    level = np.full(len(family), NONE, np.int8)
    for w in (0, 1):
        pick = np.flatnonzero(domestic & (window == w))
        level[pick] = _ranked_levels(rng, severity[pick])

    assessed = level != NONE
    u = rng.random(len(family))
    tool = np.where(
        (day >= DARA_PILOT_START) & (u < DARA_PILOT_SHARE),
        DARA,
        np.where(u > 1 - OTHER_TOOL_SHARE, OTHER_TOOL, DASH),
    )
    tool = np.where(assessed, tool, NONE).astype(np.int8)
    dash = np.where(tool == DASH, _dash_counts(rng, level), NONE).astype(np.int16)

    reversed_roles = domestic & (rng.random(len(family)) < COUNTER_ALLEGATION_SHARE)
    victim_slot = np.where(reversed_roles, PERPETRATOR, VICTIM)
    perpetrator_slot = np.where(domestic, np.where(reversed_roles, VICTIM, PERPETRATOR), NONE)

    children = pop.children_present(family, day)
    # Another vulnerability concerns a child in the household more often than not.
    child_pick = np.argmax(children * rng.random(children.shape), axis=1)
    child_victim = ~domestic & children.any(axis=1) & (rng.random(len(family)) < 0.6)
    victim_slot = np.where(child_victim, 2 + child_pick, victim_slot)

    by_day = np.lexsort((family, day))
    n_people = pop.size * SLOTS
    second = rng.random(n_people) < DUPLICATE_ID_SHARE
    second_from = np.where(second, rng.integers(0, END_DAY + 1, n_people), END_DAY + 1)
    fam = family[by_day]
    return Notifications(
        number=first_number + np.arange(len(family), dtype=np.int64),
        family=fam,
        day=day[by_day],
        domestic=domestic[by_day],
        level=level[by_day],
        tool=tool[by_day],
        dash=dash[by_day],
        post_separation=(day >= pop.separation_day[family])[by_day],
        victim=fam * SLOTS + victim_slot[by_day],
        perpetrator=np.where(
            perpetrator_slot[by_day] == NONE, NONE, fam * SLOTS + perpetrator_slot[by_day]
        ),
        children=children[by_day],
        second_id_from=second_from.astype(np.int32),
    )
