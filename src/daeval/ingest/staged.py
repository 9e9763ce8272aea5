"""What every reader hands to validation: one canonical table's rows as text, with where each came from."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

LOCATOR_COLUMN = "_line"


@dataclass(frozen=True)
class StagedTable:
    """Rows for one canonical table read from one input file, before any checking.

    ``data`` has a column per canonical column found (named as in ``daeval.model``), every one of
    type string (an empty or absent value is null), plus ``_line`` (int64): where the row stands in
    the file, counted in ``locator`` units (``row`` = 1 for the first row after a header;
    ``line`` = the line of an XML element), so a message can send the user to the spot.
    Columns the reader does not know are passed on under their own (lower-case) names; staging
    drops those the data contract and the study file do not let in.
    """

    table: str
    origin: str
    data: pa.Table
    locator: str = "row"

    def __post_init__(self) -> None:
        if LOCATOR_COLUMN not in self.data.column_names:
            raise ValueError(f"{self.origin}: staged data has no {LOCATOR_COLUMN} column")
        for field in self.data.schema:
            if field.name != LOCATOR_COLUMN and field.type != pa.string():
                raise ValueError(f"{self.origin}: column {field.name} is {field.type}, not string")
