"""Malformed CSV files never end in a traceback, and every row read is loaded or quarantined."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.lib.keys import TEST_KEY

from daeval.ingest.load import ingest_folder
from daeval.warehouse import Workspace

HEADER = ["referral_id", "child_id", "la_code", "referral_date", "decision"]

cell = st.one_of(
    st.sampled_from(["r1", "c1", "900", "2020-01-05", "05/01/2020", "44000", "nfa", "NFA", ""]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12),
    st.sampled_from(['has "quotes"', "a,comma", "two\nlines", "x" * 5000, "=SUM(A1)", "é£ü"]),
)
row = st.lists(cell, min_size=0, max_size=8)


def _text(header: list[str], rows: list[list[str]], blank_lines: bool) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for r in rows:
        writer.writerow(r)
        if blank_lines:
            buffer.write("\n")
    return buffer.getvalue()


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(row, max_size=12),
    header=st.one_of(st.just(HEADER), st.permutations(HEADER), st.just([*HEADER, "la_code"])),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
    blank_lines=st.booleans(),
)
def test_any_csv_is_loaded_quarantined_or_refused_never_crashes(
    rows, header, encoding, blank_lines
):
    text = _text(list(header), rows, blank_lines)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        try:
            payload = text.encode(encoding)
        except UnicodeEncodeError:
            payload = text.encode("utf-8")
        (data / "csc_referrals.csv").write_bytes(payload)
        report = ingest_folder(data, Workspace(Path(tmp) / "ws"), TEST_KEY)
    if report.refused:
        [refused] = report.refused
        assert refused.file_name == "csc_referrals.csv" and refused.reason
        assert not report.loads
        return
    [load] = report.loads
    assert load.rows_read == load.rows_loaded + load.rows_quarantined
    records = [r for r in csv.reader(io.StringIO(text, newline="")) if r][1:]
    assert load.rows_loaded <= len(records)
    assert load.rows_read == len(records)
