"""reliable_change and clinical_change in the measures table: who is counted (a valid baseline
and end from the same respondent, the end by as_of), the classes, and the mean change and
standardised effect size with their intervals, checked against scipy and numpy."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pytest
from scipy import stats
from tests.lib.questionnaires import answers, with_total
from tests.spec.conftest import SPEC_ENGINES, _connected, _engine, answers_table

from daeval.instruments.settings import default_settings
from daeval.metrics.reliable_change import change_frame

AS_OF = date(2024, 12, 31)
START, END = date(2024, 1, 10), date(2024, 6, 10)

# PHQ-9 totals (baseline, end) at site fbs. Threshold 6 points; cut-off 10 (no norms, so the
# published cut-off is the clinical range).
PAIRS = {
    "a": (20, 8),  # fell 12 to below 10: reliably improved, recovered
    "b": (18, 12),  # fell exactly 6, still >= 10: reliably improved, improved
    "c": (15, 11),  # fell 4: unchanged
    "d": (12, 19),  # rose 7: reliably deteriorated, deteriorated
    "e": (6, 13),  # rose 7 from outside the clinical range: reliably deteriorated only
    "f": (9, 9),  # no change, outside the clinical range
    "g": (22, 14),  # fell 8, still >= 10: improved
    "h": (14, 3),  # fell 11 to below 10: recovered
}


def _rows() -> list[dict]:
    rows = []
    for person, (baseline, end) in PAIRS.items():
        rows += answers(
            "PHQ9", with_total(baseline, 0, 3, 9), person, "baseline", "service:fbs", START
        )
        rows += answers("PHQ9", with_total(end, 0, 3, 9), person, "end", "service:fbs", END)
    # Not counted: a baseline only; an end after as_of; an end with two items missing (no
    # score); a parent's end questionnaire against the person's own baseline.
    rows += answers("PHQ9", with_total(20, 0, 3, 9), "x1", "baseline", "service:fbs", START)
    rows += answers("PHQ9", with_total(20, 0, 3, 9), "x2", "baseline", "service:fbs", START)
    rows += answers("PHQ9", with_total(5, 0, 3, 9), "x2", "end", "service:fbs", date(2025, 1, 5))
    rows += answers("PHQ9", with_total(20, 0, 3, 9), "x3", "baseline", "service:fbs", START)
    rows += answers(
        "PHQ9", with_total(4, 0, 3, 9) | {8: None, 9: None}, "x3", "end", "service:fbs", END
    )
    rows += answers("PHQ9", with_total(20, 0, 3, 9), "x4", "baseline", "service:fbs", START)
    rows += answers("PHQ9", with_total(2, 0, 3, 9), "x4", "end", "service:fbs", END, "parent")
    # Another site: two people.
    for person, (b, e) in {"s1": (16, 8), "s2": (11, 10)}.items():
        rows += answers("PHQ9", with_total(b, 0, 3, 9), person, "baseline", "service:sat", START)
        rows += answers("PHQ9", with_total(e, 0, 3, 9), person, "end", "service:sat", END)
    return rows


@pytest.fixture(scope="module", params=[e for e in SPEC_ENGINES if e != "reference"])
def change_measures(request):
    """The figures below are worked by hand and by scipy, so the Ibis engines are checked (the
    rows computed once per engine for the tests that read them)."""
    engine = _engine(request)
    with _connected(engine) as con:
        table = con.create_table("measure_responses", answers_table(_rows()))
        frame = change_frame(table, default_settings(), AS_OF)
    return {(r.measure, r.group_by, r.group, r.category): r for r in frame.itertuples(index=False)}


def _counts(got: dict, measure: str, group_by: str, group: str, classes: tuple) -> dict:
    return {
        c: (got[(measure, group_by, group, f"PHQ9:{c}")].numerator,
            got[(measure, group_by, group, f"PHQ9:{c}")].denominator)
        for c in classes
    }  # fmt: skip


def test_reliable_change_classes_by_site(change_measures):
    got = change_measures
    assert _counts(got, "reliable_change", "site_id", "fbs",
                   ("reliably_improved", "unchanged", "reliably_deteriorated")) == {
        "reliably_improved": (4, 8), "unchanged": (2, 8), "reliably_deteriorated": (2, 8)
    }  # fmt: skip
    # sat: 16 -> 8 fell 8 (improved), 11 -> 10 unchanged; all sites together.
    assert _counts(got, "reliable_change", "all", "all",
                   ("reliably_improved", "unchanged", "reliably_deteriorated")) == {
        "reliably_improved": (5, 10), "unchanged": (3, 10), "reliably_deteriorated": (2, 10)
    }  # fmt: skip


def test_clinical_change_counts_only_those_starting_in_the_clinical_range(change_measures):
    got = change_measures
    # fbs starting >= 10: a, b, c, d, g, h (e and f start below).
    assert _counts(got, "clinical_change", "site_id", "fbs",
                   ("recovered", "improved", "unchanged", "deteriorated")) == {
        "recovered": (2, 6), "improved": (2, 6), "unchanged": (1, 6), "deteriorated": (1, 6)
    }  # fmt: skip


@pytest.fixture(params=[e for e in SPEC_ENGINES if e != "reference"])
def ibis_engine(request) -> str:
    return _engine(request)


def test_a_group_where_nobody_starts_in_the_clinical_range_has_no_clinical_rows(ibis_engine):
    engine = ibis_engine
    rows = []
    for person, (b, e) in {"p1": (5, 4), "p2": (8, 5)}.items():
        rows += answers("PHQ9", with_total(b, 0, 3, 9), person, "baseline", "service:low", START)
        rows += answers("PHQ9", with_total(e, 0, 3, 9), person, "end", "service:low", END)
    with _connected(engine) as con:
        table = con.create_table("measure_responses", answers_table(rows))
        frame = change_frame(table, default_settings(), AS_OF)
    assert set(frame.measure) == {"reliable_change"}
    unchanged = frame[frame.category == "PHQ9:unchanged"]
    assert list(zip(unchanged.numerator, unchanged.denominator, strict=True)) == [(2, 2), (2, 2)]


def test_mean_change_and_effect_size_with_their_intervals(change_measures):
    got = change_measures
    baseline = np.array([b for b, _ in PAIRS.values()], dtype=float)
    end = np.array([e for _, e in PAIRS.values()], dtype=float)
    change = end - baseline
    n = len(change)
    mean = got[("reliable_change", "site_id", "fbs", "PHQ9:mean_change")]
    assert mean.numerator == n and mean.value == pytest.approx(change.mean())
    low, high = stats.t.interval(0.95, n - 1, loc=change.mean(), scale=stats.sem(change))
    assert (mean.ci_lower, mean.ci_upper) == (pytest.approx(low), pytest.approx(high))

    effect = got[("reliable_change", "site_id", "fbs", "PHQ9:effect_size")]
    d = change.mean() / baseline.std(ddof=1)
    r = np.corrcoef(baseline, end)[0, 1]
    half = 1.959964 * math.sqrt(2 * (1 - r) / n + d * d / (2 * n))
    assert effect.value == pytest.approx(d)
    assert (effect.ci_lower, effect.ci_upper) == (
        pytest.approx(d - half, rel=1e-5),
        pytest.approx(d + half, rel=1e-5),
    )


# CORE-10 (clinical score: the item mean times 10, items 2 and 3 reversed, one item of ten may be
# missing): answers that give fractional scores, so that sums of scores must keep their fractions.
CORE10_PAIRS = {  # person: (baseline answers, end answers), items 1-10; None is unanswered
    "k": ([3, 1, 0, 4, 3, 2, 3, None, 4, 2], [1, 3, 2, 1, 1, 0, 2, 1, 0, 1]),
    "l": ([2, 2, 1, 3, 3, 3, 2, 2, None, 4], [2, 3, 3, 1, 1, 1, 2, 0, 1, None]),
    "m": ([4, 0, 0, 4, 4, 3, 4, 3, 3, 3], [3, 2, 1, None, 2, 2, 1, 1, 2, 1]),
    "n": ([1, 2, 2, 2, None, 1, 2, 2, 1, 1], [1, 3, 3, 0, 1, 0, 1, 1, 0, 0]),
}


def _core10_score(values: list) -> float:
    answered = [4 - v if item in (2, 3) else v for item, v in enumerate(values, 1) if v is not None]
    return round(10 * sum(answered) / len(answered), 2)  # scores are kept to two decimals


@pytest.fixture(params=[e for e in SPEC_ENGINES if e != "reference"])
def core10_measures(request):
    rows = []
    for person, (baseline, end) in CORE10_PAIRS.items():
        for timepoint, values in (("baseline", baseline), ("end", end)):
            answered = dict(enumerate(values, 1))
            on = START if timepoint == "baseline" else END
            rows += answers("CORE10", answered, person, timepoint, "service:fbs", on)
    engine = _engine(request)
    with _connected(engine) as con:
        table = con.create_table("measure_responses", answers_table(rows))
        frame = change_frame(table, default_settings(), AS_OF)
    return {(r.group_by, r.category): r for r in frame.itertuples(index=False)}


def test_mean_change_and_effect_size_of_fractional_scores(core10_measures):
    baseline = np.array([_core10_score(b) for b, _ in CORE10_PAIRS.values()])
    end = np.array([_core10_score(e) for _, e in CORE10_PAIRS.values()])
    assert any(s != round(s) for s in np.concatenate([baseline, end]))
    change = end - baseline
    mean = core10_measures[("all", "CORE10:mean_change")]
    assert mean.numerator == len(change) and mean.value == pytest.approx(change.mean())
    effect = core10_measures[("all", "CORE10:effect_size")]
    assert effect.value == pytest.approx(change.mean() / baseline.std(ddof=1))
