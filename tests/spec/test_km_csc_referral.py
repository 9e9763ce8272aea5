"""km_csc_referral: the Kaplan-Meier cumulative probability of a first CSC referral after an index
event, censored at as_of, at 30, 91, 182, 273, 365 days and W, while 10 or more remain at risk,
with its 95% log(-log) confidence interval."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter
from pytest import approx
from tests.lib import reference_survival, spark
from tests.lib.survival_engines import as_rows, frame_on, runner
from tests.spec.conftest import SPEC_ENGINES, _dated, _engine

from daeval.metrics.measures_table import _rows_from_frame
from daeval.privacy.disclosure_control import STATISTIC_DECIMALS, suppress_small_counts

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
        "numerator", "denominator", "value", "ci_lower", "ci_upper",
    ]  # fmt: skip
    assert set(frame.period_start) == {date(2020, 1, 1)}  # the first index event
    assert set(frame.period_end) == {AS_OF}
    assert list(frame.category) == ["30", "91", "30", "91"]
    assert str(frame.numerator.dtype) == "int64" and str(frame.value.dtype) == "float64"
    assert str(frame.ci_lower.dtype) == "float64" and str(frame.ci_upper.dtype) == "float64"


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


Fits = dict[str, tuple[list, KaplanMeierFitter | None]]


def _lifelines_fits(events: list[dict], referrals: list[dict], as_of: date) -> Fits:
    """{group: (each index event's (time, referred), lifelines' fit of them or None)} for the
    groups all, standard, medium and high (alpha 0.05: the 95% interval)."""
    index = [e for e in events if e["notification_date"] < as_of]
    fits: Fits = {}
    for group in ("all", "standard", "medium", "high"):
        members = [e for e in index if group in ("all", e["risk_level"])]
        times = [reference_survival.time_to_referral(e, referrals, as_of) for e in members]
        fit = None
        if times:
            fit = KaplanMeierFitter(alpha=0.05).fit(
                [t for t, _ in times], [int(e) for _, e in times]
            )
        fits[group] = (times, fit)
    return fits


def _check_estimates(
    got, fits: Fits, events: list[dict], referrals: list[dict], as_of: date, window: int
):
    """The rows' counts and 1 - S against the reference and lifelines' estimate at each point."""
    reference = reference_survival.km_rows(events, referrals, as_of, window)
    assert got.keys() == reference.keys()
    for key, (n, d, value) in reference.items():
        assert got[key] == (n, d, approx(value))

    for group in ("all", "standard", "medium", "high"):
        times, fit = fits[group]
        expected = {}
        if fit is not None:
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


# The 95% confidence interval: the log(-log) ("exponential Greenwood") interval of S(t), as 1 - S.

Z = 1.959963984540054  # scipy.stats.norm.ppf(0.975)
IBIS_ENGINES = [e for e in SPEC_ENGINES if e != "reference"]
"""The engines that give an interval: the plain-Python reference engine of the other tests gives
(numerator, denominator, value) only, so lifelines is the oracle for the bounds."""
Intervals = dict[tuple[str, str, str], tuple[float, float, float]]


def _intervals(engine: str, events: list[dict], referrals: list[dict], *args) -> Intervals:
    """{(group_by, group, day): (1 - S(day), ci_lower, ci_upper)} on one Ibis engine."""
    return _intervals_of(frame_on(engine, "km_csc_referral", events, referrals, *args))


def _intervals_of(frame: pd.DataFrame) -> Intervals:
    return {
        (r["group_by"], r["group"], r["category"]): (r["value"], r["ci_lower"], r["ci_upper"])
        for r in frame.to_dict("records")
    }


@pytest.fixture(params=IBIS_ENGINES)
def km_ci(request):
    """km_ci(events_text, referrals_text, as_of, window_days=365) on one Ibis engine: Intervals."""
    engine = _engine(request)
    return lambda events, referrals, *args: _intervals(
        engine, _dated(events, "notification_date"), _dated(referrals, "referral_date"), *args
    )


def _by_formula(s: float, greenwood: float) -> tuple[float, float]:
    """The interval of 1 - S by the formula, with math only: v = var / (log S)^2, S's bounds
    S^exp(+-z sqrt(v)), the interval of 1 - S [1 - S's upper, 1 - S's lower]."""
    root_v = math.sqrt(greenwood / math.log(s) ** 2)
    return 1 - s ** math.exp(-Z * root_v), 1 - s ** math.exp(Z * root_v)


def _lifelines_intervals(
    events: list[dict],
    referrals: list[dict],
    as_of: date,
    window: int = 365,
    fits: Fits | None = None,
) -> dict[tuple[str, str, str], tuple[float, float]]:
    """{(group_by, group, day): (1 - S's upper, 1 - S's lower)} from lifelines'
    ``KaplanMeierFitter(alpha=0.05).confidence_interval_`` (a step function: its last time <= day),
    at the points the reference reports."""
    fits = fits or _lifelines_fits(events, referrals, as_of)
    out = {}
    for group_by, group, day in reference_survival.km_rows(events, referrals, as_of, window):
        fit = fits[group][1]
        assert fit is not None  # a reported point has index events
        upto = fit.confidence_interval_.loc[: int(day)]
        assert list(upto.columns) == ["KM_estimate_lower_0.95", "KM_estimate_upper_0.95"]
        lower, upper = (float(v) for v in upto.iloc[-1]) if len(upto) else (1.0, 1.0)
        out[(group_by, group, day)] = (1 - upper, 1 - lower)
    return out


def _assert_match(got: Intervals, expected: dict[tuple[str, str, str], tuple[float, float]]):
    assert got.keys() == expected.keys()
    for key, (low, high) in expected.items():
        value, ci_lower, ci_upper = got[key]
        assert (ci_lower, ci_upper) == (approx(low), approx(high)), key
        assert ci_lower <= value <= ci_upper, key


def test_the_textbook_intervals_by_the_formula(km_ci):
    got = km_ci(TEXTBOOK, TEXTBOOK_REFERRALS, AS_OF, 100)
    # Day 30: no referral yet, S = 1: the interval is [0, 0].
    assert got[("all", "all", "30")] == (0.0, 0.0, 0.0)
    # Day 91: S = 96/119 (3 of 21 referred on day 60, 1 of 17 on day 70); Greenwood's sum
    # 3/(21*18) + 1/(17*16) = 0.011613; v = 0.011613 / log(96/119)^2 = 0.251753; S's bounds
    # S^exp(+-1.96 * 0.501750): 0.563147 and 0.922809; 1 - S in [0.077191, 0.436853].
    low, high = _by_formula(96 / 119, 3 / (21 * 18) + 1 / (17 * 16))
    assert (low, high) == (approx(0.0771909808), approx(0.4368534354))
    assert got[("all", "all", "91")] == (approx(1 - 96 / 119), approx(low), approx(high))
    # Day 100 (W): also 1 of 15 referred on day 100: S = 64/85, 1 - S in [0.110638, 0.496800].
    low, high = _by_formula(64 / 85, 3 / (21 * 18) + 1 / (17 * 16) + 1 / (15 * 14))
    assert (low, high) == (approx(0.1106381648), approx(0.4968004892))
    assert got[("all", "all", "100")] == (approx(1 - 64 / 85), approx(low), approx(high))
    assert got[("risk_level", "high", "100")] == got[("all", "all", "100")]


# Four index events on 2021-06-01 beside the ten of PADDING (followed 730 days, never referred):
# k1 referred on day 10, k2 and k3 on day 20, k4 never (censored at as_of, day 213).
TINY = (
    HEADER
    + PADDING
    + """
n1 | k1 | 2021-06-01 | high
n2 | k2 | 2021-06-01 | high
n3 | k3 | 2021-06-01 | high
n4 | k4 | 2021-06-01 | high
"""
)
TINY_REFERRALS = """
child_key | referral_date
k1        | 2021-06-11
k2        | 2021-06-21
k3        | 2021-06-21
"""


def test_a_tiny_example_worked_by_hand(km_ci):
    got = km_ci(TINY, TINY_REFERRALS, AS_OF)
    # Day 10: 14 at risk, 1 referred; day 20: 13 at risk, 2 referred. S = 13/14 * 11/13 = 11/14
    # from day 20 on; Greenwood's sum 1/(14*13) + 2/(13*11) = 0.0194805; log S = -0.241162;
    # sqrt(v) = 0.139572 / 0.241162 = 0.578750; exp(1.96 * 0.578750) = 3.10909, so S's bounds
    # are (11/14)^3.10909 = 0.472464 and (11/14)^(1/3.10909) = 0.925365, and
    # 1 - S = 0.214286 lies in [0.074635, 0.527536].
    s = (13 / 14) * (11 / 13)
    greenwood = 1 / (14 * 13) + 2 / (13 * 11)
    log_s = math.log(s)
    factor = math.exp(Z * math.sqrt(greenwood) / -log_s)
    low, high = 1 - s ** (1 / factor), 1 - s**factor
    assert (low, high) == (approx(0.0746347737), approx(0.5275363201))
    # Every point from 30 to 365 has 10 or more at risk (the padding) and the same S.
    for day in ("30", "91", "182", "273", "365"):
        assert got[("all", "all", day)] == (approx(3 / 14), approx(low), approx(high))
        assert got[("risk_level", "standard", day)] == (0.0, 0.0, 0.0)  # no referral: S = 1
    assert ("risk_level", "high", "30") not in got  # 4 index events


# Ten children notified 2021-12-01, all referred on as_of, 30 days on.
ALL_REFERRED = HEADER + "\n".join(f"n{i} | k{i} | 2021-12-01 | medium" for i in range(10))
ALL_REFERRED_ON = "child_key | referral_date\n" + "\n".join(f"k{i} | 2021-12-31" for i in range(10))


def test_everyone_at_risk_referred_on_the_day_gives_one_one(km_ci):
    # 10 at risk at day 30, all referred that day: S(30) = 0, so 1 - S = 1 and the interval is
    # [1, 1], as lifelines gives (Greenwood's term for the day, 10 / (10 * 0), is left out).
    got = km_ci(ALL_REFERRED, ALL_REFERRED_ON, AS_OF)
    assert got[("all", "all", "30")] == (1.0, 1.0, 1.0)
    assert got[("risk_level", "medium", "30")] == (1.0, 1.0, 1.0)


TIES = HEADER + PADDING + "\nn1 | k1 | 2021-06-01 | high\nn1 | k2 | 2021-06-01 | high"
TWICE = HEADER + PADDING + "\nn1 | k1 | 2021-06-01 | high\nn2 | k1 | 2021-06-21 | high"
ON_AS_OF = HEADER + PADDING + "\nn1 | k1 | 2021-12-01 | high\nn2 | k2 | 2021-12-01 | high"
HAND_BUILT = {
    "textbook": (TEXTBOOK, TEXTBOOK_REFERRALS, 365),
    "textbook, W = 100": (TEXTBOOK, TEXTBOOK_REFERRALS, 100),
    "tiny": (TINY, TINY_REFERRALS, 365),
    "ties": (
        TIES,
        "child_key | referral_date\nk1 | 2021-06-11\nk1 | 2021-06-11\nk2 | 2021-06-11",
        365,
    ),
    "a child twice": (TWICE, "child_key | referral_date\nk1 | 2021-07-01", 365),
    "on as_of": (ON_AS_OF, "child_key | referral_date\nk1 | 2021-12-31\nk2 | 2022-01-01", 365),
    "all referred": (ALL_REFERRED, ALL_REFERRED_ON, 365),
    "none referred": (HEADER + PADDING, "child_key | referral_date", 365),
}


@pytest.mark.parametrize("case", HAND_BUILT)
def test_the_hand_built_intervals_match_lifelines(km_ci, case):
    events, referrals, window = HAND_BUILT[case]
    expected = _lifelines_intervals(
        _dated(events, "notification_date"), _dated(referrals, "referral_date"), AS_OF, window
    )
    assert expected  # every case reports a point
    _assert_match(km_ci(events, referrals, AS_OF, window), expected)


def _check_drawn(engine: str, rows: list, refs: list, window: int, estimates: bool = False):
    """The intervals of one engine's frame against lifelines (and with ``estimates``, its counts
    and 1 - S against the reference and lifelines too: one query checks both)."""
    events, referrals = _drawn(rows, refs)
    as_of = BASE + timedelta(days=730)
    frame = frame_on(engine, "km_csc_referral", events, referrals, as_of, window)
    fits = _lifelines_fits(events, referrals, as_of)
    if estimates:
        _check_estimates(as_rows(frame), fits, events, referrals, as_of, window)
    got = _intervals_of(frame)
    _assert_match(got, _lifelines_intervals(events, referrals, as_of, window, fits))
    for value, low, high in got.values():
        assert 0.0 <= low <= value <= high <= 1.0


DRAWN = {
    "rows": st.lists(child_event, min_size=10, max_size=80),
    "refs": st.lists(referral, max_size=60),
    "window": st.sampled_from([30, 100, 365, 500]),
}


# A query costs a third of a second: 60 examples on DuckDB check the estimates and the intervals
# of each; SQLite, whose date arithmetic differs, gives the same intervals on 25.
@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**DRAWN)
def test_the_estimates_and_intervals_match_lifelines_and_the_reference(rows, refs, window):
    _check_drawn("duckdb", rows, refs, window, estimates=True)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**DRAWN)
def test_the_drawn_intervals_on_sqlite_match_lifelines(rows, refs, window):
    _check_drawn("sqlite", rows, refs, window)


# On Spark a query takes seconds: six examples, each checking the estimates and the intervals.
@pytest.mark.parametrize("engine", [pytest.param("pyspark", marks=spark.ON_SPARK)])
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**DRAWN)
def test_the_drawn_intervals_match_lifelines_on_spark(spark_session, engine, rows, refs, window):
    _check_drawn(engine, rows, refs, window, estimates=True)


# Disclosure control: the interval of a released point is kept to three places like the value;
# a suppressed point's interval must go with it.
RELEASED = (
    HEADER
    + "\n".join(f"n{i} | k{i} | 2020-01-01 | high" for i in range(30))
    + "\nm1 | j1 | 2020-01-01 | medium\nm2 | j2 | 2020-01-01 | medium"
)
RELEASED_REFERRALS = "child_key | referral_date\n" + "\n".join(
    f"k{i} | 2020-01-{i + 2:02d}" for i in range(10)
)


def _through_disclosure_control(events: str, referrals: str) -> tuple[list, list]:
    """The rows as ``compute_measures`` reads them from the frame, before and after control."""
    frame = frame_on(
        "duckdb",
        "km_csc_referral",
        _dated(events, "notification_date"),
        _dated(referrals, "referral_date"),
        AS_OF,
    )
    exact = _rows_from_frame(frame)
    return exact, suppress_small_counts(exact)


def test_a_released_points_interval_is_kept_to_three_places():
    # 10 of 32 referred on days 1 to 10, the rest followed to as_of: 10 referred, 22 not, both
    # over 7, so every point of all is released, with its interval rounded as its value.
    exact, controlled = _through_disclosure_control(RELEASED, RELEASED_REFERRALS)
    assert not any(r.suppressed for r in controlled)
    assert [r.category for r in controlled if r.group_by == "all"] == [
        "30", "91", "182", "273", "365"
    ]  # fmt: skip
    for e, c in zip(exact, controlled, strict=True):
        assert e.ci_lower is not None and e.ci_upper is not None
        assert c.value == round(e.value, STATISTIC_DECIMALS)
        assert (c.ci_lower, c.ci_upper) == (
            round(e.ci_lower, STATISTIC_DECIMALS), round(e.ci_upper, STATISTIC_DECIMALS)
        )  # fmt: skip
        assert c.ci_lower <= c.value <= c.ci_upper


def test_a_suppressed_points_interval_is_blanked():
    # The TEXTBOOK points (none referred by day 30, 4 of 21 by day 91) are all suppressed: 0 and
    # 4 are 7 or fewer. Their exact rows carry an interval; the controlled rows must not.
    exact, controlled = _through_disclosure_control(TEXTBOOK, TEXTBOOK_REFERRALS)
    assert all(r.suppressed for r in controlled)
    assert all(r.ci_upper for r in exact if r.category == "91")
    for row in controlled:
        assert (row.value, row.ci_lower, row.ci_upper) == (None, None, None)
