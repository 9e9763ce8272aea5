"""Recruitment projection: the simulation against the closed form where nothing is uncertain, and
how uncertainty, scenarios and the allocation ratio move it."""

from __future__ import annotations

import pytest

from daeval.design.recruitment import (
    Funnel,
    RecruitmentInputError,
    Scenario,
    Stage,
    closed_form_months,
    project,
    total_needed,
)

FIXED = Funnel(
    referrals_per_month=10,
    stages=(Stage("eligible", rate=0.5), Stage("consented", rate=0.6)),
)  # 10 x 0.5 x 0.6 = 3 participants a month


def test_without_uncertainty_the_simulation_is_the_closed_form():
    # 25 per arm, 1:1: 50 in all at 3 a month = 16.7, so the 17th month.
    assert total_needed(25) == 50
    assert closed_form_months(FIXED, 50) == 17
    projection = project(FIXED, 25, uncertainty=False)
    assert projection.months_median == projection.months_low == projection.months_high == 17
    assert projection.expected_per_month == pytest.approx(3.0)
    # Exactly on a month's end: 60 in all at 3 a month is month 20.
    assert project(FIXED, 30, uncertainty=False).months_median == 20


def test_with_precisely_known_rates_the_median_is_the_closed_form():
    funnel = Funnel(
        monthly_referrals=(400,) * 60,
        stages=(Stage("eligible", 50_000, 100_000), Stage("consented", 60_000, 100_000)),
    )  # 400 x 0.3 = 120 a month
    projection = project(funnel, 1200, runs=500, seed=1)  # 2,400 in all: month 20
    assert closed_form_months(funnel, 2400) == 20
    assert projection.months_median is not None and abs(projection.months_median - 20) <= 1
    assert projection.months_high - projection.months_low <= 2  # type: ignore[operator]


def test_small_counts_give_a_wider_interval():
    def funnel(scale: int) -> Funnel:
        return Funnel(
            monthly_referrals=(10,) * 12,
            stages=(
                Stage("eligible", 5 * scale, 10 * scale),
                Stage("consented", 6 * scale, 10 * scale),
            ),
        )

    wide = project(funnel(1), 40, runs=2000, seed=2)
    narrow = project(funnel(100), 40, runs=2000, seed=2)
    width = lambda p: p.months_high - p.months_low  # noqa: E731
    assert width(wide) > width(narrow)


def test_allocation_ratio_and_scenarios():
    assert total_needed(30, (2, 1)) == 90  # 30 in the smaller arm of 2:1
    assert total_needed(30, (1, 1)) == 60
    # Two sites like this one halve the time; a higher consent rate shortens it.
    assert closed_form_months(FIXED, 60, Scenario(sites=2)) == 10
    assert closed_form_months(FIXED, 60, Scenario(consent_rate=0.9)) == 14  # 4.5 a month
    twice = project(FIXED, 30, scenario=Scenario(sites=2), uncertainty=False)
    assert twice.months_median == 10


def test_a_target_beyond_the_window_is_censored():
    projection = project(FIXED, 100, scenario=Scenario(window=24), uncertainty=False)
    assert projection.months_median is None  # 200 needs 67 months
    assert projection.reached_within_window == 0.0
    slow = Funnel(monthly_referrals=(3, 4, 2, 5), stages=(Stage("consented", 2, 10),))
    censored = project(slow, 40, scenario=Scenario(window=36), runs=1000)
    assert censored.reached_within_window < 0.1 and censored.months_median is None


def test_over_dispersed_monthly_counts_use_a_negative_binomial():
    counts = (2, 10, 0, 12)  # mean 6, variance 34.67: k = 36 / 28.67
    assert Funnel(monthly_referrals=counts).dispersion == pytest.approx(36 / (104 / 3 - 6))
    assert Funnel(monthly_referrals=(6, 6, 6, 6)).dispersion is None
    # Over-dispersion widens the interval against the same mean with Poisson counts.
    steady = project(Funnel(monthly_referrals=(6,) * 24), 60, runs=3000, seed=3)
    lumpy = project(Funnel(monthly_referrals=(0, 12) * 12), 60, runs=3000, seed=3)
    assert (lumpy.months_high - lumpy.months_low) > (steady.months_high - steady.months_low)  # type: ignore[operator]


def test_bad_inputs_are_refused_with_the_reason():
    with pytest.raises(RecruitmentInputError, match="not both"):
        Stage("eligible", 3, 10, rate=0.3)
    with pytest.raises(RecruitmentInputError, match="not a share"):
        Stage("eligible", 11, 10)
    with pytest.raises(RecruitmentInputError, match="no referrals"):
        Funnel(monthly_referrals=(0, 0, 0))
