"""post_separation_share: among DA notifications with the item recorded, the share after separation."""

from datetime import date


def test_share_among_recorded_domestic_abuse_notifications_in_the_period(separations):
    table = """
    notification_date | incident_type       | post_separation | risk_level
    2020-01-01        | domestic_abuse      | Y               | high
    2020-02-01        | domestic_abuse      | N               | high
    2020-03-01        | domestic_abuse      | Y               | standard
    2020-04-01        | domestic_abuse      |                 | standard
    2020-05-01        | other_vulnerability | Y               |
    2019-12-31        | domestic_abuse      | Y               | high
    2020-06-01        | domestic_abuse      | N               |
    """
    got = separations(table, date(2020, 1, 1), date(2020, 12, 31))
    # Not counted: no answer, not domestic abuse, before the period.
    assert got[("all", "all")] == (2, 4)
    assert got[("risk_level", "high")] == (1, 2)
    assert got[("risk_level", "standard")] == (1, 1)
    assert ("risk_level", "medium") not in got
