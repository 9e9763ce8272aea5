"""On random answers to every instrument of the library (answers missing, out of range, given
twice), Ibis on DuckDB and on SQLite score exactly as the plain-Python reference does, and so
does the totals-only scoring that measures of change use (on DuckDB).

Each example is a batch of cases, each case under people of its own, scored by one query per
engine: a query costs about a second whatever its size, the reference a few milliseconds."""

from __future__ import annotations

import ibis
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from tests.lib import reference_scoring
from tests.spec.conftest import answers_frame, answers_table

from daeval.instruments.library import builtin_library
from daeval.instruments.scoring import score_administrations

LIBRARY = builtin_library()
CODES = sorted(LIBRARY)


@st.composite
def administration(draw, person: str) -> list[dict]:
    code = draw(st.sampled_from(CODES))
    instrument = LIBRARY[code]
    if instrument.score_only is not None:
        items = {name: (low, high if high is not None else low + 100)
                 for name, (low, high) in instrument.score_only.ranges.items()}  # fmt: skip
        values = {
            name: st.integers(int(low) - 1, int(high) + 1) for name, (low, high) in items.items()
        }
    else:
        assert instrument.items and instrument.responses
        allowed = sorted(instrument.responses.values)
        answer = st.one_of(
            st.sampled_from(allowed), st.sampled_from(allowed), st.just(allowed[-1] + 1)
        )
        values = {str(i): answer for i in range(1, instrument.items.count + 1)}
        values |= {name: st.sampled_from(list(v)) for name, v in instrument.recorded.items()}
    # Most items answered; some left out; rarely one answered twice.
    rows = []
    timepoint = draw(st.sampled_from(["baseline", "end"]))
    respondent = draw(st.sampled_from(["self", "parent", None]))
    for item, strategy in values.items():
        if draw(st.integers(0, 9)) == 0:
            continue
        times = 2 if draw(st.integers(0, 40)) == 0 else 1
        for _ in range(times):
            rows.append(dict(source="service:x", person_id=person, instrument=code,
                             timepoint=timepoint, respondent=respondent, item=item,
                             value=float(draw(strategy))))  # fmt: skip
    return rows


answer_sets = st.lists(st.integers(0, 10**6), min_size=1, max_size=6, unique=True).flatmap(
    lambda people: st.tuples(*(administration(f"p{p}") for p in people))
)
cases = st.lists(answer_sets, min_size=1, max_size=6)


def _batched(drawn: list) -> list[dict]:
    """The answers of every case, case i's person p7 as c{i}-p7: scoring keeps each
    (source, person, instrument, timepoint, respondent) apart, so the cases cannot meet."""
    return [
        {**r, "person_id": f"c{i}-{r['person_id']}"}
        for i, sets in enumerate(drawn)
        for answers in sets
        for r in answers
    ]


def _engine_scores(backend: str, rows: list[dict], totals_only: bool = False) -> dict:
    con = getattr(ibis, backend).connect()
    try:
        table = con.create_table("answers", answers_table(rows))
        result = score_administrations(table, LIBRARY, totals_only=totals_only).execute()
    finally:
        con.disconnect()
    out = {}
    for rec in result.to_dict("records"):
        respondent = None if pd.isna(rec["respondent"]) else rec["respondent"]
        key = (rec["source"], rec["person_id"], rec["instrument"], rec["timepoint"], respondent)
        out[key] = {
            k: (None if not isinstance(v, str) and pd.isna(v) else v) for k, v in rec.items()
        }
    return out


# PHQ-9 with item 4 unanswered: 17 prorated to nine items is 19.125, a half to round.
PHQ9_ITEM_4_UNANSWERED = {1: 3.0, 2: 3.0, 3: 2.0, 5: 3.0, 6: 2.0, 7: 2.0, 8: 2.0, 9: 0.0}
PRORATED_TO_A_HALF = [
    dict(source="service:x", person_id="p1", instrument="PHQ9", timepoint="baseline",
         respondent="self", item=str(item), value=value)
    for item, value in PHQ9_ITEM_4_UNANSWERED.items()
]  # fmt: skip
# The same with item 9 answered twice: no score.
ITEM_9_TWICE = [*PRORATED_TO_A_HALF, {**PRORATED_TO_A_HALF[-1], "value": 1.0}]
TOTALS = ("score", "valid", "prorated")


# 12 batches of up to six cases: about as many cases as 60 single ones, in a fifth of the queries.
@pytest.mark.slow
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(cases)
@example([(PRORATED_TO_A_HALF,), (ITEM_9_TWICE,)])
def test_engines_score_as_the_reference(drawn):
    rows = _batched(drawn)
    assume(rows)
    expected = reference_scoring.score(answers_frame(rows).to_dict("records"), LIBRARY)
    for backend in ("duckdb", "sqlite"):
        got = _engine_scores(backend, rows)
        assert set(got) == set(expected), backend
        for key, want in expected.items():
            have = {k: got[key][k] for k in want}
            assert have == want, (backend, key)
            # Columns of other instruments' subscales stay empty.
            others = [k for k in got[key] if k.startswith("score_") and k not in want]
            assert all(got[key][k] is None for k in others), (backend, key)
    # The measures of change score totals only, on DuckDB (and Spark: the spec tests).
    totals = _engine_scores("duckdb", rows, totals_only=True)
    assert set(totals) == set(expected)
    for key, want in expected.items():
        assert {k: totals[key][k] for k in TOTALS} == {k: want[k] for k in TOTALS}, key
