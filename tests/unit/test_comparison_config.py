"""Reading the comparison and the equality plan's subgroups from study.yaml."""

from datetime import date
from pathlib import Path

import pytest
import yaml

from daeval.errors import StudyFileError
from daeval.study.comparison import Comparison, comparison_from
from daeval.study.equality import SUBGROUPS, subgroups_from

STUDY = Path("ws/study.yaml")


def _read(text: str) -> dict:
    return yaml.safe_load(text)


def test_a_comparison_is_read_with_its_service_start():
    document = _read(
        """
        comparison:
          by: area
          intervention: [ZX1, ZX2]
          comparator: ZX5
          service_start: 2015-10-01
        """
    )
    assert comparison_from(document, STUDY) == Comparison(
        "area", ("ZX1", "ZX2"), ("ZX5",), date(2015, 10, 1)
    )


def test_no_comparison_section_means_no_comparison():
    assert comparison_from({}, STUDY) is None


@pytest.mark.parametrize(
    "section, message",
    [
        ("{by: ward, intervention: [a], comparator: [b]}", "comparison.by: 'ward' is not a grouping"),
        ("{intervention: [a], comparator: []}", "comparison.comparator: give the comparator groups"),
        ("{intervention: [a, b], comparator: [b]}", "b cannot be both"),
        ("{intervention: [a], comparator: [b], service_start: soon}", "service_start: 'soon' is not a date"),
        ("{intervention: [a], comparator: [b], start: 2015-01-01}", "comparison.start: not a comparison setting"),
        ("[a, b]", "expected a mapping"),
    ],
)  # fmt: skip
def test_a_broken_comparison_is_named_with_its_key(section, message):
    with pytest.raises(StudyFileError) as caught:
        comparison_from(_read(f"comparison: {section}"), STUDY)
    assert message in str(caught.value)
    assert str(STUDY) in str(caught.value)


def test_subgroups_default_to_all_and_follow_the_equality_plan():
    assert subgroups_from({}, STUDY) == SUBGROUPS
    plan = _read("equality_plan: {subgroups: [sex, disability, sex]}")
    assert subgroups_from(plan, STUDY) == ("sex", "disability")


def test_an_unknown_subgroup_is_named_with_its_position():
    with pytest.raises(StudyFileError, match=r"equality_plan.subgroups\[2\]: 'religion'"):
        subgroups_from(_read("equality_plan: {subgroups: [sex, religion]}"), STUDY)
