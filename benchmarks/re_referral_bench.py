"""re_referral_rate through Ibis on a DuckDB warehouse, against the same measure in hand-written SQL.

The folder is synthetic (scale 20, about 136,000 referrals); the baseline is one DuckDB query
that computes the same numerator and denominator with a self-join, on the same file.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import duckdb
import ibis

from daeval.ingest.load import ingest_folder
from daeval.metrics.re_referral import re_referral_rate
from daeval.synth import generate
from daeval.synth.calibration import RE_REFERRAL_RATE
from daeval.warehouse import Workspace

SCALE = 20
BENCH_KEY = b"benchmark-key-not-secret-0123456789abcdef"
START, END = RE_REFERRAL_RATE.period_start, RE_REFERRAL_RATE.period_end
"""The synthetic data's second and third financial years (daeval.synth.calibration)."""

BASELINE_SQL = f"""
SELECT count(*) FILTER (WHERE is_re) AS numerator, count(*) AS denominator FROM (
  SELECT r.referral_id, bool_or(p.referral_date IS NOT NULL) AS is_re
  FROM csc_referrals r LEFT JOIN csc_referrals p
    ON p.la_code = r.la_code AND p.child_id = r.child_id
   AND p.referral_date < r.referral_date AND r.referral_date - p.referral_date <= 365
  WHERE r.referral_date BETWEEN DATE '{START}' AND DATE '{END}'
  GROUP BY r.referral_id
)
"""


def run() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        data, ws = Path(tmp) / "raw", Workspace(Path(tmp) / "ws")
        generate(data, scale=SCALE, seed=1)
        ingest_folder(data, ws, BENCH_KEY)
        con = ibis.duckdb.connect(str(ws.warehouse_path), read_only=True)
        began = time.perf_counter()
        frame = re_referral_rate(con.table("csc_referrals"), START, END).execute()
        seconds = time.perf_counter() - began
        con.disconnect()
        overall = frame[frame.group_by == "all"].iloc[0]
        raw = duckdb.connect(str(ws.warehouse_path), read_only=True)
        began = time.perf_counter()
        numerator, denominator = raw.execute(BASELINE_SQL).fetchall()[0]
        baseline = time.perf_counter() - began
        raw.close()
    assert (int(overall.numerator), int(overall.denominator)) == (numerator, denominator)
    return {
        "name": "re_referral_rate (Ibis on DuckDB) vs hand-written SQL",
        "seconds": seconds,
        "baseline_seconds": baseline,
        "referrals": int(denominator),
        "re_referrals": int(numerator),
    }
