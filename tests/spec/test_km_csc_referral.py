"""km_csc_referral: the Kaplan-Meier cumulative probability of a first CSC referral after an index
event, censored at as_of, at 30, 91, 182, 273, 365 days and W, while 10 or more remain at risk."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter
from pytest import approx
from tests.lib import reference_survival
from tests.lib.survival_engines import frame_on, runner
from tests.spec.conftest import SPEC_ENGINES, _dated, _engine

AS_OF = date(2021, 12, 31)

# Freireich's 6-MP arm (Gehan 1965), the textbook Kaplan-Meier example (Kleinbaum & Klein,
# "Survival Analysis", ch. 2), its weeks read as tens of days. 21 children; referred after
# 60 60 60 70 100 130 160 220 230 days (notified 2020-01-01); censored at as_of after
# 60 90 100 110 170 190 200 250 320 320 340 350 days (notified as_of - that).
#   day  at risk (time >= day)  referred  S(day)
#    60   21                     3        18/21                = 6/7     = 0.857143
#    70   17 (3 referred and 1 censored at 60 left)  1  6/7 * 16/17  = 96/119 = 0.806723
#   100   15 (censored at 90 left; censored at 100 still at risk)  1  * 14/15 = 64/85 = 0.752941
#   130   12                     1        * 11/12              = 176/255 = 0.690196
#   160   11                     1        * 10/11              = 32/51   = 0.627451
#   220    7                     1        * 6/7                = 64/119  = 0.537815
#   230    6                     1        * 5/6                = 160/357 = 0.448179
# At risk at 30: 21; at 91: 15; at 182: 9 (referred 220 230, censored 190 200 250 320 320 340
# 350), fewer than 10, so the rows stop after 91.
TEXTBOOK = """
notification_id | child_key | notification_date | risk_level
n01             | k01       | 2020-01-01        | high
n02             | k02       | 2020-01-01        | high
n03             | k03       | 2020-01-01        | high
n04             | k04       | 2020-01-01        | high
n05             | k05       | 2020-01-01        | high
n06             | k06       | 2020-01-01        | high
n07             | k07       | 2020-01-01        | high
n08             | k08       | 2020-01-01        | high
n09             | k09       | 2020-01-01        | high
n10             | k10       | 2021-11-01        | high
n11             | k11       | 2021-10-02        | high
n12             | k12       | 2021-09-22        | high
n13             | k13       | 2021-09-12        | high
n14             | k14       | 2021-07-14        | high
n15             | k15       | 2021-06-24        | high
n16             | k16       | 2021-06-14        | high
n17             | k17       | 2021-04-25        | high
n18             | k18       | 2021-02-14        | high
n19             | k19       | 2021-02-14        | high
n20             | k20       | 2021-01-25        | high
n21             | k21       | 2021-01-15        | high
"""
TEXTBOOK_REFERRALS = """
child_key | referral_date
k01       | 2020-03-01
k02       | 2020-03-01
k03       | 2020-03-01
k04       | 2020-03-11
k05       | 2020-04-10
k06       | 2020-06-09
k06       | 2020-05-10
k07       | 2020-06-09
k08       | 2020-08-08
k09       | 2020-08-18
"""
# Ten children followed for 730 days and never referred: they keep 10 at risk up to day 730, so
# the effect of one more child on the estimate can be seen.
PADDING = "\n".join(f"p{i} | q{i} | 2020-01-01 | standard" for i in range(10))
HEADER = "notification_id | child_key | notification_date | risk_level\n"


@pytest.fixture(params=SPEC_ENGINES)
def km(request):
    """km(events_text, referrals_text, as_of, window_days=365) on one engine:
    {(group_by, group, day): (referred by day, index events, 1 - S(day))}."""
    run = runner(_engine(request), "km_csc_referral")
    return lambda events, referrals, *args: run(
        _dated(events, "notification_date"), _dated(referrals, "referral_date"), *args
    )


def test_the_textbook_example(km):
    got = km(TEXTBOOK, TEXTBOOK_REFERRALS, AS_OF)
    # k06's second referral (2020-06-09) is not its first: its time is 130.
    assert got[("all", "all", "30")] == (0, 21, 0.0)
    assert got[("all", "all", "91")] == (4, 21, approx(1 - 96 / 119))  # 23/119 = 0.193277
    assert ("all", "all", "182") not in got  # 9 at risk
    assert {k[2] for k in got if k[0] == "all"} == {"30", "91"}
    for day in ("30", "91"):
        assert got[("risk_level", "high", day)] == got[("all", "all", day)]
    assert not {k for k in got if k[1] in ("standard", "medium")}


def test_the_window_is_a_time_point_too(km):
    got = km(TEXTBOOK, TEXTBOOK_REFERRALS, AS_OF, 100)
    # S(100) = 64/85 (the referral at 100 counts; the child censored at 100 was at risk).
    assert got[("all", "all", "100")] == (5, 21, approx(1 - 64 / 85))  # 21/85 = 0.247059
    assert {k[2] for k in got if k[0] == "all"} == {"30", "91", "100"}
    # W = 30 is one of the time points already: no second row.
    assert {k[2] for k in km(TEXTBOOK, TEXTBOOK_REFERRALS, AS_OF, 30) if k[0] == "all"} == {
        "30",
        "91",
    }


def test_a_point_is_reported_with_ten_at_risk_and_not_with_nine(km):
    # Ten children notified 2021-07-02, 182 days before as_of, none referred: 10 at risk at 182.
    ten = HEADER + "\n".join(f"n{i} | k{i} | 2021-07-02 | medium" for i in range(10))
    got = km(ten, "child_key | referral_date", AS_OF)
    assert got[("all", "all", "182")] == (0, 10, 0.0)
    assert ("all", "all", "273") not in got  # no one followed that long
    assert got[("risk_level", "medium", "182")] == (0, 10, 0.0)
    # One of them referred on day 181 (2021-12-30) leaves 9 at risk at 182; 10 at 91, where
    # S = 1 (the referral is after 91).
    got = km(ten, "child_key | referral_date\nk0 | 2021-12-30", AS_OF)
    assert ("all", "all", "182") not in got
    assert got[("all", "all", "91")] == (0, 10, 0.0)


def test_fewer_than_ten_index_events_give_no_rows(km):
    nine = HEADER + "\n".join(f"n{i} | k{i} | 2020-01-01 | high" for i in range(9))
    assert km(nine, "child_key | referral_date\nk0 | 2020-01-05", AS_OF) == {}


def test_a_referral_on_the_day_before_it_or_after_as_of_is_not_an_event(km):
    events = HEADER + PADDING + "\nn1 | k1 | 2021-06-01 | high"
    referrals = """
    child_key | referral_date
    k1        | 2021-06-01
    k1        | 2021-05-01
    k1        | 2022-01-05
    """
    # k1 is censored at as_of (213 days): no referral in (d, as_of].
    got = km(events, referrals, AS_OF)
    assert got[("all", "all", "30")] == (0, 11, 0.0)
    assert got[("all", "all", "182")] == (0, 11, 0.0)
    assert ("risk_level", "high", "30") not in got  # 1 index event


def test_same_day_referrals_of_one_child_count_once_and_of_two_children_tie(km):
    events = HEADER + PADDING + "\nn1 | k1 | 2021-06-01 | high\nn1 | k2 | 2021-06-01 | high"
    referrals = """
    child_key | referral_date
    k1        | 2021-06-11
    k1        | 2021-06-11
    k2        | 2021-06-11
    """
    # Day 10: 12 at risk, 2 referred (k1 once): S = 10/12.
    assert km(events, referrals, AS_OF)[("all", "all", "30")] == (2, 12, approx(2 / 12))


def test_a_child_in_two_notifications_is_timed_from_each(km):
    events = HEADER + PADDING + "\nn1 | k1 | 2021-06-01 | high\nn2 | k1 | 2021-06-21 | high"
    referrals = "child_key | referral_date\nk1 | 2021-07-01"
    # n2: 10 days (12 at risk, S = 11/12); n1: 30 days (11 at risk, S = 11/12 * 10/11 = 10/12).
    got = km(events, referrals, AS_OF)
    assert got[("all", "all", "30")] == (2, 12, approx(2 / 12))
    assert got[("all", "all", "91")] == (2, 12, approx(2 / 12))


def test_a_referral_on_as_of_is_an_event(km):
    events = HEADER + PADDING + "\nn1 | k1 | 2021-12-01 | high\nn2 | k2 | 2021-12-01 | high"
    referrals = "child_key | referral_date\nk1 | 2021-12-31\nk2 | 2022-01-01"
    # k1 referred on as_of, 30 days on: an event at 30. k2's referral is after as_of: censored
    # at 30, still at risk at 30. Day 30: 12 at risk, 1 referred: S = 11/12.
    got = km(events, referrals, AS_OF)
    assert got[("all", "all", "30")] == (1, 12, approx(1 / 12))
    assert got[("all", "all", "91")] == (1, 12, approx(1 / 12))  # 10 at risk


def test_a_notification_on_or_after_as_of_is_not_an_index_event(km):
    events = HEADER + PADDING + "\nn1 | k1 | 2021-12-31 | high\nn2 | k2 | 2022-01-02 | high"
    assert km(events, "child_key | referral_date", AS_OF)[("all", "all", "30")] == (0, 10, 0.0)


@pytest.mark.parametrize("backend", ["duckdb", "sqlite"])
def test_the_rows_are_measures_table_rows(backend):
    frame = frame_on(
        backend,
        "km_csc_referral",
        _dated(TEXTBOOK, "notification_date"),
        _dated(TEXTBOOK_REFERRALS, "referral_date"),
        AS_OF,
    )
    assert list(frame.columns) == [
        "measure", "group_by", "group", "category", "period_start", "period_end",
        "numerator", "denominator", "value",
    ]  # fmt: skip
    assert set(frame.period_start) == {date(2020, 1, 1)}  # the first index event
    assert set(frame.period_end) == {AS_OF}
    assert list(frame.category) == ["30", "91", "30", "91"]
    assert str(frame.numerator.dtype) == "int64" and str(frame.value.dtype) == "float64"


BASE = date(2020, 1, 1)
child_event = st.tuples(
    st.integers(0, 9),  # child
    st.integers(0, 760),  # notification day (as_of is day 730)
    st.sampled_from(["standard", "medium", "high", None]),
)
referral = st.tuples(st.integers(0, 9), st.integers(0, 800))


def _drawn(rows: list, refs: list) -> tuple[list[dict], list[dict]]:
    events = [
        {"notification_id": f"n{i}", "child_key": f"k{c}",
         "notification_date": BASE + timedelta(days=d), "risk_level": level}
        for i, (c, d, level) in enumerate(rows)
    ]  # fmt: skip
    referrals = [{"child_key": f"k{c}", "referral_date": BASE + timedelta(days=d)} for c, d in refs]
    return events, referrals


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(child_event, min_size=10, max_size=80),
    refs=st.lists(referral, max_size=60),
    window=st.sampled_from([30, 100, 365, 500]),
)
def test_the_estimates_match_lifelines_and_the_reference(rows, refs, window):
    events, referrals = _drawn(rows, refs)
    as_of = BASE + timedelta(days=730)
    got = runner("duckdb", "km_csc_referral")(events, referrals, as_of, window)
    reference = reference_survival.km_rows(events, referrals, as_of, window)
    assert got.keys() == reference.keys()
    for key, (n, d, value) in reference.items():
        assert got[key] == (n, d, approx(value))

    index = [e for e in events if e["notification_date"] < as_of]
    for group in ("all", "standard", "medium", "high"):
        members = [e for e in index if group in ("all", e["risk_level"])]
        times = [reference_survival.time_to_referral(e, referrals, as_of) for e in members]
        expected = {}
        if times:
            fit = KaplanMeierFitter().fit([t for t, _ in times], [int(e) for _, e in times])
            table = fit.event_table  # at_risk: time >= the row's time
            for t in sorted({30, 91, 182, 273, 365, window}):
                later = table[table.index >= t]
                if (later.at_risk.iloc[0] if len(later) else 0) < 10:
                    break
                referred = int(table.observed[table.index <= t].sum())
                expected[str(t)] = (
                    referred, len(times), approx(float(fit.cumulative_density_at_times(t).iloc[0]))
                )  # fmt: skip
        group_by = "all" if group == "all" else "risk_level"
        assert {k[2]: v for k, v in got.items() if k[:2] == (group_by, group)} == expected
