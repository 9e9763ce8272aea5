"""screening_funnel: cohort referrals screened by a service in [d, d + W], and the screening's result."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from tests.lib import reference_pathways
from tests.spec.conftest import SPEC_ENGINES, _connected, _dated, _engine

from daeval.metrics.screening import screening_funnel
from daeval.study.screening import Screening

AS_OF = date(2021, 12, 31)
NFA_DA = {"decision": ("nfa",), "domestic_abuse": ("Y",)}
OUTSIDE = "Lives outside the area"
FBS = Screening(cohort=NFA_DA, site_id="fbs", window_days=90, reasons=(OUTSIDE, "Age"))

REFERRALS = """
referral_id | child_key | referral_date | decision   | domestic_abuse
r1          | k1        | 2021-01-10    | nfa        | Y
r2          | k2        | 2021-01-10    | nfa        | Y
r3          | k3        | 2021-01-10    | nfa        | Y
r4          | k4        | 2021-01-10    | nfa        | Y
r5          | k5        | 2021-01-10    | assessment | Y
r6          | k6        | 2021-01-10    | nfa        | N
r7          | k7        | 2021-02-01    | nfa        | Y
r8          | k8        | 2021-02-01    | nfa        | Y
r9          | k9        | 2021-10-03    | nfa        | Y
r10         | k10       | 2021-10-02    | nfa        | Y
r11         | k11       | 2021-03-01    | nfa        | Y
r12         | k1        | 2021-06-01    | nfa        | Y
r13         | k13       | 2021-03-01    |            | Y
"""
EPISODES = """
episode_id | site_id | child_key | referral_date | eligibility | ineligible_reason
e1         | fbs     | k1        | 2021-01-10    | eligible    |
e2         | fbs     | k2        | 2021-04-10    | ineligible  | Lives outside the area
e3         | fbs     | k3        | 2021-04-11    | eligible    |
e4         | ssp     | k4        | 2021-01-20    | eligible    |
e5         | fbs     | k5        | 2021-01-11    | eligible    |
e6         | fbs     | k6        | 2021-01-11    | eligible    |
e7a        | fbs     | k7        | 2021-03-01    | eligible    |
e7b        | fbs     | k7        | 2021-02-05    | ineligible  | Known to Sam Smith's team at 4 Elm Road
e8         | fbs     | k8        | 2021-01-31    | eligible    |
e9         | fbs     | k9        | 2021-10-05    | eligible    |
e10        | fbs     | k10       | 2021-10-02    | ineligible  |
e11        | fbs     | k11       | 2021-03-02    | pending     |
e12        | fbs     | k1        | 2021-06-15    | ineligible  | Lives outside the area
e13        | fbs     | k13       | 2021-03-02    | eligible    |
"""


def _episodes(text: str) -> list[dict]:
    return _dated(text, "referral_date")


def _run_ibis(backend: str, referrals: str, episodes: str, screening: Screening, as_of: date):
    with _connected(backend) as con:
        refs = con.create_table("csc_referrals", pd.DataFrame(_dated(referrals, "referral_date")))
        eps = con.create_table("service_episodes", pd.DataFrame(_episodes(episodes)))
        return screening_funnel(refs, eps, screening, as_of).execute()


def _on(engine: str):
    def run(referrals: str, episodes: str, screening: Screening, as_of: date = AS_OF):
        if engine == "reference":
            return reference_pathways.screening_counts(
                _dated(referrals, "referral_date"), _episodes(episodes), screening, as_of
            )
        frame = _run_ibis(engine, referrals, episodes, screening, as_of)
        assert set(frame.measure) <= {"screening_funnel"}
        return {
            (r.group_by, str(r.group), r.category): (int(r.numerator), int(r.denominator))
            for r in frame.itertuples()
        }

    return run


@pytest.fixture(params=SPEC_ENGINES)
def funnel(request):
    """funnel(referrals, episodes, screening, as_of) on one engine:
    {(group_by, group, category): (numerator, denominator)}."""
    return _on(_engine(request))


def test_screened_within_the_window_at_the_site(funnel):
    got = funnel(REFERRALS, EPISODES, FBS)
    # Cohort (nfa, DA, window over by as_of): r1 r2 r3 r4 r7 r8 r10 r11 r12 = 9. r5 and r6 do not
    # match, r13 has no decision, r9's window (2021-10-03 + 90 = 2022-01-01) ends after as_of,
    # r10's (2021-10-02 + 90) ends on it. Screened: r1 (episode on day d), r2 (day d + 90), r7,
    # r10, r11, r12. Not: r3 (day d + 91), r4 (another site), r8 (the day before).
    assert got[("all", "all", "screened")] == (6, 9)


def test_eligibility_of_the_earliest_episode(funnel):
    got = funnel(REFERRALS, EPISODES, FBS)
    # r1 eligible; r11 pending (neither); r2, r10, r12 ineligible, and r7: its earliest episode
    # (e7b) is ineligible though the later one (e7a) is eligible. k1's second referral (r12)
    # has its own screening (e12); k1's earlier episode (e1) is before it.
    assert got[("all", "all", "eligible")] == (1, 6)
    assert got[("all", "all", "ineligible")] == (4, 6)


def test_reasons_listed_appear_and_others_count_as_other(funnel):
    got = funnel(REFERRALS, EPISODES, FBS)
    assert got[("all", "all", f"ineligible:{OUTSIDE}")] == (2, 4)
    assert got[("all", "all", "ineligible:Age")] == (0, 4)
    # r7's free-text reason is not listed and r10 has none: both are 'other', never shown.
    assert got[("all", "all", "ineligible:other")] == (2, 4)
    assert not any("Smith" in category for (_, _, category) in got)
    assert {(group_by, group) for (group_by, group, _) in got} == {("all", "all")}


def test_any_site_when_none_is_given(funnel):
    anywhere = Screening(cohort=NFA_DA, window_days=90, reasons=(OUTSIDE,))
    got = funnel(REFERRALS, EPISODES, anywhere)
    # r4's episode at ssp counts now.
    assert got[("all", "all", "screened")] == (7, 9)
    assert got[("all", "all", "eligible")] == (2, 7)
    assert got[("all", "all", "ineligible:other")] == (2, 4)


def test_a_cohort_filter_with_several_values_and_a_shorter_window(funnel):
    wider = Screening(
        cohort={"decision": ("nfa", "assessment"), "domestic_abuse": ("Y",)},
        site_id="fbs",
        window_days=30,
    )
    got = funnel(REFERRALS, EPISODES, wider)
    # r5 joins the cohort; with 30 days r2 (90 days) is not screened, and r9 (2021-10-03 + 30 is
    # before as_of) counts, screened 2 days after. Cohort: 9 + r5 + r9 = 11; screened: r1, r5,
    # r7, r9, r10, r11, r12.
    assert got[("all", "all", "screened")] == (7, 11)
    assert got[("all", "all", "eligible")] == (3, 7)
    # No reason listed: every ineligible episode is 'other'.
    assert got[("all", "all", "ineligible:other")] == (3, 3)


def test_two_episodes_on_the_first_day_take_the_smaller_episode_id(funnel):
    referrals = """
    referral_id | child_key | referral_date | decision | domestic_abuse
    r1          | k1        | 2021-01-10    | nfa      | Y
    """
    episodes = """
    episode_id | site_id | child_key | referral_date | eligibility | ineligible_reason
    e2         | fbs     | k1        | 2021-01-12    | eligible    |
    e1         | fbs     | k1        | 2021-01-12    | ineligible  | Age
    e0         | fbs     | k1        | 2021-01-13    | eligible    |
    """
    got = funnel(referrals, episodes, FBS)
    assert got[("all", "all", "screened")] == (1, 1)
    assert got[("all", "all", "ineligible")] == (1, 1)
    assert got[("all", "all", "ineligible:Age")] == (1, 1)


def test_no_rows_without_a_complete_cohort_referral(funnel):
    assert funnel(REFERRALS, EPISODES, FBS, date(2021, 4, 9)) == {}


@pytest.mark.parametrize("backend", ["duckdb", "sqlite"])
def test_rows_run_from_the_first_cohort_referral_to_as_of(backend):
    frame = _run_ibis(backend, REFERRALS, EPISODES, FBS, AS_OF)
    assert {pd.Timestamp(s).date() for s in frame.period_start} == {date(2021, 1, 10)}
    assert {pd.Timestamp(e).date() for e in frame.period_end} == {AS_OF}
    assert sorted(frame.category) == sorted(
        ["screened", "eligible", "ineligible", f"ineligible:{OUTSIDE}", "ineligible:Age",
         "ineligible:other"]
    )  # fmt: skip
    screened = frame[frame.category == "screened"]
    assert screened.value.tolist() == pytest.approx([6 / 9])
