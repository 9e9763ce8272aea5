"""How long a trial would take to reach its sample, from a site's referrals and funnel.

Each month brings R referrals; each referral becomes an analysable participant with probability
p, the product of the funnel's stage rates (eligible, contacted, accepted, consented to the
evaluation, completed, followed up). A simulation draws, once per run:

- each stage rate from its Beta posterior, Beta(1 + reached, 1 + of − reached) (a uniform prior);
- the mean monthly referrals λ from its Gamma posterior, Gamma(total referrals, months observed);

then, month by month, the referrals (Poisson with mean λ, or negative binomial with the observed
over-dispersion when the monthly counts vary more than a Poisson count would) and the analysable
participants among them, Binomial(R, p). The months to reach the target are read off each run;
the projection gives their median and 80% interval (10th to 90th percentile). Without
uncertainty (rates and λ fixed, expected values each month) the answer is the closed form
ceil(total / (λ p)).

With allocation a:b, a per-arm target T needs T (a + b) / min(a, b) participants in all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from daeval.errors import DaevalError

STAGES = ("eligible", "contacted", "accepted", "consented", "completed", "followed_up")


class RecruitmentInputError(DaevalError):
    """Recruitment inputs that cannot give a projection."""


@dataclass(frozen=True)
class Stage:
    """A funnel stage: ``reached`` of ``of`` (counts, with uncertainty) or a fixed ``rate``."""

    name: str
    reached: int | None = None
    of: int | None = None
    rate: float | None = None

    def __post_init__(self) -> None:
        counted = self.reached is not None and self.of is not None
        if counted == (self.rate is not None):
            raise RecruitmentInputError(f"stage {self.name}: give counts (x/n) or a rate, not both")
        if counted and not (0 <= self.reached <= self.of and self.of > 0):  # type: ignore[operator]
            raise RecruitmentInputError(
                f"stage {self.name}: {self.reached} of {self.of} is not a share"
            )
        if self.rate is not None and not 0 < self.rate <= 1:
            raise RecruitmentInputError(f"stage {self.name}: a rate must be above 0 and at most 1")

    @property
    def expected(self) -> float:
        if self.rate is not None:
            return self.rate
        assert self.reached is not None and self.of
        return self.reached / self.of

    def draw(self, rng: np.random.Generator, runs: int) -> np.ndarray:
        if self.rate is not None:
            return np.full(runs, self.rate)
        assert self.reached is not None and self.of is not None
        return rng.beta(1 + self.reached, 1 + self.of - self.reached, runs)


@dataclass(frozen=True)
class Funnel:
    """Observed monthly referral counts (or a fixed mean) and the stages after referral."""

    monthly_referrals: tuple[int, ...] = ()
    referrals_per_month: float | None = None
    stages: tuple[Stage, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if (not self.monthly_referrals) == (self.referrals_per_month is None):
            raise RecruitmentInputError(
                "give the observed monthly referral counts or a fixed number per month, not both"
            )
        if self.monthly_referrals and sum(self.monthly_referrals) == 0:
            raise RecruitmentInputError("no referrals in the months observed")
        if self.referrals_per_month is not None and self.referrals_per_month <= 0:
            raise RecruitmentInputError("referrals per month must be above 0")

    @property
    def mean_referrals(self) -> float:
        if self.referrals_per_month is not None:
            return self.referrals_per_month
        return float(np.mean(self.monthly_referrals))

    @property
    def dispersion(self) -> float | None:
        """The negative binomial size k = mean² / (variance − mean) when the monthly counts are
        over-dispersed; None for a Poisson count."""
        if len(self.monthly_referrals) < 3:
            return None
        counts = np.asarray(self.monthly_referrals, dtype=float)
        mean, variance = counts.mean(), counts.var(ddof=1)
        return None if variance <= mean else mean * mean / (variance - mean)

    @property
    def conversion(self) -> float:
        """The expected share of referrals that become analysable participants."""
        return float(np.prod([s.expected for s in self.stages])) if self.stages else 1.0


@dataclass(frozen=True)
class Scenario:
    sites: float = 1.0  # sites like this one (referrals scale with them)
    consent_rate: float | None = None  # a fixed consent rate instead of the observed one
    window: int = 120  # months simulated; a run that has not reached the target by then is censored


@dataclass(frozen=True)
class Projection:
    total_needed: int
    per_arm: int
    months_median: float | None
    months_low: float | None  # 10th percentile
    months_high: float | None  # 90th percentile
    reached_within_window: float  # share of runs
    window: int
    expected_per_month: float
    curve: np.ndarray  # months x (10th, 50th, 90th percentile) of cumulative participants

    def as_dict(self) -> dict:
        return {
            "total_needed": self.total_needed,
            "per_arm": self.per_arm,
            "months_median": self.months_median,
            "months_80_interval": [self.months_low, self.months_high],
            "reached_within_window": self.reached_within_window,
            "window_months": self.window,
            "expected_participants_per_month": self.expected_per_month,
        }


def total_needed(per_arm: int, ratio: tuple[int, int] = (1, 1)) -> int:
    """Participants in all for ``per_arm`` in the smaller arm of allocation ``ratio``."""
    a, b = ratio
    if per_arm < 1 or a < 1 or b < 1:
        raise RecruitmentInputError("the target and the allocation ratio must be positive")
    return math.ceil(per_arm * (a + b) / min(a, b))


def _with_scenario(funnel: Funnel, scenario: Scenario) -> Funnel:
    if scenario.consent_rate is None:
        return funnel
    stages = tuple(
        Stage(s.name, rate=scenario.consent_rate) if s.name == "consented" else s
        for s in funnel.stages
    )
    if not any(s.name == "consented" for s in stages):
        stages += (Stage("consented", rate=scenario.consent_rate),)
    return replace(funnel, stages=stages)


def closed_form_months(funnel: Funnel, total: int, scenario: Scenario = Scenario()) -> int:
    """Months to reach ``total`` with expected values throughout: ceil(total / (λ p))."""
    funnel = _with_scenario(funnel, scenario)
    per_month = funnel.mean_referrals * scenario.sites * funnel.conversion
    return math.ceil(total / per_month - 1e-9)


def project(
    funnel: Funnel,
    per_arm: int,
    ratio: tuple[int, int] = (1, 1),
    scenario: Scenario = Scenario(),
    runs: int = 2000,
    seed: int = 0,
    uncertainty: bool = True,
) -> Projection:
    """Simulate recruitment month by month (see the module's description)."""
    funnel = _with_scenario(funnel, scenario)
    total = total_needed(per_arm, ratio)
    months = scenario.window
    rng = np.random.default_rng(seed)
    if not uncertainty:
        per_month = funnel.mean_referrals * scenario.sites * funnel.conversion
        cumulative = np.tile(per_month * np.arange(1, months + 1), (1, 1))
    else:
        conversion = np.ones(runs)
        for stage in funnel.stages:
            conversion *= stage.draw(rng, runs)
        if funnel.monthly_referrals:
            observed = len(funnel.monthly_referrals)
            lam = rng.gamma(sum(funnel.monthly_referrals), 1 / observed, runs)
        else:
            lam = np.full(runs, funnel.mean_referrals)
        lam = lam * scenario.sites
        k = funnel.dispersion
        if k is None:
            referrals = rng.poisson(np.repeat(lam[:, None], months, axis=1))
        else:
            k_all = k * scenario.sites  # independent sites add their sizes
            p = k_all / (k_all + lam)
            referrals = rng.negative_binomial(k_all, np.repeat(p[:, None], months, axis=1))
        recruited = rng.binomial(referrals, conversion[:, None])
        cumulative = np.cumsum(recruited, axis=1)
    reached = cumulative >= total - 1e-9
    hit = reached.any(axis=1)
    first = np.where(hit, reached.argmax(axis=1) + 1, np.inf)
    low, median, high = (_quantile(first, q) for q in (0.1, 0.5, 0.9))
    curve = np.percentile(cumulative, [10, 50, 90], axis=0).T
    return Projection(
        total_needed=total,
        per_arm=per_arm,
        months_median=median,
        months_low=low,
        months_high=high,
        reached_within_window=float(hit.mean()),
        window=months,
        expected_per_month=funnel.mean_referrals * scenario.sites * funnel.conversion,
        curve=curve,
    )


def _quantile(months: np.ndarray, q: float) -> float | None:
    """The q-quantile of months to target; None when it lies beyond the window (censored)."""
    value = float(np.quantile(months, q, method="inverted_cdf"))
    return None if math.isinf(value) else value
