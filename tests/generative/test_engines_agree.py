"""On random referral tables, the Ibis engines agree with the plain-Python reference engine."""

from __future__ import annotations

from datetime import date, timedelta

import ibis
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.lib.reference_engine import re_referral_counts

from daeval.metrics.re_referral import re_referral_rate

BASE = date(2019, 1, 1)

referral = st.tuples(
    st.sampled_from(["900", "901"]),
    st.integers(0, 5),  # child
    st.integers(0, 900),  # day offset: gaps around 365 are common with this range
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(referral, min_size=1, max_size=25),
    window=st.sampled_from([30, 364, 365, 366]),
    start=st.integers(0, 500),
    length=st.integers(0, 500),
)
def test_duckdb_matches_the_reference(rows, window, start, length):
    refs = [
        {
            "referral_id": f"r{i}",
            "la_code": la,
            "child_id": f"c{child}",
            "referral_date": BASE + timedelta(days=day),
        }
        for i, (la, child, day) in enumerate(rows)
    ]
    period_start = BASE + timedelta(days=start)
    period_end = period_start + timedelta(days=length)
    expected = re_referral_counts(refs, period_start, period_end, window)
    con = ibis.duckdb.connect()
    table = con.create_table("r", pd.DataFrame(refs))
    frame = re_referral_rate(table, period_start, period_end, window).execute()
    got = {
        (r.group_by, str(r.group)): (int(r.numerator), int(r.denominator))
        for r in frame.itertuples()
        if int(r.denominator) > 0
    }
    assert got == expected
