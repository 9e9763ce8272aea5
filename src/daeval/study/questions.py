"""The research-question matrix: for each question, the methods and data that answer it, the
measures and themes that bear on it, and what is still missing."""

from __future__ import annotations

from dataclasses import dataclass

from daeval.study.schema import ResearchQuestion, StudyFile


@dataclass(frozen=True)
class MatrixRow:
    id: str
    group: str
    question: str
    methods: tuple[str, ...]
    data: tuple[str, ...]
    measures: tuple[str, ...]
    themes: tuple[str, ...]
    missing: tuple[str, ...]


def _data(question: ResearchQuestion, study: StudyFile) -> dict[str, str]:
    """The data sources the question's methods and outcomes draw on, with their status."""
    status = {d.id: d.status for d in study.data_sources if d.id}
    names: list[str] = []
    for method in study.methods:
        if method.id in question.methods:
            names += method.data_sources
    for outcome in study.outcomes:
        if outcome.id in question.outcomes and outcome.data_source:
            names.append(outcome.data_source)
    return {name: status.get(name, "table") for name in dict.fromkeys(names)}


def research_matrix(study: StudyFile, computed: set[str] | None = None) -> list[MatrixRow]:
    """One row per research question. ``computed``: the measures the workspace has computed
    (outputs/measures.csv), when known."""
    methods = {m.id: m for m in study.methods}
    outcomes = {o.id: o for o in study.outcomes}
    rows = []
    for q in study.research_questions:
        data = _data(q, study)
        measures = list(q.measures)
        for outcome_id in q.outcomes:
            outcome = outcomes.get(outcome_id)
            if outcome is not None:
                measures.append(outcome.measure or outcome.instrument or outcome.indicator or "")
        measures = [m for m in dict.fromkeys(measures) if m]
        kinds = {methods[m].kind for m in q.methods if m in methods}
        missing = []
        if not q.methods:
            missing.append("no method")
        if not data and kinds & {"quantitative", "mixed"}:
            missing.append("no data source for its quantitative methods")
        pending = [name for name, state in data.items() if state in ("expected", "unavailable")]
        if pending:
            missing.append(f"data not received: {', '.join(pending)}")
        if kinds & {"quantitative", "mixed"} and not measures:
            missing.append("no measure")
        if kinds & {"qualitative", "mixed", "consultation"} and not q.themes:
            missing.append("no themes yet")
        if computed is not None:
            absent = [m for m in q.measures if m not in computed]
            if absent:
                missing.append(f"not computed yet: {', '.join(absent)}")
        rows.append(
            MatrixRow(
                q.id,
                q.group or "",
                q.text,
                tuple(methods[m].name if m in methods else m for m in q.methods),
                tuple(f"{name} ({state})" for name, state in data.items()),
                tuple(measures),
                tuple(q.themes),
                tuple(missing),
            )
        )
    return rows
