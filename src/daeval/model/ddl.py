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


PSEUDONYM_TYPE = "UUID"
"""A pseudonym is 128 bits (see daeval.privacy.pseudonyms), stored as DuckDB's UUID."""


def warehouse_type(column: Column) -> str:
    if column.pseudonym is not None:
        return PSEUDONYM_TYPE
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
  suppressed BOOLEAN NOT NULL,
  ci_lower DOUBLE,
  ci_upper DOUBLE
)"""

MEASURES_MIGRATION = (
    "ALTER TABLE measures ADD COLUMN IF NOT EXISTS ci_lower DOUBLE",
    "ALTER TABLE measures ADD COLUMN IF NOT EXISTS ci_upper DOUBLE",
)
"""Bring a measures table made before confidence intervals up to date."""


def schema_sql() -> list[str]:
    """Statements that create every canonical table, empty."""
    return [create_table_sql(t) for t in TABLES.values()]


LINKAGE_DDL = (
    """CREATE TABLE IF NOT EXISTS person_keys (
  source VARCHAR NOT NULL,
  person_id UUID NOT NULL,
  person_key VARCHAR NOT NULL,
  run_id BIGINT NOT NULL
)""",
    """CREATE TABLE IF NOT EXISTS linkage_runs (
  run_id BIGINT NOT NULL,
  linked_at TIMESTAMP NOT NULL,
  engine VARCHAR NOT NULL,
  threshold DOUBLE NOT NULL,
  model_origin VARCHAR NOT NULL,
  fallback_reason VARCHAR,
  records BIGINT NOT NULL,
  records_with_features BIGINT NOT NULL,
  pairs_scored BIGINT NOT NULL,
  pairs_linked BIGINT NOT NULL,
  trusted_links BIGINT NOT NULL,
  clusters BIGINT NOT NULL,
  pairwise_precision DOUBLE,
  pairwise_recall DOUBLE,
  pairwise_f1 DOUBLE,
  merged_cluster_rate DOUBLE,
  split_person_rate DOUBLE
)""",
    """CREATE TABLE IF NOT EXISTS linkage_models (
  run_id BIGINT NOT NULL,
  model VARCHAR NOT NULL
)""",
    """CREATE TABLE IF NOT EXISTS linkage_weights (
  run_id BIGINT NOT NULL,
  weight_from DOUBLE NOT NULL,
  weight_to DOUBLE NOT NULL,
  pairs BIGINT NOT NULL
)""",
    """CREATE TABLE IF NOT EXISTS linkage_pairs (
  run_id BIGINT NOT NULL,
  record_id_l VARCHAR NOT NULL,
  record_id_r VARCHAR NOT NULL,
  match_weight DOUBLE
)""",
    """CREATE TABLE IF NOT EXISTS linkage_source_pairs (
  run_id BIGINT NOT NULL,
  source_a VARCHAR NOT NULL,
  source_b VARCHAR NOT NULL,
  pairs BIGINT NOT NULL
)""",
)
"""daeval's linkage results: person keys, and per run the figures, the model, the weight histogram
and the pairs that were joined (pseudonymous record ids with their match weight; NULL for a trusted
link)."""
