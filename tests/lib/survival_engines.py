"""Running km_csc_referral and time_to_first_referral on each engine of the spec tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import ibis
import ibis.expr.types as ir
import pandas as pd
from ibis.expr.schema import Schema

from daeval.metrics.time_to_referral import km_csc_referral, time_to_first_referral
from tests.lib import reference_survival

EVENTS = ibis.schema(
    {"notification_id": "string", "child_key": "string", "notification_date": "date",
     "risk_level": "string"}
)  # fmt: skip
REFERRALS = ibis.schema({"child_key": "string", "referral_date": "date"})

Rows = reference_survival.Rows
Runner = Callable[..., Rows]


def tables(
    con: ibis.BaseBackend, events: list[dict], referrals: list[dict]
) -> tuple[ir.Table, ir.Table]:
    """``events`` and ``referrals`` as tables of ``con`` (typed even when empty or all blank)."""

    def table(name: str, rows: list[dict], schema: Schema) -> ir.Table:
        frame = ibis.memtable(pd.DataFrame(rows, columns=list(schema.names)), schema=schema)
        if type(con).__name__ == "_SparkViews":  # Spark: a temporary view, as conftest makes
            return con.con.create_view(name, frame, overwrite=True)  # type: ignore[attr-defined]
        return con.create_table(name, frame)

    return table("events", events, EVENTS), table("referrals", referrals, REFERRALS)


def frame_on(backend: str, measure: str, events: list[dict], referrals: list[dict], *args):
    """The measure's frame, computed by Ibis on a fresh ``backend`` connection."""
    build = {"km_csc_referral": km_csc_referral, "time_to_first_referral": time_to_first_referral}
    from tests.spec.conftest import _connected

    with _connected(backend) as con:
        return build[measure](*tables(con, events, referrals), *args)


def as_rows(frame: pd.DataFrame) -> Rows:
    """{(group_by, group, category): (numerator, denominator, value or None)}."""
    return {
        (r["group_by"], r["group"], r["category"]): (
            int(r["numerator"]), int(r["denominator"]),
            None if pd.isna(r["value"]) else float(r["value"]),
        )
        for r in frame.to_dict("records")
    }  # fmt: skip


def runner(engine: str, measure: str) -> Runner:
    """rows(events, referrals, as_of, window_days=365) of ``measure`` on ``engine``."""
    reference = {
        "km_csc_referral": reference_survival.km_rows,
        "time_to_first_referral": reference_survival.median_rows,
    }[measure]

    def run(events: list[dict], referrals: list[dict], as_of: date, window_days: int = 365):
        if engine == "reference":
            return reference(events, referrals, as_of, window_days)
        frame = frame_on(engine, measure, events, referrals, as_of, window_days)
        assert set(frame.measure) <= {measure}
        return as_rows(frame)

    return run
