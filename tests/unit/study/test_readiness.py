"""The readiness scorecard: each line's rating follows from the evidence, checked against
independent figures (Cohen's table for the sample size) and a real warehouse file."""

from __future__ import annotations

import math

import duckdb
import pytest
import yaml

from daeval.study.readiness import loaded_from, needed_participants, overall, scorecard
from daeval.study.schema import EvaluationDesign, StudyFile
from daeval.warehouse import Workspace

BASE = """
references: [{id: r1, citation: A review}]
sites: [{id: s1, name: Site}]
interventions:
  - id: iv
    name: Intervention
    sites: [s1]
    delivery_organisation: Org
    population: Families
    description: Support
    theory_of_change:
      nodes:
        - {id: act, type: activity, text: Sessions}
        - {id: mech, type: mechanism, text: Understanding}
        - {id: out, type: short_term_outcome, text: Less anxiety, outcome: anxiety}
      links:
        - {from: act, to: mech, plausibility: high, evidence: [r1]}
        - {from: mech, to: out, plausibility: medium, evidence: [r1]}
outcomes:
  - {id: anxiety, name: Anxiety, interventions: [iv], instrument: GAD7, data_source: forms}
  - {id: rereferral, name: Re-referral, interventions: [iv], measure: re_referral_rate, data_source: csc}
data_sources:
  - {id: forms, table: measure_responses, status: expected}
  - {id: csc, table: csc_referrals, file: referrals.csv}
"""


def _study(extra: dict | None = None, **intervention) -> StudyFile:
    document = yaml.safe_load(BASE)
    document["interventions"][0].update(intervention)
    document.update(extra or {})
    return StudyFile.model_validate(document)


def _lines(study, loaded=None):
    return {line.aspect: line for line in scorecard(study, loaded)}


def test_cohens_table_sample_size():
    # Cohen (1988), Table 2.4.1: d = 0.5, two-sided alpha 0.05, power 0.80 needs 64 per group.
    needed = needed_participants(EvaluationDesign(kind="individual", effect_size=0.5))
    assert needed in (128, 130)  # 64 per group by the normal approximation, 64-65 by the t


def test_a_connected_evidenced_theory_is_green_and_gaps_make_it_amber_or_red():
    lines = _lines(_study())
    assert lines["Theory of change"].rating == "green"
    assert "3 nodes, 2 links" in lines["Theory of change"].evidence
    weak = _study(theory_of_change={
        "nodes": [{"id": "act", "type": "activity", "text": "a"},
                  {"id": "out", "type": "short_term_outcome", "text": "o"},
                  {"id": "idle", "type": "activity", "text": "i"}],
        "links": [{"from": "act", "to": "out"}]})  # fmt: skip
    line = _lines(weak)["Theory of change"]
    assert line.rating == "amber"
    assert "1 activities leading nowhere" in line.evidence
    assert "most links rated low or unknown" in line.evidence
    none = _study(theory_of_change=None)
    assert _lines(none)["Theory of change"].rating == "red"


def test_measurability_counts_outcomes_daeval_can_score():
    assert _lines(_study())["Outcome measurability"].rating == "green"
    document = yaml.safe_load(BASE)
    document["outcomes"][0]["instrument"] = "ASQ10"
    line = _lines(StudyFile.model_validate(document))["Outcome measurability"]
    assert line.rating == "amber"
    assert "1 of 2 outcomes" in line.evidence and "(not: anxiety)" in line.evidence


def test_data_availability_reads_what_loaded(tmp_path):
    workspace = Workspace(tmp_path / "ws")
    workspace.create()
    assert _lines(_study(), loaded_from(workspace.warehouse_path))["Data availability"].rating == (
        "amber"
    )
    with duckdb.connect(str(workspace.warehouse_path)) as con:
        con.execute(
            "INSERT INTO loads (load_id, table_name, file_name, file_sha256, rows_read, "
            "rows_loaded, rows_quarantined) VALUES (1, 'csc_referrals', 'referrals.csv', 'x', 10, 9, 1)"
        )
        con.execute(
            "INSERT INTO measure_responses VALUES (uuid(), 'service:s1', uuid(), 'GAD7', 'baseline', "
            "DATE '2023-01-01', 'self', 'gad7_1', 2)"
        )
    loaded = loaded_from(workspace.warehouse_path)
    assert loaded is not None and loaded.files == {"referrals.csv": 9}
    assert loaded.instruments == {"GAD7": 1}
    line = _lines(_study(), loaded)["Data availability"]
    assert line.rating == "green"
    assert line.evidence.startswith("of 2 outcomes: 2 with data loaded")
    assert loaded_from(tmp_path / "nowhere.duckdb") is None


@pytest.mark.parametrize(
    ("months_available", "rating"), [(40, "green"), (30, "amber"), (20, "red")]
)
def test_recruitment_months_against_the_time_available(months_available, rating):
    # 20 referrals a month x 0.5 eligible x 0.5 consent x 0.8 retained = 4 a month.
    study = _study(readiness={
        "recruitment": {"referrals_per_month": 20, "eligible": 0.5, "consent": 0.5,
                        "retention": 0.8, "months_available": months_available},
        "design": {"kind": "individual", "effect_size": 0.5, "randomisation": "acceptable"},
    })  # fmt: skip
    line = _lines(study)["Recruitment"]
    needed = needed_participants(EvaluationDesign(kind="individual", effect_size=0.5))
    assert f"{math.ceil(needed / 4)} months against {months_available}" in line.evidence
    assert line.rating == rating


def test_design_compares_the_detectable_effect_with_the_one_wanted():
    # A cluster design of 20 clusters of 10, ICC 0.05: MDES = M * sqrt(rho/(P(1-P)J) +
    # (1-rho)/(P(1-P)Jn)) with M = t(0.975, 18) + t(0.80, 18) (PowerUp!, Dong & Maynard 2013).
    from scipy import stats

    m = stats.t.ppf(0.975, 18) + stats.t.ppf(0.80, 18)
    expected = m * math.sqrt(0.05 / (0.25 * 20) + 0.95 / (0.25 * 200))
    for wanted, rating in ((expected + 0.01, "green"), (expected / 1.2, "amber"), (0.1, "red")):
        study = _study(readiness={"design": {
            "kind": "cluster2", "effect_size": wanted, "clusters": 20, "cluster_size": 10,
            "icc": 0.05, "randomisation": "acceptable"}})  # fmt: skip
        line = _lines(study)["Evaluation design"]
        assert f"MDES {expected:.2f} SD with 200 participants" in line.evidence
        assert line.rating == rating
    refused = _study(readiness={"design": {"effect_size": 0.3, "randomisation": "not_acceptable"}})
    line = _lines(refused)["Evaluation design"]
    assert line.rating == "red" and "sample within reach unknown" in line.evidence


def test_acceptability_and_evaluability_judgements():
    study = _study(readiness={
        "acceptability": [
            {"stakeholder": "practitioners", "finding": "valued", "rating": "positive"},
            {"stakeholder": "parents", "finding": "valued", "rating": "positive"},
        ],
        "evaluability": {
            "in_principle": {"rating": "green", "evidence": "clear theory"},
            "utility": {"rating": "amber", "evidence": "some demand"},
        },
    })  # fmt: skip
    lines = _lines(study)
    assert lines["Acceptability"].rating == "green"
    assert lines["Evaluability in principle"].rating == "green"
    assert lines["Evaluability in practice"].rating == "red"  # not judged
    assert lines["Evaluability utility"].rating == "amber"
    # A judgement is never better than the computed line it rests on.
    weak = _study(theory_of_change=None, readiness={"evaluability": {
        "in_principle": {"rating": "green", "evidence": "we think so"}}})  # fmt: skip
    line = _lines(weak)["Evaluability in principle"]
    assert line.rating == "red"
    assert "judged green, but the theory of change line is red" in line.evidence
    assert overall(scorecard(weak, None)) == {"iv": "red"}


def test_comparators_have_no_scorecard():
    document = yaml.safe_load(BASE)
    document["sites"].append({"id": "s2", "name": "Comparator", "comparator": True})
    document["interventions"].append({
        "id": "bau", "name": "Usual", "sites": ["s2"], "delivery_organisation": "LA",
        "population": "Families", "description": "Usual", "comparator": True})  # fmt: skip
    lines = scorecard(StudyFile.model_validate(document), None)
    assert {line.intervention for line in lines} == {"iv"}
    assert len(lines) == 9
