"""reliable_change and clinical_change: who changed between a baseline and an end questionnaire.

Per instrument, by site and by the breakdown's groups, among people with a valid ``baseline`` and
a valid ``end`` score on the same instrument from the same respondent (scored in the warehouse by
``daeval.instruments.scoring``), the end questionnaire dated on or before ``as_of``:

- ``reliable_change``: categories ``<instrument>:reliably_improved``, ``:unchanged`` and
  ``:reliably_deteriorated`` (numerator: people in the class; denominator: people with both
  scores), by the instrument's change rule (``daeval.instruments.change``); an instrument with no
  reliable-change threshold has no class rows. ``<instrument>:mean_change``: the mean of end −
  baseline (value), with its 95% confidence interval from the t distribution (n − 1 degrees of
  freedom), numerator = people. ``<instrument>:effect_size``: the standardised mean change, mean
  change / SD of the baseline scores (Becker 1988), with the large-sample 95% interval
  d ± 1.96 √(2(1 − r)/n + d²/(2n)), r the baseline-end correlation (Becker BJ (1988). Synthesizing
  standardized mean-change measures. Br J Math Stat Psychol 41:257-278; Morris SB, DeShon RP
  (2002). Psychological Methods 7(1):105-125). A negative change is a fall in the score, which is
  an improvement where higher is worse.
- ``clinical_change``: among those whose baseline is in the clinical range, categories
  ``<instrument>:recovered``, ``:improved``, ``:unchanged``, ``:deteriorated``; no rows for a
  group in which nobody starts in the clinical range.

The period runs from the earliest end questionnaire to ``as_of``; the date of an event for
period and age is the end questionnaire's.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd
from scipy import stats

from daeval.instruments.change import ChangeRule, change_rules, classified, paired_scores
from daeval.instruments.scoring import ANSWER_COLUMNS, score_administrations
from daeval.instruments.settings import InstrumentSettings
from daeval.metrics.groupings import Breakdown, Grouping, Subject, rollup
from daeval.metrics.rates import NO_BREAKDOWN
from daeval.model import MEASURES_COLUMNS

RELIABLE = "reliable_change"
CLINICAL = "clinical_change"
CLASSES = {
    "reliably_improved": ("s_ri", RELIABLE),
    "unchanged": ("s_ru", RELIABLE),
    "reliably_deteriorated": ("s_rd", RELIABLE),
}
CLINICAL_FLAGS = {
    "recovered": "s_cr",
    "improved": "s_ci",
    "unchanged": "s_cu",
    "deteriorated": "s_cd",
}
SUMS = ("s_n", "s_c", "s_cc", "s_b", "s_bb", "s_e", "s_ee", "s_be", "s_rn", "s_cn")
SITE = (Grouping("site_id"),)


def _events(responses: ir.Table, settings: InstrumentSettings, as_of: date) -> ir.Table:
    answers = responses.select(*ANSWER_COLUMNS[:-1], value=responses.value.cast("float64"))
    rules = change_rules(settings)
    pairs = classified(
        paired_scores(score_administrations(answers, settings.library, totals_only=True)), rules
    )
    pairs = pairs.filter(pairs.end_date.notnull() & (pairs.end_date <= as_of))
    site = ibis.ifelse(
        pairs.source.startswith("service:"), pairs.source.substr(len("service:")), pairs.source
    )
    b, e, c = pairs.baseline, pairs.end, pairs.change
    flags = {
        flag: (pairs.reliable_change == name).cast("int64") for name, (flag, _) in CLASSES.items()
    }
    flags |= {
        flag: (pairs.clinical_change == name).cast("int64") for name, flag in CLINICAL_FLAGS.items()
    }
    return pairs.mutate(
        site_id=site,
        s_n=ibis.literal(1, "int64"),
        s_c=c,
        s_cc=c * c,
        s_b=b,
        s_bb=b * b,
        s_e=e,
        s_ee=e * e,
        s_be=b * e,
        s_rn=pairs.reliable_change.notnull().cast("int64"),
        s_cn=pairs.clinical_change.notnull().cast("int64"),
        **flags,
    )


def change_frame(
    responses: ir.Table,
    settings: InstrumentSettings,
    as_of: date,
    breakdown: Breakdown = NO_BREAKDOWN,
) -> pd.DataFrame:
    """Both measures' rows (before disclosure control), from the ``measure_responses`` table, in
    one query: the questionnaires are scored once."""
    sums = change_query(responses, settings, as_of, breakdown).execute()
    return change_finish(sums, settings, as_of)


def change_query(
    responses: ir.Table,
    settings: InstrumentSettings,
    as_of: date,
    breakdown: Breakdown = NO_BREAKDOWN,
) -> ir.Table:
    """The sums both measures are computed from (see :func:`change_finish`)."""
    scored = _events(responses, settings, as_of)
    # The people of the questionnaires' sources only: far fewer than all.
    subject = Subject(scored.source, "person_id", among=responses.source)
    events, groupings = breakdown.apply(scored, SITE, "end_date", subject)
    counts = [*SUMS, *(f for f, _ in CLASSES.values()), *CLINICAL_FLAGS.values()]
    sums = rollup(events, counts, groupings, "end_date", breakdown.period, within=["instrument"])
    # The first end questionnaire, on every row: the start of the whole period.
    return sums.mutate(_first=scored.end_date.min().as_scalar())


def change_finish(sums: pd.DataFrame, settings: InstrumentSettings, as_of: date) -> pd.DataFrame:
    """Both measures' rows, from the result of :func:`change_query`."""
    if not len(sums):
        return pd.DataFrame(columns=[*MEASURES_COLUMNS])
    first = pd.Timestamp(sums._first.iloc[0]).date()
    return change_rows(sums, change_rules(settings), first, as_of)


def change_rows(
    sums: pd.DataFrame, rules: dict[str, ChangeRule], first: date, as_of: date
) -> pd.DataFrame:
    """The two measures' rows from the executed sums."""
    rows = []
    r: Any
    for r in sums.itertuples(index=False):
        rule = rules.get(r.instrument)
        start = pd.Timestamp(r.bucket_start).date() if pd.notna(r.bucket_start) else first
        end = pd.Timestamp(r.bucket_end).date() if pd.notna(r.bucket_end) else as_of
        base = {
            "group_by": r.group_by,
            "group": r.group,
            "period_start": start,
            "period_end": min(end, as_of),
        }
        mean, mean_ci, d, d_ci = _statistics(r)
        rows.append(_row(base, RELIABLE, f"{r.instrument}:mean_change", r.s_n, None, mean, mean_ci))
        rows.append(_row(base, RELIABLE, f"{r.instrument}:effect_size", r.s_n, None, d, d_ci))
        if rule is None or rule.threshold is None:
            continue
        for name, (flag, _) in CLASSES.items():
            rows.append(_share(base, RELIABLE, f"{r.instrument}:{name}", getattr(r, flag), r.s_rn))
        if rule.cutoff is None or r.s_cn == 0:
            continue  # no cut-off, or nobody in the group started in the clinical range
        for name, flag in CLINICAL_FLAGS.items():
            rows.append(_share(base, CLINICAL, f"{r.instrument}:{name}", getattr(r, flag), r.s_cn))
    return pd.DataFrame(rows, columns=[*MEASURES_COLUMNS])


def _row(base: dict, measure: str, category: str, numerator, denominator, value, ci) -> dict:  # type: ignore[no-untyped-def]
    return {
        "measure": measure,
        "category": category,
        **base,
        "numerator": int(numerator),
        "denominator": None if denominator is None else int(denominator),
        "value": value,
        "ci_lower": ci[0],
        "ci_upper": ci[1],
    }


def _share(base: dict, measure: str, category: str, count, of) -> dict:  # type: ignore[no-untyped-def]
    return _row(base, measure, category, count, of, count / of if of else None, (None, None))


def _statistics(r) -> tuple:  # type: ignore[no-untyped-def]
    """Mean change with its t interval; standardised mean change with its interval."""
    n = r.s_n
    if n < 2:
        return None, (None, None), None, (None, None)
    mean = r.s_c / n
    var_c = max((r.s_cc - n * mean * mean) / (n - 1), 0.0)
    half = stats.t.ppf(0.975, n - 1) * math.sqrt(var_c / n)
    mean_ci = (mean - half, mean + half)
    var_b = (r.s_bb - r.s_b * r.s_b / n) / (n - 1)
    var_e = (r.s_ee - r.s_e * r.s_e / n) / (n - 1)
    if var_b <= 0:
        return mean, mean_ci, None, (None, None)
    d = mean / math.sqrt(var_b)
    cov = (r.s_be - r.s_b * r.s_e / n) / (n - 1)
    corr = cov / math.sqrt(var_b * var_e) if var_e > 0 else 0.0
    se = math.sqrt(max(2 * (1 - corr) / n + d * d / (2 * n), 0.0))
    z = stats.norm.ppf(0.975)
    return mean, mean_ci, d, (d - z * se, d + z * se)
