"""Each spec runs on every engine: Ibis on DuckDB, Ibis on SQLite, and the plain-Python reference."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import ibis
import pandas as pd
import pytest
from tests.lib import reference_engine
from tests.lib.tables import records

from daeval.metrics.re_referral import re_referral_rate

ENGINES = ["duckdb", "sqlite", "reference"]

ReReferral = Callable[..., dict[tuple[str, str], tuple[int, int]]]


def _as_referrals(text: str) -> list[dict]:
    rows = records(text)
    for r in rows:
        r["referral_date"] = date.fromisoformat(r["referral_date"])
    return rows


def _ibis_engine(backend: str) -> ReReferral:
    def run(text: str, period_start: date, period_end: date, window_days: int = 365):
        frame = pd.DataFrame(_as_referrals(text))
        con = getattr(ibis, backend).connect()
        table = con.create_table("csc_referrals", frame)
        result = re_referral_rate(table, period_start, period_end, window_days).execute()
        con.disconnect()
        assert set(result.measure) == {"re_referral_rate"}
        return {
            (r.group_by, str(r.group)): (int(r.numerator), int(r.denominator))
            for r in result.itertuples()
        }

    return run


def _reference(text: str, period_start: date, period_end: date, window_days: int = 365):
    return reference_engine.re_referral_counts(
        _as_referrals(text), period_start, period_end, window_days
    )


@pytest.fixture(params=ENGINES)
def re_referrals(request) -> ReReferral:
    """re_referrals(table_text, period_start, period_end, window_days) on one engine."""
    if request.param == "reference":
        return _reference
    return _ibis_engine(request.param)
