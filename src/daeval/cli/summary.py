"""The ingest summary table: per file, rows read = rows loaded + rows quarantined."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from daeval.ingest.load import IngestReport


def print_ingest_summary(console: Console, report: IngestReport) -> None:
    title = "Ingest check (nothing written)" if report.checked_only else "Ingest"
    table = Table(title=title, title_justify="left")
    for name, justify in (
        ("file", "left"), ("table", "left"), ("read", "right"), ("loaded", "right"),
        ("quarantined", "right"),
    ):  # fmt: skip
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for load in report.loads:
        table.add_row(
            load.file_name,
            load.table,
            f"{load.rows_read:,}",
            f"{load.rows_loaded:,}",
            f"{load.rows_quarantined:,}" if load.rows_quarantined else "0",
        )
    for refused in report.refused:
        table.add_row(refused.file_name, "[red]refused[/]", "", "", "")
    console.print(table)
    for refused in report.refused:
        console.print("[red]refused[/] ", end="")
        console.print(refused.reason, markup=False, highlight=False)
    if any(load.rows_quarantined for load in report.loads):
        console.print(
            "Quarantined rows are listed with file, line, column, rule and reason in the "
            "warehouse table `quarantine`."
        )
    for load in report.loads:
        if load.extra_columns:
            console.print(
                f"{load.file_name}: columns not in the model kept in extra__{load.table}: "
                f"{', '.join(load.extra_columns)}"
            )
    for note in report.unchecked_references:
        console.print(f"Not checked: {note}")
    if report.ignored_files:
        console.print(f"Not input files, ignored: {', '.join(report.ignored_files)}")
