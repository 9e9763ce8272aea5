"""Minimum detectable effect size (MDES), power and sample size for individually randomised and
two- and three-level cluster randomised trials.

The formulas are those of PowerUp! (Dong N, Maynard R (2013). PowerUp!: a tool for calculating
minimum detectable effect sizes and minimum required sample sizes for experimental and
quasi-experimental design studies. Journal of Research on Educational Effectiveness 6(1):24-67):

- MDES = M × SSE, the multiplier M = t(1 − α/2, df) + t(power, df) for a two-sided test
  (t(1 − α, df) one-sided), or the difference when power < 0.5.
- Individual randomisation: df = n − g − 2, SSE = √((1 − R²₁) / (P(1 − P) n)).
- Two-level cluster randomisation (J clusters of n, treatment at level 2): df = J − g − 2,
  SSE = √(ρ(1 − R²₂) / (P(1 − P) J) + (1 − ρ)(1 − R²₁) / (P(1 − P) J n)).
- Three-level (K top-level clusters of J clusters of n, treatment at level 3): df = K − g − 2,
  SSE = √(ρ₃(1 − R²₃) / (P(1 − P) K) + ρ₂(1 − R²₂) / (P(1 − P) K J)
        + (1 − ρ₂ − ρ₃)(1 − R²₁) / (P(1 − P) K J n)).

Here P is the share treated, ρ the intraclass correlations, R² the outcome variance explained by
covariates at each level and g the number of covariates at the level randomised. Attrition is the
share of individuals randomised but not analysed: n becomes n(1 − attrition).

A binary outcome (e.g. re-referral within 12 months) is planned on the arcsine scale, where the
effect size is Cohen's h = 2 asin √p₁ − 2 asin √p₀ (Cohen J (1988), Statistical Power Analysis for
the Behavioral Sciences, 2nd ed., ch. 6), so the detectable rate is the p₁ whose h equals the MDES.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

from scipy import stats

from daeval.errors import DaevalError

ICC_SENSITIVITY = (0.01, 0.02, 0.03, 0.05, 0.075, 0.10)
"""The ICCs of the default sensitivity table: none are published for children's social care or
domestic abuse trials, so a range is shown (school-based trials' median ICC is about 0.03)."""

DesignName = Literal["individual", "cluster2", "cluster3"]


class DesignInputError(DaevalError):
    """A design calculation asked for something impossible (too few clusters, a share of 1)."""


@dataclass(frozen=True)
class Design:
    """A trial design. ``n``: individuals in all (individual), per cluster (cluster2) or per
    level-2 cluster (cluster3); ``clusters``: J (cluster2) or level-2 clusters per level-3
    cluster (cluster3); ``top_clusters``: K (cluster3)."""

    kind: DesignName = "individual"
    n: float = 100
    clusters: int = 1
    top_clusters: int = 1
    icc: float = 0.0  # ρ₂ (cluster2), ρ₂ (cluster3: the middle level)
    icc_top: float = 0.0  # ρ₃ (cluster3)
    r2_individual: float = 0.0
    r2_cluster: float = 0.0
    r2_top: float = 0.0
    covariates: int = 0
    treated: float = 0.5
    alpha: float = 0.05
    power: float = 0.80
    two_sided: bool = True
    attrition: float = 0.0

    def checked(self) -> Design:
        problems = []
        if not 0 < self.treated < 1:
            problems.append("the share treated must be between 0 and 1")
        if not 0 < self.alpha < 1 or not 0 < self.power < 1:
            problems.append("alpha and power must be between 0 and 1")
        if not 0 <= self.attrition < 1:
            problems.append("attrition must be at least 0 and below 1")
        for name in ("icc", "icc_top", "r2_individual", "r2_cluster", "r2_top"):
            if not 0 <= getattr(self, name) < 1:
                problems.append(f"{name.replace('_', ' ')} must be at least 0 and below 1")
        if self.icc + self.icc_top >= 1:
            problems.append("the ICCs must add up to less than 1")
        if self.degrees_of_freedom() < 1:
            problems.append(
                f"too few {'individuals' if self.kind == 'individual' else 'clusters'} for "
                f"{self.covariates} covariates: the degrees of freedom would be "
                f"{self.degrees_of_freedom():g}"
            )
        if problems:
            raise DesignInputError("; ".join(problems))
        return self

    @property
    def analysed(self) -> float:
        """Individuals analysed per randomised unit's smallest level, after attrition."""
        return self.n * (1 - self.attrition)

    def degrees_of_freedom(self) -> float:
        if self.kind == "individual":
            return self.analysed - self.covariates - 2
        if self.kind == "cluster2":
            return self.clusters - self.covariates - 2
        return self.top_clusters - self.covariates - 2

    def standard_error(self) -> float:
        """The standardised standard error of the impact estimate (SSE)."""
        pq = self.treated * (1 - self.treated)
        n = self.analysed
        if self.kind == "individual":
            return math.sqrt((1 - self.r2_individual) / (pq * n))
        if self.kind == "cluster2":
            j = self.clusters
            return math.sqrt(
                self.icc * (1 - self.r2_cluster) / (pq * j)
                + (1 - self.icc) * (1 - self.r2_individual) / (pq * j * n)
            )
        k, j = self.top_clusters, self.clusters
        return math.sqrt(
            self.icc_top * (1 - self.r2_top) / (pq * k)
            + self.icc * (1 - self.r2_cluster) / (pq * k * j)
            + (1 - self.icc - self.icc_top) * (1 - self.r2_individual) / (pq * k * j * n)
        )

    def total_individuals(self) -> float:
        """Individuals to randomise (before attrition)."""
        if self.kind == "individual":
            return self.n
        if self.kind == "cluster2":
            return self.n * self.clusters
        return self.n * self.clusters * self.top_clusters


def multiplier(df: float, alpha: float, power: float, two_sided: bool = True) -> float:
    """PowerUp!'s multiplier M = T1 + T2 (T1 − T2 when power is below one half)."""
    t1 = abs(stats.t.ppf(alpha / 2 if two_sided else alpha, df))
    t2 = abs(stats.t.ppf(power, df))
    return t1 + t2 if power >= 0.5 else t1 - t2


def mdes(design: Design) -> float:
    """The minimum detectable effect size, in standard deviations of the outcome."""
    d = design.checked()
    return multiplier(d.degrees_of_freedom(), d.alpha, d.power, d.two_sided) * d.standard_error()


def power(design: Design, effect_size: float) -> float:
    """The power to detect ``effect_size`` (standardised), by the same central-t approximation:
    the probability that t(df) exceeds the critical value less effect / SSE."""
    d = design.checked()
    df = d.degrees_of_freedom()
    critical = stats.t.ppf(1 - d.alpha / 2 if d.two_sided else 1 - d.alpha, df)
    return float(stats.t.cdf(abs(effect_size) / d.standard_error() - critical, df))


SIZES = {"individual": "n", "cluster2": "clusters", "cluster3": "top_clusters"}
"""What sample size means for each design: individuals, clusters, or top-level clusters."""


def sample_size(design: Design, target_mdes: float, limit: int = 10_000_000) -> int:
    """The smallest number of units (individuals, clusters or top-level clusters, as
    ``SIZES`` says) whose MDES is at most ``target_mdes``."""
    if target_mdes <= 0:
        raise DesignInputError("the target effect size must be above 0")
    field = SIZES[design.kind]

    def reached(units: int) -> bool:
        trial = replace(design, **{field: units})  # type: ignore[arg-type]
        if trial.degrees_of_freedom() < 1:
            return False
        return mdes(trial) <= target_mdes

    high = 4
    while not reached(high):
        high *= 2
        if high > limit:
            raise DesignInputError(
                f"no {field.replace('_', ' ')} count up to {limit:,} detects {target_mdes:g} SD"
            )
    low = high // 2
    while low + 1 < high:
        middle = (low + high) // 2
        if reached(middle):
            high = middle
        else:
            low = middle
    return high


def detectable_rate(baseline: float, effect_size: float, decrease: bool = True) -> float:
    """The rate a binary outcome must move to, from ``baseline``, for Cohen's h to equal
    ``effect_size``: a fall by default (fewer re-referrals), else a rise."""
    if not 0 < baseline < 1:
        raise DesignInputError("the baseline rate must be between 0 and 1")
    angle = math.asin(math.sqrt(baseline)) + (-1 if decrease else 1) * effect_size / 2
    angle = min(max(angle, 0.0), math.pi / 2)
    return math.sin(angle) ** 2


def icc_sensitivity(design: Design, iccs: tuple[float, ...] = ICC_SENSITIVITY) -> list[dict]:
    """MDES (and the rate detectable from ``baseline`` when given) at each ICC."""
    return [{"icc": icc, "mdes": mdes(replace(design, icc=icc))} for icc in iccs]


def power_curve(design: Design, effects: list[float]) -> list[tuple[float, float]]:
    return [(e, power(design, e)) for e in effects]
