"""Which design fits: the stepped-wedge variance against Hussey & Hughes' closed form, and the
ordering and consistency of the comparison table."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import t as t_dist

from daeval.design.fit import (
    Throughput,
    compare,
    mdes_for,
    months_to_reach,
    stepped_wedge_variance,
)


def hussey_hughes(sites: int, per_cell: float, icc: float) -> float:
    """Var(θ̂) = I σ²(σ² + T τ²) / ((I U − W) σ² + (U² + I T U − T W − I V) τ²), with X the
    treatment indicator of cluster i in period j, U = Σ X, W = Σ_j (Σ_i X)², V = Σ_i (Σ_j X)²
    (Hussey & Hughes 2007, Contemporary Clinical Trials 28:182-191)."""
    periods = sites + 1
    s2, t2 = (1 - icc) / per_cell, icc
    x = np.array([[1.0 if j > i else 0.0 for j in range(periods)] for i in range(sites)])
    u, w, v = x.sum(), (x.sum(axis=0) ** 2).sum(), (x.sum(axis=1) ** 2).sum()
    return (
        sites
        * s2
        * (s2 + periods * t2)
        / ((sites * u - w) * s2 + (u * u + sites * periods * u - periods * w - sites * v) * t2)
    )


@pytest.mark.parametrize(
    ("sites", "per_cell", "icc"), [(4, 10, 0.05), (6, 3.5, 0.1), (10, 20, 0.01)]
)
def test_stepped_wedge_variance_is_hussey_and_hughes(sites, per_cell, icc):
    assert stepped_wedge_variance(sites, per_cell, icc) == pytest.approx(
        hussey_hughes(sites, per_cell, icc), rel=1e-9
    )


def test_clustering_costs_power_in_the_expected_order():
    t = Throughput(per_site_month=3, sites=6, practitioners_per_site=5, icc=0.05)
    values = {d: mdes_for(d, t, 24) for d in ("individual", "practitioner", "site")}
    assert values["individual"] < values["practitioner"] < values["site"]
    # With no clustering at all, practitioner-level randomisation costs only degrees of
    # freedom: 30 practitioners give df 28, 432 participants df 430.
    flat = Throughput(per_site_month=3, sites=6, practitioners_per_site=5, icc=0.0)
    ratio = (t_dist.ppf(0.975, 28) + t_dist.ppf(0.8, 28)) / (
        t_dist.ppf(0.975, 430) + t_dist.ppf(0.8, 430)
    )
    assert mdes_for("practitioner", flat, 24) / mdes_for("individual", flat, 24) == pytest.approx(
        ratio
    )


def test_months_to_target_is_the_first_month_that_reaches_it():
    t = Throughput(per_site_month=4, sites=4)
    months = months_to_reach("individual", t, 0.4)
    assert months is not None
    assert mdes_for("individual", t, months) <= 0.4 < mdes_for("individual", t, months - 1)


def test_the_table_explains_a_design_that_cannot_be_used():
    rows = {r["design"]: r for r in compare(Throughput(per_site_month=5, sites=2), 18, 0.3)}
    assert rows["site"]["mdes"] is None and "degrees of freedom" in rows["site"]["note"]
    assert rows["stepped_wedge"]["mdes"] is None and "3 sites" in rows["stepped_wedge"]["note"]
    assert rows["individual"]["mdes"] is not None and rows["individual"]["participants"] == 180
