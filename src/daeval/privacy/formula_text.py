"""Text cells that a spreadsheet would run as a formula, neutralised in every CSV daeval writes.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is taken by Excel
(and LibreOffice, Google Sheets) for a formula: a site id such as ``=HYPERLINK(...)`` or
``+cmd|' /C calc'!A0`` would run when an analyst opens the file. Following OWASP's guidance on
CSV injection (https://owasp.org/www-community/attacks/CSV_Injection), such a text cell is
written with a single quote in front, which the spreadsheet shows as text. A text cell that
already starts with a quote gets one more, so that ``restored`` gives back exactly what was
written. Numbers are left alone: only text can carry a formula, and ``-0.5`` is a number.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula (OWASP)."""
QUOTE = "'"


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet would take ``text`` for a formula."""
    return text.startswith(FORMULA_STARTS)


def neutralised(text: str) -> str:
    """``text`` as a CSV cell that no spreadsheet runs (see the module)."""
    return QUOTE + text if text.startswith((*FORMULA_STARTS, QUOTE)) else text


def restored(cell: str) -> str:
    """The text ``neutralised`` was given."""
    return cell[1:] if cell.startswith(QUOTE) else cell
