"""Limits on what is read from one ``.xlsx`` workbook, so that a small file cannot take the machine.

A workbook is a zip of XML parts, and XML compresses very well: a 2 MB file can hold gigabytes of
XML, a row numbered in the billions, a million rows each as wide as the sheet, or one cell of a
billion characters, and openpyxl reads whatever the file says. Every part openpyxl opens goes
through ``BoundedArchive.open``, which refuses a part whose declared size is beyond the limit,
counts the bytes actually inflated from all the parts together (a zip's declared sizes can lie),
and reads the XML as it passes with a second, light parser (``_PartScanner``) that counts rows,
cells, elements and characters, so that a limit is met before openpyxl builds the row or the
string that breaks it. Past a limit the whole file is refused (``UnusableFileError``), naming the
limit.

The limits default to Excel's own where it has them (Microsoft, "Excel specifications and
limits", https://support.microsoft.com/en-us/office/excel-specifications-and-limits-1672b34d-7043-467e-8e27-269d656771c3):
a worksheet has at most 1,048,576 rows and 16,384 columns, and a cell at most 32,767 characters.
Excel has no limit on the size of the XML; 1 GiB is several times a full-height sheet of any
canonical table (about 40 bytes of XML a cell).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import IO, Any
from xml.parsers import expat

from openpyxl.reader.excel import ExcelReader
from openpyxl.utils import get_column_letter

from daeval.errors import UnusableFileError

MAX_ROWS = 1_048_576
"""Rows of a worksheet: Excel's maximum, so also the highest row number read."""
MAX_COLUMNS = 16_384
"""Columns of a worksheet (A to XFD): Excel's maximum."""
MAX_CELL_CHARACTERS = 32_767
"""Characters in one cell (one text of the XML, or one shared or inline string): Excel's maximum.
They are counted as the file stores them (Excel writes a carriage return as ``_x000D_``)."""
MAX_CELLS = MAX_ROWS * 32
"""Cells of the sheet as read: for each row, its last cell's column (the row is padded to it),
added up. A full-height sheet 32 columns wide; the widest canonical table has 19 columns."""
MAX_XML_BYTES = 1 << 30
"""Bytes of XML inflated from one workbook (sheet, shared strings and the small parts), 1 GiB."""
MAX_ITEM_ELEMENTS = 1 << 20
"""XML elements in one row, in one shared string, or outside rows and strings in one part; it
bounds what the XML parser holds at once. A full row of 16,384 cells takes about 50,000."""
MAX_TAG_BYTES = 1 << 20
"""Bytes of one XML tag (a name and its attributes), 1 MiB; Excel writes tags of tens of bytes."""

ADVICE = "split the workbook or save the sheet as CSV"

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_ROW = f"{_MAIN} row"
_CELL = f"{_MAIN} c"
_DIMENSION = f"{_MAIN} dimension"
_SHARED_STRING = f"{_MAIN} si"
_INLINE_STRING = f"{_MAIN} is"
_READ_SIZE = 1 << 16
_REFERENCE_LETTERS = "$ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class WorkbookLimits:
    """The limits on one workbook; the defaults are the module's constants."""

    xml_bytes: int = MAX_XML_BYTES
    rows: int = MAX_ROWS
    columns: int = MAX_COLUMNS
    cells: int = MAX_CELLS
    cell_characters: int = MAX_CELL_CHARACTERS
    item_elements: int = MAX_ITEM_ELEMENTS
    tag_bytes: int = MAX_TAG_BYTES


EXCEL_LIMITS = WorkbookLimits()
"""The limits used unless others are given."""


def open_workbook(path: Path, data_only: bool, limits: WorkbookLimits, scan: bool = True) -> Any:
    """The workbook at ``path`` opened by openpyxl in read-only mode, every part read within
    ``limits``: its bytes always counted, its XML scanned when ``scan``. openpyxl's
    ``load_workbook`` is ``ExcelReader(...).read()``; the reader's archive is replaced by a
    bounded one before anything is read from it."""
    reader = ExcelReader(path, read_only=True, data_only=data_only)
    reader.archive.close()
    reader.archive = BoundedArchive(path, limits, scan)
    try:
        reader.valid_files = reader.archive.namelist()
        reader.read()
    except BaseException:
        reader.archive.close()
        raise
    return reader.wb


def _size(n: int) -> str:
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift and n % (1 << shift) == 0:
            return f"{n >> shift} {unit}"
    return f"{n:,} bytes"


def refusal(file_name: str, what: str) -> UnusableFileError:
    return UnusableFileError(f"{file_name}: {what}; {ADVICE}")


class BoundedArchive(zipfile.ZipFile):
    """The workbook's zip, whose parts are read through ``_BoundedPart``."""

    def __init__(self, path: Path, limits: WorkbookLimits, scan: bool = True) -> None:
        super().__init__(path)
        self.file_name = path.name
        self.limits = limits
        self.scan = scan
        self.inflated = 0
        """Bytes inflated from the parts: for each part, the furthest any reading of it went."""
        self._furthest: dict[str, int] = {}

    def open(  # type: ignore[override]
        self, name: str | zipfile.ZipInfo, mode: str = "r", pwd: bytes | None = None, **kw: Any
    ) -> IO[bytes]:
        if mode != "r":
            return super().open(name, "w", pwd, **kw)
        info = name if isinstance(name, zipfile.ZipInfo) else self.getinfo(name)
        if info.file_size > self.limits.xml_bytes:
            raise refusal(
                self.file_name,
                f"its part {info.filename} declares {_size(info.file_size)} uncompressed, more "
                f"than the {_size(self.limits.xml_bytes)} read from one workbook",
            )
        raw = super().open(info, "r", pwd, **kw)
        return _BoundedPart(self, info.filename, raw)  # type: ignore[return-value]

    def count(self, part: str, position: int) -> None:
        """Note that ``part`` has been inflated up to ``position``; refuse past the limit."""
        before = self._furthest.get(part, 0)
        if position > before:
            self._furthest[part] = position
            self.inflated += position - before
            if self.inflated > self.limits.xml_bytes:
                raise refusal(
                    self.file_name,
                    f"its XML inflates to more than the {_size(self.limits.xml_bytes)} read "
                    "from one workbook",
                )


class _BoundedPart:
    """One part being read: its bytes counted and scanned as they are inflated."""

    def __init__(self, archive: BoundedArchive, name: str, raw: IO[bytes]) -> None:
        self._archive = archive
        self._name = name
        self._raw = raw
        self._position = 0
        self._scanner = (
            _PartScanner(archive.file_name, name, archive.limits) if archive.scan else None
        )

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            # Read in pieces, so a limit is met before the whole part is in memory.
            pieces = []
            while piece := self.read(_READ_SIZE):
                pieces.append(piece)
            return b"".join(pieces)
        if size == 0:
            return b""
        data = self._raw.read(size)
        self._position += len(data)
        self._archive.count(self._name, self._position)
        if self._scanner is not None and not self._scanner.feed(data):
            self._scanner = None
        return data

    read1 = read

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._raw.close()

    @property
    def closed(self) -> bool:
        return bool(self._raw.closed)

    def __enter__(self) -> _BoundedPart:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Unscannable(Exception):
    """The part declares XML entities: it is left to openpyxl's parser, which refuses them."""


@cache
def _column_numbers() -> dict[str, int]:
    """Column letters to numbers, A to ZZZ (the longest openpyxl reads)."""
    return {get_column_letter(n): n for n in range(1, 18_279)}


def _column_of(reference: str) -> int | None:
    """The column number of a cell reference such as ``AB12`` (beyond ZZZ: a number past it);
    None when it has no letters."""
    letters = reference.rstrip("0123456789")
    number = _column_numbers().get(letters)
    if number is None:
        letters = letters.replace("$", "").upper()
        if not letters:
            return None
        number = _column_numbers().get(letters, 18_279)
    return number


def _row_of(text: str) -> int | None:
    """A row number as openpyxl reads it (a whole number, possibly written as a float)."""
    try:
        return int(text)
    except ValueError:
        try:
            number = float(text)
        except ValueError:
            return None
        # Infinity and NaN are not whole; a huge float is a huge row number.
        return int(number) if number.is_integer() else None


class _PartScanner:
    """Counts what one XML part holds as its bytes pass, refusing past a limit.

    An XML error, or an entity declaration, stops the scan of the part: openpyxl's own parser
    (expat too, through defusedxml) meets the same error at the same place and fails, or refuses
    the entities.
    """

    def __init__(self, file_name: str, part: str, limits: WorkbookLimits) -> None:
        self.file_name, self.part, self.limits = file_name, part, limits
        parser = expat.ParserCreate(namespace_separator=" ")
        parser.buffer_text = True
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._text
        parser.EntityDeclHandler = self._entity
        self._parser = parser
        self._event = False  # whether the parser reported anything from the last bytes fed
        self._quiet = 0  # bytes fed since it last did
        self._item: str | None = None  # the row or shared string being read
        self._in_string = False  # within a shared or inline string
        self._characters = 0
        self._item_elements = 0
        self._other_elements = 0
        self._rows = self._row_number = 0
        self._cells = 0  # cells of the rows before the current one
        self._row_cells = self._column = self._width = 0
        self._strings = 0

    def feed(self, data: bytes) -> bool:
        """Scan ``data`` (the end of the part when empty); False when the scan has stopped."""
        self._event = False
        try:
            self._parser.Parse(data, not data)
        except (expat.ExpatError, _Unscannable):
            return False
        self._quiet = 0 if self._event else self._quiet + len(data)
        if self._quiet > self.limits.tag_bytes:
            raise self._refusal(f"has an XML tag longer than {_size(self.limits.tag_bytes)}")
        return bool(data)

    def _refusal(self, what: str) -> UnusableFileError:
        return refusal(self.file_name, f"its part {self.part} {what}")

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        self._event = True
        if self._item is not None:
            self._item_elements += 1
            if self._item_elements > self.limits.item_elements:
                raise self._refusal(
                    f"has more than {self.limits.item_elements:,} XML elements in one row or string"
                )
        elif name == _ROW or name == _SHARED_STRING:
            self._item = name
            self._item_elements = 1
        else:
            self._other_elements += 1
            if self._other_elements > self.limits.item_elements:
                raise self._refusal(
                    f"has more than {self.limits.item_elements:,} XML elements outside its rows "
                    "and strings"
                )
        if not self._in_string:
            self._characters = 0
        if name == _CELL:
            self._cell(attrs.get("r"))
        elif name == _ROW:
            self._row(attrs.get("r"))
        elif name == _SHARED_STRING or name == _INLINE_STRING:
            self._in_string = True
            self._characters = 0
            if name == _SHARED_STRING:
                self._strings += 1
                if self._strings > self.limits.cells:
                    raise self._refusal(
                        f"has more than {self.limits.cells:,} shared strings, the most cells "
                        "read from a sheet"
                    )
        elif name == _DIMENSION:
            self._dimension(attrs.get("ref", ""))

    def _end(self, name: str) -> None:
        self._event = True
        if name == self._item:
            self._item = None
        if name == _SHARED_STRING or name == _INLINE_STRING:
            self._in_string = False
        if not self._in_string:
            self._characters = 0

    def _text(self, data: str) -> None:
        self._event = True
        self._characters += len(data)
        if self._characters > self.limits.cell_characters:
            raise self._refusal(
                f"holds a cell or string of more than {self.limits.cell_characters:,} "
                "characters (Excel's limit for a cell)"
            )

    def _entity(self, *args: object) -> None:
        raise _Unscannable

    def _row(self, reference: str | None) -> None:
        self._cells += self._width
        self._row_cells = self._column = self._width = 0
        self._rows += 1
        number = None if reference is None else _row_of(reference)
        self._row_number = self._row_number + 1 if number is None else number
        if self._rows > self.limits.rows:
            raise self._refusal(f"has more than {self.limits.rows:,} rows (Excel's maximum)")
        if self._row_number > self.limits.rows:
            raise self._refusal(
                f"has a row numbered beyond {self.limits.rows:,} (Excel's last row)"
            )

    def _cell(self, reference: str | None) -> None:
        column = None if not reference else _column_of(reference)
        self._column = self._column + 1 if column is None else column
        self._row_cells += 1
        if self._column > self.limits.columns or self._row_cells > self.limits.columns:
            raise self._refusal(
                f"has a cell beyond column {get_column_letter(self.limits.columns)} (the "
                f"{self.limits.columns:,} columns of Excel's maximum)"
            )
        self._width = self._column  # openpyxl pads each row to its last cell
        if self._cells + self._width > self.limits.cells:
            raise self._refusal(
                f"has more than {self.limits.cells:,} cells (each row counted up to its last cell)"
            )

    def _dimension(self, reference: str) -> None:
        for corner in reference.split(":"):
            column = _column_of(corner) or 0
            row = _row_of(corner.lstrip(_REFERENCE_LETTERS)) or 0
            if column > self.limits.columns or row > self.limits.rows:
                raise self._refusal(
                    f"claims cells beyond Excel's last row ({self.limits.rows:,}) or column "
                    f"({get_column_letter(self.limits.columns)})"
                )
