"""The canonical model: tables, columns and code lists, declared once."""

from daeval.model.codes import ALL_CODE_LISTS, CodeList
from daeval.model.tables import MEASURES_COLUMNS, TABLES, Column, Identifier, Kind, Table

__all__ = [
    "ALL_CODE_LISTS",
    "MEASURES_COLUMNS",
    "TABLES",
    "CodeList",
    "Column",
    "Identifier",
    "Kind",
    "Table",
]
