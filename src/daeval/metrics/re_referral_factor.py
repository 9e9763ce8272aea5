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
from daeval.metrics.re_referral import flagged_referrals
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
    factors (``;``-separated codes). Referrals already flagged by
    :func:`daeval.metrics.re_referral.flag_re_referrals` (with the same window) are taken as they
    are.
    """
    flagged = flagged_referrals(referrals, window_days)
    in_period = flagged.filter(flagged.referral_date.between(period_start, period_end))
    codes = list(ASSESSMENT_FACTOR.codes)
    recorded = assessments.filter(assessments.factors.notnull())
    # A referral's factors are those of all its assessments; a factor is recorded when it stands
    # between separators in ';' + factors + ';'. One 0/1 column per factor.
    per_referral = recorded.group_by(factor_referral=recorded.referral_id).aggregate(
        factors=recorded.factors.upper().group_concat(";")
    )
    padded = ibis.literal(";").concat(per_referral.factors, ";")
    flags = {
        f"_factor_{i}": padded.contains(f";{code.upper()};").cast("int64")
        for i, code in enumerate(codes)
    }
    per_referral = per_referral.select("factor_referral", **flags)
    joined = in_period.join(per_referral, in_period.referral_id == per_referral.factor_referral)
    repeat = joined.is_re_referral.cast("int64")
    sums = joined.aggregate(
        **{f"_re{f}": (repeat * joined[f]).sum() for f in flags},
        **{f: joined[f].sum() for f in flags},
    )
    rows = ibis.union(
        *(
            sums.select(
                group_by=ibis.literal("factor"),
                group=ibis.literal(code),
                numerator=sums[f"_re{f}"].fill_null(0),
                denominator=sums[f],
            )
            for f, code in zip(flags, codes, strict=True)
        )
    )
    rows = rows.filter(rows.denominator > 0)
    return measure_rows(rows, MEASURE, period_start, period_end)
