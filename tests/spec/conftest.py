"""Each spec runs on every engine: Ibis on DuckDB, Ibis on SQLite, Ibis on Spark (local mode), and
the plain-Python reference."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date

import ibis
import pandas as pd
import pytest
from tests.lib import reference_engine, spark
from tests.lib.tables import records

from daeval.metrics.csc_outcome import csc_outcome_within_window, outcomes
from daeval.metrics.csc_referral import csc_referral_within_window
from daeval.metrics.post_separation import post_separation_share
from daeval.metrics.re_referral import re_referral_rate
from daeval.metrics.re_referral_factor import re_referral_by_factor
from daeval.metrics.repeat_notification import repeat_notification_rate
from daeval.metrics.risk_trajectory import risk_trajectory
from daeval.metrics.services import dropout_rate, service_funnel

ENGINES = ["duckdb", "sqlite", "reference"]
SPEC_ENGINES = [*ENGINES, pytest.param("pyspark", marks=spark.ON_SPARK)]
"""The engines of the fixtures below: ENGINES, and Spark in one xdist group (one worker holds the
session). Fixtures elsewhere that use ENGINES do not run on Spark until they connect through
:func:`_connected`."""

ReReferral = Callable[..., dict[tuple[str, str], tuple[int, int]]]


def _as_referrals(text: str) -> list[dict]:
    rows = records(text)
    for r in rows:
        r["referral_date"] = date.fromisoformat(r["referral_date"])
    return rows


class _SparkViews:
    """Ibis on the shared Spark session, where ``create_table`` makes a temporary view: no files
    in a warehouse folder, and nothing that outlives the session."""

    def __init__(self, con: ibis.BaseBackend):
        self.con = con

    def create_table(self, name: str, obj: object):
        return self.con.create_view(name, ibis.memtable(obj), overwrite=True)  # type: ignore[attr-defined]


@contextmanager
def _connected(backend: str) -> Iterator:
    """A fresh connection to ``backend``; for ``pyspark``, to the test run's Spark session (left
    running: Ibis's disconnect would stop it)."""
    if backend == "pyspark":
        yield _SparkViews(ibis.pyspark.connect(spark.session()))
        return
    con = getattr(ibis, backend).connect()
    try:
        yield con
    finally:
        con.disconnect()


def _engine(request) -> str:
    """The fixture's engine, starting the Spark session (or skipping) when it is ``pyspark``."""
    if request.param == "pyspark":
        request.getfixturevalue("spark_session")
    return request.param


def _on_ibis(backend: str, measure: str, build: Callable[..., object]) -> Callable[..., dict]:
    """Run ``build(con, *args)`` (an Ibis expression of ``measure``) on a fresh ``backend``."""

    def run(*args, **kwargs):
        with _connected(backend) as con:
            result = build(con, *args, **kwargs).execute()  # type: ignore[attr-defined]
        assert set(result.measure) == {measure}
        return {
            (r.group_by, str(r.group)): (int(r.numerator), int(r.denominator))
            for r in result.itertuples()
        }

    return run


def _re_referral_on(con, text: str, period_start: date, period_end: date, window_days: int = 365):
    table = con.create_table("csc_referrals", pd.DataFrame(_as_referrals(text)))
    return re_referral_rate(table, period_start, period_end, window_days)


def _reference(text: str, period_start: date, period_end: date, window_days: int = 365):
    return reference_engine.re_referral_counts(
        _as_referrals(text), period_start, period_end, window_days
    )


@pytest.fixture(params=SPEC_ENGINES)
def re_referrals(request) -> ReReferral:
    """re_referrals(table_text, period_start, period_end, window_days) on one engine."""
    if _engine(request) == "reference":
        return _reference
    return _on_ibis(request.param, "re_referral_rate", _re_referral_on)


def _dated(text: str, column: str) -> list[dict]:
    rows = records(text)
    for r in rows:
        r[column] = date.fromisoformat(r[column])
    return rows


def _within_on(con, events: str, referrals: str, as_of: date, window_days: int = 365):
    index = con.create_table("events", pd.DataFrame(_dated(events, "notification_date")))
    refs = con.create_table("referrals", pd.DataFrame(_dated(referrals, "referral_date")))
    return csc_referral_within_window(index, refs, as_of, window_days)


def _reference_within(events: str, referrals: str, as_of: date, window_days: int = 365):
    return reference_engine.csc_referral_within_window_counts(
        _dated(events, "notification_date"), _dated(referrals, "referral_date"), as_of, window_days
    )


@pytest.fixture(params=SPEC_ENGINES)
def referrals_within(request):
    """referrals_within(events_text, referrals_text, as_of, window_days) on one engine."""
    if _engine(request) == "reference":
        return _reference_within
    return _on_ibis(request.param, "csc_referral_within_window", _within_on)


def _repeat_on(con, text: str, period_start: date, period_end: date, window_days: int = 365):
    table = con.create_table("notifications", pd.DataFrame(_dated(text, "notification_date")))
    return repeat_notification_rate(table, period_start, period_end, window_days)


def _reference_repeat(text: str, period_start: date, period_end: date, window_days: int = 365):
    return reference_engine.repeat_notification_counts(
        _dated(text, "notification_date"), period_start, period_end, window_days
    )


@pytest.fixture(params=SPEC_ENGINES)
def repeats(request):
    """repeats(notifications_text, period_start, period_end, window_days) on one engine."""
    if _engine(request) == "reference":
        return _reference_repeat
    return _on_ibis(request.param, "repeat_notification_rate", _repeat_on)


def _episodes(text: str) -> list[dict]:
    rows = records(text)
    for r in rows:
        for column in ("referral_date", "first_contact_date", "start_date", "end_date"):
            r[column] = date.fromisoformat(r[column]) if r.get(column) else None
    return rows


def _episodes_table(con, text: str):
    return con.create_table("service_episodes", pd.DataFrame(_episodes(text)))


def _funnel_on(con, text: str, as_of: date):
    return service_funnel(_episodes_table(con, text), as_of)


def _by_category(backend: str, measure: str, build: Callable[..., object]):
    def run(*args):
        with _connected(backend) as con:
            result = build(con, *args).execute()  # type: ignore[attr-defined]
        assert set(result.measure) == {measure}
        return {
            (r.group_by, str(r.group), r.category): (int(r.numerator), int(r.denominator))
            for r in result.itertuples()
        }

    return run


@pytest.fixture(params=SPEC_ENGINES)
def funnel(request):
    """funnel(episodes_text, as_of) on one engine: {(group_by, group, stage): (n, previous)}."""
    if _engine(request) == "reference":
        return lambda text, as_of: reference_engine.service_funnel_counts(_episodes(text), as_of)
    return _by_category(request.param, "service_funnel", _funnel_on)


def _dropout_on(con, text: str, as_of: date):
    return dropout_rate(_episodes_table(con, text), as_of)


@pytest.fixture(params=SPEC_ENGINES)
def dropouts(request):
    """dropouts(episodes_text, as_of) on one engine: {(group_by, group): (dropped, ended)}."""
    if _engine(request) == "reference":
        return lambda text, as_of: reference_engine.dropout_counts(_episodes(text), as_of)
    return _on_ibis(request.param, "dropout_rate", _dropout_on)


def _trajectory_on(con, text: str, as_of: date, window_days: int = 365):
    table = con.create_table("notifications", pd.DataFrame(_dated(text, "notification_date")))
    return risk_trajectory(table, as_of, window_days)


@pytest.fixture(params=SPEC_ENGINES)
def trajectories(request):
    """trajectories(notifications_text, as_of) on one engine: {(group_by, group, class): (n, d)}."""
    if _engine(request) == "reference":
        return lambda text, as_of: reference_engine.risk_trajectory_counts(
            _dated(text, "notification_date"), as_of
        )
    return _by_category(request.param, "risk_trajectory", _trajectory_on)


def _separation_on(con, text: str, period_start: date, period_end: date):
    table = con.create_table("notifications", pd.DataFrame(_dated(text, "notification_date")))
    return post_separation_share(table, period_start, period_end)


@pytest.fixture(params=SPEC_ENGINES)
def separations(request):
    """separations(notifications_text, period_start, period_end) on one engine."""
    if _engine(request) == "reference":
        return lambda text, start, end: reference_engine.post_separation_counts(
            _dated(text, "notification_date"), start, end
        )
    return _on_ibis(request.param, "post_separation_share", _separation_on)


def _outcome_on(con, events: str, referrals: str, assessments: str, plans: str, as_of: date):
    index = con.create_table("events", pd.DataFrame(_dated(events, "notification_date")))
    refs = con.create_table("referrals", pd.DataFrame(_dated(referrals, "referral_date")))
    done = con.create_table("assessments", pd.DataFrame(_dated(assessments, "start_date")))
    plan = con.create_table("plans", pd.DataFrame(_dated(plans, "start_date")))
    return csc_outcome_within_window(index, outcomes(refs, done, plan), as_of)


def reference_outcomes(referrals: str, assessments: str, plans: str) -> list[dict]:
    """What can follow an index event, for the reference engine: the referrals, assessments and
    plans as outcomes (child_key, outcome_date, category)."""
    refs = _dated(referrals, "referral_date")
    child_of = {r["referral_id"]: r["child_key"] for r in refs}
    found = [
        {"child_key": r["child_key"], "outcome_date": r["referral_date"], "category": "referral"}
        for r in refs
    ]
    found += [
        {"child_key": child_of[a["referral_id"]], "outcome_date": a["start_date"],
         "category": "assessment"}
        for a in _dated(assessments, "start_date")
    ]  # fmt: skip
    kinds = {"CIN": "cin_plan", "CP": "cp_plan", "CLA": "cla"}
    found += [
        {"child_key": p["child_key"], "outcome_date": p["start_date"],
         "category": kinds[p["plan_type"]]}
        for p in _dated(plans, "start_date")
    ]  # fmt: skip
    return found


def _reference_outcome(events: str, referrals: str, assessments: str, plans: str, as_of: date):
    found = reference_outcomes(referrals, assessments, plans)
    return reference_engine.csc_outcome_counts(_dated(events, "notification_date"), found, as_of)


@pytest.fixture(params=SPEC_ENGINES)
def outcomes_within(request):
    """outcomes_within(events, referrals, assessments, plans, as_of) on one engine."""
    if _engine(request) == "reference":
        return _reference_outcome
    return _by_category(request.param, "csc_outcome_within_window", _outcome_on)


def _factor_on(con, referrals: str, assessments: str, start: date, end: date):
    refs = con.create_table("csc_referrals", pd.DataFrame(_as_referrals(referrals)))
    done = con.create_table("assessments", pd.DataFrame(records(assessments)))
    return re_referral_by_factor(refs, done, start, end)


@pytest.fixture(params=SPEC_ENGINES)
def by_factor(request):
    """by_factor(referrals_text, assessments_text, start, end) on one engine."""
    if _engine(request) == "reference":
        return lambda refs, done, start, end: reference_engine.re_referral_by_factor_counts(
            _as_referrals(refs), records(done), start, end
        )
    return _on_ibis(request.param, "re_referral_by_factor", _factor_on)


ANSWER_SCHEMA = {
    "source": "string",
    "person_id": "string",
    "instrument": "string",
    "timepoint": "string",
    "administered_date": "date",
    "respondent": "string",
    "item": "string",
    "value": "float64",
}


def answers_frame(rows: list[dict]) -> pd.DataFrame:
    """measure_responses rows (source, person_id, instrument, timepoint, respondent, item, value;
    administered_date optional) as a frame with the columns scoring reads."""
    frame = pd.DataFrame(
        [{"administered_date": date(2024, 1, 1), **r} for r in rows],
        columns=list(ANSWER_SCHEMA),
    )
    return frame.astype({"value": "float64"})


def answers_table(rows: list[dict]):
    """The same rows as an Arrow table with the column types set (a column may be all empty)."""
    import pyarrow as pa

    schema = ibis.schema(ANSWER_SCHEMA).to_pyarrow()
    return pa.Table.from_pandas(answers_frame(rows), schema=schema, preserve_index=False)


def _scores_on(backend: str, library):
    from daeval.instruments.scoring import score_administrations

    def run(rows: list[dict]) -> dict:
        with _connected(backend) as con:
            table = con.create_table("answers", answers_table(rows))
            result = score_administrations(table, library).execute()
        out = {}
        for rec in result.to_dict("records"):
            key = tuple(rec[c] for c in ("source", "person_id", "instrument", "timepoint"))
            respondent = rec["respondent"]
            key += (None if respondent is None or pd.isna(respondent) else respondent,)
            out[key] = {k: _plain(v) for k, v in rec.items() if k not in ANSWER_SCHEMA}
        return out

    return run


def _plain(value):
    """NaN and NA as None, numpy scalars as Python ones, so results compare with ``==``."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


@pytest.fixture(params=SPEC_ENGINES)
def scores(request):
    """scores(rows, library=None) on one engine: {(source, person_id, instrument, timepoint,
    respondent): {score, valid, n_missing, prorated, band, above_cutoff, score_<subscale>, ...}}."""
    from tests.lib import reference_scoring

    from daeval.instruments.library import builtin_library

    engine = _engine(request)

    def run(rows: list[dict], library=None):
        library = library or builtin_library()
        if engine == "reference":
            return reference_scoring.score(answers_frame(rows).to_dict("records"), library)
        return _scores_on(engine, library)(rows)

    return run
