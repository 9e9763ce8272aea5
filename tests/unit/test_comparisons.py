"""Differences between arms and difference in differences, against published and hand-worked figures."""

import math
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from daeval.metrics.comparisons import comparison_rows, difference, difference_in_differences
from daeval.model.measure_row import MeasureRow

Z = 1.959963984540054  # the 97.5th centile of the standard normal distribution


def test_the_difference_interval_is_newcombes_hybrid_score_interval():
    # Newcombe (1998), Statistics in Medicine 17:873-890, Table II, example (a): 56/70 against
    # 48/80, difference 0.2; method 10 (score interval combining Wilson intervals): 0.0524 to 0.3339.
    value, low, high = difference((56, 70), (48, 80))
    assert value == pytest.approx(0.2)
    assert (round(low, 4), round(high, 4)) == (0.0524, 0.3339)


def _wilson(x: int, n: int) -> tuple[float, float]:
    p = x / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return centre - half, centre + half


@given(
    st.integers(1, 400).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
    st.integers(1, 400).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
)
def test_the_difference_interval_agrees_with_newcombes_formula(a, b):
    (x1, n1), (x2, n2) = a, b
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = _wilson(x1, n1)
    l2, u2 = _wilson(x2, n2)
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    value, got_low, got_high = difference(a, b)
    assert value == pytest.approx(d)
    assert (got_low, got_high) == (pytest.approx(low, abs=1e-9), pytest.approx(high, abs=1e-9))


def test_difference_in_differences_is_the_interaction_with_the_binomial_variance():
    cells = {
        "intervention_before": (30, 100),
        "intervention_after": (20, 100),
        "comparator_before": (40, 120),
        "comparator_after": (45, 110),
    }
    p = {k: x / n for k, (x, n) in cells.items()}
    expected = (p["intervention_after"] - p["intervention_before"]) - (
        p["comparator_after"] - p["comparator_before"]
    )
    se = math.sqrt(sum(p[k] * (1 - p[k]) / cells[k][1] for k in cells))
    value, low, high = difference_in_differences(cells)
    assert value == pytest.approx(expected)
    assert low == pytest.approx(expected - Z * se, abs=1e-7)
    assert high == pytest.approx(expected + Z * se, abs=1e-7)


def test_a_proportion_of_one_has_an_estimate_but_no_interval():
    cells = {
        "intervention_before": (10, 10),
        "intervention_after": (20, 100),
        "comparator_before": (40, 120),
        "comparator_after": (45, 110),
    }
    value, low, high = difference_in_differences(cells)
    assert value == pytest.approx((0.2 - 1.0) - (45 / 110 - 40 / 120))
    assert low is None and high is None


def _row(group_by, group, numerator, denominator, suppressed=False, measure="re_referral_rate"):
    return MeasureRow(
        measure, group_by, group, None, date(2016, 4, 1), date(2017, 3, 31),
        numerator, denominator,
        None if numerator is None else numerator / denominator, suppressed,
    )  # fmt: skip


def test_comparison_rows_use_the_released_counts_and_need_every_cell():
    rows = [
        _row("arm", "intervention", 20, 100),
        _row("arm", "comparator", 45, 110),
        _row("arm_phase", "intervention_before", 30, 100),
        _row("arm_phase", "intervention_after", None, 100, suppressed=True),
        _row("arm_phase", "comparator_before", 40, 120),
        _row("arm_phase", "comparator_after", 45, 110),
    ]
    [diff] = comparison_rows(rows)
    assert (diff.group_by, diff.group) == ("arm", "difference")
    assert diff.value == pytest.approx(20 / 100 - 45 / 110)
    assert diff.numerator is None and diff.denominator is None
    assert diff.ci_lower is not None and diff.ci_upper is not None
    assert diff.ci_lower < diff.value < diff.ci_upper


def test_statistics_are_not_compared_as_proportions():
    rows = [
        _row("arm", "intervention", 20, 100, measure="km_csc_referral"),
        _row("arm", "comparator", 45, 110, measure="km_csc_referral"),
    ]
    assert comparison_rows(rows) == []
