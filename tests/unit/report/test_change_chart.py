"""The pre/post reliable-change plot: score ranges from the scoring rules, bands and labels."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from daeval.instruments.library import builtin_library
from daeval.report.change_chart import change_band_chart, total_range


@pytest.mark.parametrize(
    ("code", "expected"),
    [("PHQ9", (0, 27)), ("GAD7", (0, 21)), ("CORE10", (0, 40)), ("SWEMWBS", (7, 35))],
)
def test_score_ranges_follow_the_published_scoring(code, expected):
    # PHQ-9: 9 items 0-3; GAD-7: 7 items 0-3; CORE-10: 10 items 0-4; SWEMWBS: metric scores
    # 7.00-35.00 after the Rasch conversion of the 7-35 raw sum.
    low, high = total_range(builtin_library()[code])
    assert (round(low), round(high)) == expected


def test_the_plot_has_the_band_the_cutoff_and_each_regions_share():
    phq = builtin_library()["PHQ9"]
    chart = change_band_chart("band-phq", phq, 5.0, 10.0, {
        "reliably_improved": 0.45, "unchanged": None, "reliably_deteriorated": 0.1,
        "recovered": 0.3})  # fmt: skip
    root = ET.fromstring(chart.svg)
    ids = {e.get("id") for e in root.iter() if e.get("id")}
    for gid in ("band", "no-change", "cutoff-x", "cutoff-y", "label-improved"):
        assert f"band-phq-{gid}" in ids
    assert "Reliably improved: 45%" in chart.alt and "unchanged: suppressed" in chart.alt
    assert "recovered: 30%" in chart.alt and "higher is worse" in chart.alt
    assert "a change of 5 points or more is reliable" in chart.alt
    labels = {e.get("id"): "".join(e.itertext()) for e in root.iter() if e.get("id")}
    assert "45%" in labels["band-phq-label-improved"]
    assert "suppressed" in labels["band-phq-label-unchanged"]  # never drawn as 0%
    assert "10%" in labels["band-phq-label-deteriorated"]
    with pytest.raises(ValueError, match="no reliable change threshold"):
        change_band_chart("x", phq, 0, None, {})
