"""The canonical tables and columns: every table of the data contract, declared once.

The DuckDB schema (``daeval.model.ddl``), the loader's type checks and the reference page
``docs/reference/model.md`` are all derived from these declarations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from types import MappingProxyType

from daeval.model import codes as c
from daeval.model.codes import CodeList
from daeval.model.la_codes import LA_CODE_PATTERN


class Kind(StrEnum):
    """What a column holds, as read from a file."""

    TEXT = "text"
    DATE = "date"
    INTEGER = "integer"
    DECIMAL = "decimal"
    CODE = "code"
    CODE_SET = "code_set"  # a ';'-separated list of codes from one code list


EARLIEST_DATE = date(1900, 1, 1)
"""No date of any table may be earlier. The people in these records are children and their
parents and carers, and the events are recent; a date before 1900 is a typing error or a
placeholder (1899-12-30 and 1899-12-31 are Excel's day zero, 1900-01-00, in the two ways
programs count it)."""

MOST_SESSIONS = 1_000
"""The most sessions of one episode of an intervention, planned or attended: a session every day
for nearly three years. Programmes for families affected by domestic abuse run to tens of
sessions (a weekly programme of a year is about 50)."""

MOST_POUNDS = 1_000_000_000.0
"""The largest cost one row may give, in pounds: a twelfth of what all councils in England
together spent on children's social care in 2022-23 (more than £12.2 billion: Pro Bono
Economics for Barnardo's and others, "Struggling against the tide: Children's services spending,
2011-2023", 2024), for one intervention at one site over one period."""


def number_text(value: float) -> str:
    """A bound as written in a reason or the reference page: 27, 0.5, 1,000,000,000."""
    return format(value, ",.15g")


class Identifier(StrEnum):
    """How a direct identifier is minimised before it reaches the warehouse."""

    DROP = "drop"  # read for linkage only; never stored
    YEAR_MONTH = "year_month"  # a date of birth, kept as the first day of its month
    SECTOR = "sector"  # a postcode, kept as its sector (outward code and first inward digit)


@dataclass(frozen=True)
class Reference:
    """A column that points at a row of another table (optionally within one source system)."""

    table: str
    column: str
    source: str | None = None


@dataclass(frozen=True)
class Pseudonym:
    """How an id column is pseudonymised: HMAC of the id within a namespace.

    The namespace is ``literal``, or ``prefix`` followed by the value of ``column`` in the same
    row. Ids are unique only within their source, so the source is part of the namespace: the
    same person id in the same source gets the same pseudonym in every table.
    """

    literal: str | None = None
    column: str | None = None
    prefix: str = ""
    blank_scope: bool = False
    """Whether an id whose row has no value in ``column`` still gets a pseudonym, made in the
    namespace ``prefix`` alone (otherwise it gets none)."""


PERSON_IN_ROW_SOURCE = Pseudonym(column="source")
POLICE_PERSON = Pseudonym("police")
CSC_PERSON = Pseudonym("csc")


def record(table: str, scope: str | None = None) -> Pseudonym:
    """The namespace of a record id of ``table`` (a referral id, a notification id, ...).

    Record ids are unique only within the system that issued them, so the namespace holds the
    row's ``scope`` column when the table has one (a local authority's ``la_code``, a service's
    ``site_id``): ``record:csc_referrals:<la_code>``. Without a scope it is ``record:<table>``.
    """
    if scope is None:
        return Pseudonym(f"record:{table}")
    return Pseudonym(column=scope, prefix=f"record:{table}:", blank_scope=True)


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    description: str
    required: bool = False
    codes: CodeList | None = None
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    identifier: Identifier | None = None
    references: Reference | None = None
    pseudonym: Pseudonym | None = None
    enforce_reference: bool = False

    @property
    def warehouse_name(self) -> str | None:
        """The column's name in the warehouse, or None when it is never stored."""
        if self.identifier is Identifier.DROP:
            return None
        if self.identifier is Identifier.YEAR_MONTH:
            return "birth_month"
        if self.identifier is Identifier.SECTOR:
            return f"{self.name}_sector"
        return self.name


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = field(default=())
    date_order: tuple[tuple[str, str], ...] = field(default=())
    """Pairs of date columns where the first may not be later than the second."""
    not_in_future: tuple[str, ...] = field(default=())
    """Date columns that may not be later than the day of loading."""
    replace_by: tuple[str, ...] = field(default=())
    """Columns naming the source of a row: a new extract replaces the rows of the same source."""

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(col.name for col in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(col.name for col in self.columns if col.required)


def _text(name: str, description: str, **kw) -> Column:  # type: ignore[no-untyped-def]
    return Column(name, Kind.TEXT, description, **kw)


def _date(name: str, description: str, **kw) -> Column:  # type: ignore[no-untyped-def]
    return Column(name, Kind.DATE, description, **kw)


def _code(name: str, codes: CodeList, description: str, **kw) -> Column:  # type: ignore[no-untyped-def]
    return Column(name, Kind.CODE, description, codes=codes, **kw)


def _int(name: str, description: str, **kw) -> Column:  # type: ignore[no-untyped-def]
    return Column(name, Kind.INTEGER, description, **kw)


PEOPLE = Table(
    "people",
    "One row per person per source system.",
    (
        _text(
            "source",
            "System the row comes from: `police`, `csc`, `service:<site_id>`, or another name",
            required=True,
        ),
        _text("person_id", "The source's own id", required=True, pseudonym=PERSON_IN_ROW_SOURCE),
        _text("first_name", "For linkage only; never stored", identifier=Identifier.DROP),
        _text("last_name", "For linkage only; never stored", identifier=Identifier.DROP),
        _date(
            "date_of_birth",
            "For linkage; stored as the first day of the month of birth (birth_month)",
            identifier=Identifier.YEAR_MONTH,
        ),
        _code("sex", c.SEX, "Sex"),
        _code("ethnicity", c.ETHNICITY, "CIN ethnicity code"),
        _code("disability", c.DISABILITY, "Disability (Y/N)"),
        _text(
            "postcode",
            "For linkage; stored as the postcode sector (postcode_sector)",
            identifier=Identifier.SECTOR,
        ),
    ),
    key=("source", "person_id"),
    not_in_future=("date_of_birth",),
    replace_by=("source",),
)

PERSON_LINKS = Table(
    "person_links",
    "Links already trusted by the data owner, for example a MASH match.",
    (
        _text("source_a", "Source of the first person", required=True),
        _text(
            "person_id_a",
            "person_id of the first person",
            required=True,
            pseudonym=Pseudonym(column="source_a"),
        ),
        _text("source_b", "Source of the second person", required=True),
        _text(
            "person_id_b",
            "person_id of the second person",
            required=True,
            pseudonym=Pseudonym(column="source_b"),
        ),
    ),
    key=("source_a", "person_id_a", "source_b", "person_id_b"),
)

POLICE_NOTIFICATIONS = Table(
    "police_notifications",
    "Police incident reports and vulnerable-person referrals.",
    (
        _text(
            "notification_id",
            "The force's own id",
            required=True,
            pseudonym=record("police_notifications"),
        ),
        _date(
            "notification_date",
            "Date of the incident report or vulnerable-person referral",
            required=True,
        ),
        _code("incident_type", c.INCIDENT_TYPE, "Domestic abuse or other vulnerability"),
        _text(
            "victim_id",
            "person_id in source police",
            references=Reference("people", "person_id", "police"),
            pseudonym=POLICE_PERSON,
        ),
        _text(
            "perpetrator_id",
            "person_id in source police",
            references=Reference("people", "person_id", "police"),
            pseudonym=POLICE_PERSON,
        ),
        _code("risk_tool", c.RISK_TOOL, "Risk tool used"),
        _code("risk_level", c.RISK_LEVEL, "Risk level; missing means not assessed"),
        _int(
            "dash_yes_count", "Number of yes answers on the DASH checklist", minimum=0, maximum=27
        ),
        _code("post_separation", c.YES_NO, "Abuse after the couple separated"),
    ),
    key=("notification_id",),
    not_in_future=("notification_date",),
)

NOTIFICATION_CHILDREN = Table(
    "notification_children",
    "Each child in the household at the incident.",
    (
        _text(
            "notification_id",
            "The notification",
            required=True,
            references=Reference("police_notifications", "notification_id"),
            pseudonym=record("police_notifications"),
            enforce_reference=True,
        ),
        _text(
            "child_id",
            "person_id in source police",
            required=True,
            references=Reference("people", "person_id", "police"),
            pseudonym=POLICE_PERSON,
            enforce_reference=True,
        ),
    ),
    key=("notification_id", "child_id"),
)

LA_CODE = (
    "Local authority: the DfE 3-digit code, or the ONS 9-character code of a current English, "
    "Scottish or Welsh authority (E06-E10, S12, W06); an ONS code of an authority with a DfE "
    "code is stored as the DfE code (decision 0016)"
)

CSC_REFERRALS = Table(
    "csc_referrals",
    "Referrals to children's social care.",
    (
        _text(
            "referral_id",
            "The local authority's own id",
            required=True,
            pseudonym=record("csc_referrals", "la_code"),
        ),
        _text(
            "child_id",
            "person_id in source csc",
            required=True,
            references=Reference("people", "person_id", "csc"),
            pseudonym=CSC_PERSON,
        ),
        _text("la_code", LA_CODE, required=True, pattern=LA_CODE_PATTERN),
        _date("referral_date", "Date of referral", required=True),
        _code("referral_source", c.REFERRAL_SOURCE, "CIN referral source"),
        _code("decision", c.DECISION, "Front-door decision"),
        _code("domestic_abuse", c.YES_NO, "Domestic abuse recorded at the front door"),
        _code("threshold_level", c.THRESHOLD_LEVEL, "Local level of need (1-4)"),
        _date("closure_date", "Date the episode closed"),
        _code("reason_for_closure", c.REASON_FOR_CLOSURE, "CIN reason for closure"),
    ),
    key=("la_code", "referral_id"),
    date_order=(("referral_date", "closure_date"),),
    not_in_future=("referral_date",),
    replace_by=("la_code",),
)

ASSESSMENTS = Table(
    "assessments",
    "Assessments of referred children, with the factors identified at the end.",
    (
        _text(
            "assessment_id",
            "The local authority's own id",
            required=True,
            pseudonym=record("assessments", "la_code"),
        ),
        _text(
            "referral_id",
            "The referral assessed",
            required=True,
            references=Reference("csc_referrals", "referral_id"),
            pseudonym=record("csc_referrals", "la_code"),
            enforce_reference=True,
        ),
        _date("start_date", "Assessment start date"),
        _date("authorised_date", "Assessment authorisation (completion) date"),
        Column(
            "factors",
            Kind.CODE_SET,
            "CIN factors identified at the end of assessment, ';'-separated",
            codes=c.ASSESSMENT_FACTOR,
        ),
        _text(
            "la_code",
            f"{LA_CODE} (when not given: that of the referral assessed)",
            pattern=LA_CODE_PATTERN,
        ),
    ),
    key=("la_code", "assessment_id"),
    date_order=(("start_date", "authorised_date"),),
    replace_by=("la_code",),
)

PLANS = Table(
    "plans",
    "Child in need plans, child protection plans and periods looked after.",
    (
        _text(
            "plan_id",
            "The local authority's own id",
            required=True,
            pseudonym=record("plans", "la_code"),
        ),
        _text(
            "child_id",
            "person_id in source csc",
            required=True,
            references=Reference("people", "person_id", "csc"),
            pseudonym=CSC_PERSON,
        ),
        _code("plan_type", c.PLAN_TYPE, "CIN, CP or CLA", required=True),
        _date("start_date", "Plan start date", required=True),
        _date("end_date", "Plan end date"),
        _code("category_of_abuse", c.CATEGORY_OF_ABUSE, "Category of abuse (CP plans)"),
        _text("la_code", LA_CODE, pattern=LA_CODE_PATTERN),
    ),
    key=("la_code", "plan_id"),
    date_order=(("start_date", "end_date"),),
    replace_by=("la_code", "plan_type"),
)

SERVICE_EPISODES = Table(
    "service_episodes",
    "One row per person per referral to an intervention.",
    (
        _text(
            "episode_id",
            "The service's own id",
            required=True,
            pseudonym=record("service_episodes", "site_id"),
        ),
        _text("site_id", "Site delivering the intervention", required=True),
        _text("intervention_id", "Intervention", required=True),
        _text(
            "person_id",
            "person_id in source `service:<site_id>`",
            required=True,
            pseudonym=Pseudonym(column="site_id", prefix="service:"),
        ),
        _text(
            "family_id",
            "The service's family id",
            pseudonym=Pseudonym(column="site_id", prefix="family:service:"),
        ),
        _code("role", c.ROLE, "The person's role in the family"),
        _date("referral_date", "Date referred to the service", required=True),
        _text("referral_source", "Free text or CIN referral source code"),
        _code("eligibility", c.ELIGIBILITY, "Eligibility decision"),
        _text("ineligible_reason", "Why not eligible"),
        _date("first_contact_date", "First successful contact"),
        _code("offer", c.OFFER, "Outcome of the offer"),
        _date("start_date", "First session"),
        _int("sessions_planned", "Sessions planned", minimum=0, maximum=MOST_SESSIONS),
        _int("sessions_attended", "Sessions attended", minimum=0, maximum=MOST_SESSIONS),
        _date("end_date", "Date the episode ended"),
        _code("end_reason", c.END_REASON, "Why the episode ended"),
        _code("evaluation_consent", c.CONSENT, "Consent to use the record for evaluation"),
        _date("consent_date", "Date consent was given or withdrawn"),
    ),
    key=("site_id", "episode_id"),
    date_order=(
        ("referral_date", "start_date"),
        ("start_date", "end_date"),
        ("referral_date", "end_date"),
    ),
    replace_by=("site_id",),
)

MEASURE_RESPONSES = Table(
    "measure_responses",
    "Questionnaire answers, one row per item answered.",
    (
        _text(
            "response_id",
            "Id of the answer",
            required=True,
            pseudonym=record("measure_responses", "source"),
        ),
        _text("source", "Source system of the person", required=True),
        _text(
            "person_id",
            "person_id in that source",
            required=True,
            references=Reference("people", "person_id"),
            pseudonym=PERSON_IN_ROW_SOURCE,
            enforce_reference=True,
        ),
        _code("instrument", c.INSTRUMENT, "Instrument code", required=True),
        _text(
            "timepoint",
            "baseline, mid, end or followup_<months>",
            required=True,
            pattern=c.TIMEPOINT_PATTERN,
        ),
        _date("administered_date", "Date the questionnaire was completed"),
        _code("respondent", c.RESPONDENT, "Who answered"),
        _text(
            "item", "Item number, or total/subscale name for licensed instruments", required=True
        ),
        Column("value", Kind.DECIMAL, "The answer (or a licensed tool's score)", required=True),
    ),
    key=("source", "response_id"),
    replace_by=("source",),
)

ADDRESSES = Table(
    "addresses",
    "Address history, for transience.",
    (
        _text("source", "Source system", required=True),
        _text(
            "person_id", "person_id in that source", required=True, pseudonym=PERSON_IN_ROW_SOURCE
        ),
        _text(
            "postcode",
            "Stored as the postcode sector (postcode_sector)",
            identifier=Identifier.SECTOR,
        ),
        _date("from_date", "First date at the address", required=True),
        _date("to_date", "Last date at the address"),
    ),
    key=("source", "person_id", "from_date"),
    date_order=(("from_date", "to_date"),),
    replace_by=("source",),
)

COSTS = Table(
    "costs",
    "Costs of delivering an intervention at a site.",
    (
        _text("site_id", "Site", required=True),
        _text("intervention_id", "Intervention", required=True),
        _date("period_start", "First day of the costed period", required=True),
        _date("period_end", "Last day of the costed period", required=True),
        _code("category", c.COST_CATEGORY, "Cost category", required=True),
        Column(
            "amount_gbp",
            Kind.DECIMAL,
            "Amount in pounds",
            required=True,
            minimum=0,
            maximum=MOST_POUNDS,
        ),
    ),
    date_order=(("period_start", "period_end"),),
    replace_by=("site_id",),
)

TABLES: MappingProxyType[str, Table] = MappingProxyType(
    {
        t.name: t
        for t in (
            PEOPLE,
            PERSON_LINKS,
            POLICE_NOTIFICATIONS,
            NOTIFICATION_CHILDREN,
            CSC_REFERRALS,
            ASSESSMENTS,
            PLANS,
            SERVICE_EPISODES,
            MEASURE_RESPONSES,
            ADDRESSES,
            COSTS,
        )
    }
)

MEASURES_COLUMNS = (
    "measure",
    "group_by",
    "group",
    "category",
    "period_start",
    "period_end",
    "numerator",
    "denominator",
    "value",
    "suppressed",
    "ci_lower",
    "ci_upper",
)
"""Columns of the tidy measures table, in the contract's order, then a 95% confidence interval
(of a comparison, a Kaplan-Meier point, a mean change or effect size; blank for other rows and
whenever the value is suppressed)."""
