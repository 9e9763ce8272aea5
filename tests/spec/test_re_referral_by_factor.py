"""re_referral_by_factor: re-referrals among referrals whose assessment recorded each factor."""

from datetime import date

REFERRALS = """
referral_id | child_id | la_code | referral_date
r1          | c1       | 900     | 2020-01-10
r2          | c1       | 900     | 2020-06-10
r3          | c2       | 900     | 2020-03-01
r4          | c3       | 900     | 2020-04-01
r5          | c3       | 900     | 2020-05-01
"""
ASSESSMENTS = """
assessment_id | referral_id | factors
a1            | r1          | 3A;3B
a2            | r2          | 3B
a3            | r3          | 3C;2B
a4            | r5          | 3A
a5            | r5          | 3A;1C
"""


def test_each_factor_has_the_re_referral_rate_of_its_referrals(by_factor):
    got = by_factor(REFERRALS, ASSESSMENTS, date(2020, 1, 1), date(2020, 12, 31))
    # r2 and r5 are re-referrals. 3A: r1, r5 (two assessments of r5 count it once).
    assert got[("factor", "3A")] == (1, 2)
    assert got[("factor", "3B")] == (1, 2)
    assert got[("factor", "3C")] == (0, 1)
    assert got[("factor", "1C")] == (1, 1)
    assert ("factor", "4A") not in got
    # A code is matched whole: 3A does not match inside another code.
    assert ("factor", "3") not in got
