"""``check_text``: a valid study file has no problem; each deliberate break is reported at its line
with a fix, and the sections other modules read are run through their own parsers."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from daeval.errors import StudyFileError
from daeval.study.check import check_study_file, check_text, load_study

TODAY = date(2023, 1, 1)

VALID = """\
study:
  title: A study
  data_protection:
    identifier: "3033"
    lawful_basis: [UK GDPR Article 6(1)(e) public task]
    retention: {report_publication: 2023-04-30, destruction_date: 2025-03-31}
  ethics: {status: approved, committee: REC, approved_on: 2022-10-01}
references:
  - {id: howarth2016, citation: Howarth et al. 2016}
sites:
  - {id: north, name: North}
  - {id: south, name: South, comparator: true}
interventions:
  - id: early
    name: Early help
    sites: [north]
    delivery_organisation: The council
    population: Families with children under 16
    description: Coordinators follow up standard-risk notifications
    theory_of_change:
      nodes:
        - {id: visit, type: activity, text: Home visits}
        - {id: insight, type: mechanism, text: Parents see the harm}
        - {id: safer, type: short_term_outcome, text: Fewer incidents, outcome: fewer}
      links:
        - {from: visit, to: insight, plausibility: medium, evidence: [howarth2016]}
        - {from: insight, to: safer, plausibility: low}
  - id: usual
    name: Business as usual
    sites: [south]
    delivery_organisation: The council
    population: Families with children under 16
    description: No follow-up
    comparator: true
outcomes:
  - {id: fewer, name: Fewer notifications, interventions: [early], measure: repeat_notification_rate, data_source: police}
methods:
  - {id: admin, name: Administrative data, kind: quantitative, data_sources: [police]}
research_questions:
  - {id: 1a, text: Does it help, methods: [admin], outcomes: [fewer]}
timeline:
  - {activity: Analysis, start: 2023-01-01, end: 2023-03-31, methods: [admin]}
risks:
  - {risk: Data late, mitigation: Ask early}
data_sources:
  - {id: police, table: police_notifications, status: expected, holder: Police}
comparison: {by: site_id, intervention: [north], comparator: [south]}
"""


def _check(text: str):
    return check_text(text, Path("study.yaml"), TODAY)


def _line_of(text: str, marker: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if marker in line)


def test_a_valid_study_has_no_problem():
    result = _check(VALID)
    assert result.problems == []
    assert result.study is not None
    assert result.study.interventions[0].theory_of_change.links[0].source == "visit"


BREAKS = [
    # (old, new, marker of the line reported, words of the message, words of the fix)
    ("population: Families with children under 16\n    description: Coordinators",
     "populaton: x\n    description: Coordinators", "populaton: x", "not a field", "did you mean population"),
    ("plausibility: medium", "plausibility: likely", "plausibility: likely", "'high'", "one of"),
    ("sites: [north]", "sites: [nort]", "sites: [nort]", "'nort' is not a known site", "did you mean north"),
    ("sites: [south]\n    delivery", "sites: [south]\n    delivery", None, None, None),
    ("measure: repeat_notification_rate", "measure: repeat_notifications", "repeat_notifications",
     "not a measure daeval computes", "did you mean repeat_notification_rate"),
    ("data_source: police}", "data_source: polise}", "data_source: polise", "'polise'", "did you mean police"),
    ("methods: [admin], outcomes", "methods: [interviews], outcomes", "methods: [interviews]",
     "'interviews' is not a known method", "use one of admin"),
    ("end: 2023-03-31", "end: 2022-03-31", "end: 2022-03-31", "before it starts", "correct the dates"),
    ("{risk: Data late, mitigation: Ask early}", "{risk: Data late}", "risk: Data late",
     "mitigation is missing", "add mitigation"),
    ("destruction_date: 2025-03-31", "destruction_date: 2023-03-31", "destruction_date: 2023",
     "destroyed before the report is published", "destruction_date"),
    ("{from: insight, to: safer", "{from: insight, to: safe", "to: safe,", "'safe' is not a known node",
     "did you mean safer"),
    ("evidence: [howarth2016]", "evidence: [howarth2061]", "howarth2061", "not a known reference",
     "did you mean howarth2016"),
    ("table: police_notifications", "table: police_notes", "police_notes", "not a table of the data contract",
     "use one of people, person_links, police_notifications"),
    ("comparator: [south]}", "comparator: [north]}", "comparison:", "both an intervention and a comparator", "docs"),
    ("start: 2023-01-01", "start: 1 January 2023", "start: 1 January", "date", "YYYY-MM-DD"),
    ("  - {id: south, name: South, comparator: true}",
     "  - {id: south, name: South, comparator: true}\n  - {id: north, name: Again}",
     "name: Again", "id 'north' is used 2 times", "its own id"),
    ("title: A study", "title: A study\n  title2: [", "title2: [", "not valid YAML", "indentation"),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new", "marker", "message", "fix"), [b for b in BREAKS if b[2]])
def test_each_break_is_an_error_at_its_line_with_a_fix(old, new, marker, message, fix):
    assert old in VALID
    text = VALID.replace(old, new, 1)
    result = _check(text)
    matching = [p for p in result.errors if message in p.message]
    assert matching, [p.render() for p in result.problems]
    problem = matching[0]
    if marker != "title2: [":  # a YAML syntax error is reported where the parser notices it
        assert problem.line == _line_of(text, marker), problem.render()
    assert fix in problem.fix
    assert problem.render().startswith(f"study.yaml:{problem.line}: error: ")


def test_a_comparator_site_cannot_take_the_intervention():
    text = VALID.replace("sites: [north]", "sites: [north, south]")
    errors = _check(text).errors
    assert [p.where for p in errors] == ["interventions[1] (early).sites[2]"]
    assert "'south' is a comparator site" in errors[0].message


def test_theory_of_change_gaps_are_warnings():
    text = VALID.replace(
        "        - {id: safer,",
        "        - {id: leaflet, type: activity, text: Leaflets}\n"
        "        - {id: longer, type: long_term_outcome, text: Thriving children}\n"
        "        - {id: safer,",
    )
    result = _check(text)
    assert result.errors == []
    messages = sorted(p.message for p in result.warnings)
    assert messages == [
        "activity 'leaflet' leads to no outcome",
        "no activity leads to outcome 'longer'",
        "outcome 'longer' has no measure or data source",
    ]
    assert {p.line for p in result.warnings} == {
        _line_of(text, "id: leaflet"),
        _line_of(text, "id: longer"),
    }


def test_an_outcome_reached_through_a_chain_of_outcomes_is_not_flagged():
    text = VALID.replace(
        "      links:\n",
        "        - {id: later, type: medium_term_outcome, text: Later, outcome: fewer}\n"
        "      links:\n        - {from: safer, to: later}\n",
    )
    assert _check(text).problems == []


def test_an_outcome_without_data_or_with_an_unscored_instrument_is_a_warning():
    text = VALID.replace(
        "measure: repeat_notification_rate, data_source: police}", "instrument: ASQ10}"
    )
    result = _check(text)
    assert result.errors == []
    assert sorted(p.message for p in result.warnings) == [
        "'ASQ10' is not in daeval's questionnaire library, so answers can be kept but not scored",
        "no data source",
        "outcome 'fewer' lacks a data source",  # the theory of change's outcome node
    ]


def test_an_outcome_must_say_how_it_is_measured():
    text = VALID.replace("measure: repeat_notification_rate, ", "")
    errors = _check(text).errors
    assert [p.message for p in errors] == ["says nothing of how the outcome is measured"]


def test_a_past_destruction_date_is_a_warning():
    result = check_text(VALID, Path("study.yaml"), date(2025, 4, 1))
    assert [p.message for p in result.warnings] == ["the destruction date (2025-03-31) has passed"]


def test_partner_selection_references_are_checked():
    text = VALID + (
        "partner_selection:\n  shortlist: 1\n  met_at: 4\n  diversity: [region]\n"
        "  criteria: [{id: clear, text: Clear description}]\n"
        "  applications:\n"
        "    - {id: a, name: A, scores: {clear: 5, cleer: 1}, intervention: erly}\n"
    )
    result = _check(text)
    errors = sorted(p.message for p in result.errors)
    assert errors == [
        "'cleer' is not a known criterion id",
        "'erly' is not a known intervention id",
        "met_at 4 is above the scale (3), so no criterion can be met",
        "score 5 is outside 0..3",
    ]
    assert [p.message for p in result.warnings] == ["no application gives 'region'"]


def test_a_missing_file_and_a_non_mapping_are_one_error_each(tmp_path):
    missing = check_study_file(tmp_path / "study.yaml")
    assert [p.message for p in missing.errors] == ["there is no study file"]
    assert "daeval init" in missing.errors[0].fix
    assert [p.message for p in _check("- a\n- b\n").errors] == [
        "the file is not a mapping of sections"
    ]


def test_load_study_refuses_a_file_with_errors(tmp_path):
    (tmp_path / "study.yaml").write_text(VALID.replace("sites: [north]", "sites: [west]"))
    with pytest.raises(StudyFileError, match=r"study.yaml:\d+: .*'west' is not a known") as refused:
        load_study(tmp_path / "study.yaml")
    assert "\n" not in str(refused.value)  # one line: the first error, its fix, and study check
    (tmp_path / "study.yaml").write_text(VALID)
    assert load_study(tmp_path / "study.yaml").sites[0].id == "north"


def test_an_outcome_node_may_name_several_outcomes_each_checked():
    text = VALID.replace("outcome: fewer}", "outcome: [fewer, calmer]}").replace(
        "outcomes:\n",
        "outcomes:\n  - {id: calmer, name: Calmer, interventions: [early], indicator: Worker "
        "rating, data_source: police}\n",
    )
    assert _check(text).problems == []  # an indicator with a data source is measured
    broken = text.replace("outcome: [fewer, calmer]}", "outcome: [fewer, calmr]}")
    errors = _check(broken).errors
    assert [(p.where, p.message, p.fix) for p in errors] == [
        (
            "interventions[1] (early).theory_of_change.nodes[3] (safer).outcome[2]",
            "'calmr' is not a known outcome id",
            "did you mean calmer?",
        )
    ]


def test_a_timeline_may_be_planned_by_the_month():
    text = VALID.replace("start: 2023-01-01, end: 2023-03-31", "start: 2023-01, end: 2023-02")
    result = _check(text)
    assert result.problems == []
    assert (result.study.timeline[0].start, result.study.timeline[0].end) == (
        date(2023, 1, 1),
        date(2023, 2, 28),
    )
    leap = _check(text.replace("end: 2023-02", "end: 2024-02")).study
    assert leap.timeline[0].end == date(2024, 2, 29)
    wrong = _check(text.replace("start: 2023-01", "start: 2023-13"))
    assert [p.fix for p in wrong.errors] == ["write the date as YYYY-MM-DD"]


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ('"201"', "201"),
        ("E09000001", "201"),
        ("S12000030", "S12000030"),
        ("w06000015", "W06000015"),
    ],
)
def test_a_sites_la_code_is_read_in_either_form_as_rows_are_stored(given, stored):
    result = _check(
        VALID.replace("{id: north, name: North}", f"{{id: north, name: North, la_code: {given}}}")
    )
    assert result.problems == [], [p.render() for p in result.problems]
    assert result.study is not None
    assert result.study.sites[0].la_code == stored


def test_a_site_la_code_that_names_no_authority_is_an_error_at_its_line():
    text = VALID.replace("{id: north, name: North}", "{id: north, name: North, la_code: S12999999}")
    [problem] = _check(text).errors
    assert "not a local authority code" in problem.message
    assert problem.line == _line_of(text, "S12999999")
