"""The linkage settings a study can make in ``study.yaml``::

linkage:
  threshold: 9.5   # match weight at or above which a pair is one person
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from daeval.errors import StudyFileError
from daeval.study.document import read_document


def linkage_threshold(study_file: Path) -> float | None:
    """The study's match-weight threshold, or None when the study file does not set one."""
    return threshold_from(read_document(study_file).get("linkage"), study_file)


def threshold_from(section: object, study_file: Path) -> float | None:
    """The threshold the ``linkage`` section sets, or None."""
    if section is None:
        return None
    if not isinstance(section, Mapping):
        raise StudyFileError(f"{study_file}: linkage: expected a mapping such as 'threshold: 8'")
    value = section.get("threshold")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise StudyFileError(
            f"{study_file}: linkage: threshold: expected a number (a match weight), got {value!r}"
        )
    return float(value)
