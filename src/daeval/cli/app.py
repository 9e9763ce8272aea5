"""The ``daeval`` command."""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from daeval import __version__
from daeval.cli.progress import step_progress, synth_progress
from daeval.errors import DaevalError

app = typer.Typer(
    name="daeval",
    help=(
        "Evidence for what works for children and families affected by domestic abuse: bring in "
        "police, children's social care and service records, measure children's pathways, report."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
out = Console()
err = Console(stderr=True)

WorkspaceOption = Annotated[
    Path, typer.Option("--workspace", "-w", help="The study workspace folder.")
]


def _parse_date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise DaevalError(f"--as-of {text!r}: expected a date in the form YYYY-MM-DD") from None


@app.callback(invoke_without_command=True)
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    if version:
        out.print(f"daeval {__version__}")
        raise typer.Exit()


@app.command()
def synth(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write the synthetic tables into.")],
    scale: Annotated[
        float, typer.Option(help="Size: 1 is one local authority like Step Up's.")
    ] = 1.0,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same bytes.")] = 0,
    fmt: Annotated[str, typer.Option("--format", help="csv or parquet.")] = "csv",
) -> None:
    """Write a synthetic data-contract folder calibrated to the Step Up study's published figures."""
    from daeval.synth import generate

    try:
        with synth_progress(err) as progress:
            summary = generate(out_dir, scale=scale, seed=seed, fmt=fmt, progress=progress)
    except ValueError as exc:
        raise DaevalError(f"daeval synth: {exc}") from None
    out.print(f"Wrote {summary.total_rows:,} rows in {len(summary.rows)} files to {out_dir}")


@app.command()
def ingest(
    data_dir: Annotated[
        Path, typer.Argument(help="A folder of data-contract tables (CSV or Parquet).")
    ],
    workspace: WorkspaceOption,
) -> None:
    """Load a data-contract folder into the workspace's warehouse (all or nothing)."""
    from daeval.warehouse import Workspace
    from daeval.warehouse.load import ingest_folder

    with step_progress(err, "Ingest") as progress:
        report = ingest_folder(data_dir, Workspace(workspace), progress=progress)
    for load in report.loads:
        extra = (
            f" (kept unknown columns: {', '.join(load.extra_columns)})"
            if load.extra_columns
            else ""
        )
        out.print(
            f"{load.file_name}: {load.rows_read:,} rows read, {load.rows_loaded:,} loaded{extra}"
        )
    if report.ignored_files:
        out.print(f"Not tables of the data contract, ignored: {', '.join(report.ignored_files)}")
    if report.absent_tables:
        out.print(f"Tables not in this folder: {', '.join(report.absent_tables)}")
    out.print(f"Warehouse: {Workspace(workspace).warehouse_path}")


@app.command()
def measures(
    workspace: WorkspaceOption,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Last date the data cover (YYYY-MM-DD).")
    ] = None,
    window_days: Annotated[int, typer.Option(help="Look-back window in days.")] = 365,
    no_disclosure_control: Annotated[
        bool,
        typer.Option(
            "--no-disclosure-control",
            help="Exact figures, for work inside the secure setting only; recorded in the output.",
        ),
    ] = False,
) -> None:
    """Compute the measures and write outputs/measures.csv (disclosure-controlled by default)."""
    from daeval.metrics.measures_table import compute_measures
    from daeval.privacy.disclosure_control import DisclosurePolicy
    from daeval.warehouse import Workspace

    policy = DisclosurePolicy(enabled=not no_disclosure_control)
    with step_progress(err, "Measures") as progress:
        progress("re_referral_rate")
        run = compute_measures(Workspace(workspace), _parse_date(as_of), window_days, policy)
    if not run.look_back_complete:
        err.print(
            f"[yellow]The referrals span less than {window_days} days, so early referrals have no "
            "full look-back window: re-referrals are undercounted (a lower bound).[/]"
        )
    if not policy.enabled:
        err.print(
            "[yellow]Disclosure control is off: these figures must not leave the secure setting.[/]"
        )
    out.print(f"Measures: {run.csv_path}")


@app.command()
def demo(
    directory: Annotated[Path, typer.Argument(help="Folder for the demo workspace.")] = Path(
        "demo"
    ),
    scale: Annotated[float, typer.Option(help="Size of the synthetic data.")] = 1.0,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Synthetic data → ingest → measures → a first HTML page; prints the page's path."""
    from daeval.metrics.measures_table import compute_measures
    from daeval.report.first_page import write_first_page
    from daeval.synth import generate
    from daeval.warehouse import Workspace
    from daeval.warehouse.load import ingest_folder

    data_dir = directory / "raw"
    workspace = Workspace(directory)
    with synth_progress(err) as progress:
        generate(data_dir, scale=scale, seed=seed, progress=progress)
    with step_progress(err, "Demo") as progress:
        ingest_folder(data_dir, workspace, progress=progress)
        progress("measures")
        run = compute_measures(workspace)
        progress("report")
        page = write_first_page(workspace, run)
    out.print(f"Report: {page.resolve()}")


def main() -> None:
    try:
        app()
    except DaevalError as exc:
        err.print("[bold red]error:[/] ", end="")
        err.print(str(exc), markup=False, highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
