"""re_referral_by_factor: the re-referral rate among referrals whose assessment recorded a factor.

A referral counts for factor F when an assessment of it records F among its factors (the CIN
census factors identified at the end of assessment: 3A, 3B and 3C for domestic abuse about the
child, a parent or another person, and the others). Re-referral is as ``re_referral_rate``
defines it. numerator = re-referrals, denominator = referrals, both by referral_date in the
period; one row per factor (``group_by = factor``), the form in which the DfE publishes it.
"""

from __future__ import annotations

from datetime import date

import ibis
import ibis.expr.types as ir

from daeval.metrics.rates import measure_rows
from daeval.metrics.re_referral import flag_re_referrals
from daeval.model.codes import ASSESSMENT_FACTOR

MEASURE = "re_referral_by_factor"


def re_referral_by_factor(
    referrals: ir.Table,
    assessments: ir.Table,
    period_start: date,
    period_end: date,
    window_days: int = 365,
) -> ir.Table:
    """Rows of the tidy measures table (before disclosure control).

    ``referrals``: referral_id, child_id, la_code, referral_date; ``assessments``: referral_id,
    factors (``;``-separated codes).
    """
    flagged = flag_re_referrals(referrals, window_days)
    in_period = flagged.filter(flagged.referral_date.between(period_start, period_end))
    codes = ibis.memtable({"factor": list(ASSESSMENT_FACTOR.codes)})
    recorded = assessments.filter(assessments.factors.notnull())
    # A factor is recorded when it stands between separators in ';' + factors + ';'.
    padded = recorded.select(
        factor_referral=recorded.referral_id,
        padded=ibis.literal(";").concat(recorded.factors.upper(), ";"),
    )
    with_factor = (
        padded.cross_join(codes)
        .filter(lambda t: t.padded.contains(ibis.literal(";").concat(t.factor.upper(), ";")))
        .select("factor_referral", "factor")
        .distinct()
    )
    joined = in_period.join(with_factor, in_period.referral_id == with_factor.factor_referral)
    rows = joined.group_by("factor").aggregate(
        numerator=joined.is_re_referral.cast("int64").sum().fill_null(0),
        denominator=joined.count(),
    )
    rows = rows.mutate(group_by=ibis.literal("factor"), group=rows.factor).drop("factor")
    return measure_rows(rows, MEASURE, period_start, period_end)
