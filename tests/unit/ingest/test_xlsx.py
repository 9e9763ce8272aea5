"""The xlsx reader, on workbooks built here with openpyxl.

openpyxl saves a formula without a result, as a program that does not calculate would. A formula
whose result Excel saved is made by editing the sheet's XML in the saved file (``_edit_sheet``),
as is a formula whose saved result is the empty string.
"""

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pyarrow as pa
import pytest

from daeval.errors import UnusableFileError
from daeval.ingest.xlsx import cell_text, read_xlsx


def _save(path: Path, rows: list[list[object]], title: str = "Sheet") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def _edit_sheet(path: Path, old: str, new: str, member: str = "xl/worksheets/sheet1.xml") -> None:
    """Replace ``old`` (which must occur) with ``new`` in one part of a saved workbook."""
    with zipfile.ZipFile(path) as source:
        parts = {info: source.read(info.filename) for info in source.infolist()}
    with zipfile.ZipFile(path, "w") as target:
        for info, content in parts.items():
            if info.filename == member:
                text = content.decode()
                assert old in text, text
                content = text.replace(old, new).encode()
            target.writestr(info, content)


def _rows(table: pa.Table) -> list[dict[str, object]]:
    return table.to_pylist()


@pytest.mark.parametrize(
    "value, text",
    [
        (None, None),
        ("  hello ", "hello"),
        ("   ", None),
        ("", None),
        (12, "12"),
        (-3, "-3"),
        (12.0, "12"),
        (-0.0, "0"),
        (3.5, "3.5"),
        (0.1, "0.1"),
        (0.00001, "0.00001"),
        (1e16, "10000000000000000"),
        (True, "true"),
        (False, "false"),
        (dt.date(2024, 2, 29), "2024-02-29"),
        (dt.datetime(2024, 2, 29), "2024-02-29"),
        (dt.datetime(2024, 2, 29, 13, 5, 9), "2024-02-29 13:05:09"),
        (dt.time(8, 30), "08:30:00"),
        (dt.timedelta(hours=26, minutes=3), "26:03:00"),
        ("=SUM(A1:A2)", "=SUM(A1:A2)"),
    ],
)
def test_cell_text(value, text):
    assert cell_text(value) == text


def test_cells_are_read_as_text_with_types_written_out(tmp_path):
    path = _save(
        tmp_path / "people.xlsx",
        [
            [" Person_ID ", "Count", "Score", "Flag", "Born", "Seen", "Note"],
            ["p1", 12, 3.5, True, dt.date(2014, 7, 23), dt.datetime(2024, 1, 2), "  x  "],
            ["p2", 0, 12.0, False, dt.datetime(2015, 1, 1), dt.datetime(2024, 1, 2, 9, 30), ""],
        ],
    )
    staged = read_xlsx(path, "people")
    assert staged.table == "people"
    assert staged.origin == "people.xlsx"
    assert staged.locator == "row"
    assert staged.data.schema.field("_line").type == pa.int64()
    assert staged.data.schema.field("count").type == pa.string()
    assert _rows(staged.data) == [
        {
            "person_id": "p1",
            "count": "12",
            "score": "3.5",
            "flag": "true",
            "born": "2014-07-23",
            "seen": "2024-01-02",
            "note": "x",
            "_line": 1,
            "_problem": None,
        },
        {
            "person_id": "p2",
            "count": "0",
            "score": "12",
            "flag": "false",
            "born": "2015-01-01",
            "seen": "2024-01-02 09:30:00",
            "note": None,
            "_line": 2,
            "_problem": None,
        },
    ]


def test_blank_rows_are_skipped_but_counted_from_the_header_row(tmp_path):
    path = _save(
        tmp_path / "t.xlsx", [[], [None, None], ["id", "v"], ["a", 1], [], [None], ["b", 2]]
    )
    data = read_xlsx(path, "t").data
    assert data.column("id").to_pylist() == ["a", "b"]
    # Header in spreadsheet row 3: rows 4 and 7 are lines 1 and 4.
    assert data.column("_line").to_pylist() == [1, 4]


def test_a_formula_with_no_saved_value_is_null_and_reported(tmp_path):
    path = _save(tmp_path / "t.xlsx", [["id", "total"], ["a", "=1+1"], ["b", 3]])
    rows = _rows(read_xlsx(path, "t").data)
    assert rows[0] == {
        "id": "a",
        "total": None,
        "_line": 1,
        "_problem": "formula with no saved value in column total",
    }
    assert rows[1]["total"] == "3"
    assert rows[1]["_problem"] is None


def test_a_formula_uses_the_value_excel_saved(tmp_path):
    path = _save(tmp_path / "t.xlsx", [["id", "total"], ["a", "=1+1"]])
    _edit_sheet(path, '<c r="B2"><f>1+1</f><v /></c>', '<c r="B2"><f>1+1</f><v>2</v></c>')
    assert _rows(read_xlsx(path, "t").data) == [
        {"id": "a", "total": "2", "_line": 1, "_problem": None}
    ]


def test_a_formula_whose_saved_value_is_empty_text_is_null_without_a_problem(tmp_path):
    path = _save(tmp_path / "t.xlsx", [["id", "total"], ["a", '=IF(1,"",1)']])
    _edit_sheet(
        path,
        '<c r="B2"><f>IF(1,"",1)</f><v /></c>',
        '<c r="B2" t="str"><f>IF(1,"",1)</f><v></v></c>',
    )
    assert _rows(read_xlsx(path, "t").data) == [
        {"id": "a", "total": None, "_line": 1, "_problem": None}
    ]


def test_an_error_value_is_null_and_reported(tmp_path):
    path = _save(tmp_path / "t.xlsx", [["id", "total"], ["a", "#DIV/0!"]])
    rows = _rows(read_xlsx(path, "t").data)
    assert rows == [
        {"id": "a", "total": None, "_line": 1, "_problem": "error value #DIV/0! in column total"}
    ]


def test_text_that_looks_like_a_formula_is_kept_as_written(tmp_path):
    path = tmp_path / "t.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["id", "note"])
    ws["A2"] = "a"
    ws["B2"] = "@SUM(1)"
    ws["B2"].data_type = "s"
    ws["A3"] = "b"
    ws["B3"] = "-cmd"
    ws["A4"] = "c"
    ws["B4"] = "=HYPERLINK(1)"
    ws["B4"].data_type = "s"  # text, not a formula
    wb.save(path)
    rows = _rows(read_xlsx(path, "t").data)
    assert [r["note"] for r in rows] == ["@SUM(1)", "-cmd", "=HYPERLINK(1)"]
    assert [r["_problem"] for r in rows] == [None, None, None]


def test_a_value_beyond_the_last_header_column_is_reported_and_dropped(tmp_path):
    path = _save(tmp_path / "t.xlsx", [["id", "v"], ["a", 1, None, "stray"], ["b", 2]])
    # A formatted but empty cell beyond the header is not a problem.
    _edit_sheet(path, '<c r="B3" t="n"><v>2</v></c>', '<c r="B3" t="n"><v>2</v></c><c r="E3" />')
    rows = _rows(read_xlsx(path, "t").data)
    assert rows == [
        {
            "id": "a",
            "v": "1",
            "_line": 1,
            "_problem": "value beyond the last header column (in column D)",
        },
        {"id": "b", "v": "2", "_line": 2, "_problem": None},
    ]


def test_short_rows_are_padded_with_nulls_and_several_problems_are_joined(tmp_path):
    path = _save(tmp_path / "t.xlsx", [["id", "v", "w"], ["a"], ["b", "#N/A", "=1", "x"]])
    rows = _rows(read_xlsx(path, "t").data)
    assert rows[0] == {"id": "a", "v": None, "w": None, "_line": 1, "_problem": None}
    assert rows[1]["_problem"] == (
        "error value #N/A in column v; formula with no saved value in column w; "
        "value beyond the last header column (in column D)"
    )


def test_trailing_blank_header_cells_are_not_columns(tmp_path):
    path = _save(tmp_path / "t.xlsx", [["id", "v", None, "  "], ["a", 1]])
    assert read_xlsx(path, "t").data.column_names == ["id", "v", "_line", "_problem"]


def test_a_sheet_with_only_a_header_has_no_rows(tmp_path):
    data = read_xlsx(_save(tmp_path / "t.xlsx", [["id", "v"]]), "t").data
    assert data.num_rows == 0
    assert data.column_names == ["id", "v", "_line", "_problem"]


@pytest.mark.parametrize(
    "header, message",
    [
        (["id", "ID "], r"t.xlsx: column 'id' appears more than once"),
        (["id", None, "v"], r"t.xlsx: column B of the header \(row 1\) has no name"),
        (["id", "_line"], r"t.xlsx: column B of the header \(row 1\) is named '_line'"),
        (["_problem"], r"t.xlsx: column A .* is named '_problem', a reserved name"),
    ],
)
def test_a_bad_header_is_refused(tmp_path, header, message):
    path = _save(tmp_path / "t.xlsx", [header, ["a", "b", "c"]])
    with pytest.raises(UnusableFileError, match=message):
        read_xlsx(path, "t")


def test_an_empty_sheet_is_refused(tmp_path):
    with pytest.raises(UnusableFileError, match="t.xlsx: the sheet is empty"):
        read_xlsx(_save(tmp_path / "t.xlsx", [[], [None]]), "t")


def _two_sheets(path: Path, hide_first: bool = False) -> Path:
    wb = openpyxl.Workbook()
    first = wb.active
    first.title = "Notes"
    first.append(["about"])
    first.append(["this workbook"])
    second = wb.create_sheet("Data")
    second.append(["id"])
    second.append(["a"])
    if hide_first:
        first.sheet_state = "hidden"
    wb.save(path)
    return path


def test_the_first_sheet_is_read_unless_one_is_named(tmp_path):
    path = _two_sheets(tmp_path / "t.xlsx")
    assert read_xlsx(path, "t").data.column_names[0] == "about"
    assert read_xlsx(path, "t", sheet="Data").data.column("id").to_pylist() == ["a"]


def test_a_hidden_first_sheet_is_passed_over(tmp_path):
    path = _two_sheets(tmp_path / "t.xlsx", hide_first=True)
    assert read_xlsx(path, "t").data.column_names[0] == "id"


def test_an_unknown_sheet_is_refused_with_the_sheet_names(tmp_path):
    path = _two_sheets(tmp_path / "t.xlsx")
    with pytest.raises(
        UnusableFileError, match=r"t.xlsx: has no sheet 'data' \(its sheets are 'Notes', 'Data'\)"
    ):
        read_xlsx(path, "t", sheet="data")


def test_a_csv_renamed_xlsx_is_refused(tmp_path):
    path = tmp_path / "people.xlsx"
    path.write_text("person_id,sex\np1,F\n")
    with pytest.raises(UnusableFileError, match=r"^people.xlsx: is not an .xlsx workbook"):
        read_xlsx(path, "people")


def test_a_zip_that_is_not_a_workbook_is_refused(tmp_path):
    path = tmp_path / "t.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(UnusableFileError, match=r"^t.xlsx: cannot be read as an .xlsx workbook"):
        read_xlsx(path, "t")


def test_a_damaged_sheet_is_refused(tmp_path):
    path = _save(tmp_path / "t.xlsx", [["id"], ["a"]])
    _edit_sheet(path, "</sheetData>", "")
    with pytest.raises(UnusableFileError, match=r"^t.xlsx: the sheet cannot be read"):
        read_xlsx(path, "t")


def _ole_file(path: Path, directory_entry: str) -> Path:
    """The start of an OLE compound file holding a stream of the given name (not a full file)."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    path.write_bytes(header + directory_entry.encode("utf-16-le") + bytes(64))
    return path


def test_a_password_protected_workbook_is_refused(tmp_path):
    path = _ole_file(tmp_path / "t.xlsx", "EncryptionInfo")
    with pytest.raises(
        UnusableFileError, match="t.xlsx: the workbook is protected with a password"
    ):
        read_xlsx(path, "t")


def test_an_old_xls_workbook_is_refused(tmp_path):
    path = _ole_file(tmp_path / "t.xlsx", "Workbook")
    with pytest.raises(UnusableFileError, match=r"t.xlsx: is an old-style Excel 97-2003 \(.xls\)"):
        read_xlsx(path, "t")


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(UnusableFileError, match="gone.xlsx: cannot be opened"):
        read_xlsx(tmp_path / "gone.xlsx", "t")
