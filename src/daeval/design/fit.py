"""Which design fits a site's numbers: individual, practitioner-level and site-level randomisation
and a stepped wedge across sites, compared by MDES over a recruitment window and by the months
needed to reach a target MDES.

- Individual: all participants randomised one by one (``daeval.design.power``).
- Practitioner-level: two-level cluster randomisation of ``practitioners`` per site, their
  participants clustered within them.
- Site-level: two-level cluster randomisation of the sites.
- Stepped wedge across sites (Hussey MA, Hughes JP (2007). Design and analysis of stepped wedge
  cluster randomized trials. Contemporary Clinical Trials 28:182-191): S sites, S + 1 periods of
  equal length, one site crossing to the intervention at each step; participants are analysed as
  cross-sectional cluster-period means with a random site effect (variance ρ) and fixed period
  effects. The variance of the treatment effect is the (θ, θ) element of (X'V⁻¹X)⁻¹, computed
  exactly by generalised least squares; the MDES uses PowerUp!'s multiplier with S − 2 degrees of
  freedom, as for the site-level design.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from daeval.design.power import Design, DesignInputError, mdes, multiplier

DESIGNS = ("individual", "practitioner", "site", "stepped_wedge")
MAX_MONTHS = 120


@dataclass(frozen=True)
class Throughput:
    """What a study could recruit: participants per month per site, and its structure."""

    per_site_month: float
    sites: int
    practitioners_per_site: int = 5
    icc: float = 0.05
    alpha: float = 0.05
    power: float = 0.80
    attrition: float = 0.0


def stepped_wedge_variance(sites: int, per_cluster_period: float, icc: float) -> float:
    """Var(θ̂) on the standardised scale (total variance 1) for a stepped wedge with one site
    crossing over at each of ``sites`` steps, by GLS (Hussey & Hughes 2007)."""
    if sites < 2:
        raise DesignInputError("a stepped wedge needs at least 2 sites")
    periods = sites + 1
    tau2, sigma2 = icc, (1 - icc) / per_cluster_period
    rows = []
    for site in range(sites):
        for period in range(periods):
            effects = np.zeros(periods)
            effects[period] = 1.0
            treated = 1.0 if period > site else 0.0  # site s crosses over after period s
            rows.append(np.append(effects, treated))
    x = np.array(rows)
    block = sigma2 * np.eye(periods) + tau2 * np.ones((periods, periods))
    v_inv = np.kron(np.eye(sites), np.linalg.inv(block))
    information = x.T @ v_inv @ x
    return float(np.linalg.inv(information)[-1, -1])


def mdes_for(design: str, t: Throughput, months: float) -> float:
    """The MDES of ``design`` when recruiting for ``months``."""
    total = t.per_site_month * t.sites * months
    common = dict(alpha=t.alpha, power=t.power, attrition=t.attrition)
    if design == "individual":
        return mdes(Design("individual", n=total, **common))  # type: ignore[arg-type]
    if design == "practitioner":
        clusters = t.sites * t.practitioners_per_site
        return mdes(
            Design("cluster2", n=total / clusters, clusters=clusters, icc=t.icc, **common)  # type: ignore[arg-type]
        )
    if design == "site":
        return mdes(
            Design("cluster2", n=total / t.sites, clusters=t.sites, icc=t.icc, **common)  # type: ignore[arg-type]
        )
    if design == "stepped_wedge":
        if t.sites < 3:
            raise DesignInputError(
                "a stepped wedge analysed with S − 2 degrees of freedom needs 3 sites"
            )
        per_cell = total * (1 - t.attrition) / (t.sites * (t.sites + 1))
        variance = stepped_wedge_variance(t.sites, per_cell, t.icc)
        return multiplier(t.sites - 2, t.alpha, t.power) * math.sqrt(variance)
    raise ValueError(design)


def months_to_reach(design: str, t: Throughput, target: float) -> int | None:
    """The fewest whole months of recruitment whose MDES is at most ``target`` (None beyond
    MAX_MONTHS)."""
    for months in range(1, MAX_MONTHS + 1):
        try:
            if mdes_for(design, t, months) <= target:
                return months
        except DesignInputError:
            continue
    return None


def compare(t: Throughput, window: int, target: float) -> list[dict]:
    """One row per design: the MDES after ``window`` months, and the months to reach ``target``
    (or why the design cannot be used)."""
    rows = []
    for design in DESIGNS:
        try:
            value: float | None = mdes_for(design, t, window)
            note = ""
        except DesignInputError as exc:
            value, note = None, str(exc)
        rows.append(
            {
                "design": design,
                "clusters": {
                    "individual": None,
                    "practitioner": t.sites * t.practitioners_per_site,
                    "site": t.sites,
                    "stepped_wedge": t.sites,
                }[design],  # fmt: skip
                "participants": round(t.per_site_month * t.sites * window),
                "mdes": value,
                "months_to_target": months_to_reach(design, t, target)
                if value is not None
                else None,
                "note": note,
            }
        )
    return rows


def with_icc(t: Throughput, icc: float) -> Throughput:
    return replace(t, icc=icc)
