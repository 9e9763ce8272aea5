"""Reading one worksheet of an Excel ``.xlsx`` workbook as a staged table of text.

The first non-empty row of the sheet is the header; every row below it is a row of the table.
Cells are turned into text the way a person reading the sheet would write them (see
``cell_text``), so validation sees the same strings whatever the cell's Excel type.

Problems that touch one row but not the whole file are not raised: the row is kept and the
reason written in the extra column ``_problem`` (null for a clean row), so the caller can
quarantine it. These are

- a formula whose value was never saved (the workbook was written by a program that does not
  calculate, such as openpyxl, and not opened and saved in Excel since): the cell is null;
- an Excel error value such as ``#N/A`` or ``#DIV/0!``: the cell is null;
- a non-empty cell to the right of the last header column (the cell itself is not kept).

The workbook is read within ``WorkbookLimits`` (``daeval.ingest.workbook_limits``): rows,
cells, characters in a cell and bytes of XML; past one the whole file is refused.

Text that looks like a formula (starting with ``=``, ``+``, ``-`` or ``@``) is kept exactly as
written. It is harmless here, but anything that writes these values back out to a spreadsheet
or CSV must escape it, as a spreadsheet would run it as a formula.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import pyarrow as pa
from openpyxl.cell.read_only import EMPTY_CELL
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from daeval.errors import UnusableFileError
from daeval.ingest.staged import LOCATOR_COLUMN, StagedTable
from daeval.ingest.workbook_limits import EXCEL_LIMITS, WorkbookLimits, open_workbook

PROBLEM_COLUMN = "_problem"
"""Extra staged column: why a row cannot be trusted as read, or null when it can."""

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
"""The first bytes of an OLE compound file: an encrypted workbook or an old ``.xls`` one."""

ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")
"""The name of the stream an Office file encrypted with a password keeps its key data in."""

# What openpyxl (and the zip and XML layers below it) raise on a file that is not a readable
# workbook. Only openpyxl calls are guarded with it, so a bug in this module still shows.
_READ_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    InvalidFileException,
    KeyError,
    OSError,
    SyntaxError,  # xml.etree.ElementTree.ParseError
    TypeError,
    ValueError,
)


def read_xlsx(
    path: Path, table: str, sheet: str | None = None, limits: WorkbookLimits = EXCEL_LIMITS
) -> StagedTable:
    """Read one worksheet of ``path`` as rows of the canonical table ``table``.

    ``sheet`` names the worksheet to read; without it the first visible worksheet is read.
    Header names are stripped and lower-cased and kept as the column names (``table`` is recorded,
    not checked). ``_line`` is the spreadsheet row number minus the header's row number, so the
    first row under a header in row 1 is 1; blank rows are skipped but still counted. Raises
    ``UnusableFileError`` when the file is not a readable workbook, the sheet does not exist or is
    empty, the header has a blank or repeated name, or the workbook is beyond ``limits``.
    """
    _refuse_ole_file(path)
    with warnings.catch_warnings():
        # openpyxl warns about workbook features it drops (data validation, styles); none of
        # them change the cell values read here.
        warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
        with ExitStack() as workbooks:
            # The same sheet is read twice: once for the values Excel saved (formula results),
            # once to tell which cells hold formulas. Only the first reading scans the XML for
            # the limits: the second is opened after it and reads each row after it, in the same
            # pieces, so it never reads XML the first has not scanned.
            values = _open(path, data_only=True, limits=limits, scan=True)
            workbooks.callback(values.close)
            formulas = _open(path, data_only=False, limits=limits, scan=False)
            workbooks.callback(formulas.close)
            rows = _sheet_rows(path, values, sheet)
            formula_rows = _sheet_rows(path, formulas, sheet)
            data = _read_rows(path, zip(rows, formula_rows, strict=True))
    return StagedTable(table=table, origin=path.name, data=data, locator="row")


def _refuse_ole_file(path: Path) -> None:
    """Refuse, with the likely reason, a file that is an OLE container rather than a zip."""
    try:
        with path.open("rb") as f:
            if f.read(len(OLE_SIGNATURE)) != OLE_SIGNATURE:
                return
            content = f.read()
    except OSError as exc:
        raise UnusableFileError(f"{path.name}: cannot be opened ({exc.strerror})") from None
    if ENCRYPTION_STREAM in content:
        raise UnusableFileError(
            f"{path.name}: the workbook is protected with a password; save an unprotected copy"
        )
    raise UnusableFileError(
        f"{path.name}: is an old-style Excel 97-2003 (.xls) file, not .xlsx; save it as .xlsx"
    )


def _open(path: Path, data_only: bool, limits: WorkbookLimits, scan: bool) -> Any:
    """The workbook in read-only mode: with saved formula results, or with the formulas."""
    try:
        return open_workbook(path, data_only, limits, scan)
    except _READ_ERRORS as exc:
        raise UnusableFileError(f"{path.name}: {_open_failure(exc)}") from None


def _open_failure(exc: Exception) -> str:
    if isinstance(exc, zipfile.BadZipFile):
        return "is not an .xlsx workbook (it may be a CSV or another file renamed .xlsx)"
    if isinstance(exc, OSError) and exc.strerror:
        return f"cannot be opened ({exc.strerror})"
    return f"cannot be read as an .xlsx workbook ({_first_line(exc)})"


def _first_line(exc: Exception) -> str:
    """What went wrong, in words of our own: the reader's error text can quote a cell."""
    if isinstance(exc, SyntaxError):
        return "its XML is not well-formed"
    if isinstance(exc, ValueError | TypeError):
        return "a cell's value does not match the type the workbook gives it"
    if isinstance(exc, KeyError):
        return "a part of the workbook is missing"
    if isinstance(exc, EOFError | zipfile.BadZipFile):
        return "the file is damaged or cut short"
    return "the file is damaged"


def _sheet_rows(path: Path, workbook: Any, sheet: str | None) -> Iterator[Sequence[Any]]:
    """The rows of the chosen worksheet, one per spreadsheet row from row 1 (gaps included)."""
    worksheets = workbook.worksheets
    names = [ws.title for ws in worksheets]
    if not worksheets:
        raise UnusableFileError(f"{path.name}: the workbook has no worksheets")
    if sheet is None:
        visible = [ws for ws in worksheets if ws.sheet_state == "visible"]
        worksheet = (visible or worksheets)[0]
    elif sheet in names:
        worksheet = worksheets[names.index(sheet)]
    else:
        listed = ", ".join(repr(n) for n in names)
        raise UnusableFileError(f"{path.name}: has no sheet {sheet!r} (its sheets are {listed})")
    # The size a workbook declares is sometimes wrong; read the rows actually stored instead.
    worksheet.reset_dimensions()
    return _guarded(path, worksheet.iter_rows())


def _guarded(path: Path, rows: Iterator[Sequence[Any]]) -> Iterator[Sequence[Any]]:
    """``rows``, with a failure to parse the sheet reported as an unusable file."""
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except _READ_ERRORS as exc:
            raise UnusableFileError(
                f"{path.name}: the sheet cannot be read ({_first_line(exc)})"
            ) from None
        yield row


class _Cell(NamedTuple):
    """One cell as read: its text (None when empty) and why it could not be read, if so."""

    text: str | None
    problem: str | None = None


_NOTHING = _Cell(None)
"""An empty cell, with no problem."""


def _read_row(value_cells: Sequence[Any], formula_cells: Sequence[Any]) -> list[_Cell]:
    """A row's cells. openpyxl pads a row up to its last cell with one shared ``EMPTY_CELL``:
    those are empty without being read, so a row of a few cells stretched to column XFD costs
    little."""
    return [
        _NOTHING if v is EMPTY_CELL else _read_cell(v, f)
        for v, f in zip(value_cells, formula_cells, strict=True)
    ]


def _read_cell(value_cell: Any, formula_cell: Any) -> _Cell:
    """A cell from the saved-values workbook, with its twin from the formulas workbook."""
    if value_cell.data_type == "e":
        return _Cell(None, f"error value {value_cell.value}")
    if value_cell.value is None and formula_cell.data_type == "f":
        # A formula whose result is the empty string is saved as an empty text value
        # (type "str", which openpyxl passes on as it is when the value is empty).
        if value_cell.data_type in ("s", "str"):
            return _Cell(None)
        return _Cell(None, "formula with no saved value")
    return _Cell(cell_text(value_cell.value))


def cell_text(value: object) -> str | None:
    """A cell value as text: None for empty, otherwise what a person would write.

    Text is stripped (empty text is None); whole numbers have no decimal point ("12"), other
    numbers are written in full without an exponent ("3.5", "0.00001"); booleans are "true" or
    "false"; dates are "YYYY-MM-DD", and date-times "YYYY-MM-DD HH:MM:SS" unless the time is
    midnight, when only the date is kept; times are "HH:MM:SS"; durations "H:MM:SS".
    """
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number_text(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, dt.timedelta):
        return _duration_text(value)
    return str(value)


def _number_text(value: float) -> str:
    if not math.isfinite(value):
        return repr(value)
    if value.is_integer():
        return str(int(value))
    # repr is the shortest text that reads back as the same float; Decimal writes it out
    # without an exponent.
    return format(Decimal(repr(value)), "f")


def _duration_text(value: dt.timedelta) -> str:
    seconds = round(value.total_seconds())
    sign = "-" if seconds < 0 else ""
    hours, rest = divmod(abs(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{sign}{hours}:{minutes:02d}:{secs:02d}"


def _read_rows(path: Path, rows: Iterator[tuple[Sequence[Any], Sequence[Any]]]) -> pa.Table:
    """The header and the rows under it, as string columns plus ``_line`` and ``_problem``."""
    header_row, header = _find_header(path, rows)
    columns: list[list[str | None]] = [[] for _ in header]
    lines: list[int] = []
    problems: list[str | None] = []
    for row_number, (value_cells, formula_cells) in enumerate(rows, start=header_row + 1):
        cells = _read_row(value_cells, formula_cells)
        if all(c is _NOTHING or (c.text is None and c.problem is None) for c in cells):
            continue
        for index, column in enumerate(columns):
            column.append(cells[index].text if index < len(cells) else None)
        lines.append(row_number - header_row)
        problems.append(_row_problem(header, cells))
    arrays: dict[str, pa.Array] = {
        name: pa.array(column, type=pa.string())
        for name, column in zip(header, columns, strict=True)
    }
    arrays[LOCATOR_COLUMN] = pa.array(lines, type=pa.int64())
    arrays[PROBLEM_COLUMN] = pa.array(problems, type=pa.string())
    return pa.table(arrays)


def _find_header(
    path: Path, rows: Iterator[tuple[Sequence[Any], Sequence[Any]]]
) -> tuple[int, list[str]]:
    """The spreadsheet row number of the first non-empty row, and its names as the header."""
    for row_number, (value_cells, formula_cells) in enumerate(rows, start=1):
        texts = [c.text for c in _read_row(value_cells, formula_cells)]
        if any(t is not None for t in texts):
            return row_number, _header_names(path, row_number, texts)
    raise UnusableFileError(f"{path.name}: the sheet is empty (no header row)")


def _header_names(path: Path, row_number: int, texts: list[str | None]) -> list[str]:
    """Header cells as column names (stripped, lower case), refusing blank and repeated ones."""
    while texts and texts[-1] is None:
        texts.pop()
    names: list[str] = []
    for index, text in enumerate(texts):
        where = f"column {get_column_letter(index + 1)} of the header (row {row_number})"
        if text is None:
            raise UnusableFileError(f"{path.name}: {where} has no name")
        name = text.lower()
        if name in names:
            raise UnusableFileError(f"{path.name}: column {name!r} appears more than once")
        if name in (LOCATOR_COLUMN, PROBLEM_COLUMN):
            raise UnusableFileError(f"{path.name}: {where} is named {name!r}, a reserved name")
        names.append(name)
    return names


def _row_problem(header: list[str], cells: list[_Cell]) -> str | None:
    """Every problem of one row, in column order, joined by "; " (None for a clean row)."""
    found: list[str] = []
    for index, cell in enumerate(cells):
        if cell is _NOTHING:
            continue
        if index < len(header):
            if cell.problem is not None:
                found.append(f"{cell.problem} in column {header[index]}")
        elif cell.text is not None or cell.problem is not None:
            letter = get_column_letter(index + 1)
            found.append(f"value beyond the last header column (in column {letter})")
    return "; ".join(found) or None
