"""daeval demo: synthetic data → ingest → measures → a first page, in a temporary folder."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    import subprocess
    import sys

    folder = tmp_path_factory.mktemp("demo")
    result = subprocess.run(
        [sys.executable, "-m", "daeval", "demo", str(folder / "study")],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr
    return folder / "study", result


def test_demo_prints_the_path_of_a_page_that_shows_the_re_referral_rate(demo):
    study, result = demo
    match = re.search(r"Report: (.+index\.html)", result.stdout.replace("\n", ""))
    assert match, result.stdout
    page = Path(match.group(1))
    assert page == (study / "outputs" / "index.html").resolve()
    html = page.read_text(encoding="utf-8")
    with (study / "outputs" / "measures.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    overall = next(r for r in rows if r["measure"] == "re_referral_rate" and r["group_by"] == "all")
    shown = re.search(r'id="re-referral-rate">([0-9.]+)%<', html)
    assert shown and float(shown.group(1)) == pytest.approx(100 * float(overall["value"]), abs=0.05)
    # Calibrated to the DfE national figure of about 22%.
    assert 0.19 < float(overall["value"]) < 0.25


def test_demo_outputs_hold_no_small_counts_and_no_record_level_data(demo):
    study, _ = demo
    with (study / "outputs" / "measures.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        for column in ("numerator", "denominator"):
            if row[column]:
                count = int(row[column])
                assert count > 7 and count % 5 == 0, row
    html = (study / "outputs" / "index.html").read_text(encoding="utf-8")
    with (study / "raw" / "people.csv").open(newline="") as f:
        people = list(csv.DictReader(f))
    for person in people[:2000]:
        assert person["person_id"] not in html
        assert not person["last_name"] or f">{person['last_name']}<" not in html
    assert "<script" not in html and "http" not in html.split("<body>", 1)[1]
