"""A file's column names as daeval matches them, and the names daeval keeps for itself.

A header is matched after normalising: Unicode compatibility forms folded (NFKC), control and
format characters dropped (a NUL byte, a byte-order mark, a zero-width space), white space
trimmed and each run inside a name written as one ``_``, letters folded to lower case. So
``First Name``, ``first_name`` and ``first_name<NUL>`` are one name. The same normalisation is
applied to the names a study file's ``data_sources`` give, so a mapping matches the header
whatever its spelling.
"""

from __future__ import annotations

import unicodedata

from daeval.errors import UnusableFileError

RESERVED = ("_line", "_rid", "_problem", "rowid")
"""Column names the staging tables use for themselves (``rowid`` is DuckDB's row number)."""
RESERVED_PREFIXES = ("_m_", "_overflow_")
"""Prefixes of the staging tables' own columns (pseudonym messages, a CSV row's extra values)."""


def normalised_name(name: str) -> str:
    """A column name as matched: see the module's description."""
    text = unicodedata.normalize("NFKC", name)
    kept = []
    for ch in text:
        if ch.isspace():
            kept.append(" ")
        elif unicodedata.category(ch) not in ("Cc", "Cf"):
            kept.append(ch)
    return "_".join("".join(kept).split()).casefold()


def is_reserved(name: str) -> bool:
    """Whether a normalised name is one daeval's staging tables use for themselves."""
    return name in RESERVED or name.startswith(RESERVED_PREFIXES)


def normalised_header(origin: str, names: list[str]) -> list[str]:
    """The header's names, normalised; refuses a nameless, repeated or reserved name."""
    normalised = [normalised_name(n) for n in names]
    seen: set[str] = set()
    for n in normalised:
        if not n:
            raise UnusableFileError(f"{origin}: a column has no name in the header")
        if n in seen:
            raise UnusableFileError(f"{origin}: column {n!r} appears more than once in the header")
        if is_reserved(n):
            raise UnusableFileError(
                f"{origin}: column {n!r} has a name daeval keeps for its own use "
                f"({', '.join(RESERVED)}, and names starting {' or '.join(RESERVED_PREFIXES)}); "
                "rename it in the file"
            )
        seen.add(n)
    return normalised
