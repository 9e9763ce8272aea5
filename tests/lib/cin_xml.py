"""Children in Need census XML files for tests, written from plain dicts.

The layout follows the DfE CIN census XML schema (2024, as kept in liiatools
``liiatools/spec/cin_census/CIN_schema_2024.xsd`` at commit 0dd821c2; 2025 as kept in
liia-tools-pipeline at commit 4aff9189): ``Message`` > ``Header`` and ``Children`` > ``Child`` >
``ChildIdentifiers``, ``ChildCharacteristics`` and one ``CINdetails`` per referral, each holding
``Assessments``, ``CINPlanDates``, ``Section47``, ``ReferralNFA`` and ``ChildProtectionPlans`` in
the schema's order. One element per line, indented by four spaces, like the files LAs send.

A child is a dict keyed by element name::

    {
        "LAchildID": "C1", "UPN": "A123456789012", "PersonBirthDate": "2015-03-27", "Sex": "F",
        "Ethnicity": "WBRI", "Disabilities": ["NONE"],
        "CINdetails": [{
            "CINreferralDate": "2024-05-01", "ReferralSource": "6", "ReferralNFA": "false",
            "Assessments": [{"AssessmentActualStartDate": "2024-05-02",
                             "AssessmentFactors": ["3B", "4B"]}],
            "ChildProtectionPlans": [{"CPPstartDate": "2024-06-01",
                                      "InitialCategoryOfAbuse": "EMO",
                                      "CPPreviewDate": ["2024-08-01"]}],
        }],
    }

``Sex`` (M/F/U) is written as ``Sex`` in the 2025 form and as ``GenderCurrent`` (1/2/0) before it;
``GenderCurrent`` may also be given directly (for example ``9``) in the pre-2025 form. A value of
None is left out, as is an empty list. Unknown keys are an error, so a typo cannot pass unseen.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, TextIO
from xml.sax.saxutils import escape

Form = Literal["2024", "2025"]

GENDER_CURRENT = {"M": "1", "F": "2", "U": "0"}
"""Sex code to the pre-2025 GenderCurrent code (9, indeterminate, has no Sex counterpart)."""

_COLLECTION = ("Collection", "Year", "ReferenceDate")
_IDENTIFIERS = (
    "LAchildID",
    "UPN",
    "FormerUPN",
    "UPNunknown",
    "PersonBirthDate",
    "ExpectedPersonBirthDate",
    "Sex",  # written in place as Sex or GenderCurrent, by form
    "PersonDeathDate",
)
_CHILD_KEYS = frozenset({*_IDENTIFIERS, "GenderCurrent", "Ethnicity", "Disabilities", "CINdetails"})
_EPISODE_HEAD = (
    "CINreferralDate",
    "ReferralSource",
    "PrimaryNeedCode",
    "CINclosureDate",
    "ReasonForClosure",
    "DateOfInitialCPC",
)
_EPISODE_KEYS = frozenset(
    {
        *_EPISODE_HEAD,
        "Assessments",
        "CINPlanDates",
        "Section47",
        "ReferralNFA",
        "ChildProtectionPlans",
    }
)
_ASSESSMENT = (
    "AssessmentActualStartDate",
    "AssessmentInternalReviewDate",
    "AssessmentAuthorisationDate",
)
_CIN_PLAN = ("CINPlanStartDate", "CINPlanEndDate")
_SECTION_47 = ("S47ActualStartDate", "InitialCPCtarget", "DateOfInitialCPC", "ICPCnotRequired")
_CP_PLAN = (
    "CPPstartDate",
    "CPPendDate",
    "InitialCategoryOfAbuse",
    "LatestCategoryOfAbuse",
    "NumberOfPreviousCPP",
)


class _Writer:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.depth = 0

    def open(self, tag: str) -> None:
        self.out.write(f"{'    ' * self.depth}<{tag}>\n")
        self.depth += 1

    def close(self, tag: str) -> None:
        self.depth -= 1
        self.out.write(f"{'    ' * self.depth}</{tag}>\n")

    def leaf(self, tag: str, value: object) -> None:
        if value is not None:
            self.out.write(f"{'    ' * self.depth}<{tag}>{escape(str(value))}</{tag}>\n")

    def leaves(self, record: Mapping[str, Any], tags: Sequence[str]) -> None:
        for tag in tags:
            self.leaf(tag, record.get(tag))

    def group(self, tag: str, item_tag: str, values: Sequence[object] | None) -> None:
        if values:
            self.open(tag)
            for value in values:
                self.leaf(item_tag, value)
            self.close(tag)


def _check_keys(record: Mapping[str, Any], allowed: Iterable[str], what: str) -> None:
    unknown = set(record) - set(allowed)
    if unknown:
        raise ValueError(f"unknown {what} key(s): {', '.join(sorted(unknown))}")


def _write_child(w: _Writer, child: Mapping[str, Any], form: Form) -> None:
    _check_keys(child, _CHILD_KEYS, "child")
    if "GenderCurrent" in child and form != "2024":
        raise ValueError("GenderCurrent belongs to the pre-2025 form")
    w.open("Child")
    w.open("ChildIdentifiers")
    for tag in _IDENTIFIERS:
        if tag != "Sex":
            w.leaf(tag, child.get(tag))
        elif form == "2025":
            w.leaf("Sex", child.get("Sex"))
        elif "GenderCurrent" in child:
            w.leaf("GenderCurrent", child["GenderCurrent"])
        elif child.get("Sex") is not None:
            w.leaf("GenderCurrent", GENDER_CURRENT[child["Sex"]])
    w.close("ChildIdentifiers")
    if child.get("Ethnicity") is not None or child.get("Disabilities"):
        w.open("ChildCharacteristics")
        w.leaf("Ethnicity", child.get("Ethnicity"))
        w.group("Disabilities", "Disability", child.get("Disabilities"))
        w.close("ChildCharacteristics")
    for episode in child.get("CINdetails", ()):
        _write_episode(w, episode)
    w.close("Child")


def _write_episode(w: _Writer, episode: Mapping[str, Any]) -> None:
    _check_keys(episode, _EPISODE_KEYS, "CINdetails")
    w.open("CINdetails")
    w.leaves(episode, _EPISODE_HEAD)
    for assessment in episode.get("Assessments", ()):
        _check_keys(assessment, {*_ASSESSMENT, "AssessmentFactors"}, "Assessments")
        w.open("Assessments")
        w.leaves(assessment, _ASSESSMENT)
        factors = assessment.get("AssessmentFactors")
        w.group("FactorsIdentifiedAtAssessment", "AssessmentFactors", factors)
        w.close("Assessments")
    for tag, fields in (("CINPlanDates", _CIN_PLAN), ("Section47", _SECTION_47)):
        for record in episode.get(tag, ()):
            _check_keys(record, fields, tag)
            w.open(tag)
            w.leaves(record, fields)
            w.close(tag)
    w.leaf("ReferralNFA", episode.get("ReferralNFA"))
    for plan in episode.get("ChildProtectionPlans", ()):
        _check_keys(plan, {*_CP_PLAN, "CPPreviewDate"}, "ChildProtectionPlans")
        w.open("ChildProtectionPlans")
        w.leaves(plan, _CP_PLAN)
        w.group("Reviews", "CPPreviewDate", plan.get("CPPreviewDate"))
        w.close("ChildProtectionPlans")
    w.close("CINdetails")


def write_cin_census(
    out: TextIO,
    children: Iterable[Mapping[str, Any]],
    *,
    la_code: str | None = "900",
    form: Form = "2025",
) -> None:
    """Write a whole CIN census message to ``out``, one child at a time (children may be lazy)."""
    year = int(form)
    w = _Writer(out)
    out.write('<?xml version="1.0" encoding="utf-8"?>\n')
    w.open("Message")
    w.open("Header")
    w.open("CollectionDetails")
    w.leaves({"Collection": "CIN", "Year": year, "ReferenceDate": f"{year}-03-31"}, _COLLECTION)
    w.close("CollectionDetails")
    w.open("Source")
    source = {
        "SourceLevel": "L",
        "LEA": la_code,
        "SoftwareCode": "daeval tests",
        "Release": "1",
        "SerialNo": "001",
        "DateTime": f"{year}-05-01T09:00:00",
    }
    w.leaves(source, tuple(source))
    w.close("Source")
    w.close("Header")
    w.open("Children")
    for child in children:
        _write_child(w, child, form)
    w.close("Children")
    w.close("Message")


def cin_census_xml(children: Iterable[Mapping[str, Any]], **options: Any) -> str:
    """The whole message as text (for small files)."""
    buffer = io.StringIO()
    write_cin_census(buffer, children, **options)
    return buffer.getvalue()


def write_cin_census_file(
    path: Path, children: Iterable[Mapping[str, Any]], **options: Any
) -> Path:
    """Stream the message to ``path`` (UTF-8); memory stays flat however many children."""
    with path.open("w", encoding="utf-8", newline="\n") as out:
        write_cin_census(out, children, **options)
    return path
