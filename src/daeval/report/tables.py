"""Report tables: one plain shape for a table shown in the HTML report and written to the workbook."""

from __future__ import annotations

import re
from dataclasses import dataclass

Cell = str | int | float | None
"""One cell: None is blank; a suppressed figure is the string ``"suppressed"``."""

SUPPRESSED = "suppressed"
_FIGURE = re.compile(r"-?[0-9][0-9,]*(\.[0-9]+)?%?( \(-?[0-9.,]+%? to -?[0-9.,]+%?\))?")


def _figure_like(cell: Cell) -> bool:
    if isinstance(cell, int | float):
        return True
    return cell in (SUPPRESSED, "n/a") or bool(_FIGURE.fullmatch(str(cell)))


@dataclass(frozen=True)
class Table:
    """A titled table of figures, already disclosure-controlled.

    ``key`` is a stable id: the HTML anchor and the basis of the workbook's sheet name.
    ``percent_columns`` name columns holding shares from 0 to 1, shown as percentages.
    """

    key: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str = ""
    percent_columns: tuple[str, ...] = ()

    def numeric_columns(self) -> set[int]:
        """Indexes of the columns whose every cell is a number (or a figure written as text:
        a count, a percentage, an estimate with its interval, 'suppressed', 'n/a'), right
        aligned when shown."""
        out = set()
        for index in range(len(self.columns)):
            cells = [row[index] for row in self.rows if row[index] not in (None, "")]
            if (
                cells
                and all(_figure_like(c) for c in cells)
                and any(c not in (SUPPRESSED, "n/a") for c in cells)
            ):
                out.add(index)
        return out

    def __post_init__(self) -> None:
        if not self.key:
            raise ValueError("a table needs a key")
        width = len(self.columns)
        for index, row in enumerate(self.rows):
            if len(row) != width:
                raise ValueError(
                    f"table {self.key!r}: row {index} has {len(row)} cells, "
                    f"but the table has {width} columns"
                )
        unknown = [c for c in self.percent_columns if c not in self.columns]
        if unknown:
            raise ValueError(
                f"table {self.key!r}: percent columns {unknown} are not among its columns"
            )
