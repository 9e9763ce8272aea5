"""The warehouse: one DuckDB file per workspace whose schema comes from the canonical model."""

from daeval.warehouse.store import Warehouse, Workspace

__all__ = ["Warehouse", "Workspace"]
