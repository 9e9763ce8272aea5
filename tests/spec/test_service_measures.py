"""service_funnel and dropout_rate: each stage needs the ones before; drop-out among ended episodes."""

from datetime import date

AS_OF = date(2021, 12, 31)
EPISODES = """
site_id | referral_date | eligibility | first_contact_date | offer     | start_date | end_date   | end_reason
fbs     | 2020-01-01    | eligible    | 2020-01-05         | accepted  | 2020-01-10 | 2020-06-01 | completed
fbs     | 2020-02-01    | eligible    | 2020-02-05         | accepted  | 2020-02-10 | 2020-03-01 | disengaged
fbs     | 2020-03-01    | eligible    | 2020-03-05         | declined  |            |            |
fbs     | 2020-04-01    | ineligible  |                    |           |            |            |
fbs     | 2020-05-01    | eligible    |                    | accepted  | 2020-05-10 | 2020-07-01 | completed
sat     | 2020-01-01    | eligible    | 2020-01-02         | accepted  | 2020-01-03 |            |
sat     | 2020-02-01    | eligible    | 2020-02-02         | accepted  | 2020-02-03 | 2020-04-01 | moved_away
sat     | 2022-01-05    | eligible    | 2022-01-06         | accepted  | 2022-01-07 | 2022-02-01 | completed
"""


def test_each_stage_counts_episodes_that_reached_it_and_every_stage_before(funnel):
    got = funnel(EPISODES, AS_OF)
    # fbs: 5 referred, 4 eligible, 3 contacted (the fifth has no contact date), 2 accepted,
    # 2 started, 1 completed (the fifth completed without a recorded contact: not in the funnel).
    expected = {"referred": (5, 5), "eligible": (4, 5), "contacted": (3, 4),
                "accepted": (2, 3), "started": (2, 2), "completed": (1, 2)}  # fmt: skip
    assert {s: got[("site_id", "fbs", s)] for s in expected} == expected
    # sat: the episode referred after as_of is left out.
    assert got[("site_id", "sat", "referred")] == (2, 2)
    assert got[("site_id", "sat", "completed")] == (0, 2)
    assert got[("all", "all", "referred")] == (7, 7)
    assert got[("all", "all", "started")] == (4, 4)


def test_drop_out_is_counted_among_episodes_that_started_and_ended(dropouts):
    got = dropouts(EPISODES, AS_OF)
    assert got[("site_id", "fbs")] == (1, 3)
    assert got[("site_id", "sat")] == (1, 1)
    assert got[("all", "all")] == (2, 4)
