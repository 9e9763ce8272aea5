"""The study file of the synthetic study: the feasibility example study (whose four
interventions are the synthetic data's four sites), with the synthetic data's comparison and
screening cohort.

The intervention areas are the districts the four services cover, the comparators the two study
areas without a service (see ``areas.AREAS``); the services start on ``services.SERVICE_START``.
"""

from __future__ import annotations

import json
from datetime import timedelta

from daeval.synth.areas import AREAS, HOME_LA
from daeval.synth.calibration import PERIOD_START
from daeval.synth.services import INELIGIBLE_REASONS, SERVICE_START


def demo_study_yaml() -> str:
    """The text of ``study.yaml`` for a workspace built from synthetic data."""
    from daeval.study.examples import example_text

    return example_text("feasibility").rstrip("\n") + "\n\n" + synthetic_sections()


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
