"""risk_trajectory: the victim's highest later level within the window against the index level."""

from datetime import date

AS_OF = date(2021, 12, 31)


def test_each_index_event_falls_in_one_class(trajectories):
    table = """
    notification_id | notification_date | incident_type  | victim_key | risk_level
    a1              | 2020-01-01        | domestic_abuse | va         | standard
    a2              | 2020-03-01        | domestic_abuse | va         | high
    b1              | 2020-01-01        | domestic_abuse | vb         | high
    b2              | 2020-02-01        | domestic_abuse | vb         | medium
    c1              | 2020-01-01        | domestic_abuse | vc         | medium
    c2              | 2020-06-01        | domestic_abuse | vc         |
    d1              | 2020-01-01        | domestic_abuse | vd         | medium
    e1              | 2020-01-01        | domestic_abuse | ve         | medium
    e2              | 2021-01-01        | domestic_abuse | ve         | high
    """
    got = trajectories(table, AS_OF)
    # a1 escalated; a2 no repeat; b1 de-escalated; b2 no repeat; c1 repeat with no level;
    # d1 no repeat; e1: e2 is 366 days later (2020 is a leap year), outside; e2's window ends
    # after as_of, so e2 is not an index event.
    assert got[("all", "all", "escalated")] == (1, 7)
    assert got[("all", "all", "de_escalated")] == (1, 7)
    assert got[("all", "all", "repeat_same_level")] == (1, 7)
    assert got[("all", "all", "no_repeat")] == (4, 7)
    assert got[("risk_level", "medium", "no_repeat")] == (3, 4)
    assert got[("risk_level", "high", "de_escalated")] == (1, 2)
    assert got[("risk_level", "standard", "escalated")] == (1, 1)


def test_the_highest_later_level_decides_and_same_day_is_not_later(trajectories):
    table = """
    notification_id | notification_date | incident_type       | victim_key | risk_level
    a1              | 2020-01-01        | domestic_abuse      | va         | medium
    a2              | 2020-01-01        | domestic_abuse      | va         | high
    a3              | 2020-02-01        | domestic_abuse      | va         | standard
    a4              | 2020-03-01        | domestic_abuse      | va         | medium
    a5              | 2020-03-05        | other_vulnerability | va         | high
    """
    got = trajectories(table, AS_OF)
    # a1: later a3, a4 (a2 same day, a5 not domestic abuse) → highest medium = same level.
    # a2: later a3, a4 → highest medium < high → de-escalated. a3: later a4 → escalated.
    # a4: nothing later that counts → no repeat.
    assert got[("risk_level", "medium", "repeat_same_level")] == (1, 2)
    assert got[("risk_level", "high", "de_escalated")] == (1, 1)
    assert got[("risk_level", "standard", "escalated")] == (1, 1)
    assert got[("all", "all", "no_repeat")] == (1, 4)
