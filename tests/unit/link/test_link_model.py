"""The linkage model's fallback parameters and the filling of levels training never saw."""

from __future__ import annotations

import math

import pytest

from daeval.errors import StudyFileError
from daeval.link.model import DEFAULT_M_U, default_model
from daeval.link.study import linkage_threshold
from daeval.link.train import _problem, fill_from_default


def _non_null(comparison):
    return [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]


def test_default_model_probabilities_sum_to_one_per_comparison():
    model = default_model()
    assert {c["output_column_name"] for c in model["comparisons"]} == set(DEFAULT_M_U)
    for comparison in model["comparisons"]:
        levels = _non_null(comparison)
        for p in ("m_probability", "u_probability"):
            assert math.fsum(lv[p] for lv in levels) == pytest.approx(1.0, abs=1e-3)
    assert _problem(model) is None


def test_every_comparison_has_a_level_for_a_match_and_else_against_one():
    for comparison in default_model()["comparisons"]:
        levels = _non_null(comparison)
        weights = [math.log2(lv["m_probability"] / lv["u_probability"]) for lv in levels]
        assert max(weights) > 0 > weights[-1], comparison["output_column_name"]


def test_unseen_levels_take_the_default_and_the_others_are_rescaled():
    model = default_model()
    sex = next(c for c in model["comparisons"] if c["output_column_name"] == "date_of_birth")
    levels = _non_null(sex)
    levels[1]["m_probability"] = None  # day and month transposed: never seen in training
    levels[2]["m_probability"] = 0.0
    for lv, m in zip((levels[0], levels[3], levels[4]), (0.5, 0.25, 0.25), strict=True):
        lv["m_probability"] = m
    filled_model, filled = fill_from_default(model)
    assert len(filled) == 2 and all("date_of_birth" in f for f in filled)
    new = _non_null(
        next(c for c in filled_model["comparisons"] if c["output_column_name"] == "date_of_birth")
    )
    defaults = DEFAULT_M_U["date_of_birth"]
    assert new[1]["m_probability"] == defaults[1][0]
    assert new[2]["m_probability"] == defaults[2][0]
    borrowed = defaults[1][0] + defaults[2][0]
    assert new[0]["m_probability"] == pytest.approx(0.5 * (1 - borrowed))
    assert math.fsum(lv["m_probability"] for lv in new) == pytest.approx(1.0)
    assert _problem(filled_model) is None


def test_a_model_with_an_unusable_probability_is_reported():
    model = default_model()
    _non_null(model["comparisons"][0])[0]["u_probability"] = float("nan")
    assert "u_probability" in (_problem(model) or "")


def test_threshold_from_the_study_file(tmp_path):
    study = tmp_path / "study.yaml"
    assert linkage_threshold(study) is None
    study.write_text("linkage:\n  threshold: 9.5\n", encoding="utf-8")
    assert linkage_threshold(study) == 9.5
    study.write_text("title: x\n", encoding="utf-8")
    assert linkage_threshold(study) is None
    study.write_text("linkage:\n  threshold: high\n", encoding="utf-8")
    with pytest.raises(StudyFileError, match="threshold: expected a number"):
        linkage_threshold(study)
    study.write_text("linkage: 8\n", encoding="utf-8")
    with pytest.raises(StudyFileError, match="linkage: expected a mapping"):
        linkage_threshold(study)


@pytest.mark.parametrize(
    "added", [("police_referral",), ("siblings",), ("police_referral", "siblings")]
)
def test_a_model_saved_before_a_comparison_was_added_takes_its_default(added):
    from daeval.link.model import for_dialect

    saved = default_model()
    saved["comparisons"] = [c for c in saved["comparisons"] if c["output_column_name"] not in added]
    saved["comparisons"][0]["comparison_levels"][1]["m_probability"] = 0.5  # its own parameters
    used = for_dialect(saved, "duckdb")
    by_name = {c["output_column_name"]: c for c in used["comparisons"]}
    assert by_name["name"]["comparison_levels"][1]["m_probability"] == 0.5
    for name in added:
        levels = _non_null(by_name[name])
        assert [(lv["m_probability"], lv["u_probability"]) for lv in levels] == DEFAULT_M_U[name]
    assert _problem(used) is None


def test_a_saved_model_lacking_a_core_comparison_is_refused():
    from daeval.link.model import for_dialect

    saved = default_model()
    saved["comparisons"] = [c for c in saved["comparisons"] if c["output_column_name"] != "sex"]
    with pytest.raises(ValueError, match="'sex' comparison"):
        for_dialect(saved, "duckdb")
