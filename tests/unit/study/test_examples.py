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


def test_the_demo_study_is_the_feasibility_example_labelled_synthetic_with_its_sections():
    demo = yaml.safe_load(demo_study_yaml())
    feasibility = yaml.safe_load(example_text("feasibility"))
    # The title and every site, programme and applicant name say it is a demonstration ...
    title = "Synthetic demonstration: "
    assert demo["study"]["title"] == title + feasibility["study"]["title"]
    applications = [demo["partner_selection"], feasibility["partner_selection"]]
    pairs = [(demo[s], feasibility[s]) for s in ("sites", "interventions")]
    pairs.append((applications[0]["applications"], applications[1]["applications"]))
    for entries, real in pairs:
        assert [e["name"] for e in entries] == [f"Synthetic: {r['name']}" for r in real]
        for entry, original in zip(entries, real, strict=True):
            entry["name"] = original["name"]
    demo["study"]["title"] = feasibility["study"]["title"]
    # ... and nothing else differs from the example but the synthetic data's own sections.
    assert {k: v for k, v in demo.items() if k not in ("comparison", "screening")} == feasibility
    assert set(demo) - set(feasibility) == {"comparison", "screening"}
    StudyFile.model_validate(yaml.safe_load(demo_study_yaml()))


def test_every_example_names_its_sources_and_marks_what_is_made_up():
    for name in EXAMPLES:
        head = example_text(name)[:3000].lower()
        assert "source" in head, name
        assert "illustrative" in example_text(name).lower() or "placeholder" in head, name
