"""The screening cohort a study defines in ``study.yaml``, for the ``screening_funnel`` measure::

screening:
  cohort:                  # csc_referrals rows that form the cohort: column: value or [values]
    domestic_abuse: Y
    decision: nfa
  site_id: fbs             # optional: the service whose episodes record the screening (default: all)
  window_days: 90          # optional: days after the referral to look for an episode (default 90)
  reasons:                 # optional: ineligibility reasons shown verbatim; others count as 'other'
    - Lives outside the area

Cohort columns are ``decision``, ``domestic_abuse``, ``referral_source``, ``threshold_level``,
``reason_for_closure`` and ``la_code``; coded values are matched case-insensitively and kept in
their canonical spelling, and an ``la_code`` given as an ONS code is kept in the form ingest stores
it under (the DfE code of an English children's services authority). Without a ``screening`` key the measure is not computed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from daeval.errors import StudyFileError
from daeval.model import la_codes
from daeval.model.codes import (
    DECISION,
    REASON_FOR_CLOSURE,
    REFERRAL_SOURCE,
    THRESHOLD_LEVEL,
    YES_NO,
    CodeList,
)
from daeval.study.document import read_document

DEFAULT_WINDOW_DAYS = 90
OTHER = "other"
"""The category of every ineligibility reason not listed (and of a missing one)."""

COHORT_COLUMNS: Mapping[str, CodeList | None] = {
    "decision": DECISION,
    "domestic_abuse": YES_NO,
    "referral_source": REFERRAL_SOURCE,
    "threshold_level": THRESHOLD_LEVEL,
    "reason_for_closure": REASON_FOR_CLOSURE,
    "la_code": None,
}
_KEYS = ("cohort", "site_id", "window_days", "reasons")

Fail = Callable[[str, str], StudyFileError]
"""Makes the error for a key path under ``screening`` and a problem."""


@dataclass(frozen=True)
class Screening:
    """The screening cohort and where and when its screening is looked for."""

    cohort: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    site_id: str | None = None
    window_days: int = DEFAULT_WINDOW_DAYS
    reasons: tuple[str, ...] = ()


def read_screening(study_file: Path) -> Screening | None:
    """The study's screening settings, or None when ``study.yaml`` has no ``screening`` key."""
    section = read_document(study_file).get("screening")
    if section is None:
        return None
    return parse_screening(section, str(study_file))


def parse_screening(section: Any, file: str = "study.yaml") -> Screening:
    """``section`` (the value of the ``screening`` key) checked; errors name ``file`` and the key."""

    def fail(path: str, problem: str) -> StudyFileError:
        return StudyFileError(f"{file} screening{path}: {problem}")

    if not isinstance(section, Mapping):
        raise fail("", "expected a mapping with cohort (and optionally site_id, window_days)")
    for key in section:
        if key not in _KEYS:
            raise fail(f".{key}", f"not a setting of screening (choose from {', '.join(_KEYS)})")
    if "cohort" not in section:
        raise fail("", "give the cohort: csc_referrals columns and their values")
    return Screening(
        cohort=_cohort(section["cohort"], fail),
        site_id=_site_id(section.get("site_id"), fail),
        window_days=_window_days(section.get("window_days", DEFAULT_WINDOW_DAYS), fail),
        reasons=_reasons(section.get("reasons", []), fail),
    )


def _cohort(cohort: Any, fail: Fail) -> dict[str, tuple[str, ...]]:
    if not isinstance(cohort, Mapping):
        raise fail(".cohort", "expected a mapping of csc_referrals columns to values")
    out = {}
    for column, given in cohort.items():
        path = f".cohort.{column}"
        if column not in COHORT_COLUMNS:
            raise fail(
                path, f"not a column of csc_referrals (choose from {', '.join(COHORT_COLUMNS)})"
            )
        values = given if isinstance(given, list) else [given]
        if not values:
            raise fail(path, "give at least one value")
        out[column] = tuple(_value(v, COHORT_COLUMNS[column], path, fail) for v in values)
    return out


def _value(value: Any, codes: CodeList | None, path: str, fail: Fail) -> str:
    """One cohort value in its stored spelling (numbers are read as text: 3 -> '3')."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise fail(path, f"expected a value or a list of values, got {value!r} (quote it)")
    text = str(value).strip()
    if codes is None:
        stored = la_codes.canonical(text)  # as ingest stores it (decision 0016)
        if stored is None:
            raise fail(
                path,
                f"{value!r} is not a local authority code: a DfE 3-digit code (quote it: '090') "
                "or the ONS 9-character code of a current English, Scottish or Welsh authority",
            )
        return stored
    canonical = codes.canonical(text)
    if canonical is None:
        raise fail(
            path, f"{value!r} is not a code of {codes.name} (choose from {', '.join(codes)})"
        )
    return canonical


def _site_id(value: Any, fail: Fail) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise fail(".site_id", f"expected the site's id as text, got {value!r}")
    return value.strip()


def _window_days(value: Any, fail: Fail) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise fail(".window_days", f"expected a whole number of days, at least 1, got {value!r}")
    return value


def _reasons(value: Any, fail: Fail) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise fail(".reasons", "expected a list of ineligibility reasons")
    out: list[str] = []
    for reason in value:
        if not isinstance(reason, str) or not reason.strip():
            raise fail(".reasons", f"expected each reason as text, got {reason!r}")
        if reason.strip() == OTHER:
            raise fail(".reasons", f"'{OTHER}' is kept for the reasons not listed")
        if reason.strip() in out:
            raise fail(".reasons", f"{reason.strip()!r} is listed twice")
        out.append(reason.strip())
    return tuple(out)
