"""re_referral_rate: the same child, same local authority, an earlier referral within 365 days."""

from datetime import date

START, END = date(2020, 1, 1), date(2022, 12, 31)


def test_a_referral_within_365_days_of_an_earlier_one_is_a_re_referral(re_referrals):
    table = """
    referral_id | child_id | la_code | referral_date
    r1          | c1       | 900     | 2020-03-01
    r2          | c1       | 900     | 2020-09-01
    """
    assert re_referrals(table, START, END)[("all", "all")] == (1, 2)


def test_exactly_365_days_apart_counts_but_366_does_not(re_referrals):
    # 2021-03-01 is 365 days after 2020-03-01 (2020 is a leap year, the gap holds no 29 Feb).
    table = """
    referral_id | child_id | la_code | referral_date
    a1          | c1       | 900     | 2020-03-01
    a2          | c1       | 900     | 2021-03-01
    b1          | c2       | 900     | 2020-03-01
    b2          | c2       | 900     | 2021-03-02
    """
    result = re_referrals(table, START, END)
    assert result[("all", "all")] == (1, 4)


def test_a_leap_day_inside_the_window_is_counted_as_a_day(re_referrals):
    # 2019-03-01 to 2020-02-29 is 365 days; to 2020-03-01 is 366 days.
    table = """
    referral_id | child_id | la_code | referral_date
    a1          | c1       | 900     | 2019-03-01
    a2          | c1       | 900     | 2020-02-29
    b1          | c2       | 900     | 2019-03-01
    b2          | c2       | 900     | 2020-03-01
    """
    result = re_referrals(table, date(2020, 1, 1), END)
    assert result[("all", "all")] == (1, 2)


def test_two_referrals_on_the_same_day_are_not_re_referrals_of_each_other(re_referrals):
    table = """
    referral_id | child_id | la_code | referral_date
    r1          | c1       | 900     | 2020-05-05
    r2          | c1       | 900     | 2020-05-05
    """
    assert re_referrals(table, START, END)[("all", "all")] == (0, 2)


def test_same_day_referrals_after_an_earlier_one_are_both_re_referrals(re_referrals):
    table = """
    referral_id | child_id | la_code | referral_date
    r1          | c1       | 900     | 2020-01-10
    r2          | c1       | 900     | 2020-05-05
    r3          | c1       | 900     | 2020-05-05
    """
    assert re_referrals(table, START, END)[("all", "all")] == (2, 3)


def test_a_child_referred_in_two_local_authorities_is_not_re_referred(re_referrals):
    table = """
    referral_id | child_id | la_code | referral_date
    r1          | c1       | 900     | 2020-01-10
    r2          | c1       | 901     | 2020-02-10
    r3          | c1       | 901     | 2020-03-10
    """
    result = re_referrals(table, START, END)
    assert result[("all", "all")] == (1, 3)
    assert result[("la_code", "900")] == (0, 1)
    assert result[("la_code", "901")] == (1, 2)


def test_nfa_referrals_count_as_referrals_and_as_earlier_referrals(re_referrals):
    table = """
    referral_id | child_id | la_code | referral_date | decision
    r1          | c1       | 900     | 2020-01-10    | nfa
    r2          | c1       | 900     | 2020-04-10    | nfa
    r3          | c1       | 900     | 2020-08-10    | assessment
    """
    assert re_referrals(table, START, END)[("all", "all")] == (2, 3)


def test_the_earlier_referral_may_lie_before_the_period(re_referrals):
    table = """
    referral_id | child_id | la_code | referral_date
    r1          | c1       | 900     | 2019-12-01
    r2          | c1       | 900     | 2020-02-01
    r3          | c2       | 900     | 2019-12-01
    """
    assert re_referrals(table, START, END)[("all", "all")] == (1, 1)


def test_a_chain_counts_every_later_referral_from_its_nearest_predecessor(re_referrals):
    # Each gap is under a year although the first and last are more than a year apart.
    table = """
    referral_id | child_id | la_code | referral_date
    r1          | c1       | 900     | 2020-01-01
    r2          | c1       | 900     | 2020-10-01
    r3          | c1       | 900     | 2021-07-01
    """
    assert re_referrals(table, START, END)[("all", "all")] == (2, 3)


def test_the_window_can_be_changed(re_referrals):
    table = """
    referral_id | child_id | la_code | referral_date
    r1          | c1       | 900     | 2020-01-01
    r2          | c1       | 900     | 2020-02-15
    """
    assert re_referrals(table, START, END, window_days=30)[("all", "all")] == (0, 2)
    assert re_referrals(table, START, END, window_days=45)[("all", "all")] == (1, 2)
