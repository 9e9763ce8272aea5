"""DuckDB schema derived from the canonical model."""

from __future__ import annotations

from daeval.model.tables import TABLES, Column, Identifier, Kind, Table

SQL_TYPES = {
    Kind.TEXT: "VARCHAR",
    Kind.CODE: "VARCHAR",
    Kind.CODE_SET: "VARCHAR",
    Kind.DATE: "DATE",
    Kind.INTEGER: "BIGINT",
    Kind.DECIMAL: "DOUBLE",
}


def warehouse_type(column: Column) -> str:
    if column.identifier is Identifier.YEAR_MONTH:
        return "DATE"
    return SQL_TYPES[column.kind]


def warehouse_columns(table: Table) -> list[tuple[str, str, bool]]:
    """(name, SQL type, not null) of each column the warehouse stores for ``table``."""
    out = []
    for col in table.columns:
        name = col.warehouse_name
        if name is not None:
            out.append((name, warehouse_type(col), col.required))
    return out


def create_table_sql(table: Table, name: str | None = None) -> str:
    cols = ",\n  ".join(
        f'"{n}" {t}{" NOT NULL" if required else ""}' for n, t, required in warehouse_columns(table)
    )
    return f'CREATE TABLE "{name or table.name}" (\n  {cols}\n)'


MEASURES_DDL = """CREATE TABLE IF NOT EXISTS measures (
  measure VARCHAR NOT NULL,
  group_by VARCHAR NOT NULL,
  "group" VARCHAR NOT NULL,
  category VARCHAR,
  period_start DATE,
  period_end DATE,
  numerator BIGINT,
  denominator BIGINT,
  value DOUBLE,
  suppressed BOOLEAN NOT NULL
)"""


def schema_sql() -> list[str]:
    """Statements that create every canonical table, empty."""
    return [create_table_sql(t) for t in TABLES.values()]
