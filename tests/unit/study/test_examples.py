"""The example studies and the pages generated from the schema."""

from __future__ import annotations

from pathlib import Path

import yaml

from daeval.study.examples import EXAMPLES, example_text
from daeval.study.page import render
from daeval.study.schema import StudyFile
from daeval.synth.study_file import demo_study_yaml, synthetic_sections

DOCS = Path(__file__).resolve().parents[3] / "docs"


def test_the_field_reference_page_is_current():
    page = DOCS / "reference" / "study-file.md"
    assert page.read_text(encoding="utf-8") == render(), "run `make docs` to regenerate it"


def test_the_reference_lists_every_field_of_every_section():
    text = render()
    for name, field in StudyFile.model_fields.items():
        assert f"| `{field.alias or name}` |" in text
    assert "## `interventions[].theory_of_change.links[]`" in text
    assert "| `from` | str | required | The id of the node the arrow starts from. |" in text


def test_step_up_example_compares_the_areas_of_the_synthetic_data():
    # The step-up example's comparison and screening are those the synthetic data fit.
    example = yaml.safe_load(example_text("step-up"))
    synthetic = yaml.safe_load(synthetic_sections())
    assert example["comparison"] == synthetic["comparison"]
    assert example["screening"] == synthetic["screening"]


def test_the_demo_study_is_the_feasibility_example_with_the_synthetic_sections():
    demo = yaml.safe_load(demo_study_yaml())
    feasibility = yaml.safe_load(example_text("feasibility"))
    assert {k: v for k, v in demo.items() if k not in ("comparison", "screening")} == feasibility
    assert set(demo) - set(feasibility) == {"comparison", "screening"}
    StudyFile.model_validate(demo)


def test_every_example_names_its_sources_and_marks_what_is_made_up():
    for name in EXAMPLES:
        head = example_text(name)[:3000].lower()
        assert "source" in head, name
        assert "illustrative" in example_text(name).lower() or "placeholder" in head, name
