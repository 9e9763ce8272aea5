"""The reference page of the canonical model (docs/reference/model.md), generated from the code.

Run ``python -m daeval.model.reference > docs/reference/model.md`` (``make docs``); a test keeps
the committed page equal to this output.
"""

from __future__ import annotations

from daeval.model.codes import ALL_CODE_LISTS, CodeList
from daeval.model.ddl import warehouse_type
from daeval.model.tables import EARLIEST_DATE, TABLES, Column, Identifier, Kind, number_text


def _type(column: Column) -> str:
    if column.kind is Kind.CODE and column.codes is not None:
        return f"code ([{column.codes.name}](#{column.codes.name.replace('_', '-')}))"
    if column.kind is Kind.CODE_SET and column.codes is not None:
        return (
            f"`;`-separated codes ([{column.codes.name}](#{column.codes.name.replace('_', '-')}))"
        )
    text = column.kind.value
    if column.minimum is not None or column.maximum is not None:
        low = "" if column.minimum is None else number_text(column.minimum)
        high = "" if column.maximum is None else number_text(column.maximum)
        text += f" {low}–{high}"
    if column.pattern:
        # A table cell ends at an unescaped "|", even inside a code span (GitHub Markdown).
        pattern = column.pattern.replace("|", "\\|")
        text += f" matching `{pattern}`"
    return text


def _stored(column: Column) -> str:
    if column.identifier is Identifier.DROP:
        return "not stored"
    if column.pseudonym is not None:
        return f"`{column.warehouse_name}` pseudonym"
    return f"`{column.warehouse_name}` {warehouse_type(column)}"


def _code_list(codes: CodeList) -> list[str]:
    lines = [f"### {codes.name}", ""]
    if codes.description:
        lines += [codes.description, ""]
    lines += [f"Source: {codes.source}.", ""]
    for note in codes.notes:
        lines += [f"- {note}"]
    if codes.notes:
        lines.append("")
    lines += ["| code | meaning |", "|---|---|"]
    lines += [f"| `{code}` | {meaning} |" for code, meaning in codes.codes.items()]
    return lines + [""]


def render() -> str:
    lines = [
        "# Canonical model reference",
        "",
        "Generated from `daeval.model` by `make docs`; do not edit by hand.",
        "",
        "Codes are matched case-insensitively on input and stored in the spelling shown here.",
        "An empty cell is missing. Direct identifiers are minimised before they are stored;",
        "ids are stored as keyed pseudonyms (HMAC-SHA256 under the project key). An arrow (→)",
        "marks a reference that must resolve, or the row is quarantined.",
        "",
        "A date is written `YYYY-MM-DD` exactly (`2010-1-5` is refused) and may not be before",
        f"{EARLIEST_DATE.isoformat()}. A number must be finite (`NaN` and `inf` are refused) and",
        "within the range its type shows; an answer, one its instrument allows.",
        "",
        "## Tables",
        "",
    ]
    for table in TABLES.values():
        lines += [f"### {table.name}", "", table.description, ""]
        if table.key:
            lines += [
                f"Key: {', '.join(f'`{k}`' for k in table.key)} (a repeat is quarantined).",
                "",
            ]
        for first, second in table.date_order:
            lines += [f"- `{second}` may not be earlier than `{first}`."]
        for name in table.not_in_future:
            lines += [f"- `{name}` may not be in the future."]
        if table.replace_by:
            cols = ", ".join(f"`{c}`" for c in table.replace_by)
            lines += [
                f"- A new extract replaces the rows with the same {cols} as its rows that load."
            ]
        else:
            lines += ["- A new extract replaces the whole table when any of its rows loads."]
        lines.append("")
        lines += ["| column | type | required | stored as | meaning |", "|---|---|---|---|---|"]
        for col in table.columns:
            required = "yes" if col.required else ""
            ref = ""
            if col.references and col.enforce_reference:
                src = f" in source `{col.references.source}`" if col.references.source else ""
                ref = f" → `{col.references.table}.{col.references.column}`{src}"
            lines.append(
                f"| `{col.name}` | {_type(col)} | {required} | {_stored(col)} | "
                f"{col.description}{ref} |"
            )
        lines.append("")
    lines += ["## Code lists", ""]
    for codes in ALL_CODE_LISTS:
        lines += _code_list(codes)
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    print(render(), end="")  # noqa: T201
