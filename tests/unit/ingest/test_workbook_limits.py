"""The limits on what is read from one workbook, on small hand-made bombs.

Each workbook is written part by part (``tests.lib.workbooks``), its big parts streamed and
highly compressible, so the files stay small on disk; the limits are met within the first bytes
inflated, or lowered through ``read_xlsx``'s ``limits`` so that nothing big is ever built.
"""

from __future__ import annotations

import struct
import zipfile
from collections.abc import Iterable
from pathlib import Path

import pytest
from tests.lib.workbooks import SHEET, STRINGS, write_workbook

from daeval.errors import UnusableFileError
from daeval.ingest.workbook_limits import MAX_XML_BYTES, WorkbookLimits
from daeval.ingest.xlsx import read_xlsx

ADVICE = "; split the workbook or save the sheet as CSV$"
HEADER = '<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c></row>'


def _row(number: int, *cells: str) -> str:
    return f'<row r="{number}">{"".join(cells)}</row>'


def _refused(path: Path, message: str, **limits: int) -> None:
    with pytest.raises(UnusableFileError, match=f"^{path.name}: {message}.*{ADVICE}"):
        read_xlsx(path, "t", limits=WorkbookLimits(**limits))


def test_a_workbook_within_the_limits_is_read(tmp_path):
    path = write_workbook(
        tmp_path / "t.xlsx",
        [HEADER, _row(2, '<c r="A2" t="s"><v>0</v></c>')],
        strings=["<si><t>a</t></si>"],
        dimension="A1:XFD1048576",  # a claim within Excel's grid is harmless: it is not used
    )
    assert read_xlsx(path, "t").data.column("id").to_pylist() == ["a"]


def test_a_row_numbered_beyond_excels_last_row_is_refused(tmp_path):
    # openpyxl fills the gap before a row with empty rows: two thousand million of them here.
    path = write_workbook(tmp_path / "t.xlsx", [HEADER, _row(2_000_000_000, "<c><v>1</v></c>")])
    _refused(path, rf"its part {SHEET} has a row numbered beyond 1,048,576 \(Excel's last row\)")


def test_a_sheet_claiming_cells_beyond_excels_grid_is_refused(tmp_path):
    path = write_workbook(tmp_path / "t.xlsx", [HEADER], dimension="A1:XFE2")
    _refused(path, f"its part {SHEET} claims cells beyond Excel's last row")


def _long_text(characters: int) -> Iterable[str]:
    """The XML of one ``si`` of ``characters`` letters, streamed in pieces."""
    yield "<si><t>"
    for _ in range(characters // 100_000):
        yield "a" * 100_000
    yield "</t></si>"


@pytest.mark.parametrize("where", ["shared", "inline"])
def test_a_cell_longer_than_excel_allows_is_refused(tmp_path, where):
    # Ten million characters compress to a few kilobytes; reading stops after the first 64 KiB.
    if where == "shared":
        path = write_workbook(
            tmp_path / "t.xlsx",
            [HEADER, _row(2, '<c r="A2" t="s"><v>0</v></c>')],
            strings=["".join(_long_text(10_000_000))],
        )
        part = STRINGS
    else:
        text = "".join(_long_text(10_000_000)).replace("si>", "is>")
        path = write_workbook(
            tmp_path / "t.xlsx", [HEADER, _row(2, f'<c t="inlineStr">{text}</c>')]
        )
        part = SHEET
    assert path.stat().st_size < 100_000
    _refused(path, f"its part {part} holds a cell or string of more than 32,767 characters")


def test_a_string_of_many_short_runs_is_refused_as_a_whole(tmp_path):
    runs = "".join("<r><t>abcdefghij</t></r>" for _ in range(4))
    path = write_workbook(tmp_path / "t.xlsx", [HEADER], strings=[f"<si>{runs}</si>"])
    _refused(path, f"its part {STRINGS} holds a cell or string of more than 30", cell_characters=30)


def _lie_about_size(path: Path, part: str, size: int) -> None:
    """Write ``size`` as the uncompressed size of ``part`` in the zip's central directory."""
    data = bytearray(path.read_bytes())
    name = part.encode()
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        name_length = struct.unpack_from("<H", data, at + 28)[0]
        if bytes(data[at + 46 : at + 46 + name_length]) == name:
            struct.pack_into("<I", data, at + 24, size)
            path.write_bytes(bytes(data))
            return
        at = data.find(b"PK\x01\x02", at + 4)
    raise AssertionError(f"{part} not found")


def test_a_part_declaring_more_than_the_default_limit_is_refused_unread(tmp_path):
    path = write_workbook(tmp_path / "t.xlsx", [HEADER, _row(2, "<c><v>1</v></c>")])
    _lie_about_size(path, SHEET, MAX_XML_BYTES + 1)
    # The declared size is a lie: the part is tiny, and read as it is, it is a good sheet.
    with zipfile.ZipFile(path) as z:
        assert z.getinfo(SHEET).file_size == MAX_XML_BYTES + 1
    with pytest.raises(
        UnusableFileError,
        match=rf"^t.xlsx: its part {SHEET} declares 1,073,741,825 bytes uncompressed, more than "
        rf"the 1 GiB read from one workbook{ADVICE}",
    ):
        read_xlsx(path, "t")


def test_the_bytes_inflated_from_all_parts_together_are_limited(tmp_path):
    rows = [HEADER] + [_row(n, f'<c r="A{n}" t="s"><v>0</v></c>') for n in range(2, 500)]
    path = write_workbook(tmp_path / "t.xlsx", rows, strings=["<si><t>a</t></si>"] * 1_000)
    with zipfile.ZipFile(path) as z:
        sizes = [i.file_size for i in z.infolist()]
    # Every part is within the limit; together they are not.
    limit = max(sizes) + 1
    assert sum(sizes) > limit
    _refused(path, rf"its XML inflates to more than the {limit:,} bytes read", xml_bytes=limit)


def test_too_many_rows_are_refused(tmp_path):
    path = write_workbook(tmp_path / "t.xlsx", [HEADER] + ["<row><c><v>1</v></c></row>"] * 5)
    _refused(path, rf"its part {SHEET} has more than 5 rows \(Excel's maximum\)", rows=5)


def test_a_cell_beyond_the_last_column_is_refused(tmp_path):
    path = write_workbook(tmp_path / "t.xlsx", [HEADER, _row(2, '<c r="D2"><v>1</v></c>')])
    _refused(path, f"its part {SHEET} has a cell beyond column C", columns=3)


def test_more_cells_in_a_row_than_columns_are_refused(tmp_path):
    # Cells without a reference follow one another; repeating a reference does not widen the row.
    path = write_workbook(tmp_path / "t.xlsx", [HEADER, _row(2, *['<c r="A2"><v>1</v></c>'] * 4)])
    _refused(path, f"its part {SHEET} has a cell beyond column C", columns=3)


def test_rows_padded_to_a_far_cell_count_every_cell(tmp_path):
    # openpyxl pads each row up to its last cell: four rows ending in column J are 40 cells.
    rows = [HEADER] + [_row(n, f'<c r="J{n}"><v>1</v></c>') for n in range(2, 6)]
    path = write_workbook(tmp_path / "t.xlsx", rows)
    _refused(path, f"its part {SHEET} has more than 35 cells", cells=35)


def test_too_many_shared_strings_are_refused(tmp_path):
    path = write_workbook(tmp_path / "t.xlsx", [HEADER], strings=["<si><t>a</t></si>"] * 11)
    _refused(path, f"its part {STRINGS} has more than 10 shared strings", cells=10)


def test_too_many_elements_in_one_row_are_refused(tmp_path):
    path = write_workbook(tmp_path / "t.xlsx", [HEADER, _row(2, '<c r="A2"><v>1</v>' + "<x/>" * 9)])
    _refused(path, f"its part {SHEET} has more than 8 XML elements in one row", item_elements=8)


def test_too_many_elements_outside_rows_are_refused(tmp_path):
    path = write_workbook(tmp_path / "t.xlsx", [HEADER, "<x/>" * 9])
    _refused(path, f"its part {SHEET} has more than 8 XML elements outside", item_elements=8)


def test_a_tag_longer_than_the_limit_is_refused(tmp_path):
    attribute = "a" * 300_000
    path = write_workbook(tmp_path / "t.xlsx", [HEADER, f'<row r="2" x="{attribute}"/>'])
    _refused(path, f"its part {SHEET} has an XML tag longer than 128 KiB", tag_bytes=128 << 10)
