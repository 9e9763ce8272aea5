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
    "screening_funnel",
    "address_moves",
    "reliable_change",
    "clinical_change",
)
