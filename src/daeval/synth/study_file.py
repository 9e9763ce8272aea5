"""The study file of the synthetic study: the feasibility example study (whose four
interventions are the synthetic data's four sites), with the synthetic data's comparison and
screening cohort.

Its title and the names of its sites and programmes say they are a synthetic demonstration, so
that no report made from the demo poses as the real study or the real programmes' results
(docs/decisions/0017-synthetic-data-labelled.md).

The intervention areas are the districts the four services cover, the comparators the two study
areas without a service (see ``areas.AREAS``); the services start on ``services.SERVICE_START``.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

from daeval.synth.areas import AREAS, HOME_LA
from daeval.synth.calibration import PERIOD_START
from daeval.synth.services import INELIGIBLE_REASONS, SERVICE_START

TITLE_PREFIX = "Synthetic demonstration: "
NAME_PREFIX = "Synthetic: "
_TITLE = re.compile(r'^(  title: ")(.*)$')
_NAME = re.compile(r'^(    name: "|      name: ")(.*)$')
_NAMED_SECTIONS = ("sites:", "interventions:", "partner_selection:")
"""Top-level sections whose ``name`` entries are the real sites and programmes."""
HEADER = """# SYNTHETIC DEMONSTRATION: the study file of `daeval demo`. It follows the feasibility example,
# but every record loaded with it is made up by daeval's generator (daeval synth); the title and
# the names of sites and programmes say so, so that no report poses as the real study's.

"""


def demo_study_yaml() -> str:
    """The text of ``study.yaml`` for a workspace built from synthetic data."""
    from daeval.study.examples import example_text

    text = labelled_synthetic(example_text("feasibility"))
    return HEADER + text.rstrip("\n") + "\n\n" + synthetic_sections()


def labelled_synthetic(text: str) -> str:
    """The study file ``text`` with its title and the names of its sites, programmes and
    applicants prefixed as synthetic (the file's other text is kept as it is)."""
    lines, section = [], ""
    for line in text.splitlines(keepends=True):
        if line[:1].isalpha():
            section = line.strip()
        if section == "study:" and (m := _TITLE.match(line)):
            line = m.group(1) + TITLE_PREFIX + m.group(2) + "\n"
        elif section in _NAMED_SECTIONS and (m := _NAME.match(line)):
            line = m.group(1) + NAME_PREFIX + m.group(2) + "\n"
        lines.append(line)
    return "".join(lines)


def synthetic_sections() -> str:
    """The comparison and screening sections that fit the synthetic data."""
    home = [a for a in AREAS if a.la_code == HOME_LA]
    intervention = ", ".join(a.district for a in home if not a.comparator)
    comparator = ", ".join(a.district for a in home if a.comparator)
    reasons = "\n".join(f"    - {json.dumps(reason)}" for reason in INELIGIBLE_REASONS)
    return f"""# The synthetic data: services in four areas of the home authority, two comparison areas.
comparison:
  by: area
  intervention: [{intervention}]
  comparator: [{comparator}]
  service_start: {(PERIOD_START + timedelta(days=SERVICE_START)).isoformat()}

# Domestic abuse referrals closed with no further action, screened for early help.
screening:
  cohort:
    domestic_abuse: Y
    decision: nfa
  window_days: 90
  reasons:
{reasons}
"""
