"""MDES, power and sample size: against statsmodels for individual randomisation, and against values
worked by hand from the PowerUp! formulas for cluster designs."""

from __future__ import annotations

import math

import pytest
from statsmodels.stats.power import NormalIndPower, TTestIndPower
from statsmodels.stats.proportion import proportion_effectsize

from daeval.design.power import (
    Design,
    DesignInputError,
    detectable_rate,
    icc_sensitivity,
    mdes,
    power,
    sample_size,
)


@pytest.mark.parametrize("n", [60, 200, 1000])
def test_individual_mdes_has_the_stated_power_by_statsmodels(n):
    effect = mdes(Design("individual", n=n))
    # statsmodels uses the noncentral t; PowerUp!'s multiplier is its central-t approximation.
    got = TTestIndPower().power(effect_size=effect, nobs1=n / 2, alpha=0.05, ratio=1.0)
    assert got == pytest.approx(0.80, abs=0.006)


def test_power_at_the_mdes_is_the_planned_power():
    for design in (
        Design("individual", n=150, power=0.9),
        Design("cluster2", n=12, clusters=30, icc=0.05),
        Design("cluster3", n=10, clusters=4, top_clusters=16, icc=0.05, icc_top=0.02),
    ):
        assert power(design, mdes(design)) == pytest.approx(design.power, abs=1e-9)


def test_two_level_cluster_mdes_worked_by_hand():
    # PowerUpR's example mdes.cra2r2(rho2 = .20, n = 4, J = 20, alpha = .01): df = 18,
    # M = t(.995, 18) + t(.80, 18) = 2.878440 + 0.862313 = 3.740753,
    # SSE = sqrt(.2 / (.25 x 20) + .8 / (.25 x 20 x 4)) = sqrt(.04 + .04) = 0.282843.
    design = Design("cluster2", n=4, clusters=20, icc=0.20, alpha=0.01)
    assert mdes(design) == pytest.approx(3.740753 * 0.282843, abs=1e-4)  # 1.058


def test_three_level_cluster_mdes_worked_by_hand():
    # K = 20 sites of J = 4 teams of n = 10; rho3 = .10, rho2 = .10; df = 18,
    # M = t(.975, 18) + t(.80, 18) = 2.100922 + 0.862313 = 2.963235,
    # SSE = sqrt(.1 / (.25 x 20) + .1 / (.25 x 80) + .8 / (.25 x 800)) = sqrt(.029) = 0.170294.
    design = Design("cluster3", n=10, clusters=4, top_clusters=20, icc=0.10, icc_top=0.10)
    assert mdes(design) == pytest.approx(2.963235 * 0.170294, abs=1e-4)  # 0.5046


def test_many_clusters_cost_the_design_effect():
    # With many clusters the multiplier is the same, so the MDES grows by sqrt(1 + (m - 1) rho).
    m, rho, j = 20, 0.05, 2000
    clustered = mdes(Design("cluster2", n=m, clusters=j, icc=rho))
    individual = mdes(Design("individual", n=m * j))
    assert clustered / individual == pytest.approx(math.sqrt(1 + (m - 1) * rho), rel=0.002)


def test_covariates_and_attrition():
    plain = mdes(Design("individual", n=200))
    assert mdes(Design("individual", n=200, attrition=0.2)) == pytest.approx(
        mdes(Design("individual", n=160))
    )
    # A baseline score explaining half the variance shrinks the MDES by about sqrt(.5).
    adjusted = mdes(Design("individual", n=200, r2_individual=0.5, covariates=1))
    assert adjusted / plain == pytest.approx(math.sqrt(0.5), rel=0.01)


def test_sample_size_is_the_smallest_that_reaches_the_target():
    design = Design("individual")
    n = sample_size(design, 0.3)
    assert mdes(Design("individual", n=n)) <= 0.3 < mdes(Design("individual", n=n - 1))
    by_statsmodels = 2 * TTestIndPower().solve_power(effect_size=0.3, alpha=0.05, power=0.8)
    assert abs(n - by_statsmodels) <= 3
    j = sample_size(Design("cluster2", n=10, icc=0.05), 0.3)
    assert mdes(Design("cluster2", n=10, clusters=j, icc=0.05)) <= 0.3
    assert mdes(Design("cluster2", n=10, clusters=j - 1, icc=0.05)) > 0.3


def test_impossible_designs_are_refused_with_the_reason():
    with pytest.raises(DesignInputError, match="too few clusters"):
        mdes(Design("cluster2", n=50, clusters=2, icc=0.05))
    with pytest.raises(DesignInputError, match="share treated"):
        mdes(Design("individual", n=100, treated=1.0))


def test_detectable_rate_of_a_binary_outcome():
    # Re-referral at 22%: the rate detectable with 800 randomised children, 1:1.
    effect = mdes(Design("individual", n=800))
    target = detectable_rate(0.22, effect)
    assert target < 0.22
    assert abs(proportion_effectsize(0.22, target)) == pytest.approx(effect, rel=1e-9)
    # The normal-approximation power of the two-proportion test at that difference is 80%.
    h = proportion_effectsize(0.22, target)
    assert NormalIndPower().power(effect_size=h, nobs1=400, alpha=0.05) == pytest.approx(
        0.80, abs=0.005
    )


def test_icc_sensitivity_rises_with_the_icc():
    rows = icc_sensitivity(Design("cluster2", n=15, clusters=24))
    assert [r["icc"] for r in rows] == [0.01, 0.02, 0.03, 0.05, 0.075, 0.10]
    values = [r["mdes"] for r in rows]
    assert values == sorted(values) and values[0] < values[-1]
