"""Report tables as an Excel workbook (XLSX, written with openpyxl), the same bytes every time.

The first sheet, "About", lists the front matter (label and value: daeval version, study file
hash, options) and then the contents: each table's title and its sheet, linked. Each table then
has a sheet of its own: the title (bold) in A1, the note in A2, the header row (bold) in row 4,
frozen, and the data from row 5.

A workbook made from synthetic data is given a ``banner``: it fills row 3 of each table's sheet
(inside the frozen rows, so it stays in view) and row 1 of "About" (frozen there), and is the
header and footer of every sheet when printed (daeval.report.synthetic).

Cells keep their types: numbers are numbers (shares in ``percent_columns`` shown as ``0.0%``),
text is text and None is an empty cell. Text is always stored as text, never as a formula, even
when it starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (Excel formula
injection: daeval.privacy.formula_text); such cells are also
marked with Excel's quote prefix, so editing one in Excel keeps it text.

Deterministic: openpyxl stamps the time of saving in ``docProps/core.xml`` and Python's zipfile
stamps each entry with the clock. Here the workbook's created and modified times are ``stamp``
(2000-01-01 unless given), and the archive is written again with every entry dated ``stamp``
(1980-01-01 if earlier: the oldest date a zip can hold), in openpyxl's own fixed order.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import Cell as SheetCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from daeval.privacy.formula_text import is_formula_like
from daeval.report.tables import Cell, Table

STAMP = datetime(2000, 1, 1)
"""The created and modified time of every workbook unless another is given."""

ABOUT = "About"
TITLE_ROW, NOTE_ROW, BANNER_ROW, HEADER_ROW, FIRST_DATA_ROW = 1, 2, 3, 4, 5
PERCENT_FORMAT = "0.0%"
MAX_SHEET_NAME = 31
MIN_WIDTH, MAX_WIDTH = 8, 60
"""Column widths, in characters: fitted to the widest header or cell, within these bounds."""

_NOT_IN_SHEET_NAMES = re.compile(r"[\[\]:*?/\\]")
_RESERVED_SHEET_NAMES = {"history"}  # Excel keeps "History" for itself
_BOLD = Font(bold=True)
_BANNER_FONT = Font(bold=True, color="B00020")
_BANNER_FILL = PatternFill("solid", fgColor="FDECEE")


def sheet_names(keys: Sequence[str], taken: Sequence[str] = (ABOUT,)) -> list[str]:
    """A sheet name for each key: the key with []:*?/\\ as ``_``, at most 31 characters, no
    leading or trailing apostrophe, unique (ignoring case, as Excel does) among themselves and
    ``taken``; a clash gets a suffix ``_2``, ``_3``, ..."""
    used = {name.casefold() for name in taken}
    names = []
    for key in keys:
        base = _NOT_IN_SHEET_NAMES.sub("_", key).strip().strip("'")[:MAX_SHEET_NAME] or "table"
        name, n = base, 1
        while name.casefold() in used or name.casefold() in _RESERVED_SHEET_NAMES:
            n += 1
            suffix = f"_{n}"
            name = base[: MAX_SHEET_NAME - len(suffix)] + suffix
        used.add(name.casefold())
        names.append(name)
    return names


def _put(sheet: Worksheet, row: int, column: int, value: Cell, where: str) -> SheetCell:
    """Write one value with its type kept; text never becomes a formula."""
    cell = sheet.cell(row=row, column=column)
    if value is None:
        return cell
    if isinstance(value, str):
        cell.value = value
        cell.data_type = "s"  # openpyxl takes "=..." for a formula otherwise
        if is_formula_like(value):
            cell.quotePrefix = True
        return cell
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{where}: {value!r} is not text, a number or None")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{where}: {value!r} cannot be stored in a workbook")
    cell.value = value
    return cell


def _shown(value: Cell, percent: bool) -> str:
    if value is None:
        return ""
    if percent and isinstance(value, int | float):
        return f"{100 * value:.1f}%"
    return str(value)


def _fit_columns(sheet: Worksheet, columns: Sequence[Sequence[str]]) -> None:
    for index, texts in enumerate(columns, start=1):
        widest = max((len(t) for t in texts), default=0)
        width = min(MAX_WIDTH, max(MIN_WIDTH, widest + 2))
        sheet.column_dimensions[get_column_letter(index)].width = width


def _table_sheet(sheet: Worksheet, table: Table, banner: str | None = None) -> None:
    _mark(sheet, BANNER_ROW, banner)
    _put(sheet, TITLE_ROW, 1, table.title, f"table {table.key!r} title").font = _BOLD
    if table.note:
        _put(sheet, NOTE_ROW, 1, table.note, f"table {table.key!r} note")
    percent = [c in table.percent_columns for c in table.columns]
    texts: list[list[str]] = [[c] for c in table.columns]
    for j, name in enumerate(table.columns, start=1):
        _put(sheet, HEADER_ROW, j, name, f"table {table.key!r} header").font = _BOLD
    for i, row in enumerate(table.rows):
        for j, value in enumerate(row):
            where = f"table {table.key!r}, row {i}, column {table.columns[j]!r}"
            cell = _put(sheet, FIRST_DATA_ROW + i, j + 1, value, where)
            if percent[j] and isinstance(value, int | float):
                cell.number_format = PERCENT_FORMAT
            texts[j].append(_shown(value, percent[j]))
    sheet.freeze_panes = sheet.cell(row=FIRST_DATA_ROW, column=1).coordinate
    _fit_columns(sheet, texts)


def _mark(sheet: Worksheet, row: int, banner: str | None) -> None:
    """Put ``banner`` in column A of ``row`` (its text runs on over the empty cells beside it;
    no other cell is touched, so the table keeps its width) and in the printed header and footer;
    nothing when there is no banner."""
    if banner is None:
        return
    cell = _put(sheet, row, 1, banner, "banner")
    cell.font, cell.fill = _BANNER_FONT, _BANNER_FILL
    for part in (sheet.oddHeader.center, sheet.oddFooter.center):
        part.text, part.font, part.color = banner, "-,Bold", "B00020"


def _about_sheet(
    sheet: Worksheet,
    front: Sequence[tuple[str, str]],
    contents: Sequence[tuple[str, str]],
    banner: str | None = None,
) -> None:
    _mark(sheet, 1, banner)
    row = 1 if banner is None else 3
    if banner is not None:
        sheet.freeze_panes = "A2"
    for label, value in front:
        _put(sheet, row, 1, label, f"front item {label!r}").font = _BOLD
        _put(sheet, row, 2, value, f"front item {label!r}")
        row += 1
    if front:
        row += 1
    _put(sheet, row, 1, "Contents", "contents").font = _BOLD
    row += 1
    _put(sheet, row, 1, "Table", "contents").font = _BOLD
    _put(sheet, row, 2, "Sheet", "contents").font = _BOLD
    for title, name in contents:
        row += 1
        _put(sheet, row, 1, title, f"contents entry {name!r}")
        link = _put(sheet, row, 2, name, f"contents entry {name!r}")
        quoted = name.replace("'", "''")
        link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{quoted}'!A1", display=name)
        link.style = "Hyperlink"
    texts = [
        ["Contents", "Table", *(label for label, _ in front), *(title for title, _ in contents)],
        ["Sheet", *(value for _, value in front), *(name for _, name in contents)],
    ]
    _fit_columns(sheet, texts)


def _naive_utc(stamp: datetime) -> datetime:
    return stamp if stamp.tzinfo is None else stamp.astimezone(UTC).replace(tzinfo=None)


def _fixed_zip(data: bytes, stamp: datetime) -> bytes:
    """The archive again, each entry (in the same order) dated ``stamp`` with fixed attributes."""
    date_time = max(stamp.timetuple()[:6], (1980, 1, 1, 0, 0, 0))
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            target.writestr(info, source.read(entry.filename))
    return out.getvalue()


def workbook_bytes(
    tables: Sequence[Table],
    front: Sequence[tuple[str, str]] = (),
    stamp: datetime = STAMP,
    banner: str | None = None,
) -> bytes:
    """The XLSX file of ``tables`` (see the module's description), as bytes."""
    stamp = _naive_utc(stamp)
    book = Workbook()
    book.properties.created = stamp
    book.properties.modified = stamp
    about = book.active
    assert about is not None
    about.title = ABOUT
    names = sheet_names([t.key for t in tables])
    for table, name in zip(tables, names, strict=True):
        _table_sheet(book.create_sheet(name), table, banner)
    _about_sheet(about, front, [(t.title, n) for t, n in zip(tables, names, strict=True)], banner)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(book, archive).save()  # not save_workbook, which stamps the time of saving
    return _fixed_zip(buffer.getvalue(), stamp)


def write_workbook(
    tables: Sequence[Table],
    path: Path,
    front: Sequence[tuple[str, str]] = (),
    stamp: datetime = STAMP,
    banner: str | None = None,
) -> Path:
    """Write ``tables`` to the XLSX file ``path`` (its folder must exist), after an "About" sheet
    listing ``front`` (label, value) and the contents, each sheet carrying ``banner`` if given.
    The same arguments give the same bytes."""
    path = Path(path)
    path.write_bytes(workbook_bytes(tables, front, stamp, banner))
    return path
