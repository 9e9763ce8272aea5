"""The measures benchmark's hand-written side: the whole measures table in one DuckDB SQL query.

It computes every row that compute_measures writes for the benchmark's workspace (no study.yaml:
the shipped instrument settings, all five subgroups, no calendar periods, disclosure control off),
as docs/measures.md and docs/data-contract.md define the measures:

- referrals: re_referral_rate, and re_referral_by_factor (the CIN factors of their assessments);
- domestic abuse notifications, by victim: repeat_notification_rate, risk_trajectory,
  post_separation_share;
- index events (each child of a domestic abuse notification), followed into children's social
  care and home: csc_referral_within_window, csc_outcome_within_window, address_moves, and the
  survival measures km_csc_referral (Kaplan–Meier with its log(−log) interval) and
  time_to_first_referral (the Kaplan–Meier median and the median among those referred);
- service episodes: service_funnel, dropout_rate;
- questionnaires, scored by the instrument library's rules (docs/instruments.md):
  reliable_change (classes, mean change with its t interval, standardised mean change) and
  clinical_change.

Each comes by all, by its own groups (la_code, risk_level, site_id, factor) and, except
re_referral_by_factor, by area, sex, age_band, ethnicity_group and disability of the person the
event is about. People are the same person through trusted links (``person_links``). Facts (code
lists, bands, time points, the instruments' items, answers, scoring rules, reliable-change
thresholds and clinical cut-offs) come from daeval; the computation is this module's own. The one
figure SQL lacks, the t distribution's quantile, is a Python function (scipy) called from the query.
"""

from __future__ import annotations

import time
from datetime import date

import duckdb
from duckdb import sqltypes
from scipy import stats

from benchmarks.measures_facts import (
    AGE_BANDS,
    DROPPED_OUT,
    ETHNICITY_GROUP,
    RISK_LEVELS,
    SUBGROUPS,
    WINDOW,
    Row,
)
from daeval.instruments.change import change_rules
from daeval.instruments.definition import MissingMethod, Rule
from daeval.instruments.settings import default_settings
from daeval.metrics.csc_outcome import PLAN_OUTCOME
from daeval.metrics.time_to_referral import SURVIVAL_THRESHOLD, TIME_POINTS, Z
from daeval.model.codes import ASSESSMENT_FACTOR


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _value(v: object) -> str:
    """A Python value as an SQL literal (floats exactly, through their shortest text)."""
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"'{v!r}'::DOUBLE"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(float(x)) for x in v) + "]"
    return f"'{v}'"


def _values(rows: list[tuple]) -> str:
    return ",\n    ".join("(" + ", ".join(_value(v) for v in row) + ")" for row in rows)


ETHNICITY_SQL = " ".join(
    f"WHEN ethnicity IN ({_in(codes)}) THEN '{group}'" for group, codes in ETHNICITY_GROUP.items()
)
AGE_SQL = " ".join(f"WHEN months < {bound} THEN '{band}'" for bound, band in AGE_BANDS)
POINTS = sorted({*TIME_POINTS, WINDOW})
"""The days at which km_csc_referral is read off the curve."""


def _described(events: str) -> str:
    """The rows of ``events`` (with source, person_id, on_date) with the subgroups of the person
    they are about: area, sex, age_band (at on_date), ethnicity_group, disability."""
    return f"""
  SELECT * EXCLUDE (postcode_sector, ethnicity, months),
         CASE WHEN strpos(postcode_sector, ' ') > 1
              THEN left(postcode_sector, strpos(postcode_sector, ' ') - 1)
              ELSE postcode_sector END AS area,
         CASE WHEN months IS NULL THEN NULL {AGE_SQL} ELSE '55+' END AS age_band,
         CASE {ETHNICITY_SQL} END AS ethnicity_group
  FROM (SELECT e.*, p.postcode_sector, p.sex, p.ethnicity, p.disability,
               (year(e.on_date) - year(p.birth_month)) * 12
                 + month(e.on_date) - month(p.birth_month) AS months
        FROM {events} e LEFT JOIN people p ON p.source = e.source AND p.person_id = e.person_id)"""


BREAKDOWN = ("native", *SUBGROUPS)
"""The columns events are counted by, one at a time: the measure's own group, then subgroups."""
GROUP_SQL = (
    "CASE WHEN grouping(native) = 0 THEN any_value(native_by) "
    + " ".join(f"WHEN grouping({s}) = 0 THEN '{s}'" for s in SUBGROUPS)
    + " ELSE 'all' END AS group_by, "
    + f'coalesce({", ".join(BREAKDOWN)}) AS "group"'
)
"""group_by and group of a row of GROUPING SETS over BREAKDOWN (group is null for all, and for
the events with no value in the row's grouping, which are dropped)."""


def _grouping_sets(*within: str) -> str:
    """GROUPING SETS: all, and each of BREAKDOWN, each within the columns ``within``."""
    keys = ", ".join(within)
    return (
        "GROUPING SETS (" + ", ".join([f"({keys})", *(f"({keys}, {c})" for c in BREAKDOWN)]) + ")"
    )


def _instrument_tables() -> tuple[str, str, str, str]:
    """VALUES of the shipped instrument library: each instrument's total score (rule, items,
    prorating), its items (reflection of reverse-keyed ones, whether the total counts them, the
    answers or range allowed), its conversion table; and the change rule of each instrument with
    a reliable-change threshold (threshold, clinical cut-off, direction)."""
    settings = default_settings()
    totals: list[tuple] = []
    items: list[tuple] = []
    conversion: list[tuple] = []
    for code, i in settings.library.items():
        if i.score_only is not None:  # a licensed tool's scores, each an "item" in a range
            if "total" in i.score_only.ranges:
                totals.append((code, "sum", 1, None, 0, False))
            for name, (low, high) in i.score_only.ranges.items():
                items.append((code, name, None, name == "total", None, low, high))
            continue
        assert i.items and i.responses and i.scoring and i.missing
        if i.scoring.rule is not Rule.NONE:
            count_as_no = i.missing.method is MissingMethod.COUNT_AS_NO
            rule = (i.scoring.rule.value, i.items.count, i.scoring.multiplier)
            totals.append((code, *rule, i.missing.max_missing, count_as_no))
        reflect = i.responses.low + i.responses.high
        answers = list(i.responses.values)
        for n in range(1, i.items.count + 1):
            reflected = reflect if n in i.reverse else None
            items.append((code, str(n), reflected, True, answers, None, None))
        for name, recorded in i.recorded.items():
            items.append((code, name, None, False, list(recorded), None, None))
        for raw, converted in (i.scoring.conversion or {}).items():
            conversion.append((code, float(raw), converted))
    rules = [
        (code, round(r.threshold, 6), r.cutoff, r.higher_is_worse)
        for code, r in change_rules(settings).items()
        if r.threshold is not None
    ]
    return _values(totals), _values(items), _values(conversion), _values(rules)


TOTALS_SQL, ITEMS_SQL, CONVERSION_SQL, RULES_SQL = _instrument_tables()

SQL = f"""
WITH
-- Trusted links stand in for linkage: a linked record takes the smallest record id it links to.
pairs AS (
  SELECT source_a || ':' || person_id_a AS rec, source_b || ':' || person_id_b AS other
  FROM person_links
  UNION ALL
  SELECT source_b || ':' || person_id_b, source_a || ':' || person_id_a FROM person_links
),
nearest AS (SELECT rec, min(other) AS linked FROM pairs GROUP BY rec),
refs AS (
  SELECT r.referral_id, r.child_id, r.la_code, r.referral_date,
         least('csc:' || r.child_id, coalesce(k.linked, 'csc:' || r.child_id)) AS child_key
  FROM csc_referrals r LEFT JOIN nearest k ON k.rec = 'csc:' || r.child_id
),
da AS (
  SELECT n.notification_id, n.notification_date, n.victim_id, n.post_separation,
         CASE WHEN n.risk_level IN ({_in(RISK_LEVELS)}) THEN n.risk_level END AS risk_level,
         least('police:' || n.victim_id, coalesce(k.linked, 'police:' || n.victim_id)) AS victim_key
  FROM police_notifications n LEFT JOIN nearest k ON k.rec = 'police:' || n.victim_id
  WHERE n.incident_type = 'domestic_abuse'
),
bounds AS (
  SELECT f.*,
         CASE WHEN ref_first + {WINDOW} <= $as_of THEN ref_first + {WINDOW} ELSE ref_first END
           AS rr_start,
         CASE WHEN da_first + {WINDOW} <= $as_of THEN da_first + {WINDOW} ELSE da_first END
           AS rn_start,
         $as_of - {WINDOW} AS last_index
  FROM (SELECT (SELECT min(referral_date) FROM csc_referrals) AS ref_first,
               (SELECT min(notification_date) FROM da) AS da_first,
               (SELECT min(referral_date) FROM service_episodes WHERE referral_date <= $as_of)
                 AS svc_first) f
),
-- Each victim's domestic abuse history, looked at back (repeats) and forward (trajectories).
victims AS (
  SELECT *,
         count(*) OVER back > 0 AS is_repeat,
         count(*) OVER ahead AS later_n,
         max(lvl) OVER ahead AS later_rank
  FROM (SELECT *, CASE risk_level WHEN 'standard' THEN 1 WHEN 'medium' THEN 2 WHEN 'high' THEN 3
                  END AS lvl
        FROM da WHERE victim_key IS NOT NULL)
  WINDOW back AS (PARTITION BY victim_key ORDER BY notification_date
                  RANGE BETWEEN {WINDOW} PRECEDING AND 1 PRECEDING),
         ahead AS (PARTITION BY victim_key ORDER BY notification_date
                   RANGE BETWEEN 1 FOLLOWING AND {WINDOW} FOLLOWING)
),
referred AS (
  SELECT *, count(*) OVER (PARTITION BY la_code, child_key ORDER BY referral_date
                           RANGE BETWEEN {WINDOW} PRECEDING AND 1 PRECEDING) > 0 AS is_re
  FROM refs
),
episodes AS (
  SELECT *,
         coalesce(eligibility = 'eligible', false) AS eligible,
         eligible AND first_contact_date IS NOT NULL AS contacted,
         contacted AND coalesce(offer = 'accepted', false) AS accepted,
         accepted AND start_date IS NOT NULL AS started,
         started AND coalesce(end_reason = 'completed', false) AS completed
  FROM service_episodes WHERE referral_date <= $as_of
),
-- One row per event of the measures of referrals, victims and services: its own group, whose
-- people record describes it, its date, and up to six counts (c1..c6, laid out per measure in
-- "layout" below).
events AS (
  SELECT 're_referral_rate' AS measure, 'la_code' AS native_by, la_code AS native,
         'csc' AS source, child_id AS person_id, referral_date AS on_date,
         rr_start AS period_start, $as_of AS period_end,
         is_re::INT AS c1, 1 AS c2, 0 AS c3, 0 AS c4, 0 AS c5, 0 AS c6
  FROM referred, bounds WHERE referral_date BETWEEN rr_start AND $as_of
  UNION ALL
  SELECT 'repeat_notification_rate', 'risk_level', risk_level, 'police', victim_id,
         notification_date, rn_start, $as_of, is_repeat::INT, 1, 0, 0, 0, 0
  FROM victims, bounds WHERE notification_date BETWEEN rn_start AND $as_of
  UNION ALL
  SELECT 'risk_trajectory', 'risk_level', risk_level, 'police', victim_id, notification_date,
         NULL, last_index,
         (later_n = 0)::INT,
         (later_n > 0 AND later_rank > lvl)::INT,
         (later_n > 0 AND later_rank < lvl)::INT,
         (later_n > 0 AND (later_rank IS NULL OR later_rank = lvl))::INT,
         1, 0
  FROM victims, bounds WHERE lvl IS NOT NULL AND notification_date <= last_index
  UNION ALL
  SELECT 'post_separation_share', 'risk_level', risk_level, 'police', victim_id,
         notification_date, da_first, $as_of, (post_separation = 'Y')::INT, 1, 0, 0, 0, 0
  FROM da, bounds
  WHERE post_separation IN ('Y', 'N') AND notification_date BETWEEN da_first AND $as_of
  UNION ALL
  SELECT 'service_funnel', 'site_id', site_id, 'service:' || site_id, person_id, referral_date,
         svc_first, $as_of,
         1, eligible::INT, contacted::INT, accepted::INT, started::INT, completed::INT
  FROM episodes, bounds
  UNION ALL
  SELECT 'dropout_rate', 'site_id', site_id, 'service:' || site_id, person_id, referral_date,
         svc_first, $as_of,
         coalesce(end_reason IN ({_in(DROPPED_OUT)}), false)::INT, 1, 0, 0, 0, 0
  FROM episodes, bounds WHERE start_date IS NOT NULL AND end_date IS NOT NULL
),
described AS ({_described("events")}
),
counted AS (
  SELECT measure, {GROUP_SQL},
         any_value(period_start) AS period_start, any_value(period_end) AS period_end,
         min(on_date) AS first_event,
         [sum(c1), sum(c2), sum(c3), sum(c4), sum(c5), sum(c6)]::BIGINT[] AS c
  FROM described
  GROUP BY {_grouping_sets("measure")}
),

-- Index events: each child of a domestic abuse notification dated before as_of.
kids AS (
  SELECT d.notification_id, d.notification_date, d.risk_level, c.child_id,
         least('police:' || c.child_id, coalesce(k.linked, 'police:' || c.child_id)) AS child_key
  FROM da d JOIN notification_children c USING (notification_id)
  LEFT JOIN nearest k ON k.rec = 'police:' || c.child_id
  WHERE d.notification_date < $as_of
),
homes AS (  -- the days a child's address records start, by person key
  SELECT DISTINCT from_date,
         least(source || ':' || person_id, coalesce(k.linked, source || ':' || person_id))
           AS child_key
  FROM addresses a LEFT JOIN nearest k ON k.rec = a.source || ':' || a.person_id
  WHERE from_date IS NOT NULL
),
-- What can follow an index event: a referral, an assessment of one of the child's referrals, a
-- plan, a move of home (a start of an address record after the child's first).
outcomes AS (
  SELECT child_key, referral_date AS on_date, 'referral' AS kind FROM refs
  UNION ALL
  SELECT r.child_key, a.start_date, 'assessment'
  FROM assessments a JOIN refs r USING (referral_id)
  UNION ALL
  SELECT least('csc:' || p.child_id, coalesce(k.linked, 'csc:' || p.child_id)),
         p.start_date,
         CASE p.plan_type {" ".join(f"WHEN '{t}' THEN '{o}'" for t, o in PLAN_OUTCOME.items())} END
  FROM plans p LEFT JOIN nearest k ON k.rec = 'csc:' || p.child_id
  WHERE p.plan_type IN ({_in(tuple(PLAN_OUTCOME))})
  UNION ALL
  SELECT child_key, from_date, 'move' FROM homes
  QUALIFY from_date > min(from_date) OVER (PARTITION BY child_key)
),
-- Per index event (on day d) followed by anything: the child's first referral in (d, as_of],
-- and whether each other outcome, and how many moves, came in (d, d + W].
reached AS (
  SELECT k.notification_id, k.child_key,
         min(o.on_date) FILTER (WHERE o.kind = 'referral') AS first_referral,
         bool_or(o.kind = 'assessment') AS assessment, bool_or(o.kind = 'cin_plan') AS cin_plan,
         bool_or(o.kind = 'cp_plan') AS cp_plan, bool_or(o.kind = 'cla') AS cla,
         count(*) FILTER (WHERE o.kind = 'move') AS moves
  FROM kids k JOIN outcomes o ON o.child_key = k.child_key
    AND o.on_date > k.notification_date
    AND o.on_date <= CASE o.kind WHEN 'referral' THEN $as_of
                                 ELSE k.notification_date + {WINDOW} END
  GROUP BY k.notification_id, k.child_key
),
-- Each index event with its time t: days to the child's first referral after it (an event) or
-- to as_of (censored); and, for those with a whole window (complete), what happened within it.
children AS (
  SELECT 'risk_level' AS native_by, k.risk_level AS native, 'police' AS source,
         k.child_id AS person_id, k.notification_date AS on_date,
         (x.first_referral IS NOT NULL)::INT AS referred,
         coalesce(x.first_referral, $as_of) - k.notification_date AS day,
         (k.notification_date <= $as_of - {WINDOW})::INT AS complete,
         coalesce(x.assessment, false)::INT AS assessment,
         coalesce(x.cin_plan, false)::INT AS cin_plan,
         coalesce(x.cp_plan, false)::INT AS cp_plan, coalesce(x.cla, false)::INT AS cla,
         coalesce(x.moves, 0) AS moves
  FROM kids k LEFT JOIN reached x
    ON x.notification_id = k.notification_id AND x.child_key = k.child_key
),
children_described AS ({_described("children")}
),
-- Index events per group and day t.
by_day AS (
  SELECT {GROUP_SQL}, day,
         count(*) AS n, sum(referred) AS e, sum(complete) AS complete,
         sum(complete * referred * (day <= {WINDOW})::INT) AS referral,
         sum(complete * assessment) AS assessment, sum(complete * cin_plan) AS cin_plan,
         sum(complete * cp_plan) AS cp_plan, sum(complete * cla) AS cla,
         sum(complete * (moves = 0)::INT) AS moved_0,
         sum(complete * (moves = 1)::INT) AS moved_1,
         sum(complete * (moves >= 2)::INT) AS moved_2, sum(complete * moves) AS moves,
         min(on_date) AS first_index, min(on_date) FILTER (WHERE complete = 1) AS first_complete
  FROM children_described
  GROUP BY {_grouping_sets("day")}
),
groups_by_day AS (SELECT * FROM by_day WHERE group_by = 'all' OR "group" IS NOT NULL),
-- The index events with a whole window (d + W <= as_of), as the rows of "counted".
followed AS (
  SELECT 'children' AS measure, group_by, "group", NULL::DATE AS period_start,
         $as_of - {WINDOW} AS period_end, min(first_complete) AS first_event,
         [sum(complete), sum(referral), sum(assessment), sum(cin_plan), sum(cp_plan), sum(cla),
          sum(moved_0), sum(moved_1), sum(moved_2), sum(moves)]::BIGINT[] AS c
  FROM groups_by_day GROUP BY group_by, "group" HAVING sum(complete) > 0
),
layout(counted, measure, category, num, den) AS (VALUES
  ('re_referral_rate', 're_referral_rate', NULL, 1, 2),
  ('repeat_notification_rate', 'repeat_notification_rate', NULL, 1, 2),
  ('post_separation_share', 'post_separation_share', NULL, 1, 2),
  ('dropout_rate', 'dropout_rate', NULL, 1, 2),
  ('risk_trajectory', 'risk_trajectory', 'no_repeat', 1, 5),
  ('risk_trajectory', 'risk_trajectory', 'escalated', 2, 5),
  ('risk_trajectory', 'risk_trajectory', 'de_escalated', 3, 5),
  ('risk_trajectory', 'risk_trajectory', 'repeat_same_level', 4, 5),
  ('service_funnel', 'service_funnel', 'referred', 1, 1),
  ('service_funnel', 'service_funnel', 'eligible', 2, 1),
  ('service_funnel', 'service_funnel', 'contacted', 3, 2),
  ('service_funnel', 'service_funnel', 'accepted', 4, 3),
  ('service_funnel', 'service_funnel', 'started', 5, 4),
  ('service_funnel', 'service_funnel', 'completed', 6, 5),
  ('children', 'csc_referral_within_window', NULL, 2, 1),
  ('children', 'csc_outcome_within_window', 'referral', 2, 1),
  ('children', 'csc_outcome_within_window', 'assessment', 3, 1),
  ('children', 'csc_outcome_within_window', 'cin_plan', 4, 1),
  ('children', 'csc_outcome_within_window', 'cp_plan', 5, 1),
  ('children', 'csc_outcome_within_window', 'cla', 6, 1),
  ('children', 'address_moves', '0', 7, 1),
  ('children', 'address_moves', '1', 8, 1),
  ('children', 'address_moves', '2_or_more', 9, 1),
  ('children', 'address_moves', 'moves_per_child', 10, 1)
),
count_rows AS (
  SELECT l.measure, c.group_by, coalesce(c."group", 'all') AS "group", l.category,
         coalesce(c.period_start,
                  max(c.first_event) FILTER (WHERE c.group_by = 'all')
                    OVER (PARTITION BY c.measure)) AS period_start,
         c.period_end, c.c[l.num] AS numerator, c.c[l.den] AS denominator
  FROM (SELECT * FROM counted WHERE group_by = 'all' OR "group" IS NOT NULL
        UNION ALL SELECT * FROM followed) c
  JOIN layout l ON l.counted = c.measure
),

-- The Kaplan–Meier life table of each group: n(u) at risk on day u (times >= u), e(u) referred
-- that day; each day's factor 1 - e/n of S, as a logarithm (S falls to 0 when e = n), and its
-- term of Greenwood's variance.
life AS (
  SELECT *,
         CASE WHEN e = 0 THEN 0 WHEN e < at_risk THEN ln(1 - e / at_risk) ELSE '-inf'::DOUBLE END
           AS log_step,
         CASE WHEN e < at_risk THEN e / (at_risk::DOUBLE * (at_risk - e)) ELSE 0 END
           AS greenwood_step
  FROM (SELECT group_by, "group", day, n, e,
               sum(n) OVER (PARTITION BY group_by, "group" ORDER BY day DESC) AS at_risk
        FROM groups_by_day)
),
points(t) AS (VALUES {", ".join(f"({t})" for t in POINTS)}),
km AS (  -- S(t), its Greenwood sum, and the index events at risk at t
  SELECT l.group_by, l."group", p.t, sum(l.n) AS index_events,
         sum(l.n) FILTER (WHERE l.day >= p.t) AS at_risk,
         coalesce(sum(l.e) FILTER (WHERE l.day <= p.t), 0) AS referred,
         coalesce(sum(l.log_step) FILTER (WHERE l.day <= p.t), 0) AS log_s,
         coalesce(sum(l.greenwood_step) FILTER (WHERE l.day <= p.t), 0) AS greenwood
  FROM life l CROSS JOIN points p
  GROUP BY l.group_by, l."group", p.t
  HAVING sum(l.n) FILTER (WHERE l.day >= p.t) >= {SURVIVAL_THRESHOLD}
),
km_rows AS (  -- 1 - S(t), with the log(-log) interval of S turned into one of 1 - S
  SELECT group_by, "group", t, referred, index_events, 1 - exp(log_s) AS value,
         CASE WHEN log_s = 0 THEN 0 WHEN log_s = '-inf' THEN 1
              ELSE 1 - exp(log_s * exp(-{Z} * sqrt(greenwood) / -log_s)) END AS ci_lower,
         CASE WHEN log_s = 0 THEN 0 WHEN log_s = '-inf' THEN 1
              ELSE 1 - exp(log_s * exp({Z} * sqrt(greenwood) / -log_s)) END AS ci_upper
  FROM km
),
km_median AS (  -- the first day S(t) <= 1/2 (an S of exactly a half counts, whatever the logs)
  SELECT group_by, "group", sum(e) AS referred, sum(n) AS index_events,
         min(day) FILTER (WHERE log_s <= ln(0.5) + 1e-12) AS median
  FROM (SELECT *, sum(log_step) OVER (PARTITION BY group_by, "group" ORDER BY day) AS log_s
        FROM life)
  GROUP BY group_by, "group"
),
referred_median AS (  -- the median t of index events with a referral in their whole window
  SELECT group_by, "group", median(day) AS median
  FROM (SELECT group_by, "group", day, unnest(range(referral::BIGINT)) FROM groups_by_day)
  GROUP BY group_by, "group"
),
survival_period AS (
  SELECT min(first_index) AS period_start FROM groups_by_day WHERE group_by = 'all'
),

-- Questionnaires scored by the instrument library's rules (docs/instruments.md), with the
-- shipped settings. An administration (person, instrument, timepoint, respondent) with an answer
-- that cannot be scored (no value, an unknown item, a value the item cannot take, an item
-- answered twice) has no score.
totals(instrument, rule, n_items, multiplier, max_missing, count_as_no) AS (VALUES
    {TOTALS_SQL}
),
items(instrument, item, reflect, in_total, answers, low, high) AS (
  SELECT instrument, item, reflect::DOUBLE, in_total, answers::DOUBLE[], low::DOUBLE,
         high::DOUBLE
  FROM (VALUES
    {ITEMS_SQL}
  ) v(instrument, item, reflect, in_total, answers, low, high)
),
conversion(instrument, raw, converted) AS (VALUES
    {CONVERSION_SQL}
),
answers AS (
  SELECT r.source, r.person_id, r.instrument, r.timepoint,
         coalesce(r.respondent, '') AS respondent, r.administered_date, r.item, r.value,
         i.reflect, i.in_total,
         r.value IS NULL OR i.item IS NULL
           OR (NOT coalesce(list_contains(i.answers, r.value), false)
               AND NOT coalesce(r.value >= i.low AND (i.high IS NULL OR r.value <= i.high), false))
           AS problem
  FROM measure_responses r LEFT JOIN items i USING (instrument, item)
  WHERE r.instrument IN (SELECT instrument FROM totals)
),
administrations AS (
  SELECT source, person_id, instrument, timepoint, respondent,
         min(administered_date) AS on_date,
         count(*) FILTER (WHERE in_total) AS answered,
         sum(CASE WHEN reflect IS NULL THEN value ELSE reflect - value END)
           FILTER (WHERE in_total) AS total
  FROM answers
  GROUP BY ALL
  HAVING NOT bool_or(problem) AND count(*) = count(DISTINCT item)  -- no item answered twice
),
scores AS (
  SELECT a.source, a.person_id, a.instrument, a.timepoint, a.respondent, a.on_date,
         round(CASE t.rule WHEN 'sum' THEN a.total * t.n_items / a.answered
                           WHEN 'mean' THEN a.total / a.answered
                           WHEN 'mean_times' THEN a.total / a.answered * t.multiplier
                           WHEN 'count' THEN a.total
                           WHEN 'conversion' THEN c.converted END, 2) AS score
  FROM administrations a JOIN totals t USING (instrument)
  LEFT JOIN conversion c ON c.instrument = a.instrument AND c.raw = a.total
  WHERE CASE WHEN t.count_as_no THEN a.answered > 0
             ELSE t.n_items - a.answered <= t.max_missing END
),
rules(instrument, threshold, cutoff, higher_is_worse) AS (VALUES
    {RULES_SQL}
),
-- Each person's change from a baseline to an end score (same record, instrument, respondent),
-- the end dated by as_of, classed by the instrument's reliable-change threshold and cut-off.
changes AS (
  SELECT *,
         improvement >= threshold AS improved, improvement <= -threshold AS deteriorated,
         CASE WHEN higher_is_worse THEN baseline >= cutoff ELSE baseline <= cutoff END
           AS clinical_start,
         CASE WHEN higher_is_worse THEN "end" >= cutoff ELSE "end" <= cutoff END AS clinical_end
  FROM (SELECT 'site_id' AS native_by,
               CASE WHEN b.source LIKE 'service:%' THEN substr(b.source, 9) ELSE b.source END
                 AS native,
               b.source, b.person_id, e.on_date, b.instrument, b.score AS baseline,
               e.score AS "end", e.score - b.score AS change, u.threshold, u.cutoff,
               u.higher_is_worse,
               round(CASE WHEN u.higher_is_worse THEN b.score - e.score
                          ELSE e.score - b.score END, 6) AS improvement
        FROM scores b JOIN scores e USING (source, person_id, instrument, respondent)
        LEFT JOIN rules u ON u.instrument = b.instrument
        WHERE b.timepoint = 'baseline' AND e.timepoint = 'end' AND b.score IS NOT NULL
          AND e.score IS NOT NULL AND e.on_date <= $as_of)
),
changes_described AS ({_described("changes")}
),
change_sums AS (
  SELECT instrument, {GROUP_SQL},
         count(*) AS n, avg(change) AS mean, var_samp(change) AS var_change,
         stddev_samp(baseline) AS sd_baseline,
         CASE WHEN var_samp("end") > 0 THEN corr(baseline, "end") ELSE 0 END AS r,
         min(on_date) AS first_end, any_value(threshold) AS threshold,
         any_value(cutoff) AS cutoff,
         [count(*) FILTER (WHERE improved),
          count(*) FILTER (WHERE NOT improved AND NOT deteriorated),
          count(*) FILTER (WHERE deteriorated),
          count(*) FILTER (WHERE clinical_start AND improved AND NOT clinical_end),
          count(*) FILTER (WHERE clinical_start AND improved AND clinical_end),
          count(*) FILTER (WHERE clinical_start AND NOT improved AND NOT deteriorated),
          count(*) FILTER (WHERE clinical_start AND deteriorated),
          count(*) FILTER (WHERE clinical_start)]::BIGINT[] AS c
  FROM changes_described
  GROUP BY {_grouping_sets("instrument")}
),
change_stats AS (
  SELECT *,
         min(first_end) FILTER (WHERE group_by = 'all') OVER () AS period_start,
         CASE WHEN n >= 2 THEN t_quantile(0.975, n - 1) * sqrt(greatest(var_change, 0) / n)
              END AS half,
         CASE WHEN n >= 2 AND sd_baseline > 0 THEN mean / sd_baseline END AS d
  FROM change_sums WHERE group_by = 'all' OR "group" IS NOT NULL
),
change_layout(measure, category, num, den, needs) AS (VALUES
  ('reliable_change', 'reliably_improved', 1, 0, 'threshold'),
  ('reliable_change', 'unchanged', 2, 0, 'threshold'),
  ('reliable_change', 'reliably_deteriorated', 3, 0, 'threshold'),
  ('clinical_change', 'recovered', 4, 8, 'cutoff'),
  ('clinical_change', 'improved', 5, 8, 'cutoff'),
  ('clinical_change', 'unchanged', 6, 8, 'cutoff'),
  ('clinical_change', 'deteriorated', 7, 8, 'cutoff')
)

SELECT *, NULL::DOUBLE AS value, NULL::DOUBLE AS ci_lower, NULL::DOUBLE AS ci_upper,
       false AS statistic
FROM count_rows
UNION ALL
SELECT 're_referral_by_factor', 'factor', f.code, NULL, rr_start, $as_of,
       count(*) FILTER (WHERE r.is_re), count(*), NULL, NULL, NULL, false
FROM referred r
JOIN (SELECT DISTINCT referral_id, unnest(string_split(upper(factors), ';')) AS code
      FROM assessments) a USING (referral_id)
JOIN (VALUES {", ".join(f"('{c}')" for c in ASSESSMENT_FACTOR.codes)}) f(code)
  ON upper(f.code) = a.code
CROSS JOIN bounds
WHERE r.referral_date BETWEEN rr_start AND $as_of
GROUP BY f.code, rr_start
UNION ALL
SELECT 'km_csc_referral', group_by, coalesce("group", 'all'), t::VARCHAR, period_start, $as_of,
       referred, index_events, value, ci_lower, ci_upper, true
FROM km_rows, survival_period
UNION ALL
SELECT 'time_to_first_referral', group_by, coalesce("group", 'all'), 'kaplan_meier_median',
       period_start, $as_of, referred, index_events, median, NULL, NULL, true
FROM km_median, survival_period
UNION ALL
SELECT 'time_to_first_referral', f.group_by, coalesce(f."group", 'all'), 'median_among_referred',
       s.period_start, $as_of, f.c[2], f.c[1], m.median, NULL, NULL, true
FROM followed f
LEFT JOIN referred_median m ON m.group_by = f.group_by AND m."group" IS NOT DISTINCT FROM f."group"
CROSS JOIN survival_period s
UNION ALL
SELECT 'reliable_change', group_by, coalesce("group", 'all'), instrument || ':mean_change',
       period_start, $as_of, n, NULL, CASE WHEN n >= 2 THEN mean END, mean - half, mean + half,
       true
FROM change_stats
UNION ALL
SELECT 'reliable_change', group_by, coalesce("group", 'all'), instrument || ':effect_size',
       period_start, $as_of, n, NULL, d,
       d - {Z} * sqrt(greatest(2 * (1 - r) / n + d * d / (2 * n), 0)),
       d + {Z} * sqrt(greatest(2 * (1 - r) / n + d * d / (2 * n), 0)), true
FROM change_stats
UNION ALL
SELECT l.measure, s.group_by, coalesce(s."group", 'all'), s.instrument || ':' || l.category,
       s.period_start, $as_of, s.c[l.num], CASE WHEN l.den = 0 THEN s.n ELSE s.c[l.den] END,
       NULL, NULL, NULL, false
FROM change_stats s JOIN change_layout l
  ON s.threshold IS NOT NULL
     AND (l.needs = 'threshold' OR (s.cutoff IS NOT NULL AND s.c[8] > 0))
"""


SQL_MEMORY_LIMIT = "8GB"


def _t_quantile(p: float, df: int) -> float:
    return float(stats.t.ppf(p, df))


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """Give the connection what the query calls beyond DuckDB: the t distribution's quantile."""
    con.create_function(
        "t_quantile", _t_quantile, [sqltypes.DOUBLE, sqltypes.BIGINT], sqltypes.DOUBLE
    )


def sql_side(warehouse: str, as_of: date) -> tuple[float, list[Row]]:
    con = duckdb.connect(warehouse, read_only=True)
    began = time.perf_counter()
    # DuckDB's default limit (80% of the machine's memory) lets the query take far more than it
    # needs; within the 8 GiB target it spills and finishes (at scale 60 it finishes within a
    # tenth of that, 800 MB).
    con.execute(f"SET memory_limit = '{SQL_MEMORY_LIMIT}'")
    prepare(con)
    rows = con.execute(SQL, {"as_of": as_of}).fetchall()
    seconds = time.perf_counter() - began
    con.close()
    # A count's value is numerator / denominator: its row is the first eight fields.
    return seconds, [tuple(r[:-1]) if r[-1] else tuple(r[:8]) for r in rows]
