"""The equality plan's subgroups: ``equality_plan: subgroups:`` in ``study.yaml``.

.. code-block:: yaml

    equality_plan:
      subgroups: [sex, age_band, ethnicity_group, disability]   # and area

Every measure is broken down by each subgroup listed; without the section, by all of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from daeval.errors import StudyFileError

SUBGROUPS = ("area", "sex", "age_band", "ethnicity_group", "disability")


def subgroups_from(document: Mapping[str, Any], study_file: Path) -> tuple[str, ...]:
    """The subgroups the study's equality plan names (all of them when it names none)."""
    plan = document.get("equality_plan")
    if plan is None:
        return SUBGROUPS
    where = f"{study_file} equality_plan"
    if not isinstance(plan, Mapping):
        raise StudyFileError(f"{where}: expected a mapping with subgroups")
    listed = plan.get("subgroups", list(SUBGROUPS))
    if not isinstance(listed, list):
        raise StudyFileError(f"{where}.subgroups: give a list, e.g. [sex, age_band]")
    for i, name in enumerate(listed):
        if name not in SUBGROUPS:
            raise StudyFileError(
                f"{where}.subgroups[{i + 1}]: {name!r} is not a subgroup daeval knows "
                f"(choose from {', '.join(SUBGROUPS)})"
            )
    return tuple(dict.fromkeys(listed))
