"""csc_outcome_within_window: referral, assessment and plans of the same child in (d, d + W]."""

from datetime import date

AS_OF = date(2021, 12, 31)
EVENTS = """
notification_id | child_key | notification_date | risk_level
n1              | k1        | 2020-01-01        | high
n2              | k2        | 2020-01-01        | medium
n3              | k3        | 2020-01-01        | medium
n4              | k4        | 2021-06-01        | high
"""
REFERRALS = """
referral_id | child_key | referral_date
r1          | k1        | 2020-02-01
r2          | k2        | 2019-12-01
r3          | k3        | 2020-03-01
r4          | k4        | 2021-07-01
"""
ASSESSMENTS = """
referral_id | start_date
r1          | 2020-02-10
r2          | 2020-01-05
r3          | 2021-02-01
"""
PLANS = """
child_key | plan_type | start_date
k1        | CP        | 2020-04-01
k1        | CIN       | 2020-03-01
k2        | CLA       | 2020-01-01
k3        | CIN       | 2020-12-31
"""


def test_each_outcome_counts_events_that_reached_it_in_the_window(outcomes_within):
    got = outcomes_within(EVENTS, REFERRALS, ASSESSMENTS, PLANS, AS_OF)
    # n4's window ends after as_of: not an index event. n2: the referral came before the
    # notification, but its assessment started in the window; the CLA plan the same day (not after).
    # n3: the assessment is 397 days after, outside; the CIN plan is 365 days after, inside.
    assert got[("all", "all", "referral")] == (2, 3)
    assert got[("all", "all", "assessment")] == (2, 3)
    assert got[("all", "all", "cin_plan")] == (2, 3)
    assert got[("all", "all", "cp_plan")] == (1, 3)
    assert got[("all", "all", "cla")] == (0, 3)
    assert got[("risk_level", "medium", "assessment")] == (1, 2)
    assert got[("risk_level", "high", "cp_plan")] == (1, 1)
