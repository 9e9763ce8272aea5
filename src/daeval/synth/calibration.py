"""Published figures the synthetic local authority is calibrated to, with their sources.

Each :class:`Target` says what is counted, over which dates of the synthetic calendar, and where
the figure comes from (the source's own dates are in its citation). The
generator sizes its volumes from these targets (scaled by ``scale``); the synth tests recompute every
target from the written files, independently of the generator, and check it within ``tolerance``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

STEP_UP = (
    "Step Up data tracking study, University of Central Lancashire with Blackpool Council "
    "(ESRC project outcomes, 2018)"
)
DFE_RE_REFERRALS = (
    "DfE, Children in need: a focus on re-referrals (explore-education-statistics, 2024: "
    "139,080 of 621,880 referrals, 22%, were within 12 months of a previous referral)"
)

STUDY_START = date(2022, 11, 1)
"""When the study the synthetic data stands in for begins: the demo's study file is the feasibility
example (``daeval.study.examples``, study.start), from the WWCSC/EIF protocol of November 2022."""
YEARS = 3
"""Financial years the synthetic data covers (the Step Up study's three-year database of no
further action referrals)."""
PERIOD_END = date(STUDY_START.year if STUDY_START.month > 3 else STUDY_START.year - 1, 3, 31)
"""Last day the synthetic data covers: the end of the last financial year before the study
begins (2022-03-31), so the records are the history the study's sites hold when it starts."""
PERIOD_START = date(PERIOD_END.year - YEARS, 4, 1)
"""First day the synthetic data covers (2019-04-01): three financial years before PERIOD_END.

The period keeps the shape the synthetic calendar had before it followed the demo study
(2015-04-01 to 2018-03-31: three financial years, one of them holding a 29 February), moved on
four years, and every target below is counted over the same years of it, so the calibrated ratios
are unchanged."""


def financial_year(n: int) -> date:
    """First day (1 April) of the ``n``-th financial year of the period (0: PERIOD_START)."""
    return date(PERIOD_START.year + n, 4, 1)


TWO_YEAR_WINDOW_END = financial_year(2) - timedelta(days=1)
"""Last day of the two years over which Step Up counted vulnerable-person referrals (the
period's first two financial years)."""


@dataclass(frozen=True)
class Target:
    """One published figure and how it is recomputed from the generated tables."""

    name: str
    value: float
    meaning: str
    period_start: date
    period_end: date
    source: str
    tolerance: float = 0.05
    """Relative tolerance the generated data must meet at scale 1."""
    calibrated: bool = True
    """False for figures kept for reference only (not enforced)."""

    def holds(self, observed: float) -> bool:
        """Whether ``observed`` is within the relative tolerance of the target."""
        return abs(observed - self.value) <= self.tolerance * abs(self.value)


VULNERABLE_PERSON_REFERRALS = Target(
    "vulnerable_person_referrals",
    16_691,
    "police_notifications rows of any incident type dated in the two-year window (scale 1)",
    PERIOD_START,
    TWO_YEAR_WINDOW_END,
    f"{STEP_UP}: 16,691 vulnerable persons referrals for a two year period",
)

DA_NOTIFICATIONS = Target(
    "domestic_abuse_notifications",
    9_936,
    "police_notifications with incident_type domestic_abuse dated in the two-year window",
    PERIOD_START,
    TWO_YEAR_WINDOW_END,
    f"{STEP_UP}: 9,936 domestic abuse cases among the vulnerable persons referrals",
)

STANDARD_RISK_SHARE = Target(
    "standard_risk_share",
    0.52,
    "share of all domestic_abuse notifications in the window with risk_level standard "
    "(notifications without a level stay in the denominator)",
    PERIOD_START,
    TWO_YEAR_WINDOW_END,
    f"{STEP_UP}: just over half, 52%, of the domestic abuse cases were assessed standard risk",
)

NFA_REFERRALS = Target(
    "nfa_referrals",
    2_072,
    "csc_referrals rows (all la_code values) with decision nfa over the three years",
    PERIOD_START,
    PERIOD_END,
    f"{STEP_UP}: a database of 2,072 no further action referrals over a three year period",
)

NFA_DA_REFERRALS = Target(
    "nfa_domestic_abuse_referrals",
    730,
    "csc_referrals with decision nfa and domestic_abuse Y over the three years",
    PERIOD_START,
    PERIOD_END,
    f"{STEP_UP}: 730 of the no further action cases were domestic abuse cases",
)

RE_REFERRAL_RATE = Target(
    "re_referral_rate",
    0.22,
    "share of csc_referrals dated in the window that are re-referrals: the same child_id in the "
    "same la_code has an earlier referral on day p with p < d and d - p <= 365",
    financial_year(1),
    PERIOD_END,
    DFE_RE_REFERRALS,
)

EARLY_HELP_FAMILIES = Target(
    "early_help_families",
    54,
    "families referred into the new early help service (not generated: Step Up's service is "
    "not one of the four intervention sites)",
    PERIOD_START,
    PERIOD_END,
    f"{STEP_UP}: anonymised records on 54 families referred into the new early help service",
    calibrated=False,
)

POST_SEPARATION_STANDARD_SHARE = Target(
    "post_separation_standard_share",
    0.64,
    "share of standard-risk domestic_abuse notifications recorded as post-separation abuse",
    PERIOD_START,
    PERIOD_END,
    f"{STEP_UP}: for almost two thirds of the families assessed as standard risk, the domestic "
    "abuse occurred post separation",
    tolerance=0.08,
)

TARGETS: tuple[Target, ...] = (
    VULNERABLE_PERSON_REFERRALS,
    DA_NOTIFICATIONS,
    STANDARD_RISK_SHARE,
    NFA_REFERRALS,
    NFA_DA_REFERRALS,
    RE_REFERRAL_RATE,
    POST_SEPARATION_STANDARD_SHARE,
    EARLY_HELP_FAMILIES,
)
"""Every figure the generator is calibrated to (and the one it only records)."""
