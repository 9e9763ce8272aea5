"""Scoring partner-site applications on weighted criteria and shortlisting them for variety."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daeval.study.partners import Choice, choices_table, select_partners
from daeval.study.schema import PartnerSelection


def _selection(**fields: Any) -> PartnerSelection:
    base: dict[str, Any] = {
        "scale": 3,
        "met_at": 2,
        "minimum_met": 1,
        "shortlist": 2,
        "criteria": [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}],
        "diversity": [],
        "applications": [],
    }
    base.update(fields)
    return PartnerSelection.model_validate(base)


def _by_id(choices: list[Choice]) -> dict[str, Choice]:
    return {c.id: c for c in choices}


def _chosen(choices: list[Choice]) -> list[str]:
    return [c.id for c in choices if c.chosen]


# A hand-worked example: three criteria with weights 2, 1 and 1/2, scored 0..4.
WORKED: dict[str, Any] = {
    "scale": 4,
    "met_at": 3,
    "minimum_met": 2,
    "shortlist": 2,
    "criteria": [
        {"id": "description", "text": "Strong intervention description", "weight": 2},
        {"id": "population", "text": "Clearly defined target population", "weight": 1},
        {"id": "feasibility", "text": "Programme feasibility", "weight": 0.5},
    ],
    "diversity": ["region"],
    "applications": [
        {
            "id": "p1",
            "name": "Northtown",
            "scores": {"description": 4, "population": 3, "feasibility": 1},
            "characteristics": {"region": "North West"},
        },
        {
            "id": "p2",
            "name": "Southborough",
            "scores": {"description": 3, "population": 4, "feasibility": 4},
            "characteristics": {"region": "London"},
        },
        {
            # No feasibility score (counts 0) and a score for a criterion not in the selection.
            "id": "p3",
            "name": "Eastham",
            "scores": {"description": 2, "population": 4, "unknown": 4},
            "characteristics": {"region": "London"},
        },
    ],
}


def _independent_score(weights: dict[str, Fraction], scores: dict[str, int], scale: int) -> float:
    numerator = sum((w * scores.get(c, 0) for c, w in weights.items()), Fraction(0))
    return float(Fraction(100) * numerator / (scale * sum(weights.values(), Fraction(0))))


def test_worked_example_scores_met_and_order() -> None:
    selection = PartnerSelection.model_validate(WORKED)
    choices = select_partners(selection)
    got = _by_id(choices)
    weights = {"description": Fraction(2), "population": Fraction(1), "feasibility": Fraction(1, 2)}
    # By hand: Σw = 7/2, so the denominator is 4 × 7/2 = 14.
    #   p1: 2·4 + 1·3 + ½·1 = 23/2 → 100 × 23/28 = 82.142857…
    #   p2: 2·3 + 1·4 + ½·4 = 12   → 100 × 12/14 = 85.714285…
    #   p3: 2·2 + 1·4 + ½·0 = 8    → 100 × 8/14  = 57.142857… (the "unknown" score is ignored)
    assert got["p1"].score == pytest.approx(float(Fraction(2300, 28)))
    assert got["p2"].score == pytest.approx(float(Fraction(1200, 14)))
    assert got["p3"].score == pytest.approx(float(Fraction(800, 14)))
    for app in WORKED["applications"]:
        assert got[app["id"]].score == pytest.approx(
            _independent_score(weights, app["scores"], WORKED["scale"])
        )
    # Met at 3: p1 meets description, population (2); p2 all three; p3 population only (1 < 2).
    assert [got[i].met for i in ("p1", "p2", "p3")] == [2, 3, 1]
    assert [got[i].eligible for i in ("p1", "p2", "p3")] == [True, True, False]
    assert got["p3"].scores == {"description": 2, "population": 4, "feasibility": 0}
    # p2 scores highest; p1 adds a new region.
    assert [c.id for c in choices] == ["p2", "p1", "p3"]
    assert [c.order for c in choices] == [1, 2, None]
    assert choices[0].reason == "highest weighted score (85.7)"
    assert choices[0].adds == ("region: London",)
    assert choices[1].reason == "adds region: North West (score 82.1)"
    assert choices[2].reason == "not eligible: meets 1 of 3 criteria, 2 needed"
    assert choices[2].adds == ()


def test_weights_change_the_winner() -> None:
    apps = [
        {"id": "A", "name": "Alpha", "scores": {"a": 3, "b": 1}},
        {"id": "B", "name": "Beta", "scores": {"a": 1, "b": 2}},
    ]
    equal = _selection(shortlist=1, applications=apps)
    heavy = _selection(
        shortlist=1,
        applications=apps,
        criteria=[{"id": "a", "text": "A"}, {"id": "b", "text": "B", "weight": 5}],
    )
    # Equal weights: A = 4/6, B = 3/6. Weight 5 on b: A = 8/18, B = 11/18.
    assert _chosen(select_partners(equal)) == ["A"]
    assert _chosen(select_partners(heavy)) == ["B"]
    assert _by_id(select_partners(heavy))["B"].score == pytest.approx(1100 / 18)


def test_ineligible_top_scorer_is_never_chosen() -> None:
    criteria = [{"id": f"c{i}", "text": f"Criterion {i}"} for i in range(1, 10)]
    top = {"c1": 3, "c2": 3, "c3": 3, "c4": 1, "c5": 1, "c6": 1, "c7": 1, "c8": 1, "c9": 1}
    # top: 18/27 = 66.7 but meets only 3; fair: 10/27 = 37.0 and meets exactly the 5 needed.
    fair = {f"c{i}": 2 for i in range(1, 6)}
    selection = _selection(
        criteria=criteria,
        minimum_met=5,
        shortlist=3,
        applications=[
            {"id": "top", "name": "Top", "scores": top},
            {"id": "fair", "name": "Fair", "scores": fair},
        ],
    )
    choices = select_partners(selection)
    got = _by_id(choices)
    assert got["top"].score > got["fair"].score
    assert not got["top"].eligible and not got["top"].chosen and got["top"].order is None
    assert got["top"].reason == "not eligible: meets 3 of 9 criteria, 5 needed"
    assert _chosen(choices) == ["fair"]
    assert got["fair"].reason == f"highest weighted score ({got['fair'].score:.1f})"


def test_diversity_beats_score_for_the_second_pick() -> None:
    selection = _selection(
        shortlist=2,
        diversity=["region"],
        applications=[
            {
                "id": "L1",
                "name": "London 1",
                "scores": {"a": 3, "b": 3},
                "characteristics": {"region": "London"},
            },
            {
                "id": "L2",
                "name": "London 2",
                "scores": {"a": 3, "b": 2},
                "characteristics": {"region": " london "},
            },
            {
                "id": "NW",
                "name": "North West",
                "scores": {"a": 2, "b": 2},
                "characteristics": {"region": "North West"},
            },
        ],
    )
    choices = select_partners(selection)
    assert [c.id for c in choices] == ["L1", "NW", "L2"]
    got = _by_id(choices)
    assert got["L2"].score > got["NW"].score
    assert got["NW"].chosen and got["NW"].order == 2
    assert got["NW"].adds == ("region: North West",)
    assert got["NW"].reason == (
        "adds region: North West (score 66.7); "
        "chosen ahead of L2 (score 83.3), which adds nothing new"
    )
    assert not got["L2"].chosen and got["L2"].eligible
    assert got["L2"].adds == ()
    assert got["L2"].reason == (
        "not chosen: the shortlist of 2 was full; would have added no new characteristic "
        "(score 83.3)"
    )


def test_adds_counts_values_over_diversity_characteristics_only() -> None:
    selection = _selection(
        shortlist=3,
        diversity=["region", "population"],
        applications=[
            {
                "id": "first",
                "name": "First",
                "scores": {"a": 3, "b": 3},
                "characteristics": {"region": "London", "population": "children 0-3"},
            },
            # One new value and a characteristic not diversified over.
            {
                "id": "one",
                "name": "One",
                "scores": {"a": 3, "b": 2},
                "characteristics": {
                    "region": "London",
                    "population": "children 4-11",
                    "size": "large",
                },
            },
            # Two new values, lower score.
            {
                "id": "two",
                "name": "Two",
                "scores": {"a": 2, "b": 2},
                "characteristics": {"region": "North East", "population": "teenagers"},
            },
            # Missing characteristics add nothing.
            {"id": "none", "name": "None", "scores": {"a": 3, "b": 3}, "characteristics": {}},
        ],
    )
    choices = select_partners(selection)
    # "none" ties "first" on score and met; "first" wins by id.
    assert _chosen(choices) == ["first", "two", "one"]
    got = _by_id(choices)
    assert got["first"].reason == (
        "highest weighted score (100.0), level with none on score and criteria met; chosen by id"
    )
    assert got["two"].adds == ("region: North East", "population: teenagers")
    assert got["two"].reason.startswith(
        "adds region: North East, population: teenagers (score 66.7)"
    )
    assert got["one"].adds == ("population: children 4-11",)
    assert got["none"].reason == (
        "not chosen: the shortlist of 3 was full; would have added no new characteristic "
        "(score 100.0)"
    )


def test_chosen_on_score_when_nothing_new() -> None:
    selection = _selection(
        shortlist=2,
        diversity=["region"],
        applications=[
            {
                "id": "x",
                "name": "X",
                "scores": {"a": 3, "b": 3},
                "characteristics": {"region": "London"},
            },
            {
                "id": "y",
                "name": "Y",
                "scores": {"a": 2, "b": 2},
                "characteristics": {"region": "London"},
            },
            {
                "id": "z",
                "name": "Z",
                "scores": {"a": 3, "b": 2},
                "characteristics": {"region": "London"},
            },
        ],
    )
    choices = select_partners(selection)
    assert _chosen(choices) == ["x", "z"]
    assert _by_id(choices)["z"].reason == "chosen on score (83.3); adds no new characteristic"


def test_ties_broken_by_id_deterministically() -> None:
    apps = [
        {"id": "c", "name": "C", "scores": {"a": 2, "b": 2}},
        {"id": "a", "name": "A", "scores": {"a": 2, "b": 2}},
        {"id": "b", "name": "B", "scores": {"a": 2, "b": 2}},
        {"id": "d", "name": "D", "scores": {"a": 2, "b": 2}},
    ]
    forwards = select_partners(_selection(shortlist=2, applications=apps))
    backwards = select_partners(_selection(shortlist=2, applications=list(reversed(apps))))
    assert [c.id for c in forwards] == ["a", "b", "c", "d"]
    assert forwards == backwards
    assert forwards[0].reason == (
        "highest weighted score (66.7), level with b, c, d on score and criteria met; chosen by id"
    )


def test_tie_on_score_broken_by_criteria_met() -> None:
    # Both score 3/6 = 50.0; met at 3, "z-hi" meets one criterion and "a-lo" none, so "z-hi"
    # wins although "a-lo" comes first by id.
    selection = _selection(
        met_at=3,
        minimum_met=0,
        shortlist=1,
        applications=[
            {"id": "a-lo", "name": "Lo", "scores": {"a": 2, "b": 1}},
            {"id": "z-hi", "name": "Hi", "scores": {"a": 3, "b": 0}},
        ],
    )
    choices = select_partners(selection)
    assert choices[0].id == "z-hi"
    assert choices[0].reason == (
        "highest weighted score (50.0), level with a-lo; chosen for meeting more criteria (1)"
    )


def test_shortlist_larger_than_eligible_chooses_all_eligible() -> None:
    selection = _selection(
        minimum_met=2,
        shortlist=10,
        applications=[
            {"id": "e1", "name": "E1", "scores": {"a": 2, "b": 2}},
            {"id": "e2", "name": "E2", "scores": {"a": 3, "b": 3}},
            {"id": "n1", "name": "N1", "scores": {"a": 3, "b": 0}},
        ],
    )
    choices = select_partners(selection)
    assert _chosen(choices) == ["e2", "e1"]
    assert _by_id(choices)["n1"].reason == "not eligible: meets 1 of 2 criteria, 2 needed"


def test_no_eligible_application_chooses_none() -> None:
    selection = _selection(
        minimum_met=2,
        applications=[{"id": "n", "name": "N", "scores": {"a": 1}}],
    )
    choices = select_partners(selection)
    assert _chosen(choices) == []
    assert choices[0].scores == {"a": 1, "b": 0}


def test_out_of_range_scores_are_used_as_given() -> None:
    selection = _selection(
        applications=[{"id": "x", "name": "X", "scores": {"a": 9, "b": -3}}],
    )
    (choice,) = select_partners(selection)
    # 100 × (9 − 3) / (3 × 2) = 100, not clamped to 100 × (3 + 0) / 6 = 50.
    assert choice.score == pytest.approx(100.0)
    assert choice.met == 1


def test_choices_table_columns_and_chosen_count() -> None:
    selection = PartnerSelection.model_validate(
        {**WORKED, "diversity": ["region", "population"], "shortlist": 5}
    )
    choices = select_partners(selection)
    rows = choices_table(choices, selection)
    assert len(rows) == 3
    assert list(rows[0]) == [
        "rank", "order", "id", "name", "chosen", "score", "met",
        "description", "population", "feasibility",
        "region", "characteristic: population",
        "reason",
    ]  # fmt: skip
    first = rows[0]
    assert first["id"] == "p2" and first["chosen"] == "yes" and first["order"] == 1
    assert first["score"] == "85.7"
    assert first["met"] == "3/3"
    assert first["description"] == 3 and first["feasibility"] == 4
    assert first["region"] == "London" and first["characteristic: population"] == ""
    assert rows[2]["feasibility"] == 0 and rows[2]["chosen"] == "no" and rows[2]["order"] == ""
    eligible = sum(c.eligible for c in choices)
    assert [r["chosen"] for r in rows].count("yes") == min(selection.shortlist, eligible) == 2


# -- property test -------------------------------------------------------------------------------


@st.composite
def selections(draw: st.DrawFn) -> PartnerSelection:
    scale = draw(st.integers(1, 5))
    n_criteria = draw(st.integers(1, 5))
    criteria = [
        {
            "id": f"c{i}",
            "text": f"Criterion {i}",
            "weight": draw(st.sampled_from([0.5, 1.0, 1.5, 2.0, 3.0, 0.1])),
        }
        for i in range(n_criteria)
    ]
    traits = ["region", "population", "intervention"]
    diversity = draw(st.lists(st.sampled_from(traits), unique=True, max_size=3))
    n_apps = draw(st.integers(1, 8))
    applications = []
    for i in range(n_apps):
        scores = {
            c["id"]: draw(st.integers(0, scale))
            for c in criteria
            if draw(st.booleans()) or draw(st.booleans())
        }
        characteristics = {
            t: draw(st.sampled_from(["x", "y", "z"])) for t in traits if draw(st.booleans())
        }
        applications.append(
            {
                "id": f"app{draw(st.integers(0, 99)):02d}-{i}",
                "name": f"Application {i}",
                "scores": scores,
                "characteristics": characteristics,
            }
        )
    return PartnerSelection.model_validate(
        {
            "scale": scale,
            "met_at": draw(st.integers(1, scale)),
            "minimum_met": draw(st.integers(0, n_criteria)),
            "shortlist": draw(st.integers(1, 6)),
            "criteria": criteria,
            "diversity": diversity,
            "applications": applications,
        }
    )


@settings(max_examples=200, deadline=None)
@given(selections())
def test_shortlist_properties(selection: PartnerSelection) -> None:
    choices = select_partners(selection)
    assert sorted(c.id for c in choices) == sorted(a.id for a in selection.applications)
    eligible = [c for c in choices if c.eligible]
    chosen = [c for c in choices if c.chosen]
    assert len(chosen) == min(selection.shortlist, len(eligible))
    assert all(c.eligible for c in chosen)
    assert [c.order for c in chosen] == list(range(1, len(chosen) + 1))
    assert choices[: len(chosen)] == chosen
    if chosen:
        assert chosen[0].score == max(c.score for c in eligible)
    assert all(0.0 <= c.score <= 100.0 for c in choices)
    rest = choices[len(chosen) :]
    assert [c.score for c in rest] == sorted((c.score for c in rest), reverse=True)
    for c in choices:
        assert c.met == sum(s >= selection.met_at for s in c.scores.values())
        assert c.eligible == (c.met >= selection.minimum_met)
    # The adds of the chosen, taken together, are every distinct stated diversity value of theirs.
    stated = {a.id: a.characteristics for a in selection.applications}
    covered = {
        f"{t}: {stated[c.id][t]}" for c in chosen for t in selection.diversity if t in stated[c.id]
    }
    assert sorted(a for c in chosen for a in c.adds) == sorted(covered)
    rows = choices_table(choices, selection)
    assert [r["chosen"] for r in rows].count("yes") == len(chosen)
