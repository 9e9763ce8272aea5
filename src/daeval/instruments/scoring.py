"""Scoring questionnaire answers, as Ibis expressions that run on any engine.

The answers are the data contract's long ``measure_responses`` rows (one per item answered). An
*administration* is one person's answers to one instrument at one timepoint from one respondent;
it gets one score row: ``score`` (the total by the instrument's rule), ``valid``, ``n_missing``,
``prorated``, ``band``, ``above_cutoff``, a ``score_<subscale>`` column per subscale and a column
per recorded answer (DASH's ``professional_judgement``).

An answer that cannot be scored (an unknown instrument or item, a value the item cannot take,
an item answered twice) is a *problem*: ``checked_answers`` gives each answer its ``reason``. An
administration with a problem is not scored: its row says ``valid = false`` with no score, so a
wrong answer is never silently counted.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from daeval.instruments.definition import Instrument, Rule
from daeval.instruments.library import Library
from daeval.instruments.scales import TOTAL, ScoringTables, subscale_names

ADMINISTRATION = ("source", "person_id", "instrument", "timepoint", "respondent")
"""The columns that name an administration; ``respondent`` may be empty."""
ANSWER_COLUMNS = (
    "source",
    "person_id",
    "instrument",
    "timepoint",
    "administered_date",
    "respondent",
    "item",
    "value",
)
"""The columns of ``measure_responses`` that scoring reads."""
NO_RESPONDENT = ""
SCORE_DECIMALS = 2


def checked_answers(
    responses: ir.Table,
    library: Library,
    tables: ScoringTables | None = None,
    repeats: bool = True,
) -> ir.Table:
    """Every answer with ``reason`` (why it cannot be scored, or null), ``problem_column`` (the
    column at fault) and ``reflect`` (the sum a reverse-keyed answer is taken from). ``value``
    must be numeric. Without ``repeats``, an item answered more than once is not looked for (the
    caller finds it per administration; counting per answer takes a window over six columns)."""
    tables = tables or ScoringTables.of(library)
    known = ibis.memtable({"instrument": list(library)}).mutate(_known_instrument=True)
    r = responses.mutate(respondent=responses.respondent.fill_null(NO_RESPONDENT))
    r = r.left_join(known, "instrument").drop("instrument_right")
    r = r.left_join(tables.items.mutate(_known_item=True), ["instrument", "item"]).drop(
        "instrument_right", "item_right"
    )
    allowed = tables.answers.mutate(_allowed=True)
    r = r.left_join(allowed, ["instrument", "item", "value"]).drop(
        "instrument_right", "item_right", "value_right"
    )
    r = r.left_join(tables.ranges, ["instrument", "item"]).drop("instrument_right", "item_right")
    in_range = (r.value >= r.low) & (r.high.isnull() | (r.value <= r.high))
    times = (
        r.count().over(group_by=[*(r[c] for c in ADMINISTRATION), r.item])
        if repeats
        else ibis.literal(1)
    )
    # (condition, column at fault, reason), the first that holds naming the problem.
    problems = [
        (r.value.isnull(), "value", ibis.literal("no value")),
        (
            r._known_instrument.isnull(),
            "instrument",
            ibis.literal("unknown instrument ").concat(r.instrument),
        ),
        (r._known_item.isnull(), "item", r.instrument.concat(" has no item ", r.item)),
        (
            r._allowed.isnull() & ~(r.low.notnull() & in_range),
            "value",
            r.instrument.concat(" item ", r.item, ": ", _text(r.value), " is not ", r.allowed),
        ),
        (
            times > 1,
            "item",
            ibis.literal("item answered more than once in the same administration"),
        ),
    ]
    reason = ibis.cases(*((c, text) for c, _, text in problems), else_=ibis.null("string"))
    column = ibis.cases(*((c, name) for c, name, _ in problems), else_=ibis.null("string"))
    return r.mutate(
        reason=reason, problem_column=column, known_instrument=r._known_instrument.notnull()
    ).drop("_known_instrument", "_known_item", "_allowed", "low", "high", "allowed")


def _text(value: ir.FloatingValue) -> ir.StringValue:
    """A number as people write it: 3, not 3.0."""
    whole = value == value.floor()
    return ibis.ifelse(whole, value.cast("int64").cast("string"), value.cast("string"))


def score_administrations(
    responses: ir.Table, library: Library, totals_only: bool = False
) -> ir.Table:
    """One row per administration of a known instrument (see the module's description); with
    ``totals_only``, only its score, valid and prorated, which is all that measures of change
    read (a smaller query, compiled and run in a fraction of the time)."""
    tables = ScoringTables.of(library)
    checked = checked_answers(responses, library, tables, repeats=not totals_only)
    checked = checked.filter(checked.known_instrument)
    keys = list(ADMINISTRATION)
    # Without the per-answer count, an item answered twice is an administration with fewer
    # distinct items than answers.
    has_problem = checked.reason.notnull().any()
    if totals_only:
        has_problem = has_problem | (checked.count() != checked.item.nunique())
    administrations = checked.group_by(keys).agg(
        administered_date=checked.administered_date.min(), has_problem=has_problem
    )
    good = checked.filter(checked.reason.isnull())
    scored = good.mutate(
        scored=ibis.ifelse(good.reflect.notnull(), good.reflect - good.value, good.value)
    )
    per_scale = (
        scored.join(tables.scale_items, ["instrument", "item"])
        .group_by([*keys, "scale"])
        .agg(answered=lambda t: t.count(), total=lambda t: t.scored.sum())
    )
    grid = administrations.select(*keys).join(tables.scales, "instrument")
    s = grid.left_join(per_scale, [*keys, "scale"]).drop(*(f"{c}_right" for c in (*keys, "scale")))
    conversion = tables.conversion
    s = s.left_join(
        conversion, (s.instrument == conversion.instrument) & (s.total == conversion.raw)
    ).drop("instrument_right")
    answered = s.answered.fill_null(0)
    n_missing = s.n_items - answered
    valid = ibis.ifelse(s.count_as_no, answered > 0, n_missing <= s.max_missing)
    mean = s.total / answered
    score = ibis.cases(
        (s.rule == Rule.SUM.value, s.total * s.n_items / answered),
        (s.rule == Rule.MEAN.value, mean),
        (s.rule == Rule.MEAN_TIMES.value, mean * s.multiplier),
        (s.rule == Rule.COUNT.value, s.total),
        (s.rule == Rule.CONVERSION.value, ibis.ifelse(n_missing == 0, s.converted, None)),
        else_=ibis.null("float64"),
    )
    s = s.mutate(
        n_missing=n_missing,
        valid=valid,
        score=ibis.ifelse(valid, score.round(SCORE_DECIMALS), None),
        prorated=valid & (n_missing > 0) & ~s.count_as_no & (s.rule != Rule.NONE.value),
    )

    total = s.scale == TOTAL
    wide = s.group_by(keys).agg(
        score=s.score.max(where=total),
        valid=s.valid.any(where=total),
        n_missing=s.n_missing.max(where=total),
        prorated=s.prorated.any(where=total),
        subscales_valid=s.valid.all(where=~total).fill_null(True),
        **{
            f"score_{name}": s.score.max(where=s.scale == name)
            for name in ([] if totals_only else subscale_names(library))
        },
    )
    recorded = None if totals_only else _recorded(good, library)
    if recorded is not None:
        wide = wide.left_join(recorded, keys).drop(*(f"{c}_right" for c in keys))
    out = administrations.join(wide, keys)
    # Instruments without a total (MORS-SF, TFA) are valid when every subscale is.
    no_total = [c for c, i in library.items() if _has_no_total(i)]
    valid = ibis.ifelse(out.instrument.isin(no_total), out.subscales_valid, out.valid)
    valid = valid & ~out.has_problem
    blanked = {
        c: ibis.ifelse(valid, out[c], None)
        for c in out.columns
        if c == "score" or c.startswith("score_")
    }
    out = out.mutate(valid=valid, prorated=out.prorated & valid, **blanked)
    out = out.mutate(respondent=ibis.ifelse(out.respondent == NO_RESPONDENT, None, out.respondent))
    totals = [*ANSWER_COLUMNS[:6], "score", "valid"]
    if totals_only:
        return out.select(*totals, "prorated").order_by(list(keys))
    out = out.mutate(band=_band(out.score, out.instrument, library))
    out = out.mutate(above_cutoff=_above_cutoff(out.score, out.instrument, library))
    subscales = [f"score_{n}" for n in subscale_names(library)]
    recorded_names = [n for i in library.values() for n in i.recorded]
    return out.select(
        *totals,
        "n_missing",
        "prorated",
        "band",
        "above_cutoff",
        *subscales,
        *recorded_names,
    ).order_by(list(keys))


def _has_no_total(instrument: Instrument) -> bool:
    if instrument.score_only is not None:
        return "total" not in instrument.score_only.ranges
    return instrument.scoring is not None and instrument.scoring.rule is Rule.NONE


def _recorded(good: ir.Table, library: Library) -> ir.Table | None:
    names = {n for i in library.values() for n in i.recorded}
    if not names:
        return None
    kept = good.filter(good.item.isin(sorted(names)))
    return kept.group_by(list(ADMINISTRATION)).agg(
        **{n: kept.value.max(where=kept.item == n) for n in sorted(names)}
    )


def _band(score: ir.FloatingValue, instrument: ir.StringValue, library: Library) -> ir.StringValue:
    """The label of the highest band whose lower bound the score reaches."""
    branches = []
    for code, i in library.items():
        if i.bands is None:
            continue
        for band in reversed(i.bands.levels):
            branches.append(((instrument == code) & (score >= band.lower), band.label))
    if not branches:
        return ibis.null("string")
    return ibis.cases(*branches, else_=ibis.null("string"))


def _above_cutoff(
    score: ir.FloatingValue, instrument: ir.StringValue, library: Library
) -> ir.BooleanValue:
    """Whether the score is at or past the clinical cut-off, in the instrument's direction."""
    branches = []
    for code, i in library.items():
        if i.cutoff is None:
            continue
        past = score >= i.cutoff.value if i.higher_is_worse else score <= i.cutoff.value
        branches.append((instrument == code, past))
    if not branches:
        return ibis.null("boolean")
    return ibis.ifelse(score.isnull(), None, ibis.cases(*branches, else_=ibis.null("boolean")))
