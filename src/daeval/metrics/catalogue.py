"""The names of the measures daeval computes, for study files that name them (outcomes and
research questions) without loading the query engine. docs/measures.md defines each one."""

from __future__ import annotations

MEASURE_NAMES: tuple[str, ...] = (
    "re_referral_rate",
    "re_referral_by_factor",
    "repeat_notification_rate",
    "risk_trajectory",
    "post_separation_share",
    "csc_referral_within_window",
    "csc_outcome_within_window",
    "time_to_first_referral",
    "km_csc_referral",
    "service_funnel",
    "dropout_rate",
    "referrals_per_month",
    "recruitment_funnel",
    "screening_funnel",
    "address_moves",
    "reliable_change",
    "clinical_change",
)

SPECS: dict[str, str] = {
    "re_referral_rate": "re_referral",
    "re_referral_by_factor": "re_referral_factor",
    "repeat_notification_rate": "repeat_notification",
    "risk_trajectory": "risk_trajectory",
    "post_separation_share": "post_separation",
    "csc_referral_within_window": "csc_referral",
    "csc_outcome_within_window": "csc_outcome",
    "time_to_first_referral": "time_to_referral",
    "km_csc_referral": "time_to_referral",
    "service_funnel": "services",
    "dropout_rate": "services",
    "referrals_per_month": "recruitment",
    "recruitment_funnel": "recruitment",
    "screening_funnel": "screening",
    "address_moves": "address_moves",
    "reliable_change": "reliable_change",
    "clinical_change": "reliable_change",
}
"""The module under ``daeval.metrics`` whose docstring is each measure's specification."""
