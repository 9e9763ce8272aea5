"""CIN census reader, part two: one Child element to staged rows, and rows to Arrow.

The mapping rules are documented in ``daeval.ingest.cin_census``.
"""

from __future__ import annotations

import pyarrow as pa

from daeval.ingest.staged import LOCATOR_COLUMN, StagedTable
from daeval.model.codes import DOMESTIC_ABUSE_FACTORS
from daeval.model.tables import TABLES

# GenderCurrent (up to census 2024) to Sex (from census 2025). DfE CIN census XML schema 2024, as
# kept in liiatools CIN_schema_2024.xsd: 1 male, 2 female, 0 not recorded or unborn, 9 indeterminate.
_GENDER_CURRENT_TO_SEX = {"1": "M", "2": "F", "0": "U", "9": "U"}
_NO_DISABILITY = "NONE"
_NFA_TRUE = frozenset({"true", "1"})  # xs:boolean's true spellings

# Columns each table gets from the census, in the canonical order of daeval.model.tables.
_COLUMNS = {
    "people": ("source", "person_id", "date_of_birth", "sex", "ethnicity", "disability"),
    "csc_referrals": (
        "referral_id",
        "child_id",
        "referral_date",
        "referral_source",
        "decision",
        "domestic_abuse",
        "closure_date",
        "reason_for_closure",
    ),
    "assessments": ("assessment_id", "referral_id", "start_date", "authorised_date", "factors"),
    "plans": ("plan_id", "child_id", "plan_type", "start_date", "end_date", "category_of_abuse"),
}


class Node:
    """One element kept from the file: its local name, line, text and child elements."""

    __slots__ = ("tag", "line", "text", "children")

    def __init__(self, tag: str, line: int) -> None:
        self.tag = tag
        self.line = line
        self.text = ""
        self.children: list[Node] = []

    def find(self, tag: str) -> Node | None:
        for child in self.children:
            if child.tag == tag:
                return child
        return None

    def findall(self, tag: str) -> list[Node]:
        return [child for child in self.children if child.tag == tag]

    def value(self, tag: str) -> str | None:
        """Stripped text of the first child element ``tag``; None when absent or empty."""
        child = self.find(tag)
        return (child.text.strip() or None) if child is not None else None

    def values(self, tag: str) -> list[str]:
        """Stripped texts of every child element ``tag`` that is not empty."""
        return [text for c in self.children if c.tag == tag if (text := c.text.strip())]


_EMPTY = Node("", 0)  # stands in for an absent group; never changed


class TableBuilder:
    """Rows of one staged table: held as tuples, packed into Arrow on ``flush``."""

    def __init__(self, table: str, columns: tuple[str, ...]) -> None:
        canonical = TABLES[table]
        for column in columns:
            canonical.column(column)  # KeyError if the model has no such column
        self.table = table
        self.columns = columns
        self.rows: list[tuple[str | None, ...]] = []
        self.lines: list[int] = []
        self.chunks: list[pa.Table] = []
        self.constants: dict[str, str | None] = {}
        self.schema = pa.schema(
            [pa.field(c, pa.string()) for c in columns] + [pa.field(LOCATOR_COLUMN, pa.int64())]
        )

    def add(self, line: int, row: tuple[str | None, ...]) -> None:
        self.rows.append(row)
        self.lines.append(line)

    def flush(self) -> None:
        if not self.rows:
            return
        arrays = [pa.array(values, pa.string()) for values in zip(*self.rows, strict=True)]
        arrays.append(pa.array(self.lines, pa.int64()))
        self.chunks.append(pa.Table.from_arrays(arrays, schema=self.schema))
        self.rows = []
        self.lines = []

    def constant(self, column: str, value: str | None) -> None:
        """Give every row ``value`` in ``column`` (for values known only once the file is read)."""
        TABLES[self.table].column(column)
        self.constants[column] = value

    def staged(self, origin: str) -> StagedTable:
        self.flush()
        data = pa.concat_tables(self.chunks) if self.chunks else self.schema.empty_table()
        self.chunks = []
        order = TABLES[self.table].column_names
        for column, value in self.constants.items():
            index = sum(1 for c in data.column_names if c in order[: order.index(column)])
            data = data.add_column(
                index,
                pa.field(column, pa.string()),
                pa.repeat(pa.scalar(value, pa.string()), data.num_rows),
            )
        return StagedTable(self.table, origin, data, locator="line")


def new_builders() -> dict[str, TableBuilder]:
    return {table: TableBuilder(table, columns) for table, columns in _COLUMNS.items()}


def child_rows(child: Node, builders: dict[str, TableBuilder]) -> None:
    """Add the rows one Child element gives to every table."""
    ids = _or_empty(child.find("ChildIdentifiers"))
    traits = _or_empty(child.find("ChildCharacteristics"))
    child_id = ids.value("LAchildID")
    builders["people"].add(
        child.line,
        (
            "csc",
            child_id,
            ids.value("PersonBirthDate"),
            _sex(ids),
            traits.value("Ethnicity"),
            _disability(traits),
        ),
    )
    same_date: dict[str, int] = {}
    for episode in child.findall("CINdetails"):
        referral_date = episode.value("CINreferralDate")
        n = same_date[referral_date or ""] = same_date.get(referral_date or "", 0) + 1
        referral_id = f"{child_id or ''}/{referral_date or ''}/{n}"
        domestic_abuse = _assessments(episode, referral_id, builders["assessments"])
        builders["csc_referrals"].add(
            episode.line,
            (
                referral_id,
                child_id,
                referral_date,
                episode.value("ReferralSource"),
                _decision(episode),
                domestic_abuse,
                episode.value("CINclosureDate"),
                episode.value("ReasonForClosure"),
            ),
        )
        _plans(episode, referral_id, child_id, builders["plans"])


def _or_empty(node: Node | None) -> Node:
    return node if node is not None else _EMPTY


def _sex(ids: Node) -> str | None:
    sex = ids.value("Sex")
    if sex is not None:
        return sex
    gender = ids.value("GenderCurrent")
    return _GENDER_CURRENT_TO_SEX.get(gender, gender) if gender is not None else None


def _disability(traits: Node) -> str | None:
    codes = [
        code for group in traits.findall("Disabilities") for code in group.values("Disability")
    ]
    if not codes:
        return None
    return "N" if all(code.upper() == _NO_DISABILITY for code in codes) else "Y"


def _decision(episode: Node) -> str | None:
    nfa = episode.value("ReferralNFA")
    if nfa is not None and nfa.lower() in _NFA_TRUE:
        return "nfa"
    if episode.find("Section47") is not None:
        return "s47"
    if episode.find("Assessments") is not None:
        return "assessment"
    return None


def _assessments(episode: Node, referral_id: str, out: TableBuilder) -> str | None:
    """Add the referral's assessments; Y when any has a domestic abuse factor, else None."""
    domestic_abuse = None
    for n, assessment in enumerate(episode.findall("Assessments"), start=1):
        factors = [
            code
            for group in assessment.findall("FactorsIdentifiedAtAssessment")
            for code in group.values("AssessmentFactors")
        ]
        if any(code.upper() in DOMESTIC_ABUSE_FACTORS for code in factors):
            domestic_abuse = "Y"
        out.add(
            assessment.line,
            (
                f"{referral_id}/A{n}",
                referral_id,
                assessment.value("AssessmentActualStartDate"),
                assessment.value("AssessmentAuthorisationDate"),
                ";".join(factors) or None,
            ),
        )
    return domestic_abuse


def _plans(episode: Node, referral_id: str, child_id: str | None, out: TableBuilder) -> None:
    for n, plan in enumerate(episode.findall("CINPlanDates"), start=1):
        out.add(
            plan.line,
            (
                f"{referral_id}/CIN{n}",
                child_id,
                "CIN",
                plan.value("CINPlanStartDate"),
                plan.value("CINPlanEndDate"),
                None,
            ),
        )
    for n, plan in enumerate(episode.findall("ChildProtectionPlans"), start=1):
        out.add(
            plan.line,
            (
                f"{referral_id}/CP{n}",
                child_id,
                "CP",
                plan.value("CPPstartDate"),
                plan.value("CPPendDate"),
                plan.value("InitialCategoryOfAbuse"),
            ),
        )
