"""The research-question matrix: what answers each question and what is still missing."""

from __future__ import annotations

import yaml

from daeval.study.questions import research_matrix
from daeval.study.schema import StudyFile

STUDY = """
sites: [{id: s, name: S}]
interventions:
  - {id: iv, name: IV, sites: [s], delivery_organisation: O, population: P, description: D}
outcomes:
  - {id: rr, name: Re-referral, interventions: [iv], measure: re_referral_rate, data_source: csc}
  - {id: anx, name: Anxiety, interventions: [iv], instrument: GAD7, data_source: forms}
methods:
  - {id: admin, name: Administrative data, kind: quantitative, data_sources: [csc]}
  - {id: interviews, name: Interviews, kind: qualitative}
data_sources:
  - {id: csc, table: csc_referrals, file: referrals.csv}
  - {id: forms, table: measure_responses, status: expected}
research_questions:
  - {id: 1a, group: Promise, text: Who is helped, methods: [admin, interviews], outcomes: [rr]}
  - {id: 1b, text: Is it acceptable, methods: [interviews], themes: [burden]}
  - {id: 3c, text: Is randomisation acceptable}
  - {id: 3a, text: What outcomes, methods: [admin], outcomes: [anx], measures: [dropout_rate]}
"""


def test_each_question_gets_its_methods_data_measures_and_gaps():
    rows = {r.id: r for r in research_matrix(StudyFile.model_validate(yaml.safe_load(STUDY)))}
    a = rows["1a"]
    assert a.group == "Promise"
    assert a.methods == ("Administrative data", "Interviews")
    assert a.data == ("csc (received)",)
    assert a.measures == ("re_referral_rate",)
    assert a.missing == ("no themes yet",)
    assert rows["1b"].missing == ()
    assert rows["3c"].missing == ("no method",)
    three_a = rows["3a"]
    assert three_a.data == ("csc (received)", "forms (expected)")
    assert three_a.measures == ("dropout_rate", "GAD7")
    assert three_a.missing == ("data not received: forms",)


def test_measures_not_yet_computed_are_missing_when_the_workspace_says_so():
    study = StudyFile.model_validate(yaml.safe_load(STUDY))
    rows = {r.id: r for r in research_matrix(study, computed={"re_referral_rate"})}
    assert rows["3a"].missing == ("data not received: forms", "not computed yet: dropout_rate")
    assert rows["1a"].missing == ("no themes yet",)
