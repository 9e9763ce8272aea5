"""Computing the measures of a workspace and writing the tidy, disclosure-controlled measures table."""

from __future__ import annotations

import csv
import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from daeval import __version__
from daeval.errors import DaevalError, MissingDataError
from daeval.instruments.settings import settings_from
from daeval.metrics.address_moves import CATEGORIES as MOVE_CATEGORIES
from daeval.metrics.address_moves import MOVES, moves
from daeval.metrics.comparisons import comparison_rows
from daeval.metrics.csc_outcome import OUTCOMES, REACHED, outcomes
from daeval.metrics.csc_referral import FOLLOWED_UP
from daeval.metrics.engines import measure_backend
from daeval.metrics.follow_up import (
    CHILD,
    followed,
    index_events,
    later_referrals,
    window_measures,
)
from daeval.metrics.groupings import PERIODS, Breakdown, person_attributes
from daeval.metrics.person_keys import has_person_keys, with_person_key
from daeval.metrics.post_separation import separations
from daeval.metrics.queries import Pending, Queries, measure_queries
from daeval.metrics.query_plans import PlanStore, plan_key
from daeval.metrics.re_referral import MEASURE as RE_REFERRAL
from daeval.metrics.re_referral import flag_re_referrals, re_referral_rate
from daeval.metrics.re_referral_factor import re_referral_by_factor
from daeval.metrics.recruitment import FUNNEL as RECRUITMENT
from daeval.metrics.recruitment import STAGES as RECRUITMENT_STAGES
from daeval.metrics.recruitment import recruitment_rows
from daeval.metrics.reliable_change import change_finish, change_query
from daeval.metrics.repeat_notification import repeats
from daeval.metrics.risk_trajectory import CLASSES, is_index, trajectories
from daeval.metrics.risk_trajectory import MEASURE as TRAJECTORY
from daeval.metrics.screening import STAGES as SCREENING
from daeval.metrics.screening import screening_funnel
from daeval.metrics.services import STAGES, dropout_rate, service_funnel
from daeval.metrics.time_to_referral import survival_query, survival_rows
from daeval.metrics.victims import VICTIM, domestic_abuse, notified, victim_rows
from daeval.model import MEASURES_COLUMNS
from daeval.model.ddl import MEASURES_MIGRATION
from daeval.model.measure_row import MeasureRow
from daeval.privacy.disclosure_control import DisclosurePolicy, suppress_small_counts
from daeval.privacy.formula_text import neutralised
from daeval.study.comparison import Comparison, comparison_from
from daeval.study.document import read_document
from daeval.study.equality import subgroups_from
from daeval.study.screening import Screening, read_screening
from daeval.warehouse import Warehouse, Workspace
from daeval.warehouse.store import scalar

MEASURES_CSV = "measures.csv"
MEASURES_ARROW = pa.schema(
    [
        *((c, pa.string()) for c in ("measure", "group_by", "group", "category")),
        ("period_start", pa.date32()),
        ("period_end", pa.date32()),
        ("numerator", pa.int64()),
        ("denominator", pa.int64()),
        ("value", pa.float64()),
        ("suppressed", pa.bool_()),
        ("ci_lower", pa.float64()),
        ("ci_upper", pa.float64()),
    ]
)
"""The measures table's rows as Arrow columns, in the order of MeasureRow."""
MEASURES_META = "measures.json"
PLANS_FOLDER = "measure-plans"
"""The workspace's folder of compiled measures SQL (see :mod:`daeval.metrics.query_plans`)."""
MEASURE_FIELDS = tuple(f.name for f in fields(MeasureRow))


@dataclass(frozen=True)
class MeasuresRun:
    """What was computed, over which dates, and how it was protected."""

    as_of: date
    window_days: int
    period_start: date
    period_end: date
    disclosure_control: str
    look_back_complete: bool
    period: str | None
    subgroups: tuple[str, ...]
    comparison: Comparison | None
    rows: tuple[MeasureRow, ...]
    csv_path: Path


def default_period(first_referral: date, as_of: date, window_days: int) -> tuple[date, date]:
    """Referrals counted by default: from the first day with a full look-back window, to as_of.

    A referral in the first ``window_days`` of the data cannot be known to be a re-referral,
    because its look-back window starts before the data; when the data are shorter than that,
    the period starts at the first referral instead.
    """
    start = first_referral + timedelta(days=window_days)
    return (start if start <= as_of else first_referral), as_of


def _rows_from_frame(frame: pd.DataFrame) -> list[MeasureRow]:
    def column(name: str) -> list[Any]:
        return frame[name].tolist() if name in frame.columns else [None] * len(frame)

    # Column by column (a frame's records one by one took a tenth of a second for 2,000 rows).
    columns = [column(name) for name in ROW_COLUMNS]
    return [
        MeasureRow(
            measure=measure,
            group_by=group_by,
            group=str(group),
            category=None if pd.isna(category) else category,
            period_start=pd.Timestamp(start).date(),
            period_end=pd.Timestamp(end).date(),
            numerator=int(numerator),
            denominator=None if pd.isna(denominator) else int(denominator),
            value=None if pd.isna(value) else float(value),
            ci_lower=_number(low),
            ci_upper=_number(high),
        )
        for measure, group_by, group, category, start, end, numerator, denominator, value, low, high in zip(
            *columns, strict=True
        )
    ]


ROW_COLUMNS = (
    "measure", "group_by", "group", "category", "period_start", "period_end",
    "numerator", "denominator", "value", "ci_lower", "ci_upper",
)  # fmt: skip
"""The columns of the measures' frames that make a MeasureRow (the intervals may be missing)."""


def _number(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)  # type: ignore[call-overload, arg-type]


COMPARISON_GROUPS = ("difference", "difference_in_differences")


def _ordered(rows: list[MeasureRow]) -> list[MeasureRow]:
    """'all' first, then groups in a stable order (differences after the arms), each whole period
    before its calendar periods, so that outputs are the same byte for byte."""

    def key(r: MeasureRow) -> tuple:
        return (
            r.measure,
            r.group_by != "all",
            r.group_by,
            r.group in COMPARISON_GROUPS,
            r.group,
            _category_rank(r),
            r.period_start or date.min,
            -(r.period_end or date.min).toordinal(),
        )

    return sorted(rows, key=key)


CATEGORY_ORDER = {
    "service_funnel": STAGES,
    "risk_trajectory": CLASSES,
    "csc_outcome_within_window": OUTCOMES,
    "screening_funnel": SCREENING,
    "address_moves": MOVE_CATEGORIES,
    RECRUITMENT: RECRUITMENT_STAGES,
}
"""Categories that have an order of their own (funnel stages, trajectory classes, ...)."""


def _category_rank(row: MeasureRow) -> tuple[int, str]:
    """Categories in their measure's order; days of a survival curve by number; others
    alphabetically."""
    order = CATEGORY_ORDER.get(row.measure, ())
    category = row.category or ""
    if category in order:
        return (order.index(category), "")
    return (len(order), category.zfill(8) if category.isdigit() else category)


def compute_measures(
    workspace: Workspace,
    as_of: date | None = None,
    window_days: int = 365,
    policy: DisclosurePolicy = DisclosurePolicy(),
    period: str | None = None,
    engine: str = "duckdb",
) -> MeasuresRun:
    """Compute every available measure of the workspace and write ``outputs/measures.csv``.

    Each measure is broken down by its own groups, by the equality plan's subgroups and area,
    by comparison arm when ``study.yaml`` declares a comparison, and, with ``period`` (month,
    quarter or year), by calendar period as well as over the whole period."""
    if window_days < 1:
        raise DaevalError(f"--window-days must be at least 1 (got {window_days})")
    if period is not None and period not in PERIODS:
        raise DaevalError(f"--period must be one of {', '.join(PERIODS)} (got {period!r})")
    document = read_document(workspace.study_file)
    subgroups = subgroups_from(document, workspace.study_file)
    comparison = comparison_from(document, workspace.study_file)
    warehouse = workspace.open()
    # One read-only connection held for the whole computation: DuckDB then opens the file
    # once, and every other connection of this process to it shares that opening.
    with warehouse.connect(read_only=True):
        loaded = set(warehouse.loaded_tables())
        if "csc_referrals" not in loaded:
            raise MissingDataError(
                "re_referral_rate needs csc_referrals, which has not been loaded into "
                f"{workspace.root}; add csc_referrals.csv to the data folder and run daeval ingest"
            )
        as_of = as_of or warehouse.latest_date()
        assert as_of is not None
        used, schemas = _tables_used(warehouse, loaded)
        settings = None
        if "measure_responses" in loaded:
            settings = settings_from(
                document.get("instruments"), f"{workspace.study_file.name} instruments"
            )
        screening = read_screening(workspace.study_file) if "service_episodes" in loaded else None
        finishers: dict[str, Callable[[pd.DataFrame], Any]] = {
            "counted": lambda f: f[f.denominator > 0],
            "survival": lambda f: survival_rows(f, as_of, window_days),
        }
        if settings is not None:
            finishers["change"] = lambda f: change_finish(f, settings, as_of)
        # The SQL depends on these, and on the code (see daeval.metrics.query_plans).
        plans = PlanStore(workspace.root / PLANS_FOLDER) if engine == "duckdb" else None
        study = workspace.study_file.read_bytes() if workspace.study_file.is_file() else b""
        settled = {
            "as_of": as_of,
            "window_days": window_days,
            "period": period,
            "study": hashlib.sha256(study).hexdigest(),
            "loaded": sorted(loaded),
            "tables": schemas,
        }
        with (
            measure_backend(engine, warehouse.path, used) as con,
            measure_queries(con, finishers) as queries,
        ):
            settled["person_keys"] = _linked(con, warehouse, used)

            def dates() -> list[Pending]:
                referrals = con.table("csc_referrals")
                asked = [queries.pending(referrals.referral_date.min())]
                if "police_notifications" in loaded:
                    asked.append(_notification_dates(con, queries, as_of, window_days))
                return asked

            firsts = [p.result() for p in queries.planned(plans, plan_key(**settled), dates)]
            first = firsts[0]
            if first is None or pd.isna(first):
                raise MissingDataError("csc_referrals is loaded but holds no referrals")
            if as_of < pd.Timestamp(first).date():
                raise DaevalError(
                    f"--as-of {as_of.isoformat()} is before the first referral "
                    f"({pd.Timestamp(first).date().isoformat()})"
                )
            start, end = default_period(pd.Timestamp(first).date(), as_of, window_days)
            notified = tuple(_day(v) for v in firsts[1].iloc[0]) if len(firsts) > 1 else None

            def measures() -> list[Pending]:
                people = person_attributes(con.table("people")) if "people" in loaded else None
                breakdown = Breakdown(
                    # Each measure's query looks up only its subjects' source in people.
                    attributes=people,
                    subgroups=subgroups,
                    period=period,
                    comparison=comparison,
                )
                pending = []
                # The same child is the same person after linkage, even under two CSC ids.
                # Referrals are flagged as re-referrals once, for both measures of re-referral.
                referrals = con.table("csc_referrals")
                keyed = with_person_key(con, referrals, "child_id", "csc", "child_key")
                keyed = keyed.rename(person_id="child_id").rename(child_id="child_key")
                keyed = queries.keep(flag_re_referrals(keyed, window_days))
                referrals = keyed.rename(child_key="child_id")
                rate = re_referral_rate(keyed, start, end, window_days, breakdown)
                pending.append(queries.frame(rate))
                if "assessments" in loaded:
                    assessments = con.table("assessments")
                    factor = re_referral_by_factor(keyed, assessments, start, end, window_days)
                    pending.append(queries.frame(factor))
                if notified is not None:
                    pending += _notification_measures(
                        con, queries, as_of, window_days, breakdown, *notified
                    )
                if {"police_notifications", "notification_children"} <= loaded:
                    pending += _within_window(
                        con, queries, referrals, as_of, window_days, loaded, breakdown
                    )
                if "service_episodes" in loaded:
                    episodes = con.table("service_episodes")
                    pending.append(queries.frame(service_funnel(episodes, as_of, breakdown)))
                    pending.append(queries.frame(dropout_rate(episodes, as_of, breakdown)))
                    responses = (
                        con.table("measure_responses") if "measure_responses" in loaded else None
                    )
                    pending.append(queries.frame(recruitment_rows(episodes, responses, as_of)))
                    if screening is not None:
                        pending.append(_screening(con, queries, keyed, screening, as_of))
                if settings is not None:
                    responses = con.table("measure_responses")
                    query = change_query(responses, settings, as_of, breakdown)
                    pending.append(queries.frame(query, "change"))
                return pending

            key = plan_key(**settled, first=first, notified=notified)
            frames = [p.result() for p in queries.planned(plans, key, measures)]
            frame = pd.concat([f for f in frames if len(f)], ignore_index=True)
    rows = suppress_small_counts(_ordered(_rows_from_frame(frame)), policy)
    rows = _ordered(rows + comparison_rows(rows))
    run = MeasuresRun(
        as_of=as_of,
        window_days=window_days,
        period_start=start,
        period_end=end,
        disclosure_control=policy.describe(),
        look_back_complete=start >= pd.Timestamp(first).date() + timedelta(days=window_days),
        period=period,
        subgroups=subgroups,
        comparison=comparison,
        rows=tuple(rows),
        csv_path=workspace.outputs / MEASURES_CSV,
    )
    write_measures(run, workspace)
    return run


NOTIFICATION_COLUMNS = (
    "notification_id",
    "notification_date",
    "incident_type",
    "victim_id",
    "victim_key",
    "risk_level",
    "post_separation",
)
"""The columns of police notifications that the victims' measures read."""


def _notification_dates(
    con: ibis.BaseBackend, queries: Queries, as_of: date, window_days: int
) -> Pending:
    """The dates the victims' measures start from: the first domestic abuse notification, and the
    first that can be an index event (a frame of one row: first, first_index)."""
    da = domestic_abuse(con.table("police_notifications"))
    last_index = as_of - timedelta(days=window_days)
    index = is_index(da, last_index, victim="victim_id")  # victim_key is missing just as victim_id
    return queries.frame(
        da.aggregate(
            first=da.notification_date.min(), first_index=da.notification_date.min(where=index)
        )
    )


def _notification_measures(
    con: ibis.BaseBackend,
    queries: Queries,
    as_of: date,
    window_days: int,
    breakdown: Breakdown,
    first: date | None,
    first_index: date | None,
) -> list[Pending]:
    """repeat_notification_rate, risk_trajectory and post_separation_share (victims by person
    key), from the domestic abuse notifications, computed once for the three; ``first`` and
    ``first_index`` as :func:`_notification_dates` gives them."""
    if first is None or first > as_of:
        return []
    da = domestic_abuse(con.table("police_notifications"))
    keyed = with_person_key(con, da, "victim_id", "police", "victim_key")
    events = notified(keyed.select(*NOTIFICATION_COLUMNS), window_days)
    # Each victim's subgroups are looked up once for the three.
    events, described = breakdown.describe(events, VICTIM, "notification_date")
    start, end = default_period(first, as_of, window_days)
    shared = [
        repeats(start, end),
        trajectories(as_of, window_days, first_index),
        separations(first, as_of),
    ]
    rows = victim_rows(events, shared, described)
    # No risk_trajectory row without index events.
    keep = (rows.measure != TRAJECTORY) | (rows.denominator > 0)
    return [queries.frame(rows.filter(keep))]


def _within_window(
    con: ibis.BaseBackend,
    queries: Queries,
    referrals: ir.Table,
    as_of: date,
    window_days: int,
    loaded: set[str],
    breakdown: Breakdown,
) -> list[Pending]:
    """csc_referral_within_window, the survival measures, address_moves and, with assessments
    and plans loaded, csc_outcome_within_window: children matched across police and CSC by person
    key, from index events followed once for all. ``referrals`` carry the CSC person key as
    child_key."""
    children = with_person_key(
        con, con.table("notification_children"), "child_id", "police", "child_key"
    )
    events = index_events(con.table("police_notifications"), children)
    measures, kinds = [FOLLOWED_UP], []
    if {"assessments", "plans"} <= loaded:
        plans = with_person_key(con, con.table("plans"), "child_id", "csc", "child_key")
        later = outcomes(referrals, con.table("assessments"), plans)
        measures.append(REACHED)
        kinds = list(OUTCOMES)
    else:
        later = later_referrals(referrals)
    if "addresses" in loaded:
        addresses = con.table("addresses")
        homes = with_person_key(con, addresses, "person_id", addresses.source, "child_key")
        later = later.union(moves(homes))
        measures.append(MOVES)
    # Each child's subgroups are looked up once for every measure.
    events, breakdown = breakdown.describe(events, CHILD, "notification_date")
    # Kept without the ids the measures no longer need, which are costly to copy.
    events = queries.keep(events.drop("notification_id", "child_id"))
    flagged = queries.keep(followed(events, later, as_of, window_days, kinds).drop("child_key"))
    queries.release(events)
    counted = window_measures(flagged, as_of, window_days, measures, breakdown)
    survival = survival_query(flagged, as_of, window_days, breakdown)
    pending = [
        queries.frame(counted, "counted"),
        queries.frame(survival, "survival"),
    ]
    queries.release(flagged)
    return pending


def _day(value: Any) -> date | None:
    """A date from a query's result (missing when there is none)."""
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def _linked(con: ibis.BaseBackend, warehouse: Warehouse, used: list[str]) -> bool:
    """Whether linkage has given person keys, as :func:`has_person_keys` finds, without
    compiling a query on DuckDB (the first query Ibis compiles in a process costs a second)."""
    if con.name != "duckdb":
        return has_person_keys(con)
    if "person_keys" not in used:
        return False
    with warehouse.connect(read_only=True) as raw:
        return bool(scalar(raw, "SELECT count(*) > 0 FROM person_keys"))


def _tables_used(warehouse: Warehouse, loaded: set[str]) -> tuple[list[str], list[list[str]]]:
    """The ``loaded`` tables, with the trusted links and person keys the measures look people up
    in; and the columns of those tables (table, column, type, nullable), which the SQL depends
    on."""
    with warehouse.connect(read_only=True) as raw:
        present = {r[0] for r in raw.sql("SELECT table_name FROM duckdb_tables()").fetchall()}
        used = sorted(loaded | ({"person_links", "person_keys"} & present))
        columns = raw.execute(
            "SELECT table_name, column_name, data_type, CAST(is_nullable AS VARCHAR) "
            "FROM duckdb_columns() WHERE table_name IN (SELECT unnest(?)) "
            "ORDER BY table_name, column_index",
            [used],
        ).fetchall()
    return used, [list(map(str, c)) for c in columns]


def _screening(
    con: ibis.BaseBackend, queries: Queries, referrals: ir.Table, screening: Screening, as_of: date
) -> Pending:
    """screening_funnel: the study's cohort of CSC referrals, followed into service episodes.
    ``referrals`` carry the CSC person key as child_id."""
    episodes = con.table("service_episodes")
    source = ibis.literal("service:").concat(episodes.site_id)
    episodes = with_person_key(con, episodes, "person_id", source, "child_key")
    cohort = referrals.mutate(child_key=referrals.child_id)
    return queries.frame(screening_funnel(cohort, episodes, screening, as_of))


def _quoted(column: str) -> str:
    return f'"{column}"'


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6f}".rstrip("0").rstrip(".") if value != 0 else "0"
    if isinstance(value, str):
        return neutralised(value)  # a site id or reason could be a spreadsheet formula
    return str(value)


def _values(row: MeasureRow) -> tuple[object, ...]:
    """A row's fields in order (as dataclasses.astuple, without its deep copies: the fields are
    plain values)."""
    return tuple(getattr(row, name) for name in MEASURE_FIELDS)


def write_measures(run: MeasuresRun, workspace: Workspace) -> None:
    """Write the measures CSV, its metadata, and the same rows into the warehouse."""
    workspace.outputs.mkdir(parents=True, exist_ok=True)
    values = [_values(row) for row in run.rows]
    with run.csv_path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(MEASURES_COLUMNS)
        writer.writerows([_cell(v) for v in row] for row in values)
    meta = {
        "daeval_version": __version__,
        "as_of": run.as_of.isoformat(),
        "window_days": run.window_days,
        "period_start": run.period_start.isoformat(),
        "period_end": run.period_end.isoformat(),
        "disclosure_control": run.disclosure_control,
        "look_back_complete": run.look_back_complete,
        "period": run.period,
        "subgroups": list(run.subgroups),
        "comparison": None
        if run.comparison is None
        else {
            "by": run.comparison.by,
            "intervention": list(run.comparison.intervention),
            "comparator": list(run.comparison.comparator),
            "service_start": None
            if run.comparison.service_start is None
            else run.comparison.service_start.isoformat(),
        },
        "measures": sorted({r.measure for r in run.rows}),
    }
    (workspace.outputs / MEASURES_META).write_text(json.dumps(meta, indent=2) + "\n")
    measures = sorted({r.measure for r in run.rows}) or [RE_REFERRAL]
    with workspace.open().connect() as con:
        for statement in MEASURES_MIGRATION:
            con.execute(statement)
        con.execute("BEGIN TRANSACTION")
        con.execute(
            f"DELETE FROM measures WHERE measure IN ({', '.join('?' for _ in measures)})", measures
        )
        # One insert of the whole table (row by row, 2,000 rows took about two seconds).
        columns = ", ".join(_quoted(c) for c in MEASURES_COLUMNS)
        new_rows = pa.Table.from_arrays(
            [pa.array([v[i] for v in values], f.type) for i, f in enumerate(MEASURES_ARROW)],
            schema=MEASURES_ARROW,
        )
        con.register("new_measures", new_rows)
        con.execute(f"INSERT INTO measures ({columns}) SELECT {columns} FROM new_measures")
        con.unregister("new_measures")
        con.execute("COMMIT")
