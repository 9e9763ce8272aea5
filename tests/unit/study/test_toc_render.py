"""Drawing a theory of change: the geometry of the layout and the SVG and PNG files."""

from __future__ import annotations

import itertools
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import matplotlib
import pytest

from daeval.study.toc import CHAIN, TheoryOfChange
from daeval.study.toc_render import DPI, Box, Layout, layout, render_toc

SVG_NS = "{http://www.w3.org/2000/svg}"
LONG_TEXT = ("Parents say the sessions helped them talk with their children about home. " * 5)[:300]


def _toc(
    nodes: list[tuple[str, str, str]], links: list[dict[str, str]] | None = None
) -> TheoryOfChange:
    return TheoryOfChange.model_validate(
        {
            "nodes": [{"id": i, "type": t, "text": text} for i, t, text in nodes],
            "links": links or [],
        }
    )


@pytest.fixture
def toc() -> TheoryOfChange:
    # Deliberately listed out of chain order, and with an empty chain type (output).
    return _toc(
        [
            ("calmer", "short_term_outcome", "Less parental anxiety"),
            ("sessions", "activity", "Weekly sessions for each parent"),
            ("need", "need", "Children living with domestic abuse lack support"),
            ("kids", "activity", "Group sessions for children"),
            ("insight", "mechanism", "Parents understand the harm to the child"),
            ("staff", "input", "Two trained facilitators"),
            ("well", "long_term_outcome", LONG_TEXT),
            ("pop", "population", "Parents referred by social care"),
            ("attend", "assumption", "Parents attend"),
            ("bus", "barrier", "No transport in rural areas"),
            ("school", "enabler", "Supportive schools"),
        ],
        [
            {"from": "staff", "to": "sessions", "plausibility": "high"},
            {"from": "sessions", "to": "insight", "plausibility": "medium"},
            {"from": "kids", "to": "insight", "plausibility": "low"},
            {"from": "insight", "to": "calmer"},
            {"from": "calmer", "to": "well", "plausibility": "low"},
            {"from": "need", "to": "sessions"},
            {"from": "bus", "to": "sessions", "plausibility": "low"},
            {"from": "sessions", "to": "ghost", "plausibility": "high"},
            {"from": "phantom", "to": "calmer"},
        ],
    )


def _overlap(a: Box, b: Box) -> bool:
    return (
        a.x < b.x + b.width
        and b.x < a.x + a.width
        and a.y < b.y + b.height
        and b.y < a.y + a.height
    )


def _by_type(toc: TheoryOfChange, geo: Layout, *types: str) -> list[Box]:
    return [geo.boxes[n.id] for n in toc.of_type(*types)]


# Layout


def test_every_node_gets_a_box_inside_the_figure(toc: TheoryOfChange) -> None:
    geo = layout(toc)
    assert set(geo.boxes) == {n.id for n in toc.nodes}
    for box in geo.boxes.values():
        assert 0 <= box.x and box.x + box.width <= geo.width
        assert 0 <= box.y and box.y + box.height <= geo.height


def test_chain_columns_run_left_to_right_in_chain_order(toc: TheoryOfChange) -> None:
    geo = layout(toc)
    present = [t for t in CHAIN if toc.of_type(t)]
    for left, right in itertools.pairwise(present):
        rightmost = max(b.x + b.width for b in _by_type(toc, geo, left))
        assert rightmost < min(b.x for b in _by_type(toc, geo, right)), (left, right)
    # One column per chain type with nodes: the empty output and medium-term types take none.
    assert len({b.x for b in _by_type(toc, geo, *CHAIN)}) == len(present) == 5


def test_nodes_of_one_column_are_stacked_in_document_order(toc: TheoryOfChange) -> None:
    geo = layout(toc)
    sessions, kids = geo.boxes["sessions"], geo.boxes["kids"]
    assert sessions.x == kids.x
    assert sessions.y > kids.y + kids.height  # y goes up: "sessions" comes first, so is higher


def test_setting_band_is_above_the_chain_and_surroundings_below(toc: TheoryOfChange) -> None:
    geo = layout(toc)
    chain = _by_type(toc, geo, *CHAIN)
    chain_top = max(b.y + b.height for b in chain)
    chain_bottom = min(b.y for b in chain)
    assert all(b.y > chain_top for b in _by_type(toc, geo, "need", "population"))
    below = _by_type(toc, geo, "assumption", "barrier", "enabler")
    assert all(b.y + b.height < chain_bottom for b in below)


def test_bands_are_grouped_by_type_with_headings(toc: TheoryOfChange) -> None:
    geo = layout(toc)
    texts = [h.text for h in geo.headings]
    for label in ("Need", "Population", "Inputs", "Activities", "Assumptions", "Barriers"):
        assert texts.count(label) == 1
    assert "Outputs" not in texts  # no output nodes, so no column
    assert geo.boxes["need"].x != geo.boxes["pop"].x


def test_no_two_boxes_overlap(toc: TheoryOfChange) -> None:
    crowded = _toc(
        [(f"a{i}", "activity", LONG_TEXT[: 20 * i + 5]) for i in range(6)]
        + [(f"b{i}", "barrier", "Cost " * i + "x") for i in range(4)]
        + [(f"n{i}", "need", LONG_TEXT) for i in range(3)]
        + [(f"o{i}", t, "Outcome") for i, t in enumerate(CHAIN)]
    )
    for case in (toc, crowded):
        boxes = layout(case).boxes
        for (ida, a), (idb, b) in itertools.combinations(boxes.items(), 2):
            assert not _overlap(a, b), (ida, idb)


def test_long_text_wraps_into_a_taller_box(toc: TheoryOfChange) -> None:
    geo = layout(toc)
    long, short = geo.boxes["well"], geo.boxes["calmer"]
    assert len(short.lines) == 1
    assert len(long.lines) >= 5
    assert " ".join(long.lines) == " ".join(LONG_TEXT.split())
    assert long.height > short.height
    assert max(len(line) for line in long.lines) < len(LONG_TEXT) / 4


def test_layout_of_an_empty_theory_of_change() -> None:
    geo = layout(TheoryOfChange())
    assert geo.boxes == {}
    assert geo.width > 0 and geo.height > 0


# Files


def _svg_ids(path: Path) -> set[str]:
    root = ET.parse(path).getroot()
    assert root.tag == f"{SVG_NS}svg"
    return {g.get("id", "") for g in root.iter(f"{SVG_NS}g")}


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_render_writes_both_files_in_new_folders(toc: TheoryOfChange, tmp_path: Path) -> None:
    stem = tmp_path / "deep" / "er" / "toc"
    svg, png = render_toc(toc, "Parenting Together", stem)
    assert (svg, png) == (stem.with_suffix(".svg"), stem.with_suffix(".png"))
    assert svg.stat().st_size > 1000 and png.stat().st_size > 1000


def test_svg_has_a_group_per_node_and_valid_link(toc: TheoryOfChange, tmp_path: Path) -> None:
    svg, _ = render_toc(toc, "Parenting Together", tmp_path / "toc")
    ids = _svg_ids(svg)
    assert {f"node-{n.id}" for n in toc.nodes} <= ids
    valid = [lk for lk in toc.links if toc.node(lk.source) and toc.node(lk.target)]
    assert len(valid) == 7
    assert {f"link-{lk.source}-{lk.target}" for lk in valid} <= ids
    assert "link-sessions-ghost" not in ids and "link-phantom-calmer" not in ids
    assert len([i for i in ids if i.startswith("link-")]) == 7


def test_svg_is_free_of_dates_and_versions(toc: TheoryOfChange, tmp_path: Path) -> None:
    text = render_toc(toc, "Parenting Together", tmp_path / "toc")[0].read_text()
    assert "<dc:date>" not in text and "Matplotlib v" not in text
    assert "<dc:title>Parenting Together</dc:title>" in text


def test_png_size_is_figure_size_at_150_dpi(toc: TheoryOfChange, tmp_path: Path) -> None:
    _, png = render_toc(toc, "Parenting Together", tmp_path / "toc")
    geo = layout(toc)
    width, height = _png_size(png)
    assert DPI == 150
    assert abs(width - geo.width * 150) <= 1
    assert abs(height - geo.height * 150) <= 1
    assert b"Software" not in png.read_bytes()


def test_rendering_is_byte_for_byte_repeatable(toc: TheoryOfChange, tmp_path: Path) -> None:
    first = render_toc(toc, "Parenting Together", tmp_path / "one" / "toc")
    second = render_toc(toc, "Parenting Together", tmp_path / "two" / "toc")
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.suffix


def test_different_plausibility_changes_the_drawing(toc: TheoryOfChange, tmp_path: Path) -> None:
    other = toc.model_copy(deep=True)
    other.links[0].plausibility = "unknown"
    a = render_toc(toc, "T", tmp_path / "a")[0].read_bytes()
    b = render_toc(other, "T", tmp_path / "b")[0].read_bytes()
    assert a != b


def test_empty_theory_of_change_renders(tmp_path: Path) -> None:
    svg, png = render_toc(TheoryOfChange(), "Nothing yet", tmp_path / "empty")
    ids = _svg_ids(svg)
    assert not any(i.startswith(("node-", "link-")) for i in ids)
    geo = layout(TheoryOfChange())
    width, height = _png_size(png)
    assert abs(width - geo.width * 150) <= 1 and abs(height - geo.height * 150) <= 1


def test_rendering_ignores_and_keeps_the_callers_matplotlib_settings(
    toc: TheoryOfChange, tmp_path: Path
) -> None:
    plain = render_toc(toc, "T", tmp_path / "plain")
    with matplotlib.rc_context(
        {"lines.linewidth": 7.0, "font.size": 21.0, "svg.fonttype": "none", "text.color": "red"}
    ):
        salt = matplotlib.rcParams["svg.hashsalt"]
        styled = render_toc(toc, "T", tmp_path / "styled")
        assert matplotlib.rcParams["svg.fonttype"] == "none"
        assert matplotlib.rcParams["svg.hashsalt"] == salt
    for a, b in zip(plain, styled, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.suffix
