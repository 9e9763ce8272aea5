"""Scoring questionnaires, checked against the instruments' published figures: bands at every
boundary, the SWEMWBS conversion table end to end, prorating at the limit of each missing-item
rule and one past it, reverse-keyed items; and answers that cannot be scored."""

from __future__ import annotations

import pytest
from tests.lib.questionnaires import answers, with_total

from daeval.instruments.library import builtin_library

LIBRARY = builtin_library()


def one(result: dict, instrument: str, person: str = "p1", timepoint: str = "baseline") -> dict:
    return result[("service:x", person, instrument, timepoint, "self")]


# Kroenke, Spitzer & Williams (2001): 0-4 minimal, 5-9 mild, 10-14 moderate, 15-19 moderately
# severe, 20-27 severe; >= 10 the screening cut-off.
PHQ9_BANDS = {0: "minimal", 4: "minimal", 5: "mild", 9: "mild", 10: "moderate", 14: "moderate",
              15: "moderately_severe", 19: "moderately_severe", 20: "severe", 27: "severe"}  # fmt: skip
# Spitzer, Kroenke, Williams & Löwe (2006): 0-4 minimal, 5-9 mild, 10-14 moderate, 15-21 severe.
GAD7_BANDS = {0: "minimal", 4: "minimal", 5: "mild", 9: "mild", 10: "moderate", 14: "moderate",
              15: "severe", 21: "severe"}  # fmt: skip


@pytest.mark.parametrize(
    ("instrument", "items", "bands"), [("PHQ9", 9, PHQ9_BANDS), ("GAD7", 7, GAD7_BANDS)]
)
def test_bands_and_cut_off_at_every_boundary(scores, instrument, items, bands):
    rows = []
    for total in bands:
        rows += answers(instrument, with_total(total, 0, 3, items), person=f"t{total}")
    got = scores(rows)
    for total, band in bands.items():
        result = one(got, instrument, person=f"t{total}")
        assert (result["score"], result["band"]) == (total, band), total
        assert result["above_cutoff"] is (total >= 10)
        assert result["valid"] and not result["prorated"]


# SWEMWBS raw score -> metric score (Stewart-Brown et al. 2009; Warwick Medical School), as given in
# the project's outcome-measure notes: every raw total from 7 to 35.
SWEMWBS_METRIC = {
    7: 7.00, 8: 9.51, 9: 11.25, 10: 12.40, 11: 13.33, 12: 14.08, 13: 14.75, 14: 15.32, 15: 15.84,
    16: 16.36, 17: 16.88, 18: 17.43, 19: 17.98, 20: 18.59, 21: 19.25, 22: 19.98, 23: 20.73,
    24: 21.54, 25: 22.35, 26: 23.21, 27: 24.11, 28: 25.03, 29: 26.02, 30: 27.03, 31: 28.13,
    32: 29.31, 33: 30.70, 34: 32.55, 35: 35.00,
}  # fmt: skip


def test_swemwbs_converts_every_raw_total_to_the_published_metric_score(scores):
    rows = []
    for raw in SWEMWBS_METRIC:
        rows += answers("SWEMWBS", with_total(raw, 1, 5, 7), person=f"r{raw}")
    got = scores(rows)
    assert {raw: one(got, "SWEMWBS", f"r{raw}")["score"] for raw in SWEMWBS_METRIC} == (
        SWEMWBS_METRIC
    )
    # The table needs the complete raw total: one unanswered item and there is no score.
    short = scores(answers("SWEMWBS", {1: 3, 2: 3, 3: 3, 4: 3, 5: 3, 6: 3, 7: None}))
    assert one(short, "SWEMWBS")["score"] is None
    assert one(short, "SWEMWBS")["valid"] is False


def test_phq9_prorates_one_missing_item_and_refuses_two(scores):
    eight = {i: 2 for i in range(1, 9)} | {9: None}  # eight answers of 2: 16 over 8 items
    seven = {i: 2 for i in range(1, 8)} | {8: None, 9: None}
    got = scores(answers("PHQ9", eight, "a") + answers("PHQ9", seven, "b"))
    limit, past = one(got, "PHQ9", "a"), one(got, "PHQ9", "b")
    assert (limit["score"], limit["valid"], limit["prorated"], limit["n_missing"]) == (
        18.0, True, True, 1
    )  # fmt: skip
    assert (past["score"], past["valid"], past["prorated"], past["n_missing"]) == (
        None, False, False, 2
    )  # fmt: skip


def test_core10_reverses_items_2_and_3_and_prorates_to_ten_times_the_item_mean(scores):
    # All answers 4 ("most or all of the time"): items 2 and 3 are positively worded, so they
    # score 0 and the clinical score is 10 x (8 x 4) / 10 = 32.
    full = {i: 4 for i in range(1, 11)}
    # One missing (item 10): 10 x (7 x 4 + 0 + 0) / 9 = 31.11; two missing: no score.
    limit = full | {10: None}
    past = full | {9: None, 10: None}
    got = scores(
        answers("CORE10", full, "a") + answers("CORE10", limit, "b") + answers("CORE10", past, "c")
    )
    assert one(got, "CORE10", "a")["score"] == 32.0
    assert one(got, "CORE10", "b")["score"] == 31.11
    assert one(got, "CORE10", "b")["prorated"] is True
    assert one(got, "CORE10", "c")["valid"] is False
    # Cut-off 11 (Barkham et al. 2013): 10 is below it, 11 at it.
    ten = {1: 4, 2: 4, 3: 4, 4: 4, 5: 2, 6: 0, 7: 0, 8: 0, 9: 0, 10: 0}  # 4+0+0+4+2 = 10
    eleven = ten | {5: 3}
    got = scores(answers("CORE10", ten, "d") + answers("CORE10", eleven, "e"))
    assert (one(got, "CORE10", "d")["score"], one(got, "CORE10", "d")["above_cutoff"]) == (
        10.0, False
    )  # fmt: skip
    assert (one(got, "CORE10", "e")["score"], one(got, "CORE10", "e")["above_cutoff"]) == (
        11.0, True
    )  # fmt: skip


def test_cries13_uses_its_non_linear_answers_and_subscales(scores):
    # Answers 0, 1, 3, 5 only (Children and War Foundation). All items "often" (5): 65.
    got = scores(answers("CRIES13", {i: 5 for i in range(1, 14)}))
    result = one(got, "CRIES13")
    assert result["score"] == 65.0 and result["above_cutoff"] is True
    assert (result["score_intrusion"], result["score_avoidance"], result["score_arousal"]) == (
        20.0, 20.0, 25.0
    )  # fmt: skip
    bad = scores(answers("CRIES13", {i: 2 for i in range(1, 14)}))
    assert one(bad, "CRIES13")["valid"] is False


def test_dash_counts_yes_answers_and_keeps_professional_judgement_apart(scores):
    fourteen = {i: (1 if i <= 14 else 0) for i in range(1, 25)}
    thirteen = {i: (1 if i <= 13 else None) for i in range(1, 25)}  # unanswered is not a yes
    rows = answers("DASH", fourteen, "a") + answers("DASH", thirteen, "b")
    rows += answers("DASH", {"professional_judgement": 1}, "b")
    got = scores(rows)
    a, b = one(got, "DASH", "a"), one(got, "DASH", "b")
    assert (a["score"], a["above_cutoff"], a["band"]) == (14.0, True, "high")
    assert (b["score"], b["above_cutoff"], b["band"], b["valid"]) == (13.0, False, "medium", True)
    assert b["n_missing"] == 11 and b["prorated"] is False


def test_answers_that_cannot_be_scored_make_the_questionnaire_invalid(scores):
    full = {i: 1 for i in range(1, 10)}
    rows = answers("PHQ9", full | {3: 4}, "out_of_range")
    rows += answers("PHQ9", full, "extra_item") + answers("PHQ9", {10: 1}, "extra_item")
    rows += answers("PHQ9", full, "twice") + answers("PHQ9", {1: 2}, "twice")
    rows += answers("NOTANINSTRUMENT", {1: 1}, "unknown")
    rows += answers("PHQ9", full, "fine")
    got = scores(rows)
    for person in ("out_of_range", "extra_item", "twice"):
        assert one(got, "PHQ9", person)["valid"] is False, person
        assert one(got, "PHQ9", person)["score"] is None, person
    assert one(got, "PHQ9", "fine")["score"] == 9.0
    assert not any(key[2] == "NOTANINSTRUMENT" for key in got)


def test_licensed_instruments_take_the_licensed_tools_scores_within_their_ranges(scores):
    sdq = {"total": 18, "emotional": 5, "conduct": 4, "hyperactivity": 6, "peer": 3,
           "prosocial": 7, "impact": 2}  # fmt: skip
    rows = answers("SDQ", sdq, "a") + answers("SDQ", sdq | {"emotional": 11}, "b")
    got = scores(rows)
    a = one(got, "SDQ", "a")
    assert (a["score"], a["score_emotional"], a["score_prosocial"], a["valid"]) == (
        18.0, 5.0, 7.0, True
    )  # fmt: skip
    assert a["band"] is None and a["above_cutoff"] is None  # no cut-offs ship for SDQ
    assert one(got, "SDQ", "b")["valid"] is False  # a scale score of 11 is outside 0-10


def _missing_cases():
    for code, instrument in sorted(LIBRARY.items()):
        if instrument.missing is None or instrument.scoring is None:
            continue
        if instrument.scoring.rule.value in ("none", "conversion"):
            continue
        yield code


@pytest.mark.parametrize("code", list(_missing_cases()))
def test_every_missing_item_rule_at_its_limit_and_one_past(scores, code):
    instrument = LIBRARY[code]
    assert instrument.items and instrument.responses and instrument.missing and instrument.scoring
    n, limit = instrument.items.count, instrument.missing.max_missing
    high = max(instrument.responses.values)
    low = min(instrument.responses.values)
    reflect = set(instrument.reverse)

    def answered(k: int) -> dict:
        """The first k items answered with the highest answer, the rest left blank."""
        return {i: (high if i <= k else None) for i in range(1, n + 1)}

    def keyed_total(k: int) -> float:
        return sum(low + high - high if i in reflect else high for i in range(1, k + 1))

    got = scores(
        answers(code, answered(n - limit), "at") + answers(code, answered(n - limit - 1), "past")
    )
    at, past = one(got, code, "at"), one(got, code, "past")
    rule, count_as_no = (
        instrument.scoring.rule.value,
        instrument.missing.method.value == "count_as_no",
    )
    answered_at = n - limit
    expected = {
        "sum": keyed_total(answered_at) * n / answered_at,
        "mean": keyed_total(answered_at) / answered_at,
        "mean_times": keyed_total(answered_at) / answered_at * (instrument.scoring.multiplier or 0),
        "count": keyed_total(answered_at),
    }[rule]
    assert at["valid"] is True and at["score"] == round(expected, 2), code
    assert at["n_missing"] == limit
    assert at["prorated"] is (limit > 0 and not count_as_no)
    if count_as_no:
        assert past["valid"] is True and past["n_missing"] == limit + 1
    else:
        assert past["valid"] is False and past["score"] is None, code
