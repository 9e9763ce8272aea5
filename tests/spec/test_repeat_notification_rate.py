"""repeat_notification_rate: the same victim had a domestic abuse notification in the year before."""

from datetime import date

START, END = date(2020, 1, 1), date(2021, 12, 31)


def test_a_second_notification_about_a_victim_within_a_year_is_a_repeat(repeats):
    table = """
    notification_date | incident_type       | victim_key | risk_level
    2020-02-01        | domestic_abuse      | v1         | standard
    2020-08-01        | domestic_abuse      | v1         | high
    2020-03-01        | domestic_abuse      | v2         | medium
    2020-04-01        | other_vulnerability | v2         |
    2020-05-01        | domestic_abuse      | v2         | medium
    """
    got = repeats(table, START, END)
    # v1's second is a repeat; v2's other-vulnerability referral does not count either way.
    assert got[("all", "all")] == (2, 4)
    assert got[("risk_level", "high")] == (1, 1)
    assert got[("risk_level", "medium")] == (1, 2)
    assert got[("risk_level", "standard")] == (0, 1)


def test_365_days_is_within_and_366_is_not_and_the_same_day_is_no_repeat(repeats):
    table = """
    notification_date | incident_type  | victim_key | risk_level
    2020-03-01        | domestic_abuse | v1         | high
    2021-03-01        | domestic_abuse | v1         | high
    2020-03-01        | domestic_abuse | v2         | high
    2021-03-02        | domestic_abuse | v2         | high
    2020-06-01        | domestic_abuse | v3         | high
    2020-06-01        | domestic_abuse | v3         | high
    """
    assert repeats(table, START, END)[("all", "all")] == (1, 6)


def test_an_earlier_notification_before_the_period_still_makes_a_repeat(repeats):
    table = """
    notification_date | incident_type  | victim_key | risk_level
    2019-12-01        | domestic_abuse | v1         | medium
    2020-01-10        | domestic_abuse | v1         | medium
    2020-01-10        | domestic_abuse |            | medium
    """
    # The 2019 notification is outside the period but inside the look-back; no victim, not counted.
    assert repeats(table, START, END)[("all", "all")] == (1, 1)


def test_a_shorter_window(repeats):
    table = """
    notification_date | incident_type  | victim_key | risk_level
    2020-02-01        | domestic_abuse | v1         | high
    2020-03-15        | domestic_abuse | v1         | high
    """
    assert repeats(table, START, END, 30)[("all", "all")] == (0, 2)
    assert repeats(table, START, END, 43)[("all", "all")] == (1, 2)
