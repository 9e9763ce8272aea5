"""The sections of the reports, following the field's questions: feasibility, promise,
acceptability, readiness for impact evaluation, children's pathways, equality, data quality, and
the definitions. Every figure comes from the controlled measures table; a section whose inputs
are missing says what would fill it.

``site`` is None for the cross-site report, else the site a report is about.
"""

from __future__ import annotations

from daeval.report.background import data_quality, definitions, theory_of_change
from daeval.report.blocks import Section
from daeval.report.evidence import acceptability, feasibility, promise, readiness
from daeval.report.inputs import Inputs
from daeval.report.pathways import equality, pathways

SECTIONS = (feasibility, promise, acceptability, readiness, pathways, equality, data_quality,
            theory_of_change, definitions)  # fmt: skip


def build_sections(inputs: Inputs, site: str | None = None) -> list[Section]:
    return [make(inputs, site) for make in SECTIONS]
