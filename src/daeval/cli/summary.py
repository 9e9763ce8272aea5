"""Summaries printed after a run: ingest (per file, rows read = rows loaded + rows quarantined)
and linkage."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from daeval.ingest.inputs import FileLoad, IngestReport
from daeval.ingest.staging import NOT_IN_CONTRACT
from daeval.link.quality import WEIGHT_BIN

if TYPE_CHECKING:  # linkage's module brings Splink and pandas, which ingest does not need
    from daeval.link.run import LinkReport


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
        _print_dropped(console, load)
        if load.extra_columns:
            console.print(
                f"{load.file_name}: columns outside the contract kept by study.yaml in "
                f"extra__{load.table}: {', '.join(load.extra_columns)}",
                markup=False,
                highlight=False,
            )
    for note in report.unchecked_references:
        console.print(f"Not checked: {note}")
    if report.ignored_files:
        console.print(f"Not input files, ignored: {', '.join(report.ignored_files)}")


def _print_dropped(console: Console, load: FileLoad) -> None:
    """Name, loudly, each column of a file dropped at the door and why."""
    by_reason: dict[str, list[str]] = {}
    for name, why in load.dropped_columns:
        by_reason.setdefault(why, []).append(name)
    for why, names in by_reason.items():
        console.print("[bold yellow]dropped[/] ", end="")
        console.print(
            f"{load.file_name}: {len(names)} column(s) not loaded ({why}): {', '.join(names)}",
            markup=False,
            highlight=False,
        )
    if any(why == NOT_IN_CONTRACT for _, why in load.dropped_columns):
        console.print(
            "  To load such a column, map it in study.yaml data_sources: to a contract column "
            "(columns:), or keep: it with the reason; identifiers are never kept in clear.",
            highlight=False,
        )


def print_link_summary(console: Console, report: LinkReport) -> None:
    """Records and clusters, links by pair of sources, the model used and, with truth, accuracy."""
    table = Table(title=f"Linkage run {report.run_id}", title_justify="left")
    table.add_column("source")
    table.add_column("records", justify="right")
    table.add_column("with features", justify="right")
    for s in report.sources:
        table.add_row(s.source, f"{s.records:,}", f"{s.with_features:,}")
    console.print(table)
    console.print(
        f"{report.records:,} records → {report.clusters:,} people; {report.pairs_scored:,} pairs "
        f"scored, {report.pairs_linked:,} at or above match weight {report.threshold:g}, "
        f"{report.trusted_links:,} trusted links; model: {report.model_origin} ({report.engine})"
    )
    pairs = Table(title="Records given one person key, by pair of sources", title_justify="left")
    for name in ("source", "source", "pairs"):
        pairs.add_column(name, justify="right" if name == "pairs" else "left")
    for a, b, n in report.source_pairs:
        pairs.add_row(a, b, f"{n:,}")
    console.print(pairs)
    if report.histogram:
        console.print(
            "Match weights of scored pairs: "
            + ", ".join(f"[{low:g}, {low + WEIGHT_BIN:g}): {n:,}" for low, n in report.histogram)
        )
    acc = report.accuracy
    if acc is not None:
        console.print(
            f"Against the truth file ({acc.records:,} records): pairwise precision "
            f"{acc.precision:.4f}, recall {acc.recall:.4f}, F1 {acc.f1:.4f}; "
            f"{acc.merged_rate:.3%} of person keys merge two or more true people, "
            f"{acc.split_rate:.3%} of true people are split across person keys"
        )
    if report.sweep:
        sweep = Table(title="Accuracy by threshold (truth file)", title_justify="left")
        for name in ("threshold", "precision", "recall", "F1", "merged keys", "split people"):
            sweep.add_column(name, justify="right")
        for threshold, point in report.sweep:
            sweep.add_row(
                f"{threshold:g}", f"{point.precision:.4f}", f"{point.recall:.4f}",
                f"{point.f1:.4f}", f"{point.merged_rate:.3%}", f"{point.split_rate:.3%}",
            )  # fmt: skip
        console.print(sweep)
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/] {warning}", highlight=False)
