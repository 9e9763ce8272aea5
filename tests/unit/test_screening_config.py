"""The screening section of study.yaml: what it reads, and errors that name the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from daeval.errors import StudyFileError
from daeval.study.screening import DEFAULT_WINDOW_DAYS, Screening, read_screening


def _study(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "study.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_no_screening_key_or_no_file_means_no_measure(tmp_path):
    assert read_screening(tmp_path / "study.yaml") is None
    assert read_screening(_study(tmp_path, "linkage:\n  threshold: 9\n")) is None


def test_a_full_section_is_read_with_codes_in_their_stored_spelling(tmp_path):
    study = _study(
        tmp_path,
        """
screening:
  cohort:
    domestic_abuse: y
    decision: [NFA, Early_Help]
    threshold_level: 3
    la_code: "090"
    referral_source: 1a
  site_id: fbs
  window_days: 60
  reasons: [Lives outside the area, " Age "]
""",
    )
    assert read_screening(study) == Screening(
        cohort={
            "domestic_abuse": ("Y",),
            "decision": ("nfa", "early_help"),
            "threshold_level": ("3",),
            "la_code": ("090",),
            "referral_source": ("1A",),
        },
        site_id="fbs",
        window_days=60,
        reasons=("Lives outside the area", "Age"),
    )


def test_site_window_and_reasons_are_optional(tmp_path):
    got = read_screening(_study(tmp_path, "screening:\n  cohort: {decision: nfa}\n"))
    assert got is not None
    assert got.site_id is None
    assert got.window_days == DEFAULT_WINDOW_DAYS == 90
    assert got.reasons == ()


@pytest.mark.parametrize(
    ("section", "where", "problem"),
    [
        ("cohort: {colour: red}", "screening.cohort.colour", "not a column of csc_referrals"),
        ("cohort: {decision: maybe}", "screening.cohort.decision", "not a code of decision"),
        ("cohort: {domestic_abuse: yes}", "screening.cohort.domestic_abuse", "quote it"),
        ("cohort: {decision: {a: b}}", "screening.cohort.decision", "expected a value"),
        ("cohort: {decision: []}", "screening.cohort.decision", "at least one value"),
        ("cohort: {la_code: 007}", "screening.cohort.la_code", "3-digit"),
        ("cohort: [decision]", "screening.cohort", "expected a mapping"),
        ("site_id: fbs", "screening", "give the cohort"),
        ("cohort: {decision: nfa}\n  window_days: 0", "screening.window_days", "at least 1"),
        ("cohort: {decision: nfa}\n  window_days: '90'", "screening.window_days", "whole number"),
        ("cohort: {decision: nfa}\n  window_days: true", "screening.window_days", "whole number"),
        ("cohort: {decision: nfa}\n  window_days: 1.5", "screening.window_days", "whole number"),
        ("cohort: {decision: nfa}\n  site_id: 7", "screening.site_id", "as text"),
        ("cohort: {decision: nfa}\n  reasons: Age", "screening.reasons", "a list"),
        ("cohort: {decision: nfa}\n  reasons: [other]", "screening.reasons", "kept for"),
        ("cohort: {decision: nfa}\n  reasons: [Age, Age]", "screening.reasons", "listed twice"),
        ("cohort: {decision: nfa}\n  reasons: ['']", "screening.reasons", "as text"),
        ("cohort: {decision: nfa}\n  sites: fbs", "screening.sites", "not a setting"),
    ],
)
def test_mistakes_name_the_file_and_the_key(tmp_path, section, where, problem):
    study = _study(tmp_path, f"screening:\n  {section}\n")
    with pytest.raises(StudyFileError) as caught:
        read_screening(study)
    message = str(caught.value)
    assert message.startswith(f"{study} {where}: ")
    assert problem in message
    assert caught.value.exit_code == 15


def test_a_section_that_is_not_a_mapping(tmp_path):
    study = _study(tmp_path, "screening: yes\n")
    with pytest.raises(StudyFileError, match=r"study\.yaml screening: expected a mapping"):
        read_screening(study)


def test_an_unknown_column_lists_the_columns_to_choose_from(tmp_path):
    study = _study(tmp_path, "screening:\n  cohort: {colour: red}\n")
    with pytest.raises(StudyFileError) as caught:
        read_screening(study)
    for column in ("decision", "domestic_abuse", "referral_source", "threshold_level",
                   "reason_for_closure", "la_code"):  # fmt: skip
        assert column in str(caught.value)
