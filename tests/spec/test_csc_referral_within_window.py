"""csc_referral_within_window: a referral of the same child in (d, d + W], complete windows only."""

from datetime import date

AS_OF = date(2021, 12, 31)
REFERRALS = """
child_key | referral_date
k1        | 2020-03-01
k2        | 2020-01-01
k3        | 2021-01-01
k4        | 2020-06-01
"""


def test_a_referral_after_the_notification_within_the_window_counts(referrals_within):
    events = """
    notification_id | child_key | notification_date | risk_level
    n1              | k1        | 2020-02-01        | high
    n2              | k2        | 2020-01-01        | medium
    n3              | k3        | 2020-01-01        | standard
    n4              | k9        | 2020-01-01        |
    """
    got = referrals_within(events, REFERRALS, AS_OF)
    # k1: 29 days after; k2: same day (not after); k3: 366 days after (2020 is a leap year).
    assert got[("all", "all")] == (1, 4)
    assert got[("risk_level", "high")] == (1, 1)
    assert got[("risk_level", "medium")] == (0, 1)
    assert got[("risk_level", "standard")] == (0, 1)
    assert ("risk_level", "None") not in got


def test_the_last_day_of_the_window_is_in_it(referrals_within):
    events = """
    notification_id | child_key | notification_date | risk_level
    n1              | k3        | 2020-01-02        | high
    """
    # 2020-01-02 + 365 days = 2021-01-01.
    assert referrals_within(events, REFERRALS, AS_OF)[("all", "all")] == (1, 1)


def test_an_index_event_without_its_full_window_is_left_out(referrals_within):
    events = """
    notification_id | child_key | notification_date | risk_level
    n1              | k1        | 2020-02-01        | high
    n2              | k4        | 2021-01-01        | high
    n3              | k4        | 2020-12-31        | high
    """
    got = referrals_within(events, REFERRALS, AS_OF)
    # 2021-01-01 + 365 = 2022-01-01 > as_of; 2020-12-31 + 365 = 2021-12-31 = as_of.
    assert got[("all", "all")] == (1, 2)


def test_each_child_of_a_notification_is_an_index_event_and_two_referrals_count_once(
    referrals_within,
):
    events = """
    notification_id | child_key | notification_date | risk_level
    n1              | k1        | 2020-01-15        | medium
    n1              | k2        | 2020-01-15        | medium
    n2              | k1        | 2020-02-15        | medium
    """
    referrals = REFERRALS + "\nk1 | 2020-03-02"
    got = referrals_within(events, referrals, AS_OF)
    assert got[("all", "all")] == (2, 3)


def test_a_shorter_window(referrals_within):
    events = """
    notification_id | child_key | notification_date | risk_level
    n1              | k1        | 2020-02-01        | high
    n2              | k4        | 2020-05-01        | high
    """
    # k1 is referred 29 days after, k4 31 days after.
    assert referrals_within(events, REFERRALS, AS_OF, 30)[("all", "all")] == (1, 2)
