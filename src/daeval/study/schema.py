"""The shape of ``study.yaml``: every section, its fields and their types.

Sections read by other parts of daeval (``data_sources`` by ingest, ``instruments`` by scoring,
``comparison``, ``screening`` and ``equality_plan.subgroups`` by the measures, ``linkage`` by
linkage) are typed here only as far as the study file's own checks need; their own parsers check
the rest, and ``daeval study check`` runs both. docs/study-file.md describes every field.
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from daeval.study.toc import TheoryOfChange

Rating = Literal["green", "amber", "red"]


def _listed(value: Any) -> Any:
    """A single value where a list is expected is a list of one."""
    return [value] if isinstance(value, str | int) else value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, use_attribute_docstrings=True)


class Retention(_Strict):
    report_publication: date | None = None
    """When the final report is expected to be published."""
    destruction_date: date
    """When the study's personal data (and its project key) must be destroyed; `daeval study check` warns once it has passed."""


class DataProtection(_Strict):
    identifier: str = Field(min_length=1)
    """The data protection identifier (DPID) the organisation's register gives the study."""
    lawful_basis: list[str] = Field(min_length=1)
    """The lawful bases of processing, e.g. UK GDPR Article 6(1)(e) public task."""
    special_category_basis: str | None = None
    """The condition for special category data, e.g. UK GDPR Article 9(2)(j) with DPA 2018 Schedule 1 Part 1 paragraph 4."""
    dpia_risk: Literal["low", "medium", "high"] | None = None
    """The risk level the data protection impact assessment concluded: low, medium or high."""
    controllers: list[str] = Field(default_factory=list)
    """The data controllers and their roles."""
    retention: Retention
    """Report publication and data destruction dates."""

    _listed = field_validator("lawful_basis", "controllers", mode="before")(_listed)


class Ethics(_Strict):
    status: Literal["approved", "pending", "not_required"]
    """approved, pending or not_required."""
    committee: str | None = None
    """The research ethics committee that reviewed the study."""
    reference: str | None = None
    """The committee's reference for the application."""
    approved_on: date | None = None
    """The date of approval."""


class StudyDetails(_Strict):
    title: str = Field(min_length=1)
    """The study's title."""
    kind: Literal["feasibility", "pilot", "efficacy", "effectiveness", "evaluation", "other"] = (
        "feasibility"
    )
    """feasibility, pilot, efficacy, effectiveness, evaluation or other."""
    evaluator: str | None = None
    """The organisation(s) evaluating."""
    lead_organisation: str | None = None
    """The organisation leading the study."""
    funder: str | None = None
    """Who funds the study."""
    protocol_date: date | None = None
    """The date of the protocol this file follows."""
    start: date | None = None
    """When the study starts."""
    end: date | None = None
    """When the study ends."""
    data_protection: DataProtection
    """The data protection record."""
    ethics: Ethics
    """The ethics review."""


class Site(_Strict):
    id: str = Field(min_length=1)
    """A short name other sections refer to (e.g. in an intervention's sites)."""
    name: str = Field(min_length=1)
    """The site's name."""
    local_authority: str | None = None
    """The local authority the site is in."""
    la_code: str | None = None
    """The local authority's code: the DfE three-digit code, or the ONS nine-character code
    (E06-E10, S12, W06), read as the same authority's DfE code when it has one (decision 0016)."""
    region: str | None = None
    """The region, e.g. London or North West."""
    comparator: bool = False
    """A comparison site: business as usual, none of the study's interventions."""
    service_start: date | None = None
    """When the intervention started taking referrals here."""
    characteristics: dict[str, str] = Field(default_factory=dict)
    """Anything else that describes the area (deprivation, ethnic minority share, ...), as name: value."""

    @field_validator("la_code", mode="before")
    @classmethod
    def _code_text(cls, value: Any) -> Any:
        if isinstance(value, int):
            value = f"{value:03d}"
        if not isinstance(value, str):
            return value
        from daeval.model.la_codes import REASON, canonical

        code = canonical(value)
        if code is None:
            raise ValueError(f"{value!r} is {REASON}")
        return code


class Recruitment(_Strict):
    """What is known of how fast an evaluation could recruit (for the readiness scorecard)."""

    referrals_per_month: float = Field(gt=0)
    """Families (or children) referred a month, on average."""
    eligible: float = Field(default=1.0, gt=0, le=1)
    """The share of referrals eligible for the evaluation (0-1)."""
    consent: float = Field(gt=0, le=1)
    """The share of eligible families who would consent (0-1)."""
    retention: float = Field(default=1.0, gt=0, le=1)
    """The share of those recruited who would give outcome data at follow-up (0-1)."""
    months_available: float = Field(gt=0)
    """Months the evaluation could spend recruiting."""
    source: str | None = None
    """Where the figures come from."""


class EvaluationDesign(_Strict):
    """The impact evaluation being considered and what it would need."""

    kind: Literal["individual", "cluster2"] = "individual"
    """individual (randomise people) or cluster2 (randomise sites, teams or practitioners)."""
    effect_size: float = Field(gt=0)
    """The smallest standardised effect worth detecting."""
    clusters: int | None = Field(default=None, ge=2)
    """Clusters in all (cluster2)."""
    cluster_size: float | None = Field(default=None, gt=0)
    """Participants per cluster (cluster2)."""
    icc: float = Field(default=0.0, ge=0, lt=1)
    """Intraclass correlation of the outcome within clusters (cluster2)."""
    r2_individual: float = Field(default=0.0, ge=0, lt=1)
    """Share of the outcome's variance explained by baseline covariates."""
    attrition: float = Field(default=0.0, ge=0, lt=1)
    """Share randomised but not analysed."""
    randomisation: Literal["acceptable", "partly", "not_acceptable", "unknown"] = "unknown"
    """Whether stakeholders find randomisation acceptable: acceptable, partly, not_acceptable or unknown."""
    randomisation_level: str | None = None
    """What would be randomised: families, practitioners, teams, sites."""
    alternatives: list[str] = Field(default_factory=list)
    """Other designs considered (e.g. a quasi-experimental comparison with matched sites)."""
    source: str | None = None
    """Where the judgement comes from."""


class Finding(_Strict):
    stakeholder: str = Field(min_length=1)
    """Whose view: practitioners, parents, children, managers, partner agencies."""
    finding: str = Field(min_length=1)
    """What they said, in brief."""
    rating: Literal["positive", "mixed", "negative"]
    """positive, mixed or negative."""
    source: str | None = None
    """Where it comes from (interviews, survey, feedback forms)."""


class Judgement(_Strict):
    rating: Rating
    """green, amber or red."""
    evidence: str = Field(min_length=1)
    """The evidence behind the rating, in words."""


class Evaluability(_Strict):
    """Davies (2013): evaluable in principle (the design), in practice (data, systems, capacity),
    and useful (stakeholder demand)."""

    in_principle: Judgement | None = None
    """Is the design evaluable: a clear, plausible, testable theory of change?"""
    in_practice: Judgement | None = None
    """Are data, systems and capacity there to evaluate it?"""
    utility: Judgement | None = None
    """Would an evaluation be used: stakeholder demand?"""


class ReadinessEvidence(_Strict):
    recruitment: Recruitment | None = None
    """What is known of recruitment and retention."""
    design: EvaluationDesign | None = None
    """The impact evaluation being considered."""
    acceptability: list[Finding] = Field(default_factory=list)
    """Findings on how acceptable the intervention is to stakeholders."""
    evaluability: Evaluability | None = None
    """The evaluators' judgements of evaluability."""


class Intervention(_Strict):
    id: str = Field(min_length=1)
    """A short name other sections refer to."""
    name: str = Field(min_length=1)
    """The intervention's name."""
    sites: list[str] = Field(min_length=1)
    """Ids of the sites that deliver it."""
    delivery_organisation: str = Field(min_length=1)
    """Who delivers it."""
    population: str = Field(min_length=1)
    """Whom it is for (ages, roles, risk level)."""
    approach: str | None = None
    """Its approach (e.g. trauma-informed, systemic, advocacy)."""
    location: str | None = None
    """Where it is delivered."""
    description: str = Field(min_length=1)
    """What it does, in brief."""
    comparator: bool = False
    """The comparison condition (business as usual), not a service under study."""
    service_start: date | None = None
    """When it started."""
    theory_of_change: TheoryOfChange | None = None
    """Its theory of change: nodes and links (see below)."""
    readiness: ReadinessEvidence | None = None
    """Evidence for the readiness scorecard."""

    _listed = field_validator("sites", mode="before")(_listed)


class Outcome(_Strict):
    id: str = Field(min_length=1)
    """A short name other sections refer to."""
    name: str = Field(min_length=1)
    """The outcome, in words."""
    interventions: list[str] = Field(min_length=1)
    """Ids of the interventions it is an outcome of."""
    instrument: str | None = None
    """A questionnaire of daeval's library (e.g. GAD7) or one the study names."""
    measure: str | None = None
    """A measure daeval computes from administrative data (e.g. re_referral_rate)."""
    indicator: str | None = None
    """Anything else, in words (e.g. birth weight from maternity records)."""
    data_source: str | None = None
    """The id of a ``data_sources`` entry, or a table of the data contract."""
    respondent: str | None = None
    """Who answers or is measured (child, parent, practitioner)."""
    timing: list[str] = Field(default_factory=list)
    """When it is measured (baseline, end, 6 months)."""
    primary: bool = False
    """A primary outcome of the evaluation."""

    _listed = field_validator("interventions", "timing", mode="before")(_listed)


class Method(_Strict):
    id: str = Field(min_length=1)
    """A short name research questions and the timeline refer to."""
    name: str = Field(min_length=1)
    """The method's name."""
    kind: Literal["qualitative", "quantitative", "mixed", "desk", "consultation"]
    """qualitative, quantitative, mixed, desk or consultation."""
    data_sources: list[str] = Field(default_factory=list)
    """Ids of the data sources it uses."""
    description: str | None = None
    """In brief."""

    _listed = field_validator("data_sources", mode="before")(_listed)


class ResearchQuestion(_Strict):
    id: str = Field(min_length=1)
    """The question's number, e.g. 1a."""
    text: str = Field(min_length=1)
    """The question."""
    group: str | None = None
    """The heading it falls under (e.g. Evaluation feasibility)."""
    methods: list[str] = Field(default_factory=list)
    """Ids of the methods that answer it."""
    outcomes: list[str] = Field(default_factory=list)
    """Ids of outcomes whose data answer it."""
    measures: list[str] = Field(default_factory=list)
    """Measures daeval computes that answer it."""
    themes: list[str] = Field(default_factory=list)
    """Themes from the qualitative analysis that answer it."""

    @field_validator("id", mode="before")
    @classmethod
    def _id_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value

    _listed = field_validator("methods", "outcomes", "measures", "themes", mode="before")(_listed)


class Commitment(_Strict):
    commitment: str = Field(min_length=1)
    """The commitment."""
    details: str | None = None
    """What it means in practice."""
    timeframe: str | None = None
    """When it is acted on."""


class EqualityPlan(BaseModel):
    """``subgroups`` is checked by the measures' own parser (daeval.study.equality)."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)
    subgroups: Any = None
    """The subgroups every measure is broken down by: area, sex, age_band, ethnicity_group, disability (all of them when not given)."""
    commitments: list[Commitment] = Field(default_factory=list)
    """The equality, diversity, inclusion and equity commitments."""


class Activity(_Strict):
    activity: str = Field(min_length=1)
    """What is done."""
    start: date
    """First day; a month (YYYY-MM) means its first day."""
    end: date
    """Last day; a month (YYYY-MM) means its last day."""
    methods: list[str] = Field(default_factory=list)
    """Ids of the methods it carries out."""

    _listed = field_validator("methods", mode="before")(_listed)

    @field_validator("start", "end", mode="before")
    @classmethod
    def _month(cls, value: Any, info: ValidationInfo) -> Any:
        """A timeline is often planned by the month: '2022-11' is 1 (start) or 30 (end)
        November 2022."""
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}", value.strip()):
            year, month = (int(part) for part in value.strip().split("-"))
            if 1 <= month <= 12:
                last = calendar.monthrange(year, month)[1]
                return date(year, month, 1 if info.field_name == "start" else last)
        return value


class Risk(_Strict):
    risk: str = Field(min_length=1)
    """What could go wrong."""
    mitigation: str = Field(min_length=1)
    """What will be done about it."""
    likelihood: Literal["low", "medium", "high"] | None = None
    """low, medium or high."""
    impact: Literal["low", "medium", "high"] | None = None
    """low, medium or high."""
    owner: str | None = None
    """Who watches it."""


class Reference(_Strict):
    id: str = Field(min_length=1)
    """A short name theory-of-change links cite (e.g. howarth2016)."""
    citation: str = Field(min_length=1)
    """The full citation."""
    url: str | None = None
    """Where to read it."""


class DataSourceEntry(BaseModel):
    """The fields that describe a data source. Besides these, a received source has the keys of
    its column mapping, checked by ingest's parser: file, table, sheet, columns, constants,
    codes, date_format, date_formats, keep; or records, dictionary and redcap for a REDCap export
    (docs/cli.md, `daeval ingest`). A source not yet received gives its table only."""

    model_config = ConfigDict(extra="allow", use_attribute_docstrings=True)
    id: str | None = None
    """A short name outcomes and methods refer to."""
    description: str | None = None
    """What the data are."""
    holder: str | None = None
    """The organisation that holds them."""
    site: str | None = None
    """The site they come from."""
    status: Literal["received", "expected", "unavailable"] = "received"
    """received (the file is in the data folder and ingest reads it), expected or unavailable."""


class Criterion(_Strict):
    id: str = Field(min_length=1)
    """A short name the applications' scores use."""
    text: str = Field(min_length=1)
    """The criterion."""
    weight: float = Field(default=1.0, gt=0)
    """Its weight in the weighted score."""


class Application(_Strict):
    id: str = Field(min_length=1)
    """A short name."""
    name: str = Field(min_length=1)
    """The applicant."""
    scores: dict[str, int]
    """criterion id: score from 0 to the scale."""
    characteristics: dict[str, str] = Field(default_factory=dict)
    """name: value for the diversity characteristics (region, population, approach, ...)."""
    intervention: str | None = None
    """The intervention it became, if chosen."""
    notes: str | None = None
    """Anything else."""


class PartnerSelection(_Strict):
    """Applications scored 0..``scale`` on weighted criteria, shortlisted for diversity."""

    scale: int = Field(default=3, ge=1)
    """Scores run from 0 to this."""
    met_at: int = Field(default=2, ge=1)
    """A criterion counts as met when scored at least this."""
    minimum_met: int = Field(default=1, ge=0)
    """Applications meeting fewer criteria are not shortlisted."""
    shortlist: int = Field(ge=1)
    """How many partners to choose."""
    criteria: list[Criterion] = Field(min_length=1)
    """The weighted criteria."""
    diversity: list[str] = Field(default_factory=list)
    """Characteristics to spread the shortlist across."""
    applications: list[Application] = Field(min_length=1)
    """The applications, with their scores and characteristics."""
    illustrative: bool = False
    """The scores are made up to show the method (an example study's)."""


class StudyFile(BaseModel):
    """The whole of ``study.yaml``."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)
    study: StudyDetails | None = None
    """Title, data protection and ethics."""
    references: list[Reference] = Field(default_factory=list)
    """Desk research, cited by theory-of-change links."""
    sites: list[Site] = Field(default_factory=list)
    """Where the interventions run, and comparator sites."""
    interventions: list[Intervention] = Field(default_factory=list)
    """The interventions (and the comparison condition)."""
    outcomes: list[Outcome] = Field(default_factory=list)
    """Outcomes, each mapped to an instrument or measure and a data source."""
    methods: list[Method] = Field(default_factory=list)
    """The study's methods."""
    research_questions: list[ResearchQuestion] = Field(default_factory=list)
    """Research questions and what answers them."""
    equality_plan: EqualityPlan | None = None
    """Subgroups and equality commitments."""
    timeline: list[Activity] = Field(default_factory=list)
    """Activities with start and end dates."""
    risks: list[Risk] = Field(default_factory=list)
    """Risks and their mitigations."""
    partner_selection: PartnerSelection | None = None
    """Scoring and shortlisting partner sites."""
    data_sources: list[DataSourceEntry] = Field(default_factory=list)
    """The data, their status and their column mappings (read by `daeval ingest`; docs/cli.md)."""
    allowed_folders: list[str] = Field(default_factory=list)
    """Folders besides the data folder given to `daeval ingest` that data sources may name files in (relative to the study file's folder, or absolute); any other file outside the data folder is refused."""
    # Read and checked by their own parsers.
    comparison: Any = None
    """Intervention against comparison groups for the measures (docs/measures.md)."""
    screening: Any = None
    """The screening cohort of the screening_funnel measure (docs/measures.md)."""
    instruments: Any = None
    """The study's settings for its questionnaires (docs/instruments.md)."""
    linkage: Any = None
    """The linkage threshold (docs/linkage.md)."""

    _listed = field_validator("allowed_folders", mode="before")(_listed)
