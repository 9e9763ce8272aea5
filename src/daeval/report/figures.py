"""The controlled figures a report is built from: ``outputs/measures.csv`` (already through
disclosure control) and ``outputs/measures.json`` (how they were computed). Reports never read
the warehouse's record-level rows for a figure."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from daeval.model.measure_row import MeasureRow
from daeval.privacy.formula_text import restored

MEASURES_CSV, MEASURES_META = "measures.csv", "measures.json"
"""The files ``daeval measures`` writes (daeval.metrics.measures_table names them the same; a
test holds the two to each other). Named here so that a report does not import the measures'
engines (pandas, ibis, statsmodels), which take seconds to load and compute nothing here."""


def _int(text: str) -> int | None:
    return int(text) if text not in ("", None) else None


def _float(text: str) -> float | None:
    return float(text) if text not in ("", None) else None


def _date(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


def read_rows(path: Path) -> list[MeasureRow]:
    """The rows of a tidy measures table written by ``daeval measures`` (text cells as they were
    before being neutralised against spreadsheet formulas)."""
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            MeasureRow(
                measure=r["measure"],
                group_by=r["group_by"],
                group=restored(r["group"]),
                category=restored(r["category"]) or None,
                period_start=_date(r["period_start"]),
                period_end=_date(r["period_end"]),
                numerator=_int(r["numerator"]),
                denominator=_int(r["denominator"]),
                value=_float(r["value"]),
                suppressed=r["suppressed"] == "true",
                ci_lower=_float(r["ci_lower"]),
                ci_upper=_float(r["ci_upper"]),
            )
            for r in csv.DictReader(handle)
        ]


@dataclass(frozen=True)
class Figures:
    """The measures of one workspace, with the lookups reports need."""

    rows: tuple[MeasureRow, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, outputs: Path) -> Figures | None:
        """The workspace's figures, or None when ``daeval measures`` has not run."""
        if not (outputs / MEASURES_CSV).exists():
            return None
        meta_path = outputs / MEASURES_META
        meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
        return cls(tuple(read_rows(outputs / MEASURES_CSV)), meta)

    def select(
        self,
        measure: str,
        group_by: str = "all",
        group: str | None = None,
        whole_period: bool = True,
    ) -> list[MeasureRow]:
        """Rows of ``measure`` for a grouping (and group), over the whole period by default
        (rows of calendar periods left out)."""
        rows = [
            r
            for r in self.rows
            if r.measure == measure
            and r.group_by == group_by
            and (group is None or r.group == group)
        ]
        if whole_period and rows:
            longest = max((r.period_end or date.min) - (r.period_start or date.min) for r in rows)
            rows = [
                r for r in rows if (r.period_end or date.min) - (r.period_start or date.min) == longest
            ] if self.meta.get("period") else rows  # fmt: skip
        return rows

    def one(self, measure: str, category: str | None = None, **where: str) -> MeasureRow | None:
        """The single row of ``measure`` (and category) for ``group_by``/``group``; None when
        absent."""
        rows = self.select(measure, where.get("group_by", "all"), where.get("group"))
        return next((r for r in rows if category is None or r.category == category), None)

    def groups(self, measure: str, group_by: str) -> list[str]:
        return sorted(
            {r.group for r in self.rows if r.measure == measure and r.group_by == group_by}
        )

    def measures(self) -> set[str]:
        return {r.measure for r in self.rows}

    def sites(self) -> list[str]:
        """Sites with figures of their own (service and questionnaire measures by site_id)."""
        return sorted({r.group for r in self.rows if r.group_by == "site_id"})


def by_category(rows: Iterable[MeasureRow]) -> dict[str, MeasureRow]:
    return {r.category or "": r for r in rows}
