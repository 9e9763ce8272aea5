"""The example studies daeval ships (``daeval init WS --example NAME``), written from the
published descriptions of three studies; each file names its sources at the top."""

from __future__ import annotations

from importlib import resources

from daeval.errors import DaevalError

EXAMPLES = {
    "feasibility": "Four domestic abuse interventions in children's social care (WWCSC/EIF, 2022)",
    "innovations": "Six innovations for children and families affected by domestic abuse (Stirling)",
    "step-up": "The Step Up early help service and its comparator sites (UCLan, Blackpool)",
}

BLANK = """\
# A daeval study file. Every section is described field by field in docs/study-file.md;
# `daeval study check WS` reports each problem with its line and a fix.
# `daeval init WS --example feasibility` starts from a complete example instead.
#
# study:               title, data protection (identifier, lawful basis, retention), ethics
# references:          desk research, cited by theory-of-change links
# sites:               where the interventions run, and comparator sites
# interventions:       population, approach, delivery organisation, theory_of_change, readiness
# outcomes:            each mapped to an instrument or a measure, and a data source
# methods:             interviews, focus groups, administrative data, ...
# research_questions:  each with the methods (and outcomes, measures) that answer it
# equality_plan:       subgroups for every measure, and commitments
# timeline:            activities with start and end dates
# risks:               each with its mitigation
# data_sources:        the files you will receive and how their columns map (used by ingest)
"""


def example_text(name: str) -> str:
    """The text of the example study ``name``."""
    if name not in EXAMPLES:
        raise DaevalError(f"--example {name!r}: choose one of {', '.join(EXAMPLES)}")
    return resources.files("daeval.study").joinpath("examples", f"{name}.yaml").read_text("utf-8")
