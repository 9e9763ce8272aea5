"""Intervention against comparison: the ``comparison:`` section of ``study.yaml``.

.. code-block:: yaml

    comparison:
      by: area                  # the grouping whose groups form the arms: area, la_code or site_id
      intervention: [ZX1, ZX2]  # groups where the service runs
      comparator: [ZX5, ZX6]    # groups where it does not
      service_start: 2015-10-01 # optional: events before it are "before", from it "after"
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from daeval.errors import StudyFileError

BY = ("area", "la_code", "site_id")


@dataclass(frozen=True)
class Comparison:
    by: str
    intervention: tuple[str, ...]
    comparator: tuple[str, ...]
    service_start: date | None = None


def _groups(section: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = section.get(key)
    if isinstance(value, str | int):
        value = [value]
    if not isinstance(value, list) or not value:
        raise StudyFileError(f"{where}.{key}: give the {key} groups as a list, e.g. [ZX1, ZX2]")
    return tuple(str(v).strip() for v in value)


def comparison_from(document: Mapping[str, Any], study_file: Path) -> Comparison | None:
    """The comparison the study declares, or None."""
    section = document.get("comparison")
    if section is None:
        return None
    where = f"{study_file} comparison"
    if not isinstance(section, Mapping):
        raise StudyFileError(f"{where}: expected a mapping with by, intervention and comparator")
    unknown = sorted(set(section) - {"by", "intervention", "comparator", "service_start"})
    if unknown:
        raise StudyFileError(
            f"{where}.{unknown[0]}: not a comparison setting "
            "(choose from by, intervention, comparator, service_start)"
        )
    by = section.get("by", "area")
    if by not in BY:
        raise StudyFileError(f"{where}.by: {by!r} is not a grouping (choose from {', '.join(BY)})")
    intervention = _groups(section, "intervention", where)
    comparator = _groups(section, "comparator", where)
    both = sorted(set(intervention) & set(comparator))
    if both:
        raise StudyFileError(
            f"{where}: {', '.join(both)} cannot be both an intervention and a comparator group"
        )
    start = section.get("service_start")
    if start is not None and not isinstance(start, date):
        try:
            start = date.fromisoformat(str(start))
        except ValueError:
            raise StudyFileError(
                f"{where}.service_start: {start!r} is not a date (write YYYY-MM-DD)"
            ) from None
    return Comparison(by, intervention, comparator, start)
