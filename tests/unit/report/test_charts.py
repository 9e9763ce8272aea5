"""Report charts: inlinable, accessible, deterministic SVG drawn from disclosure-controlled figures."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from itertools import pairwise

import pytest

from daeval.report.charts import (
    bar_chart,
    category_bars,
    category_segments,
    funnel_chart,
    shown_segments,
)
from daeval.report.curves import projection_chart, survival_chart
from daeval.report.drawing import OKABE_ITO, Chart
from daeval.report.sankey import sankey_layout
from daeval.report.sankey_chart import sankey_chart

SVG = "{http://www.w3.org/2000/svg}"
CATEGORIES = ["reliably improved", "unchanged", "reliably deteriorated"]
FLOWS: list[tuple[str, str, int | None]] = [
    ("standard", "standard", 300),
    ("standard", "medium", 120),
    ("standard", "high", None),
    ("standard", "no repeat", 600),
    ("medium", "medium", 150),
    ("medium", "high", 40),
    ("high", "medium", None),
    ("high", "high", 90),
]


def funnel(key: str = "funnel") -> Chart:
    stages = [("referred", 1300), ("eligible", 1060), ("started", 500), ("completed", None)]
    return funnel_chart(key, "Service funnel", stages)


def survival(key: str = "survival") -> Chart:
    series = {
        "Intervention": [(30, 0.05, 0.03, 0.07), (90, 0.09, 0.07, 0.11), (180, None, None, None), (365, 0.18, 0.15, 0.21)],
        "Comparison": [(30, 0.06, None, None), (365, 0.22, 0.19, 0.25)],
    }  # fmt: skip
    return survival_chart(key, "Re-referral within a year", series, "Re-referred")


def sankey(key: str = "sankey") -> Chart:
    return sankey_chart(key, "Risk level", FLOWS, columns=("First", "Next"))


def categories(key: str = "categories") -> Chart:
    groups: dict[str, dict[str, float | None]] = {
        "SDQ": {"reliably improved": 0.45, "unchanged": 0.4, "reliably deteriorated": 0.15},
        "RCADS": {"reliably improved": None, "unchanged": 0.8, "reliably deteriorated": 0.1},
    }
    return category_bars(key, "Reliable change", groups, CATEGORIES, "Share of children")


def bars(key: str = "bars") -> Chart:
    values = [("All", 0.21, 0.18, 0.24), ("Girls", 0.2, 0.16, 0.25), ("Boys", None, None, None)]
    return bar_chart(key, "Re-referral by subgroup", values, "Re-referred")


def projection(key: str = "projection") -> Chart:
    curve = [(m, 20.0 * m, 14.0 * m, 26.0 * m) for m in range(25)]
    return projection_chart(key, "Recruitment projection", curve, 400)


ALL: list[Callable[..., Chart]] = [funnel, survival, sankey, categories, bars, projection]


def texts(chart: Chart) -> list[str]:
    """The text drawn in the chart (not its title and desc)."""
    root = ET.fromstring(chart.svg)
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def ids(chart: Chart) -> set[str]:
    return set(re.findall(r'\sid="([^"]*)"', chart.svg))


@pytest.mark.parametrize("make", ALL)
def test_svg_is_an_accessible_inlinable_element(make: Callable[..., Chart]) -> None:
    chart = make()
    assert chart.svg.startswith("<svg ")
    assert "<?xml" not in chart.svg and "DOCTYPE" not in chart.svg and "<metadata" not in chart.svg
    root = ET.fromstring(chart.svg)
    assert root.tag == f"{SVG}svg"
    assert len(root.attrib["viewBox"].split()) == 4
    assert root.attrib["width"] == "100%" and "height" not in root.attrib
    assert root.attrib["role"] == "img"
    title, desc = list(root)[:2]
    assert (title.tag, title.text) == (f"{SVG}title", chart.title)
    assert (desc.tag, desc.text) == (f"{SVG}desc", chart.alt)
    assert root.attrib["aria-labelledby"].split() == [title.attrib["id"], desc.attrib["id"]]
    assert chart.alt.startswith(chart.title)


@pytest.mark.parametrize("make", ALL)
def test_ids_are_prefixed_and_references_resolve(make: Callable[..., Chart]) -> None:
    chart = make("chart-a")
    found = ids(chart)
    assert len(found) > 5
    assert all(i == "chart-a" or i.startswith("chart-a-") for i in found)
    refs = re.findall(r'url\(#([^)]*)\)|href="#([^"]*)"', chart.svg)
    assert refs, "matplotlib's SVG references clip paths and markers"
    assert {a or b for a, b in refs} <= found
    assert not ids(make("chart-b")) & found


@pytest.mark.parametrize("make", ALL)
def test_charts_are_deterministic(make: Callable[..., Chart]) -> None:
    assert make().svg == make().svg


def test_key_must_be_usable_as_an_id_prefix() -> None:
    with pytest.raises(ValueError, match="key"):
        funnel("1 funnel")


def test_page_style_is_scoped_to_the_chart() -> None:
    assert "#funnel *{" in funnel().svg


def test_funnel_alt_and_labels_carry_counts_shares_and_suppression() -> None:
    chart = funnel()
    assert "1,300 referred" in chart.alt
    assert "1,060 eligible (82%)" in chart.alt
    assert "completed: suppressed" in chart.alt
    drawn = texts(chart)
    assert "1,060 (82%)" in drawn and "500 (38%)" in drawn and "suppressed" in drawn
    # The suppressed stage is drawn as a hatched box, not as a bar, and never as zero.
    assert 'id="funnel-suppressed-3"' in chart.svg and 'id="funnel-bar-3"' not in chart.svg
    assert not any(re.search(r"\b0\b", t) for t in drawn)
    assert not re.search(r"\b0\b", chart.alt)


def test_a_real_zero_is_shown_as_zero() -> None:
    chart = funnel_chart("f", "Funnel", [("referred", 10), ("completed", 0)])
    assert "0 (0%)" in texts(chart)
    assert "0 completed (0%)" in chart.alt


def test_survival_band_is_a_filled_path_and_gaps_are_noted() -> None:
    chart = survival()
    root = ET.fromstring(chart.svg)
    bands = [g for g in root.iter(f"{SVG}g") if g.attrib.get("id", "").startswith("survival-band-")]
    assert bands
    # Matplotlib draws a filled collection as a path in <defs>, placed by a <use> with the fill.
    filled = [e for g in bands for e in g.iter() if "fill: #" in e.attrib.get("style", "")]
    assert len(filled) == len(bands)
    # The suppressed day splits the intervention curve into two drawn stretches.
    assert 'id="survival-curve-0-0"' in chart.svg and 'id="survival-curve-0-1"' in chart.svg
    assert 'id="survival-curve-1-1"' not in chart.svg
    assert "Intervention:" in chart.alt and "suppressed at day 180" in chart.alt
    assert "9.0% (95% CI 7.0% to 11.0%) by day 90" in chart.alt
    assert "Comparison: 6.0% by day 30" in chart.alt
    assert any("suppressed" in t for t in texts(chart))


@pytest.mark.parametrize(
    "point",
    [(30, 1.2, None, None), (30, -0.1, None, None), (30, 0.5, 0.6, 0.7), (30, 0.5, 0.4, 0.45),
     (30, 0.5, 0.4, 1.5), (30, None, 0.1, 0.2)],
)  # fmt: skip
def test_survival_rejects_values_it_cannot_draw(point: tuple) -> None:
    with pytest.raises(ValueError):
        survival_chart("s", "S", {"A": [point]}, "Re-referred")


def test_survival_rejects_days_out_of_order() -> None:
    with pytest.raises(ValueError, match="increasing"):
        survival_chart("s", "S", {"A": [(90, 0.1, None, None), (30, 0.2, None, None)]}, "R")


def test_sankey_band_thickness_is_proportional_to_counts() -> None:
    geo = sankey_layout(FLOWS)
    known = [(b.count, b.thickness) for b in geo.bands if b.count is not None]
    base_count, base_thickness = known[0]
    for count, thickness in known:
        assert thickness / base_thickness == pytest.approx(count / base_count)
    assert all(b.thickness == 0 for b in geo.bands if b.count is None)
    # Both columns carry 1,300; the right one, with four nodes, fills the height less its gaps.
    assert sum(n.height for n in geo.nodes if n.column == 1) == pytest.approx(1 - 3 * 0.04)
    standard = geo.node(0, "standard")
    assert (standard.total, standard.suppressed) == (1020, 1)
    assert standard.height == pytest.approx(1020 * geo.scale)


def test_sankey_bands_stack_within_nodes_without_overlap() -> None:
    geo = sankey_layout(FLOWS)
    for column, end in ((0, "source"), (1, "target")):
        for node in (n for n in geo.nodes if n.column == column):
            spans = sorted(
                (getattr(b, f"{end}_top"), getattr(b, f"{end}_top") + b.thickness)
                for b in geo.bands
                if getattr(b, end) == node.name and b.count is not None
            )
            if spans:
                assert spans[0][0] == pytest.approx(node.top)
                assert spans[-1][1] == pytest.approx(node.top + node.height)
                assert all(a[1] == pytest.approx(b[0]) for a, b in pairwise(spans))


def test_sankey_columns_are_separate_even_with_the_same_names() -> None:
    geo = sankey_layout([("high", "high", 10), ("high", "low", 30)])
    assert [(n.column, n.name, n.total) for n in geo.nodes] == [
        (0, "high", 40),
        (1, "high", 10),
        (1, "low", 30),
    ]


def test_sankey_rejects_repeated_or_negative_flows() -> None:
    with pytest.raises(ValueError, match="more than once"):
        sankey_layout([("a", "b", 1), ("a", "b", 2)])
    with pytest.raises(ValueError, match="negative"):
        sankey_layout([("a", "b", -1)])


def test_sankey_chart_marks_suppressed_flows_and_totals() -> None:
    chart = sankey()
    assert "from standard (1,020 + suppressed): 300 to standard" in chart.alt
    assert "suppressed to high" in chart.alt
    assert 'id="sankey-suppressed-2"' in chart.svg and 'id="sankey-band-2"' not in chart.svg
    assert 'id="sankey-band-0"' in chart.svg
    drawn = texts(chart)
    assert {"suppressed", "standard", "1,020 + suppressed", "270 + suppressed"} <= set(drawn)


def test_category_segments_sum_to_one() -> None:
    cases = [({"a": 0.45, "b": 0.4, "c": 0.15}, [0, 0.45, 0.85]), ({"a": 30, "b": 65, "c": 5}, [0, 0.3, 0.95])]  # fmt: skip
    for shares, lefts in cases:
        segments = category_segments(dict(shares), ["a", "b", "c"])
        assert segments is not None
        assert sum(width for _, _, width in segments) == pytest.approx(1)
        assert [left for _, left, _ in segments] == pytest.approx(lefts)
    assert category_segments({"a": None, "b": 1.0}, ["a", "b"]) is None
    with pytest.raises(ValueError):
        category_segments({"a": 1.0}, ["a", "b"])
    with pytest.raises(ValueError):
        category_segments({"a": -0.1, "b": 1.1}, ["a", "b"])


def test_category_bars_label_segments_and_suppressed_groups() -> None:
    chart = categories()
    assert "SDQ: reliably improved 45%, unchanged 40%, reliably deteriorated 15%" in chart.alt
    assert "RCADS: suppressed" in chart.alt
    drawn = texts(chart)
    assert {"45%", "40%", "15%", "suppressed"} <= set(drawn)
    assert 'id="categories-suppressed-1"' in chart.svg
    assert 'id="categories-segment-1-0"' not in chart.svg
    assert 'id="categories-segment-0-2"' in chart.svg


def test_bar_chart_writes_suppressed_in_place_of_the_bar() -> None:
    chart = bars()
    assert "All: 21.0% (95% CI 18.0% to 24.0%)" in chart.alt and "Boys: suppressed" in chart.alt
    assert 'id="bars-ci-0"' in chart.svg and 'id="bars-bar-2"' not in chart.svg
    assert 'id="bars-suppressed-2"' in chart.svg and "suppressed" in texts(chart)
    with pytest.raises(ValueError):
        bar_chart("b", "B", [("All", 0.3, 0.4, 0.5)], "Rate")


def test_projection_shows_band_median_target_and_when_it_is_reached() -> None:
    chart = projection()
    for part in ("band", "median", "target"):
        assert f'id="projection-{part}"' in chart.svg
    assert "month 5: median 100 (10th to 90th percentile 70 to 130)" in chart.alt
    assert "the median reaches it in month 20" in chart.alt
    assert "the 10th percentile not by month 24" in chart.alt
    with pytest.raises(ValueError):
        projection_chart("p", "P", [(1, 10.0, 12.0, 14.0)], 100)


def test_empty_inputs_give_a_note_not_an_error() -> None:
    chart = funnel_chart("f", "Funnel", [])
    assert chart.alt == "Funnel: no figures to show."
    assert "No figures to show." in texts(chart)


def test_palette_is_okabe_ito() -> None:
    assert OKABE_ITO == ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000")  # fmt: skip


def test_category_bars_draw_the_shares_that_passed_beside_the_suppressed_rest() -> None:
    groups: dict[str, dict[str, float | None]] = {
        "SWEMWBS": {"reliably improved": 0.6, "unchanged": None, "reliably deteriorated": None},
        "CORE10": {"reliably improved": None, "unchanged": None, "reliably deteriorated": None},
    }
    chart = category_bars("change", "Reliable change", groups, CATEGORIES, "Share of people")
    assert (
        "SWEMWBS: reliably improved 60%, unchanged suppressed, reliably deteriorated suppressed"
        in chart.alt
    )
    assert "CORE10: suppressed" in chart.alt
    drawn = texts(chart)
    assert "60%" in drawn and drawn.count("suppressed") == 2
    assert 'id="change-segment-0-0"' in chart.svg and 'id="change-segment-0-1"' not in chart.svg
    assert 'id="change-suppressed-0"' in chart.svg and 'id="change-suppressed-1"' in chart.svg
    assert 'id="change-segment-1-0"' not in chart.svg
    # Counts, not shares of one whole, cannot be drawn in part.
    counts = {"a": 30.0, "b": None, "c": None}
    assert shown_segments(counts, ["a", "b", "c"]) is None
    assert shown_segments({"a": 0.6, "b": None, "c": None}, ["a", "b", "c"]) == [("a", 0.0, 0.6)]
    assert shown_segments({"a": 0.6, "b": 0.3, "c": None}, ["a", "b", "c"]) is None
