"""The measures table (daeval compute_measures) against one hand-written DuckDB SQL script and
a straightforward pandas version, on the same warehouse.

Seven measures are compared, with every breakdown compute_measures writes for them by default
(no study.yaml): re_referral_rate, repeat_notification_rate, csc_referral_within_window,
risk_trajectory, post_separation_share, service_funnel and dropout_rate, by all, the measure's
own groups, area, sex, age_band, ethnicity_group and disability. Linkage is not run, so person
keys come from trusted links (``person_links``) on every side. Disclosure control is off on the
daeval side so that the three sides' counts can be compared exactly; the SQL and pandas rows must
equal daeval's rows of those seven measures.

compute_measures computes other measures as well (re_referral_by_factor,
csc_outcome_within_window and more): ``daeval_seconds`` is the whole call, as a user runs it, and
``daeval_seconds_by_query`` splits it by the measures each query returns, with
``daeval_seven_measures_query_seconds`` the part spent on the seven measures' own queries. Tables
that compute_measures computes once and shares between several measures' queries (seven and others
alike) are timed apart, as "tables kept for several measures", and are not in that part.

The workspace is synthetic: scale DAEVAL_BENCH_SCALE (default 600: about 4 million referrals,
15 million police notifications, 25 million notification children, 17 million people records;
its ingest takes about 4 to 6 minutes on 2 cores) and a tenth of it, so that the growth with size
shows. DAEVAL_BENCH_CACHE names a folder in which built workspaces are kept and reused.

Each side runs in its own process on the ingested warehouse file; its ``seconds`` count the
computation only (for pandas, reading the tables too), its peak memory is the resident-set peak
of the process. A side whose memory passes DAEVAL_BENCH_MEMORY_LIMIT_GIB (default 18) is stopped
and reported as failed, with no time (pandas needs about 4 GiB at scale 60, so some 40 at 600).
"""

from __future__ import annotations

import math
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path

from daeval.metrics.groupings import AGE_BANDS
from daeval.metrics.services import DROPPED_OUT
from daeval.model.codes import ETHNICITY_GROUP as CODE_GROUP

SCALE = float(os.environ.get("DAEVAL_BENCH_SCALE", "600"))
BENCH_KEY = b"benchmark-key-not-secret-0123456789abcdef"
SEED = 3
WINDOW = 365
SIDES = ("daeval", "sql", "pandas")
MEASURES = (
    "re_referral_rate",
    "repeat_notification_rate",
    "csc_referral_within_window",
    "risk_trajectory",
    "post_separation_share",
    "service_funnel",
    "dropout_rate",
)
SUBGROUPS = ("area", "sex", "age_band", "ethnicity_group", "disability")
RISK_LEVELS = ("standard", "medium", "high")
CLASSES = ("no_repeat", "escalated", "de_escalated", "repeat_same_level")
STAGES = ("referred", "eligible", "contacted", "accepted", "started", "completed")
# The code lists and bands are facts shared with daeval; the computations below are written anew.
ETHNICITY_GROUP = {
    group: tuple(code for code, g in CODE_GROUP.items() if g == group)
    for group in dict.fromkeys(CODE_GROUP.values())
}

# (measure, group_by, group, category, period_start, period_end, numerator, denominator)
Row = tuple


# --- (b) one hand-written DuckDB SQL script ------------------------------------------------------


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


ETHNICITY_SQL = " ".join(
    f"WHEN ethnicity IN ({_in(codes)}) THEN '{group}'" for group, codes in ETHNICITY_GROUP.items()
)
AGE_SQL = " ".join(f"WHEN months < {bound} THEN '{band}'" for bound, band in AGE_BANDS)

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
  SELECT r.child_id, r.la_code, r.referral_date,
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
kids AS (
  SELECT d.notification_id, d.notification_date, d.risk_level, c.child_id,
         least('police:' || c.child_id, coalesce(k.linked, 'police:' || c.child_id)) AS child_key
  FROM da d JOIN notification_children c USING (notification_id)
  LEFT JOIN nearest k ON k.rec = 'police:' || c.child_id
  WHERE d.notification_date <= $as_of - {WINDOW}
),
followed AS (  -- the child's first referral after the notification
  SELECT kids.*, r.referral_date AS next_referral
  FROM kids ASOF LEFT JOIN (SELECT child_key, referral_date FROM refs) r
    ON kids.child_key = r.child_key AND kids.notification_date < r.referral_date
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
-- One row per event of every measure: its own group, whose people record describes it, its date,
-- and up to six counts (c1..c6, laid out per measure in "layout" below).
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
  SELECT 'csc_referral_within_window', 'risk_level', risk_level, 'police', child_id,
         notification_date, NULL, last_index,
         coalesce(next_referral <= notification_date + {WINDOW}, false)::INT, 1, 0, 0, 0, 0
  FROM followed, bounds
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
described AS (
  SELECT * EXCLUDE (postcode_sector, ethnicity, months),
         CASE WHEN strpos(postcode_sector, ' ') > 1
              THEN left(postcode_sector, strpos(postcode_sector, ' ') - 1)
              ELSE postcode_sector END AS area,
         CASE WHEN months IS NULL THEN NULL {AGE_SQL} ELSE '55+' END AS age_band,
         CASE {ETHNICITY_SQL} END AS ethnicity_group
  FROM (SELECT e.*, p.postcode_sector, p.sex, p.ethnicity, p.disability,
               (year(e.on_date) - year(p.birth_month)) * 12
                 + month(e.on_date) - month(p.birth_month) AS months
        FROM events e LEFT JOIN people p ON p.source = e.source AND p.person_id = e.person_id)
),
counted AS (
  SELECT measure,
         CASE WHEN grouping(native) = 0 THEN any_value(native_by)
              WHEN grouping(area) = 0 THEN 'area' WHEN grouping(sex) = 0 THEN 'sex'
              WHEN grouping(age_band) = 0 THEN 'age_band'
              WHEN grouping(ethnicity_group) = 0 THEN 'ethnicity_group'
              WHEN grouping(disability) = 0 THEN 'disability' ELSE 'all' END AS group_by,
         coalesce(native, area, sex, age_band, ethnicity_group, disability) AS "group",
         any_value(period_start) AS period_start, any_value(period_end) AS period_end,
         min(on_date) AS first_event,
         [sum(c1), sum(c2), sum(c3), sum(c4), sum(c5), sum(c6)]::BIGINT[] AS c
  FROM described
  GROUP BY GROUPING SETS ((measure), (measure, native), (measure, area), (measure, sex),
                          (measure, age_band), (measure, ethnicity_group), (measure, disability))
),
layout(measure, category, num, den) AS (VALUES
  ('re_referral_rate', NULL, 1, 2), ('repeat_notification_rate', NULL, 1, 2),
  ('post_separation_share', NULL, 1, 2), ('csc_referral_within_window', NULL, 1, 2),
  ('dropout_rate', NULL, 1, 2),
  ('risk_trajectory', 'no_repeat', 1, 5), ('risk_trajectory', 'escalated', 2, 5),
  ('risk_trajectory', 'de_escalated', 3, 5), ('risk_trajectory', 'repeat_same_level', 4, 5),
  ('service_funnel', 'referred', 1, 1), ('service_funnel', 'eligible', 2, 1),
  ('service_funnel', 'contacted', 3, 2), ('service_funnel', 'accepted', 4, 3),
  ('service_funnel', 'started', 5, 4), ('service_funnel', 'completed', 6, 5)
)
SELECT c.measure, c.group_by, coalesce(c."group", 'all') AS "group", l.category,
       coalesce(c.period_start,
                max(c.first_event) FILTER (WHERE c.group_by = 'all')
                  OVER (PARTITION BY c.measure)) AS period_start,
       c.period_end, c.c[l.num] AS numerator, c.c[l.den] AS denominator
FROM counted c JOIN layout l USING (measure)
WHERE c.group_by = 'all' OR c."group" IS NOT NULL
"""


SQL_MEMORY_LIMIT = "8GB"


def sql_side(warehouse: str, as_of: date) -> tuple[float, list[Row]]:
    import duckdb

    con = duckdb.connect(warehouse, read_only=True)
    began = time.perf_counter()
    # DuckDB's default limit (80% of the machine's memory) lets this query pass 17 GiB at scale
    # 600; within the 8 GiB target it spills a little and finishes.
    con.execute(f"SET memory_limit = '{SQL_MEMORY_LIMIT}'")
    rows = con.execute(SQL, {"as_of": as_of}).fetchall()
    seconds = time.perf_counter() - began
    con.close()
    return seconds, [tuple(r) for r in rows]


# --- (a) daeval ----------------------------------------------------------------------------------


def daeval_side(workspace: str, as_of: date) -> tuple[float, list[Row], dict]:
    """compute_measures, with the seconds of each query it runs (named by the measures a query
    returns, else by its caller) and of writing the table, recorded on the side."""
    import inspect

    import ibis.expr.types as ir
    import pandas as pd

    from daeval.metrics import measures_table
    from daeval.privacy.disclosure_control import DisclosurePolicy
    from daeval.warehouse import Workspace

    spent: Counter = Counter()
    execute, write, cache = ir.Expr.execute, measures_table.write_measures, ir.Table.cache

    def timed_execute(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        began = time.perf_counter()
        out = execute(self, *args, **kwargs)
        if isinstance(out, pd.DataFrame) and "measure" in out.columns and len(out):
            what = "+".join(sorted(out.measure.unique()))
        else:
            caller = inspect.stack(0)[1]
            what = f"other query ({Path(caller.filename).stem}.{caller.function})"
        spent[what] += time.perf_counter() - began
        return out

    def timed_write(*args, **kwargs):  # type: ignore[no-untyped-def]
        began = time.perf_counter()
        write(*args, **kwargs)
        spent["write_measures"] += time.perf_counter() - began

    def timed_cache(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        began = time.perf_counter()
        out = cache(self, *args, **kwargs)
        spent["tables kept for several measures"] += time.perf_counter() - began
        return out

    ir.Expr.execute = timed_execute  # type: ignore[method-assign]
    ir.Table.cache = timed_cache  # type: ignore[method-assign]
    measures_table.write_measures = timed_write  # type: ignore[assignment]
    policy = DisclosurePolicy(enabled=False)
    began = time.perf_counter()
    run = measures_table.compute_measures(Workspace(Path(workspace)), as_of, policy=policy)
    seconds = time.perf_counter() - began
    rows = [
        (
            r.measure,
            r.group_by,
            r.group,
            r.category,
            r.period_start,
            r.period_end,
            r.numerator,
            r.denominator,
        )
        for r in run.rows
        if r.measure in MEASURES
    ]
    spent["rest (Python around the queries)"] = seconds - sum(spent.values())
    return seconds, rows, dict(spent)


# --- (c) pandas ----------------------------------------------------------------------------------


def pandas_side(warehouse: str, as_of: date) -> tuple[float, list[Row]]:
    import duckdb
    import numpy as np
    import pandas as pd

    began = time.perf_counter()
    con = duckdb.connect(warehouse, read_only=True)

    def table(name: str, *columns: str) -> pd.DataFrame:
        # Pseudonyms (UUIDs) are read as text: pandas would hold UUIDs as Python objects.
        types = dict(
            con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {name})").fetchall()
        )
        select = [f"CAST({c} AS VARCHAR) AS {c}" if types[c] == "UUID" else c for c in columns]
        return con.sql(f"SELECT {', '.join(select)} FROM {name}").df()

    links = table("person_links", "source_a", "person_id_a", "source_b", "person_id_b")
    people = table(
        "people",
        "source",
        "person_id",
        "birth_month",
        "sex",
        "ethnicity",
        "disability",
        "postcode_sector",
    )
    referrals = table("csc_referrals", "child_id", "la_code", "referral_date")
    notifications = table(
        "police_notifications",
        "notification_id",
        "notification_date",
        "incident_type",
        "victim_id",
        "risk_level",
        "post_separation",
    )
    children = table("notification_children", "notification_id", "child_id")
    episodes = table(
        "service_episodes",
        "site_id",
        "person_id",
        "referral_date",
        "eligibility",
        "first_contact_date",
        "offer",
        "start_date",
        "end_date",
        "end_reason",
    )
    con.close()
    day = pd.Timestamp(as_of)
    window = pd.Timedelta(days=WINDOW)
    last_index = day - window

    # Person keys from trusted links: the smallest record id a record is linked to, or its own.
    a = links.source_a + ":" + links.person_id_a
    b = links.source_b + ":" + links.person_id_b
    pairs = pd.concat([pd.DataFrame({"rec": a, "other": b}), pd.DataFrame({"rec": b, "other": a})])
    nearest = pairs.groupby("rec")["other"].min()

    def person_key(source: str, ids: pd.Series) -> pd.Series:
        record = source + ":" + ids
        linked = record.map(nearest)
        smaller = linked.notna() & (linked < record.fillna(""))
        return record.where(~smaller, linked)

    # The subgroups of each person record.
    ethnicity = {code: group for group, codes in ETHNICITY_GROUP.items() for code in codes}
    people["area"] = people.postcode_sector.str.split(" ").str[0]
    people["ethnicity_group"] = people.ethnicity.map(ethnicity)
    people = people[
        ["source", "person_id", "area", "sex", "ethnicity_group", "disability", "birth_month"]
    ]
    bounds = [-np.inf] + [bound for bound, _ in AGE_BANDS] + [np.inf]
    bands = [band for _, band in AGE_BANDS] + ["55+"]

    def described(events: pd.DataFrame, source: str | pd.Series, person: str, on: str):
        events = events.assign(_source=source)
        joined = events.merge(
            people,
            how="left",
            left_on=["_source", person],
            right_on=["source", "person_id"],
            suffixes=("", "_people"),
        )
        months = (joined[on].dt.year - joined.birth_month.dt.year) * 12 + (
            joined[on].dt.month - joined.birth_month.dt.month
        )
        joined["age_band"] = pd.cut(months, bounds, right=False, labels=bands).astype(object)
        return joined

    def counted(events: pd.DataFrame, native: str, counts: list[str]) -> pd.DataFrame:
        parts = [events[counts].sum().to_frame().T.assign(group_by="all", group="all")]
        for by in (native, *SUBGROUPS):
            sums = events.groupby(by)[counts].sum().reset_index()
            parts.append(sums.rename(columns={by: "group"}).assign(group_by=by))
        return pd.concat(parts, ignore_index=True)

    def graded(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.assign(risk_level=frame.risk_level.where(frame.risk_level.isin(RISK_LEVELS)))

    def period(first: pd.Timestamp) -> pd.Timestamp:
        return first + window if first + window <= day else first

    out: list[Row] = []

    def emit(measure, sums, start, end, layout):  # type: ignore[no-untyped-def]
        for category, num, den in layout:
            for rec in sums.to_dict("records"):
                out.append(
                    (
                        measure,
                        rec["group_by"],
                        rec["group"],
                        category,
                        start.date(),
                        end.date(),
                        int(rec[num]),
                        int(rec[den]),
                    )
                )

    rate = [(None, "numerator", "denominator")]

    # re_referral_rate
    referrals["person_id"] = referrals.child_id
    referrals["child_key"] = person_key("csc", referrals.child_id)
    days = referrals[["la_code", "child_key", "referral_date"]].drop_duplicates()
    days = days.sort_values(["la_code", "child_key", "referral_date"])
    days["previous"] = days.groupby(["la_code", "child_key"]).referral_date.shift()
    flagged = referrals.merge(days, on=["la_code", "child_key", "referral_date"])
    start = period(referrals.referral_date.min())
    flagged = flagged[flagged.referral_date.between(start, day)]
    flagged["numerator"] = (flagged.referral_date - flagged.previous <= window).astype(int)
    flagged["denominator"] = 1
    events = described(flagged, "csc", "person_id", "referral_date")
    emit(
        "re_referral_rate",
        counted(events, "la_code", ["numerator", "denominator"]),
        start,
        day,
        rate,
    )

    # repeat_notification_rate, risk_trajectory, post_separation_share
    da = notifications[notifications.incident_type == "domestic_abuse"].copy()
    da["victim_key"] = person_key("police", da.victim_id)
    first = da.notification_date.min()
    victims = da[da.victim_key.notna()]
    days = victims[["victim_key", "notification_date"]].drop_duplicates()
    days = days.sort_values(["victim_key", "notification_date"])
    days["previous"] = days.groupby("victim_key").notification_date.shift()
    flagged = victims.merge(days, on=["victim_key", "notification_date"])
    start = period(first)
    flagged = graded(flagged[flagged.notification_date.between(start, day)])
    flagged["numerator"] = (flagged.notification_date - flagged.previous <= window).astype(int)
    flagged["denominator"] = 1
    events = described(flagged, "police", "victim_id", "notification_date")
    emit(
        "repeat_notification_rate",
        counted(events, "risk_level", ["numerator", "denominator"]),
        start,
        day,
        rate,
    )

    rank = {level: i + 1 for i, level in enumerate(RISK_LEVELS)}
    index = victims[
        victims.risk_level.isin(RISK_LEVELS) & (victims.notification_date <= last_index)
    ]
    index = index.assign(rank=index.risk_level.map(rank))
    later = victims[["victim_key", "notification_date", "risk_level"]].rename(
        columns={"notification_date": "later_date", "risk_level": "later_level"}
    )
    later["later_rank"] = later.later_level.map(rank)
    pairs = index[["notification_id", "victim_key", "notification_date"]].merge(
        later, on="victim_key"
    )
    gap = pairs.later_date - pairs.notification_date
    pairs = pairs[(gap >= pd.Timedelta(days=1)) & (gap <= window)]
    after = pairs.groupby("notification_id").agg(
        repeats=("later_date", "size"), highest=("later_rank", "max")
    )
    index = index.merge(after, how="left", left_on="notification_id", right_index=True)
    index["category"] = np.select(
        [
            index.repeats.isna(),
            index.highest.isna(),
            index.highest > index["rank"],
            index.highest < index["rank"],
        ],
        ["no_repeat", "repeat_same_level", "escalated", "de_escalated"],
        "repeat_same_level",
    )
    for c in CLASSES:
        index[c] = (index.category == c).astype(int)
    index["denominator"] = 1
    events = described(index, "police", "victim_id", "notification_date")
    sums = counted(events, "risk_level", [*CLASSES, "denominator"])
    if len(index):
        emit(
            "risk_trajectory",
            sums[sums.denominator > 0],
            index.notification_date.min(),
            last_index,
            [(c, c, "denominator") for c in CLASSES],
        )

    recorded = da[da.post_separation.isin(["Y", "N"]) & da.notification_date.between(first, day)]
    recorded = graded(recorded).assign(
        numerator=(recorded.post_separation == "Y").astype(int), denominator=1
    )
    events = described(recorded, "police", "victim_id", "notification_date")
    emit(
        "post_separation_share",
        counted(events, "risk_level", ["numerator", "denominator"]),
        first,
        day,
        rate,
    )

    # csc_referral_within_window: the child's next referral after the notification
    kids = graded(da[da.notification_date <= last_index]).merge(
        children, on="notification_id", suffixes=("", "_child")
    )
    kids["child_key"] = person_key("police", kids.child_id)
    later = referrals[["child_key", "referral_date"]].sort_values("referral_date")
    kids = pd.merge_asof(
        kids.sort_values("notification_date"),
        later,
        left_on="notification_date",
        right_on="referral_date",
        by="child_key",
        direction="forward",
        allow_exact_matches=False,
    )
    kids["numerator"] = (kids.referral_date - kids.notification_date <= window).astype(int)
    kids["denominator"] = 1
    events = described(kids, "police", "child_id", "notification_date")
    sums = counted(events, "risk_level", ["numerator", "denominator"])
    if len(kids):
        emit(
            "csc_referral_within_window",
            sums[sums.denominator > 0],
            kids.notification_date.min(),
            last_index,
            rate,
        )

    # service_funnel, dropout_rate
    episodes = episodes[episodes.referral_date <= day].copy()
    reached = pd.Series(True, index=episodes.index)
    conditions = {
        "referred": reached,
        "eligible": episodes.eligibility == "eligible",
        "contacted": episodes.first_contact_date.notna(),
        "accepted": episodes.offer == "accepted",
        "started": episodes.start_date.notna(),
        "completed": episodes.end_reason == "completed",
    }
    for stage in STAGES:
        reached = reached & conditions[stage]
        episodes[stage] = reached.astype(int)
    first = episodes.referral_date.min()
    events = described(episodes, "service:" + episodes.site_id, "person_id", "referral_date")
    emit(
        "service_funnel",
        counted(events, "site_id", list(STAGES)),
        first,
        day,
        [(s, s, STAGES[max(i - 1, 0)]) for i, s in enumerate(STAGES)],
    )
    ended = episodes[episodes.start_date.notna() & episodes.end_date.notna()]
    ended = ended.assign(numerator=ended.end_reason.isin(DROPPED_OUT).astype(int), denominator=1)
    events = described(ended, "service:" + ended.site_id, "person_id", "referral_date")
    emit("dropout_rate", counted(events, "site_id", ["numerator", "denominator"]), first, day, rate)
    return time.perf_counter() - began, out


# --- running the sides ---------------------------------------------------------------------------

MEMORY_LIMIT_GIB = float(os.environ.get("DAEVAL_BENCH_MEMORY_LIMIT_GIB", "18"))

# Runs a side as a child process, stops it if its resident memory passes the limit (so that an
# out-of-memory side fails on its own instead of the machine's OOM killer choosing), and prints
# the child's peak resident memory (KiB) and whether it was stopped.
WATCH = """
import resource, subprocess, sys, time
limit_kib = float(sys.argv[1]) * 2**20
child = subprocess.Popen(sys.argv[2:], stdout=subprocess.DEVNULL)
stopped = False
while child.poll() is None:
    try:
        with open(f"/proc/{child.pid}/status") as status:
            rss = next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))
    except (OSError, StopIteration):
        rss = 0
    if rss > limit_kib:
        child.kill()
        stopped = True
    time.sleep(0.2)
child.wait()
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, stopped, child.returncode)
"""


def _child(side: str, workspace: str, as_of: str, out: str) -> None:
    """Run one side (in its own process) and pickle its seconds, rows and details to ``out``."""
    day = date.fromisoformat(as_of)
    warehouse = str(Path(workspace) / "warehouse.duckdb")
    details: dict = {}
    if side == "daeval":
        seconds, rows, details = daeval_side(workspace, day)
    elif side == "sql":
        seconds, rows = sql_side(warehouse, day)
    else:
        seconds, rows = pandas_side(warehouse, day)
    Path(out).write_bytes(pickle.dumps((seconds, rows, details)))


def _run_side(side: str, workspace: Path, as_of: date) -> dict:
    """seconds of the computation, peak_gib (resident memory) and rows of one side, or
    ``failed`` when it stopped without a result."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "rows.pickle"
        args = [sys.executable, "-m", "benchmarks.measures_bench", side, str(workspace)]
        began = time.perf_counter()
        result = subprocess.run(
            [
                sys.executable,
                "-c",
                WATCH,
                str(MEMORY_LIMIT_GIB),
                *args,
                as_of.isoformat(),
                str(out),
            ],
            check=True,
            capture_output=True,
            text=True,
            cwd=Path(__file__).parent.parent,
        )
        wall = time.perf_counter() - began
        peak_kib, stopped, code = result.stdout.split()
        peak = int(peak_kib) / 2**20
        if stopped == "True" or code != "0":
            why = f"over {MEMORY_LIMIT_GIB:g} GiB" if stopped == "True" else f"exit code {code}"
            return {"failed": f"stopped ({why}) after {wall:.0f} s", "peak_gib": peak}
        seconds, rows, details = pickle.loads(out.read_bytes())
    return {"seconds": seconds, "peak_gib": peak, "rows": rows, "details": details}


def _normal(rows: list[Row]) -> Counter:
    """Rows as comparable tuples (dates as dates, counts as ints, a missing category as None)."""
    out: Counter = Counter()
    for m, by, group, category, start, end, num, den in rows:
        start = start.date() if hasattr(start, "date") and callable(start.date) else start
        end = end.date() if hasattr(end, "date") and callable(end.date) else end
        category = None if category is None or category != category else str(category)
        out[(m, by, str(group), category, start, end, int(num), int(den))] += 1
    return out


def _differences(expected: Counter, got: Counter, limit: int = 8) -> str:
    missing, extra = expected - got, got - expected
    lines = [f"{sum(missing.values())} rows missing, {sum(extra.values())} unexpected"]
    lines += [f"  daeval only: {r}" for r in sorted(missing, key=str)[:limit]]
    lines += [f"  other only:  {r}" for r in sorted(extra, key=str)[:limit]]
    return "\n".join(lines)


def _build(root: Path, scale: float) -> Path:
    """A workspace ingested from the synthetic folder at ``scale`` (reused when already built)."""
    from daeval.ingest.load import ingest_folder
    from daeval.synth import generate
    from daeval.warehouse import Workspace

    ready = root / "ready"
    if ready.exists() and ready.read_text().strip() == f"{scale:g}":
        return root / "ws"
    shutil.rmtree(root, ignore_errors=True)
    generate(root / "raw", scale=scale, seed=SEED)
    ingest_folder(root / "raw", Workspace(root / "ws"), BENCH_KEY)
    shutil.rmtree(root / "raw")
    ready.write_text(f"{scale:g}\n")
    return root / "ws"


def _point(workspace: Path) -> dict:
    from daeval.warehouse import Workspace

    as_of = Workspace(workspace).open().latest_date()
    assert as_of is not None
    figures: dict = {"as_of": as_of.isoformat()}
    sides = {side: _run_side(side, workspace, as_of) for side in SIDES}
    for side, got in sides.items():
        figures[f"{side}_seconds"] = round(got["seconds"], 2) if "seconds" in got else None
        figures[f"{side}_peak_memory_gib"] = round(got["peak_gib"], 2)
        if "failed" in got:
            figures[f"{side}_failed"] = got["failed"]
    daeval = sides["daeval"]
    if "failed" in daeval:
        return figures
    spent = daeval["details"]
    figures["daeval_seconds_by_query"] = {k: round(v, 2) for k, v in sorted(spent.items())}
    # The seven measures' own queries: compute_measures also computes other measures.
    scoped = sum(v for k, v in spent.items() if set(k.split("+")) <= set(MEASURES))
    figures["daeval_seven_measures_query_seconds"] = round(scoped, 2)
    expected = _normal(daeval["rows"])
    figures["rows_compared"] = sum(expected.values())
    for side in SIDES[1:]:
        if "failed" in sides[side]:
            continue
        got = _normal(sides[side]["rows"])
        figures[f"{side}_matches_daeval"] = got == expected
        if got != expected:
            figures[f"{side}_differences"] = _differences(expected, got)
    sql, pandas = figures["sql_seconds"], figures["pandas_seconds"]
    if sql is not None:
        figures["daeval_over_sql"] = round(daeval["seconds"] / sql, 2)
        figures["daeval_seven_measures_over_sql"] = round(scoped / sql, 2)
    if pandas is not None:
        figures["pandas_over_daeval"] = round(pandas / daeval["seconds"], 2)
    return figures


def run() -> dict:
    small = SCALE / 10
    cache = os.environ.get("DAEVAL_BENCH_CACHE")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(cache) if cache else Path(tmp)
        points = {s: _point(_build(folder / f"scale-{s:g}", s)) for s in (small, SCALE)}
    for s, p in points.items():
        for side in SIDES[1:]:
            if not p.get(f"{side}_matches_daeval", True):
                raise AssertionError(f"scale {s:g}, {side} differs: {p[f'{side}_differences']}")
    large = points[SCALE]
    return {
        "name": f"measures table (7 measures) at scale {SCALE:g}: daeval vs hand-written SQL",
        # A side that ran out of memory has no time: NaN keeps the summary line printable.
        "seconds": large["daeval_seconds"] or math.nan,
        "baseline_seconds": large["sql_seconds"] or math.nan,
        **{f"scale_{s:g}": p for s, p in points.items()},
    }


if __name__ == "__main__":
    _child(*sys.argv[1:])
