"""Readiness for impact evaluation: a red/amber/green scorecard per intervention.

Each line rests on evidence the study file records or daeval computes:

- **Theory of change** (evaluable in principle; Davies 2013's clarity, plausibility and
  testability): the graph's checks, the plausibility the evaluators gave each link, the evidence
  behind the links.
- **Outcome measurability**: each outcome of the intervention has a questionnaire daeval scores
  or a measure daeval computes.
- **Data availability** (evaluable in practice): each outcome's data source, its status, and
  whether its rows actually loaded into the warehouse.
- **Recruitment**: months to recruit the sample the design needs: ⌈N / participants a month⌉,
  from the funnel the controlled measures show at the intervention's sites
  (``referrals_per_month`` and ``recruitment_funnel``: ``daeval.metrics.recruitment``), else
  from the referrals per month and shares eligible, consenting and retained the study records;
  not judged when disclosure control suppressed a site's funnel.
- **Evaluation design**: the minimum detectable effect of the sample within reach
  (``design.power``), against the smallest effect worth detecting, and whether randomisation is
  acceptable to stakeholders.
- **Acceptability**: findings from stakeholders (Sekhon et al. 2017).
- **Evaluability in principle, in practice, utility**: the evaluators' judgements (Davies R
  (2013), Planning evaluability assessments, DFID Working Paper 40), shown with the evidence they
  record and never rated better than the computed lines they rest on.

A line with no evidence recorded is red: readiness has to be shown, not assumed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from daeval.design.power import Design
from daeval.design.recruitment import Funnel
from daeval.instruments.library import builtin_library
from daeval.metrics.catalogue import MEASURE_NAMES
from daeval.study.schema import EvaluationDesign, Intervention, Outcome, Rating, StudyFile
from daeval.study.toc import OUTCOME_TYPES, dead_end_activities, unreached_outcomes

RANK: dict[Rating, int] = {"green": 0, "amber": 1, "red": 2}


@dataclass(frozen=True)
class Line:
    intervention: str
    aspect: str
    rating: Rating
    evidence: str


def worst(*ratings: Rating) -> Rating:
    return max(ratings, key=RANK.__getitem__)


@dataclass(frozen=True)
class Loaded:
    """What the warehouse holds: rows per table and file, and questionnaire answers per
    instrument."""

    tables: Mapping[str, int]
    files: Mapping[str, int]
    instruments: Mapping[str, int]


def loaded_from(warehouse_path: Path) -> Loaded | None:
    """What has loaded into the workspace's warehouse, or None when there is none."""
    if not warehouse_path.exists():
        return None
    from daeval.warehouse.store import connect_file

    with connect_file(warehouse_path, read_only=True) as con:
        loads = con.execute(
            "SELECT table_name, file_name, rows_loaded FROM loads "
            "QUALIFY row_number() OVER (PARTITION BY file_name ORDER BY load_id DESC) = 1"
        ).fetchall()
        instruments = con.execute(
            "SELECT instrument, count(DISTINCT response_id) FROM measure_responses GROUP BY 1"
        ).fetchall()
    tables: dict[str, int] = {}
    for table, _, rows in loads:
        tables[table] = tables.get(table, 0) + rows
    return Loaded(tables, {f: r for _, f, r in loads}, dict(instruments))


def theory_line(intervention: Intervention) -> tuple[Rating, str]:
    toc = intervention.theory_of_change
    if toc is None or not toc.nodes:
        return "red", "no theory of change recorded"
    outcomes = toc.of_type(*OUTCOME_TYPES)
    activities = toc.of_type("activity")
    unreached, dead = unreached_outcomes(toc), dead_end_activities(toc)
    weak = [link for link in toc.links if link.plausibility in ("low", "unknown")]
    evidenced = [link for link in toc.links if link.evidence]
    text = (
        f"{len(toc.nodes)} nodes, {len(toc.links)} links; {len(activities)} activities, "
        f"{len(outcomes)} outcomes; {len(weak)} of {len(toc.links)} links rated low or unknown; "
        f"{len(evidenced)} with evidence"
    )
    if not activities or not outcomes or len(unreached) == len(outcomes):
        return "red", text + "; no activity leads to any outcome"
    gaps = []
    if unreached:
        gaps.append(f"{len(unreached)} outcomes no activity leads to")
    if dead:
        gaps.append(f"{len(dead)} activities leading nowhere")
    if toc.links and len(weak) * 2 > len(toc.links):
        gaps.append("most links rated low or unknown")
    if len(evidenced) * 2 < len(toc.links):
        gaps.append("fewer than half the links have evidence")
    return ("amber", text + "; " + "; ".join(gaps)) if gaps else ("green", text)


def _scorable(outcome: Outcome) -> bool:
    return bool(
        (outcome.instrument and outcome.instrument in builtin_library())
        or (outcome.measure and outcome.measure in MEASURE_NAMES)
    )


def measurability_line(outcomes: list[Outcome]) -> tuple[Rating, str]:
    if not outcomes:
        return "red", "no outcomes recorded for this intervention"
    scorable = [o for o in outcomes if _scorable(o)]
    primary = [o for o in outcomes if o.primary] or outcomes
    text = f"{len(scorable)} of {len(outcomes)} outcomes have an instrument daeval scores or a "
    text += "measure it computes"
    others = [o.id for o in outcomes if o not in scorable]
    if others:
        text += f" (not: {', '.join(others)})"
    if not scorable:
        return "red", text
    return ("green", text) if all(o in scorable for o in primary) else ("amber", text)


def data_line(
    outcomes: list[Outcome], study: StudyFile, loaded: Loaded | None
) -> tuple[Rating, str]:
    sources = {d.id: d for d in study.data_sources if d.id}
    if not outcomes:
        return "red", "no outcomes, so no data to look for"
    states: list[str] = []
    for outcome in outcomes:
        source = sources.get(outcome.data_source or "")
        table = (source.model_extra or {}).get("table") if source else None
        table = table or (outcome.data_source if outcome.data_source in _tables() else None)
        if outcome.data_source is None:
            states.append("none")
        elif source is not None and source.status == "unavailable":
            states.append("unavailable")
        elif loaded is not None and _rows(outcome, source, table, loaded):
            states.append("loaded")
        else:
            states.append("expected")
    counts = {s: states.count(s) for s in ("loaded", "expected", "unavailable", "none")}
    text = (
        f"of {len(outcomes)} outcomes: {counts['loaded']} with data loaded, {counts['expected']} "
        f"declared but not loaded, {counts['unavailable']} unavailable, {counts['none']} with "
        "no data source"
    )
    if loaded is None:
        text += " (no warehouse yet)"
    if counts["loaded"] == len(outcomes):
        return "green", text
    return ("red", text) if counts["loaded"] + counts["expected"] == 0 else ("amber", text)


def _tables() -> tuple[str, ...]:
    from daeval.model import TABLES

    return tuple(TABLES)


def _rows(outcome: Outcome, source: object, table: str | None, loaded: Loaded) -> int:
    file = getattr(source, "model_extra", None) or {}
    if file.get("file"):
        return loaded.files.get(str(file["file"]), 0)
    if outcome.instrument and table in (None, "measure_responses"):
        return loaded.instruments.get(outcome.instrument, 0)
    return loaded.tables.get(table or "", 0)


def _reachable_sample(
    design: EvaluationDesign, per_month: float | None, months: float | None
) -> float | None:
    """Participants within reach: the clusters planned, else recruitment over the time
    available."""
    if design.kind == "cluster2" and design.clusters and design.cluster_size:
        return design.clusters * design.cluster_size
    if per_month is not None and months is not None:
        return per_month * months
    return None


def _power_design(design: EvaluationDesign, n: float | None = None) -> Design:
    if design.kind == "cluster2":
        return Design(
            "cluster2",
            n=design.cluster_size or 10,
            clusters=design.clusters or 2,
            icc=design.icc,
            r2_individual=design.r2_individual,
            attrition=design.attrition,
        )
    return Design("individual", n=n or 100, r2_individual=design.r2_individual,
                  attrition=design.attrition)  # fmt: skip


def needed_participants(design: EvaluationDesign) -> int:
    """Participants the design needs to detect its effect size (80% power, 5% two-sided)."""
    from daeval.design.power import sample_size

    units = sample_size(_power_design(design), design.effect_size)
    if design.kind == "cluster2":
        return int(units * (design.cluster_size or 10))
    return units


SUPPRESSED_FUNNEL = (
    "suppressed by disclosure control (a count of 7 or fewer, or one that would reveal one)"
)


def observed_funnels(workspace_root: Path, sites: list[str]) -> dict[str, Funnel | None]:
    """Each site's referrals a month and recruitment funnel as the controlled measures table
    shows them (``referrals_per_month`` and ``recruitment_funnel`` in outputs/measures.csv,
    written by ``daeval measures``), never the warehouse's exact counts: None for a site whose
    figures disclosure control suppressed; sites without figures are left out."""
    from daeval.design.recruitment import Stage
    from daeval.report.figures import Figures

    figures = Figures.of(workspace_root / "outputs")
    if figures is None:
        return {}
    found: dict[str, Funnel | None] = {}
    for site in sites:
        per_month = figures.one("referrals_per_month", group_by="site_id", group=site)
        if per_month is None:
            continue
        stages = figures.select("recruitment_funnel", "site_id", site)
        if not per_month.value or any(s.numerator is None or not s.denominator for s in stages):
            found[site] = None
            continue
        found[site] = Funnel(
            referrals_per_month=per_month.value,
            stages=tuple(Stage(s.category or "", s.numerator, s.denominator) for s in stages),
        )
    return found


def released(observed: Mapping[str, Funnel | None] | None) -> dict[str, Funnel]:
    """The funnels disclosure control released."""
    return {site: f for site, f in (observed or {}).items() if f is not None}


def _suppressed(observed: Mapping[str, Funnel | None] | None) -> list[str]:
    return [site for site, f in (observed or {}).items() if f is None]


def monthly_yield(
    intervention: Intervention, observed: Mapping[str, Funnel | None] | None = None
) -> tuple[float, str] | None:
    """Participants a month who would reach the end of the funnel, and where the figure comes
    from: the funnels the warehouse shows at the intervention's sites, else the study file's."""
    from daeval.design.recruitment import Stage

    stated = intervention.readiness.recruitment if intervention.readiness else None
    observed = released(observed)
    if observed:
        per_month = sum(f.mean_referrals * f.conversion for f in observed.values())
        stages = " → ".join(s.name for s in next(iter(observed.values())).stages)
        return per_month, (
            f"observed at {', '.join(observed)}: {per_month:.1f} a month reach the end of the "
            f"funnel ({stages})"
        )
    if stated is None:
        return None
    funnel = Funnel(
        referrals_per_month=stated.referrals_per_month,
        stages=(
            Stage("eligible", rate=stated.eligible),
            Stage("consented", rate=stated.consent),
            Stage("retained", rate=stated.retention),
        ),
    )
    per_month = funnel.mean_referrals * funnel.conversion
    return per_month, f"{per_month:.1f} analysable participants a month"


def recruitment_line(
    intervention: Intervention, observed: Mapping[str, Funnel | None] | None = None
) -> tuple[Rating, str]:
    """Months to recruit the sample the design needs: ⌈N / participants a month⌉; not judged
    when disclosure control suppressed a site's observed funnel."""
    hidden = _suppressed(observed)
    if hidden:
        return "amber", (
            f"observed at {', '.join(hidden)}: {SUPPRESSED_FUNNEL}, so months to recruit are "
            "not shown"
        )
    evidence = intervention.readiness
    stated = evidence.recruitment if evidence else None
    design = evidence.design if evidence else None
    found = monthly_yield(intervention, observed)
    if found is None:
        return "red", "no recruitment figures recorded (referrals per month, consent, retention)"
    per_month, text = found
    if design is None:
        return "amber", text + "; no design recorded, so no target sample to reach"
    if per_month <= 0:
        return "red", text + "; nobody reaches the end of the funnel"
    needed = needed_participants(design)
    months = math.ceil(needed / per_month - 1e-9)
    if stated is None:
        return "amber", text + f"; {needed} needed: {months} months (time available not recorded)"
    text += (
        f"; {needed} needed for an effect of {design.effect_size:g} SD: {months} months "
        f"against {stated.months_available:g} available"
    )
    if months <= stated.months_available:
        return "green", text
    return ("amber", text) if months <= 1.5 * stated.months_available else ("red", text)


def design_line(
    intervention: Intervention, observed: Mapping[str, Funnel | None] | None = None
) -> tuple[Rating, str]:
    from daeval.design.power import mdes

    evidence = intervention.readiness
    if evidence is None or evidence.design is None:
        return "red", "no evaluation design considered yet"
    design = evidence.design
    r = evidence.recruitment
    found = None if _suppressed(observed) else monthly_yield(intervention, observed)
    per_month = found[0] if found else None
    reachable = _reachable_sample(design, per_month, r.months_available if r else None)
    randomisation = design.randomisation.replace("_", " ")
    level = f" at the level of {design.randomisation_level}" if design.randomisation_level else ""
    text = f"{design.kind} design; randomisation{level}: {randomisation}"
    if design.alternatives:
        text += f"; alternatives: {', '.join(design.alternatives)}"
    rating: Rating = "green"
    if reachable is None and _suppressed(observed):
        text += f"; sample within reach not shown: the observed funnel is {SUPPRESSED_FUNNEL}"
        rating = "amber"
    elif reachable is None:
        text += "; sample within reach unknown"
        rating = "amber"
    else:
        n = reachable if design.kind == "individual" else None
        detectable = mdes(_power_design(design, n))
        text += (
            f"; MDES {detectable:.2f} SD with {reachable:.0f} participants, against "
            f"{design.effect_size:g} SD worth detecting"
        )
        if detectable > 1.5 * design.effect_size:
            rating = "red"
        elif detectable > design.effect_size:
            rating = "amber"
    if design.randomisation == "not_acceptable":
        rating = worst(rating, "amber" if design.alternatives else "red")
    elif design.randomisation in ("partly", "unknown"):
        rating = worst(rating, "amber")
    return rating, text


def acceptability_line(intervention: Intervention) -> tuple[Rating, str]:
    findings = intervention.readiness.acceptability if intervention.readiness else []
    if not findings:
        return "red", "no acceptability evidence recorded"
    by_rating = {k: sorted({f.stakeholder for f in findings if f.rating == k})
                 for k in ("positive", "mixed", "negative")}  # fmt: skip
    text = "; ".join(f"{k}: {', '.join(v)}" for k, v in by_rating.items() if v)
    if by_rating["negative"]:
        return "red" if not by_rating["positive"] else "amber", text
    if by_rating["mixed"] or len(by_rating["positive"]) < 2:
        return "amber", text
    return "green", text


def scorecard(
    study: StudyFile, loaded: Loaded | None, workspace_root: Path | None = None
) -> list[Line]:
    """The readiness lines of every intervention under study (comparators excluded); with a
    workspace, recruitment is judged from the funnels its controlled measures show."""
    lines: list[Line] = []
    for intervention in study.interventions:
        if intervention.comparator:
            continue
        outcomes = [o for o in study.outcomes if intervention.id in o.interventions]
        theory = theory_line(intervention)
        data = data_line(outcomes, study, loaded)
        observed = observed_funnels(workspace_root, intervention.sites) if workspace_root else None
        computed = {
            "Theory of change": theory,
            "Outcome measurability": measurability_line(outcomes),
            "Data availability": data,
            "Recruitment": recruitment_line(intervention, observed),
            "Evaluation design": design_line(intervention, observed),
            "Acceptability": acceptability_line(intervention),
        }
        for aspect, (rating, text) in computed.items():
            lines.append(Line(intervention.id, aspect, rating, text))
        judged = intervention.readiness.evaluability if intervention.readiness else None
        rests_on = {"in_principle": theory, "in_practice": data, "utility": None}
        for key, basis in rests_on.items():
            aspect = "Evaluability " + key.replace("_", " ")
            judgement = getattr(judged, key) if judged else None
            if judgement is None:
                lines.append(Line(intervention.id, aspect, "red", "not judged yet"))
                continue
            rating, text = judgement.rating, judgement.evidence
            if basis is not None and RANK[basis[0]] > RANK[rating]:
                text += f" (judged {rating}, but the {basis_name(key)} line is {basis[0]})"
                rating = basis[0]
            lines.append(Line(intervention.id, aspect, rating, text))
    return lines


def basis_name(key: str) -> str:
    return {"in_principle": "theory of change", "in_practice": "data availability"}[key]


def overall(lines: list[Line]) -> dict[str, Rating]:
    """Each intervention's worst line."""
    out: dict[str, Rating] = {}
    for line in lines:
        out[line.intervention] = worst(out.get(line.intervention, "green"), line.rating)
    return out
