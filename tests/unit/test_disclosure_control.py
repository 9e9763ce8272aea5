from datetime import date

import pytest

from daeval.model.measure_row import MeasureRow
from daeval.privacy.disclosure_control import (
    DisclosurePolicy,
    round_to_base,
    suppress_small_counts,
)


def row(numerator, denominator, group_by="all", group="all"):
    value = numerator / denominator if numerator is not None and denominator else None
    return MeasureRow(
        "re_referral_rate",
        group_by,
        group,
        None,
        date(2020, 1, 1),
        date(2020, 12, 31),
        numerator,
        denominator,
        value,
    )


@pytest.mark.parametrize(
    "count, rounded", [(8, 10), (10, 10), (12, 10), (13, 15), (17, 15), (18, 20), (1002, 1000)]
)
def test_counts_are_rounded_to_the_nearest_five(count, rounded):
    assert round_to_base(count, 5) == rounded


@pytest.mark.parametrize("numerator", [0, 1, 7])
def test_a_count_of_seven_or_fewer_is_suppressed(numerator):
    [out] = suppress_small_counts([row(numerator, 100)])
    assert out.suppressed and out.numerator is None and out.value is None
    assert out.denominator == 100


def test_a_count_of_eight_is_shown_rounded_and_the_ratio_recomputed():
    [out] = suppress_small_counts([row(8, 103)])
    assert not out.suppressed
    assert (out.numerator, out.denominator) == (10, 105)
    assert out.value == pytest.approx(10 / 105)


def test_a_small_denominator_hides_the_whole_row():
    [out] = suppress_small_counts([row(3, 6)])
    assert out.suppressed and out.numerator is None and out.denominator is None


def test_a_small_complement_is_suppressed_because_it_counts_people_too():
    # 95 of 100: the 5 who were not re-referred are a small count.
    [out] = suppress_small_counts([row(95, 100)])
    assert out.suppressed and out.value is None


def test_a_single_suppressed_group_takes_the_next_smallest_with_it():
    rows = [
        row(60, 300),
        row(5, 50, "la_code", "900"),
        row(20, 120, "la_code", "901"),
        row(35, 130, "la_code", "902"),
    ]
    out = suppress_small_counts(rows)
    assert [r.suppressed for r in out] == [False, True, True, False]
    # The whole is still shown: two hidden cells cannot be told apart from it.
    assert out[0].numerator == 60


def test_two_suppressed_groups_need_no_more():
    rows = [
        row(40, 300),
        row(5, 50, "la_code", "900"),
        row(3, 120, "la_code", "901"),
        row(32, 130, "la_code", "902"),
    ]
    assert [r.suppressed for r in suppress_small_counts(rows)] == [False, True, True, False]


def test_switched_off_it_changes_nothing():
    rows = [row(3, 50), row(13, 51)]
    assert suppress_small_counts(rows, DisclosurePolicy(enabled=False)) == rows


def test_no_shown_count_is_between_one_and_seven_for_any_input():
    rows = [row(n, d) for d in range(0, 40) for n in range(0, d + 1)]
    for out in suppress_small_counts(rows):
        for count in (out.numerator, out.denominator):
            assert count is None or count == 0 and out.suppressed or count > 7
            assert count is None or count % 5 == 0


def test_the_first_stage_of_a_funnel_is_not_hidden_for_its_zero_complement():
    from daeval.model.measure_row import MeasureRow
    from daeval.privacy.disclosure_control import suppress_small_counts

    def row(category, n, d):
        return MeasureRow("service_funnel", "all", "all", category, None, None, n, d, n / d)

    out = suppress_small_counts([row("referred", 40, 40), row("eligible", 38, 40)])
    assert (out[0].numerator, out[0].suppressed) == (40, False)
    assert out[1].suppressed  # 2 not eligible: the complement is small


def test_a_statistic_is_kept_to_three_places_not_recomputed_from_rounded_counts():
    # A Kaplan-Meier estimate of 0.123456 from 12 referrals among 103 children: 12/103 would
    # be 0.1165, and 10/105 from the rounded counts 0.0952; the estimate itself is neither.
    km = MeasureRow("km_csc_referral", "all", "all", "365", None, None, 12, 103, 0.123456)
    [out] = suppress_small_counts([km])
    assert (out.numerator, out.denominator, out.value) == (10, 105, 0.123)
    [hidden] = suppress_small_counts(
        [MeasureRow("km_csc_referral", "all", "all", "30", None, None, 5, 103, 0.05)]
    )
    assert hidden.suppressed and hidden.value is None


def _in(period, numerator, denominator=100, measure="re_referral_rate", category=None):
    start, end = period
    return MeasureRow(
        measure, "all", "all", category, start, end, numerator, denominator,
        numerator / denominator,
    )  # fmt: skip


def test_one_hidden_quarter_takes_another_with_it_because_quarters_add_up_to_the_year():
    year = (date(2020, 1, 1), date(2020, 12, 31))
    quarters = [
        (date(2020, 1, 1), date(2020, 3, 31)),
        (date(2020, 4, 1), date(2020, 6, 30)),
        (date(2020, 7, 1), date(2020, 9, 30)),
        (date(2020, 10, 1), date(2020, 12, 31)),
    ]
    rows = [_in(year, 93, 400)] + [
        _in(q, n) for q, n in zip(quarters, (3, 30, 20, 40), strict=True)
    ]
    out = suppress_small_counts(rows)
    assert [r.suppressed for r in out] == [False, True, False, True, False]


def test_one_hidden_category_of_a_partition_takes_another_with_it():
    # Trajectory classes split the index events: a hidden class = denominator - the others.
    period = (date(2020, 1, 1), date(2020, 12, 31))
    classes = {"no_repeat": 60, "escalated": 5, "de_escalated": 20, "repeat_same_level": 15}
    rows = [_in(period, n, 100, "risk_trajectory", c) for c, n in classes.items()]
    out = suppress_small_counts(rows)
    hidden = {r.category for r in out if r.suppressed}
    assert hidden == {"escalated", "repeat_same_level"}


def test_categories_that_do_not_split_the_denominator_are_left_alone():
    period = (date(2020, 1, 1), date(2020, 12, 31))
    outcomes = {"referral": 40, "assessment": 30, "cin_plan": 20, "cla": 5}
    rows = [_in(period, n, 100, "csc_outcome_within_window", c) for c, n in outcomes.items()]
    out = suppress_small_counts(rows)
    assert {r.category for r in out if r.suppressed} == {"cla"}


def test_one_hidden_reason_for_ineligibility_takes_another_with_it():
    period = (date(2020, 1, 1), date(2020, 12, 31))
    reasons = {"ineligible:too old": 50, "ineligible:moved": 4, "ineligible:other": 20}
    rows = [_in(period, n, 74, "screening_funnel", c) for c, n in reasons.items()]
    rows.append(_in(period, 74, 100, "screening_funnel", "ineligible"))
    out = suppress_small_counts(rows)
    assert {r.category for r in out if r.suppressed} == {"ineligible:moved", "ineligible:other"}


@pytest.mark.parametrize(("people", "shown"), [(5, False), (40, True)])
def test_an_interval_is_released_only_with_its_value(people, shown):
    mean = MeasureRow(
        "reliable_change", "all", "all", "PHQ9:mean_change", date(2020, 1, 1),
        date(2020, 12, 31), people, None, -3.21234, ci_lower=-5.0111, ci_upper=-1.4222,
    )  # fmt: skip
    [out] = suppress_small_counts([mean])
    if shown:
        assert (out.value, out.ci_lower, out.ci_upper) == (-3.212, -5.011, -1.422)
    else:
        assert out.suppressed and (out.value, out.ci_lower, out.ci_upper) == (None, None, None)


def _stage(category, n, d, group_by="all", group="all", measure="service_funnel"):
    return MeasureRow(measure, group_by, group, category, date(2020, 1, 1), date(2020, 12, 31),
                      n, d, n / d if d else None)  # fmt: skip


def test_a_hidden_stage_is_hidden_as_the_next_stages_denominator_too():
    # 45 accepted, 43 started (2 did not: a small complement), 20 completed of the 43.
    rows = [_stage("accepted", 45, 60), _stage("started", 43, 45), _stage("completed", 20, 43)]
    accepted, started, completed = suppress_small_counts(rows)
    assert started.suppressed and started.denominator == 45
    # The 43 would be given away as completed's denominator (43 → 45 ± 2), or by 20 / value.
    assert completed.denominator is None and completed.value is None
    assert completed.suppressed and completed.numerator is None
    assert not accepted.suppressed


def test_a_count_shared_by_two_measures_of_the_same_people_is_hidden_in_both():
    started = _stage("started", 43, 45)
    ended = _stage(None, 12, 43, measure="dropout_rate")  # the same 43 people
    *_, dropout = suppress_small_counts([_stage("accepted", 45, 60), started, ended])
    assert dropout.denominator is None and dropout.numerator is None


def test_one_hidden_denominator_among_groups_takes_another_with_it():
    # The groups' denominators add up to all's: a lone hidden one is all's less the others.
    rows = [
        row(30, 100),
        row(0, 5, "la_code", "900"),
        row(12, 40, "la_code", "901"),
        row(18, 55, "la_code", "902"),
    ]
    out = suppress_small_counts(rows)
    hidden = [r.group for r in out if r.denominator is None]
    assert hidden == ["900", "901"]
    assert out[0].denominator == 100


def test_a_hidden_whole_takes_a_part_with_it():
    # Eligible 50 of 52 referred at one site (2 ineligible): hidden. The other site's 30 of 40
    # and all's 80 of 92 would give it as 80 - 30: so the other site goes too.
    rows = [
        _stage("eligible", 80, 92),
        _stage("eligible", 50, 52, "site_id", "a"),
        _stage("eligible", 30, 40, "site_id", "b"),
    ]
    out = suppress_small_counts(rows)
    assert [r.suppressed for r in out] == [False, True, True]


def test_two_groups_cannot_hide_one_alone():
    rows = [row(40, 100), row(4, 10, "la_code", "900"), row(36, 90, "la_code", "901")]
    out = suppress_small_counts(rows)
    assert [r.suppressed for r in out] == [False, True, True]
