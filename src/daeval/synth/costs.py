"""Quarterly delivery costs of each intervention site.

Staff cost is the bulk; the rest is set as a share of it: training heavy in the first two quarters
(set-up) and light after, clinical supervision, overheads, materials and other costs. Budgets are
fictional and grow with ``scale`` like the caseloads they pay for.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pyarrow as pa

from daeval.model import codes
from daeval.synth.calibration import PERIOD_END
from daeval.synth.columns import coded, dates, decimals, vocabulary_of
from daeval.synth.services import SERVICE_START, SITES
from daeval.synth.timeline import END_DAY, day_of, quarter_starts

ANNUAL_STAFF_GBP = {"fbs": 180_000.0, "sat": 260_000.0, "leap": 150_000.0, "coda": 120_000.0}
"""Fictional annual staff budget of each site at scale 1."""
SHARE_OF_STAFF = {
    "training": (0.08, 0.02),  # (first two quarters, afterwards)
    "supervision": (0.07, 0.07),
    "overheads": (0.15, 0.15),
    "materials": (0.02, 0.02),
    "other": (0.01, 0.01),
}


def site_costs(rng: np.random.Generator, scale: float) -> dict[str, pa.Array]:
    """The costs table: one row per site, quarter and category."""
    first = PERIOD_END - timedelta(days=END_DAY - SERVICE_START)
    quarters = quarter_starts(first, PERIOD_END)
    ends = [q2 - timedelta(days=1) for q2 in quarters[1:]] + [PERIOD_END]
    categories = list(codes.COST_CATEGORY)
    site_idx, start, end, category, amount = [], [], [], [], []
    for s, site in enumerate(SITES):
        for q, (q_start, q_end) in enumerate(zip(quarters, ends, strict=True)):
            staff = ANNUAL_STAFF_GBP[site.site_id] / 4 * scale * rng.normal(1.0, 0.05)
            for c, name in enumerate(categories):
                share = 1.0 if name == "staff" else SHARE_OF_STAFF[name][0 if q < 2 else 1]
                site_idx.append(s)
                start.append(day_of(q_start))
                end.append(day_of(q_end))
                category.append(c)
                amount.append(round(staff * share * rng.normal(1.0, 0.1 if share < 1 else 0.0), 2))
    site_ids = pa.array([s.site_id for s in SITES], pa.string())
    interventions = pa.array([s.intervention_id for s in SITES], pa.string())
    idx = np.array(site_idx)
    return {
        "site_id": coded(idx, site_ids),
        "intervention_id": coded(idx, interventions),
        "period_start": dates(np.array(start)),
        "period_end": dates(np.array(end)),
        "category": coded(np.array(category), vocabulary_of(codes.COST_CATEGORY)),
        "amount_gbp": decimals(np.maximum(np.array(amount), 0.0)),
    }
