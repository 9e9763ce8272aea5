"""The ``daeval`` command."""

from __future__ import annotations

import os
import sys
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from daeval import __version__
from daeval.cli.progress import step_progress, synth_progress
from daeval.errors import DaevalError, UnusableFileError

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


class EngineChoice(StrEnum):
    """Where linkage runs (``--engine``)."""

    duckdb = "duckdb"
    spark = "spark"


class Period(StrEnum):
    """Calendar periods measures are broken down by (``--period``)."""

    month = "month"
    quarter = "quarter"
    year = "year"


class TableFormat(StrEnum):
    """The file format synth writes (``--format``)."""

    csv = "csv"
    parquet = "parquet"


class ExampleStudy(StrEnum):
    """The example studies ``init`` can start from (``--example``; daeval.study.examples)."""

    feasibility = "feasibility"
    innovations = "innovations"
    step_up = "step-up"


out = Console()
err = Console(stderr=True)

WorkspaceOption = Annotated[
    Path, typer.Option("--workspace", "-w", help="The study workspace folder.")
]


def _warn_if_exposed(workspace: Path) -> None:
    """A warning line when other users can read the workspace folder."""
    from daeval.warehouse.modes import exposure

    warning = exposure(workspace)
    if warning:
        err.print(
            f"warning: {warning}", style="yellow", markup=False, highlight=False, soft_wrap=True
        )


def _reason(exc: Exception) -> str:
    """An operating system's or parser's reason, in one line."""
    return " ".join(str(getattr(exc, "strerror", None) or exc).split())


def _parse_date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise DaevalError(f"--as-of {text!r}: give a date in the form YYYY-MM-DD") from None


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
    fmt: Annotated[TableFormat, typer.Option("--format", help="The files' format.")] = (
        TableFormat.csv
    ),
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Write into a folder that holds other files (files of the same names are "
            "replaced).",
        ),
    ] = False,
) -> None:
    """Write a synthetic data-contract folder calibrated to the Step Up study's published figures.

    A folder that holds files is refused (unless --force), except one synth wrote before."""
    from daeval.cli.output_paths import check_folder
    from daeval.synth.manifest import written_by_synth

    check_folder("daeval synth", out_dir, force=force, own=written_by_synth)
    from daeval.synth import generate

    try:
        with synth_progress(err) as progress:
            summary = generate(out_dir, scale=scale, seed=seed, fmt=fmt.value, progress=progress)
    except ValueError as exc:
        raise DaevalError(f"daeval synth: {exc}") from None
    out.print(f"Wrote {summary.total_rows:,} rows in {len(summary.rows)} files to {out_dir}")


KeyFileOption = Annotated[
    Path | None,
    typer.Option(
        "--key-file",
        help="Project key file (owner-only). Default: $DAEVAL_KEY_FILE, else $DAEVAL_KEY.",
    ),
]


@app.command()
def ingest(
    data_dir: Annotated[
        Path, typer.Argument(help="A folder of input files (CSV, Parquet, XLSX, CIN census XML).")
    ],
    workspace: WorkspaceOption,
    key_file: KeyFileOption = None,
    check: Annotated[
        bool,
        typer.Option("--check", help="Report what would load and what would not; write nothing."),
    ] = False,
    replace_all: Annotated[
        bool,
        typer.Option(
            "--replace-all",
            help="Replace rows even when that removes more than half of a table's rows.",
        ),
    ] = False,
) -> None:
    """Check, pseudonymise and load input files; bad rows go to quarantine with their reasons.

    Files declared under data_sources in WS/study.yaml are read with their column, code and date
    mappings; other files are recognised by name (<table>.csv, .parquet, .xlsx; .xml = CIN census).
    """
    import os

    from daeval.cli.summary import print_ingest_summary
    from daeval.ingest.load import ingest_folder
    from daeval.ingest.mapping import load_data_sources
    from daeval.privacy.keys import load_key
    from daeval.warehouse import Workspace

    key = load_key(os.environ, key_file)
    sources = load_data_sources(Workspace(workspace).study_file)
    with step_progress(err, "Ingest") as progress:
        report = ingest_folder(
            data_dir,
            Workspace(workspace),
            key,
            progress,
            check_only=check,
            sources=sources,
            replace_all=replace_all,
        )
    print_ingest_summary(out, report)
    if not check:
        out.print(f"Warehouse: {Workspace(workspace).warehouse_path}")
        _warn_if_exposed(workspace)
    if report.refused:
        raise UnusableFileError(
            "; ".join(f"{r.reason}" for r in report.refused)
            + (" (the other files were loaded)" if report.loads and not check else "")
        )


@app.command()
def link(
    workspace: WorkspaceOption,
    key_file: KeyFileOption = None,
    threshold: Annotated[
        float | None,
        typer.Option(help="Match weight at or above which a pair is one person (default 0)."),
    ] = None,
    engine: Annotated[
        EngineChoice, typer.Option(help="duckdb (one machine) or spark (a cluster).")
    ] = EngineChoice.duckdb,
    source: Annotated[
        list[str] | None,
        typer.Option("--source", help="Link only these sources (repeat the option)."),
    ] = None,
    truth: Annotated[
        Path | None,
        typer.Option(help="CSV of source, person_id, true_person_id: report accuracy against it."),
    ] = None,
    sweep: Annotated[
        bool,
        typer.Option(help="With --truth: accuracy at thresholds from -4 to 14 as well."),
    ] = False,
    model: Annotated[
        Path | None, typer.Option(help="Use this saved model (JSON) instead of training.")
    ] = None,
    reuse_model: Annotated[
        bool,
        typer.Option("--reuse-model", help="Use the model of the last run instead of training."),
    ] = False,
) -> None:
    """Find the same person across sources and give every record one person key.

    Uses the linkage features that ingest left in WS/staging, honours person_links as trusted
    links, stores person keys, the model and the run's figures in the warehouse, and then deletes
    the staging area.
    """
    import json
    import os

    from daeval.cli.input_files import check_readable
    from daeval.cli.summary import print_link_summary
    from daeval.link.run import link_workspace
    from daeval.link.study import linkage_threshold
    from daeval.link.train import checked_model
    from daeval.privacy.keys import load_key
    from daeval.warehouse import Workspace

    ws = Workspace(workspace)
    if sweep and truth is None:
        raise DaevalError(
            "--sweep needs --truth FILE (accuracy is measured against a truth file): add --truth, "
            "or leave out --sweep"
        )
    if truth is not None:
        check_readable(truth, "--truth", "a CSV of source, person_id, true_person_id")
    if model is not None:
        check_readable(model, "--model", "a model saved by `daeval link` (linkage_model.json)")
    key = load_key(os.environ, key_file) if truth is not None else None
    saved = None
    if model is not None:
        try:
            saved = json.loads(model.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise DaevalError(
                f"{model}: cannot be read as a linkage model ({_reason(exc)}); give a model saved "
                "by `daeval link` (outputs/linkage_model.json), or leave out --model"
            ) from None
        saved = checked_model(saved, model)
    if threshold is None:
        threshold = linkage_threshold(ws.study_file)
    with step_progress(err, "Link") as progress:
        report = link_workspace(
            ws,
            threshold=threshold,
            engine_name=engine.value,
            sources=source or None,
            truth=truth,
            key=key,
            model=saved,
            reuse_model=reuse_model,
            sweep=sweep,
            progress=progress,
        )
    print_link_summary(out, report)
    out.print(
        f"Person keys: {ws.warehouse_path} (person_keys); chart: {ws.outputs / 'linkage_weights.svg'}"
    )
    _warn_if_exposed(workspace)


key_app = typer.Typer(help="The project key that pseudonyms are made with.", no_args_is_help=True)
app.add_typer(key_app, name="key")


@key_app.command("new")
def key_new(
    path: Annotated[Path, typer.Argument(help="Where to write the key (outside any workspace).")],
) -> None:
    """Write a new random project key, readable only by you. Keep it outside the workspace."""
    from daeval.privacy.keys import new_key_file

    new_key_file(path)
    out.print(f"Key written to {path} (mode 600). Set DAEVAL_KEY_FILE={path} or pass --key-file.")


@app.command()
def measures(
    workspace: WorkspaceOption,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Last date the data cover (YYYY-MM-DD).")
    ] = None,
    window_days: Annotated[int, typer.Option(help="Look-back window in days.")] = 365,
    period: Annotated[
        Period | None,
        typer.Option(
            "--period",
            help="Also break every measure down by calendar month, quarter or year.",
        ),
    ] = None,
    engine: Annotated[
        EngineChoice,
        typer.Option(help="duckdb (default), or spark: Spark in local mode, for large data."),
    ] = EngineChoice.duckdb,
    no_disclosure_control: Annotated[
        bool,
        typer.Option(
            "--no-disclosure-control",
            help="Exact figures, for work inside the secure setting only; recorded in the output.",
        ),
    ] = False,
) -> None:
    """Compute the measures and write outputs/measures.csv (disclosure-controlled by default)."""
    from daeval.warehouse import Workspace

    as_of_date = _parse_date(as_of)
    Workspace(workspace).open()  # refused before the measures' libraries are loaded
    from daeval.metrics.measures_table import compute_measures
    from daeval.privacy.disclosure_control import DisclosurePolicy

    policy = DisclosurePolicy(enabled=not no_disclosure_control)
    with step_progress(err, "Measures") as progress:
        progress("re_referral_rate")
        run = compute_measures(
            Workspace(workspace),
            as_of_date,
            window_days,
            policy,
            period.value if period else None,
            engine.value,
        )
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
def report(
    workspace: WorkspaceOption,
    key_file: KeyFileOption = None,
    no_pdf: Annotated[bool, typer.Option("--no-pdf", help="HTML and XLSX only.")] = False,
    case_studies: Annotated[
        int,
        typer.Option(
            "--case-studies",
            help="Also write N children's generalised journeys, not for release (needs "
            "--inside-secure-setting).",
        ),
    ] = 0,
    inside_secure_setting: Annotated[
        bool,
        typer.Option(
            "--inside-secure-setting",
            help="Confirm this runs inside the secure setting (required for --case-studies).",
        ),
    ] = False,
    seed: Annotated[int, typer.Option(help="Seed for choosing the case studies.")] = 0,
) -> None:
    """Write the cross-site report, a report and a one-page summary per site (HTML and PDF) and
    a workbook of every table into WS/outputs; every figure disclosure-controlled."""
    if case_studies and not inside_secure_setting:
        raise DaevalError(
            "--case-studies writes individual journeys (generalised, but record-level): add "
            "--inside-secure-setting to confirm you are working inside the secure setting; the "
            "file is marked NOT FOR RELEASE"
        )
    import os

    from daeval.privacy.keys import fingerprint, load_key
    from daeval.warehouse import Workspace
    from daeval.warehouse.marks import check_key

    _check_reportable(Workspace(workspace))
    stated = None
    if key_file is not None or {"DAEVAL_KEY", "DAEVAL_KEY_FILE"} & set(os.environ):
        key = load_key(os.environ, key_file)
        check_key(Workspace(workspace).warehouse_path, key)
        stated = fingerprint(key)
    from daeval.report.build import build_reports

    with step_progress(err, "Report") as progress:
        files = build_reports(Workspace(workspace), stated, pdf=not no_pdf, progress=progress)
        if case_studies:
            from daeval.report.build import build_case_studies

            progress("case studies")
            written = build_case_studies(Workspace(workspace), case_studies, seed, stated,
                                         pdf=not no_pdf)  # fmt: skip
    _print_reports(files)
    if case_studies:
        out.print(f"Case studies, NOT FOR RELEASE: {written[0].resolve()}", soft_wrap=True)


def _check_reportable(workspace: object) -> None:
    """Refuse a workspace that is a file, or a folder with neither a study file nor a warehouse
    (a report needs one or the other: it reports the study from its study file alone)."""
    from daeval.errors import WorkspaceError
    from daeval.warehouse import Workspace

    assert isinstance(workspace, Workspace)
    workspace.check_folder()
    if not (workspace.study_file.exists() or workspace.warehouse_path.exists()):
        raise WorkspaceError(
            f"{workspace.root}: not a workspace (no study.yaml, no warehouse.duckdb); make one "
            f"with `daeval init {workspace.root}`, or load data with `daeval ingest DATA_DIR "
            f"--workspace {workspace.root}`"
        )


def _print_reports(files: object) -> None:
    from daeval.report.build import ReportFiles

    assert isinstance(files, ReportFiles)
    out.print(f"Report: {files.cross_site.resolve()}", soft_wrap=True)
    if files.cross_site_pdf:
        out.print(f"Report (PDF): {files.cross_site_pdf.resolve()}", soft_wrap=True)
    for site, paths in files.sites.items():
        out.print(f"Site report ({site}): {paths[0].resolve()}", soft_wrap=True, markup=False)
    out.print(f"Tables: {files.workbook.resolve()}", soft_wrap=True)
    if files.pdf_skipped:
        err.print(f"[yellow]{files.pdf_skipped}[/]")


ForceOption = Annotated[
    bool,
    typer.Option("--force", help="Replace files that exist already (never the command's input)."),
]


@app.command()
def score(
    responses: Annotated[
        Path, typer.Argument(help="Questionnaire answers: a measure_responses CSV (long format).")
    ],
    out_file: Annotated[Path, typer.Option("--out", help="Where to write the scores (CSV).")],
    problems_file: Annotated[
        Path | None,
        typer.Option(
            "--problems",
            help="Where to list answers that could not be scored (default: beside --out).",
        ),
    ] = None,
    change_file: Annotated[
        Path | None,
        typer.Option(
            "--change", help="Also write each person's change from baseline to end, classified."
        ),
    ] = None,
    settings_file: Annotated[
        Path | None,
        typer.Option(
            "--settings", help="A YAML file with an instruments: section (a study.yaml will do)."
        ),
    ] = None,
    force: ForceOption = False,
) -> None:
    """Score questionnaire answers: one row per person, instrument, timepoint and respondent.

    Answers that cannot be scored (an unknown instrument or item, a value the item cannot take,
    an item answered twice) are listed with file, line, column and reason, and their
    questionnaire is marked not valid instead of being scored.
    """
    from daeval.cli.input_files import check_readable
    from daeval.cli.output_paths import check_outputs
    from daeval.whole_files import written_whole

    check_readable(responses, "answers file", "a measure_responses CSV")
    if settings_file is not None:
        check_readable(settings_file, "--settings", "a YAML file with an instruments: section")
    problems_file = problems_file or out_file.with_name(f"{out_file.stem}.problems.csv")
    outputs = {"--out": out_file, "--problems": problems_file, "--change": change_file}
    check_outputs(outputs, inputs=[responses, settings_file], force=force)

    from daeval.instruments.score_file import score_file, write_csv
    from daeval.instruments.settings import default_settings, read_settings_file

    settings = read_settings_file(settings_file) if settings_file else default_settings()
    with step_progress(err, "Score") as progress:
        progress("scoring")
        result = score_file(responses, settings, with_change=change_file is not None)
    written = [(result.scores, out_file), (result.problems, problems_file)]
    if change_file is not None and result.change is not None:
        written.append((result.change, change_file))
    for frame, path in written:
        with written_whole(path) as temporary:
            write_csv(frame, temporary)
    if change_file is not None and result.change is not None:
        out.print(f"Change: {change_file}")
    valid = int(result.scores["valid"].sum())
    out.print(
        f"{result.answers_read} answers read; {len(result.scores)} questionnaires scored, "
        f"{valid} valid"
    )
    if len(result.problems):
        err.print(
            f"[yellow]{len(result.problems)} problems with the answers: see {problems_file}[/]"
        )
    out.print(f"Scores: {out_file}")


DEMO_SCALE = 2.0
"""The demo's default scale. At scale 1 (one authority the size of the Step Up study's) 10 to 35
people per instrument answer at the start and the end, too few for their outcome figures to pass
disclosure control (an effect size and most reliable-change shares are suppressed); at scale 2
every effect size passes and most instruments show a reliable-change share, for a few seconds
more of linking."""


@app.command()
def demo(
    directory: Annotated[Path, typer.Argument(help="Folder for the demo workspace.")] = Path(
        "demo"
    ),
    scale: Annotated[
        float,
        typer.Option(
            help="Size of the synthetic data (2: enough questionnaire answers for the headline "
            "outcome figures to pass disclosure control)."
        ),
    ] = DEMO_SCALE,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Synthetic data → ingest → link → measures → reports (HTML, PDF, XLSX); prints their paths.

    Writes DIR/raw (synthetic inputs), DIR/demo.key (a key made for the demo) and DIR/study (the
    workspace).
    """
    from daeval.privacy.keys import fingerprint, new_key_file, read_key_file
    from daeval.warehouse import Workspace
    from daeval.warehouse.marks import check_key

    # The demo makes its own key, beside (not inside) the workspace.
    data_dir, workspace, key_path = (
        directory / "raw",
        Workspace(directory / "study"),
        directory / "demo.key",
    )
    Workspace(directory).check_folder()
    if not key_path.exists():
        new_key_file(key_path)
    key = read_key_file(key_path)
    workspace.check_folder()
    check_key(workspace.warehouse_path, key)  # a workspace made with another key is refused

    from daeval.ingest.load import ingest_folder
    from daeval.link.run import link_workspace
    from daeval.metrics.measures_table import compute_measures
    from daeval.report.build import build_reports
    from daeval.synth import generate
    from daeval.synth.study_file import demo_study_yaml

    with synth_progress(err) as progress:
        generate(data_dir, scale=scale, seed=seed, progress=progress)
    with step_progress(err, "Demo") as progress:
        ingest_folder(data_dir, workspace, key, progress=progress)
        link_workspace(workspace, progress=progress)
        if not workspace.study_file.exists():
            workspace.study_file.write_text(demo_study_yaml(), encoding="utf-8")
        progress("measures")
        compute_measures(workspace)
        files = build_reports(workspace, fingerprint(key), progress=progress)
    _print_reports(files)
    _warn_if_exposed(workspace.root)


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Folder for the new workspace.")],
    example: Annotated[
        ExampleStudy | None,
        typer.Option("--example", help="Start from an example study."),
    ] = None,
) -> None:
    """Make a study workspace: DIR/study.yaml (blank, or an example study), DIR/raw for the files
    to load and DIR/outputs. An existing study.yaml is never overwritten."""
    from daeval.cli.output_paths import check_is_folder
    from daeval.study.examples import BLANK, example_text
    from daeval.warehouse import Workspace
    from daeval.whole_files import written_whole

    text = example_text(example.value) if example else BLANK
    workspace = Workspace(directory)
    if workspace.study_file.exists() or workspace.study_file.is_symlink():
        raise DaevalError(
            f"{workspace.study_file}: already exists; daeval will not overwrite it: edit it, or "
            "choose another folder"
        )
    for folder in (workspace.root, workspace.root / "raw", workspace.outputs):
        check_is_folder("daeval init", folder)
    workspace.root.mkdir(parents=True, exist_ok=True)
    (workspace.root / "raw").mkdir(exist_ok=True)
    workspace.outputs.mkdir(exist_ok=True)
    with written_whole(workspace.study_file) as temporary:
        temporary.write_text(text, encoding="utf-8")
    out.print(f"Workspace: {workspace.root}")
    out.print(f"Next: edit {workspace.study_file}, then `daeval study check {workspace.root}`")


def _sub_apps() -> None:
    from daeval.design.cli import design_app
    from daeval.design.randomise_cli import randomise_app
    from daeval.study.cli import readiness, study_app, toc_app

    app.add_typer(design_app, name="design")
    app.add_typer(randomise_app, name="randomise")
    app.add_typer(study_app, name="study")
    app.add_typer(toc_app, name="toc")
    app.command("readiness")(readiness)


_sub_apps()


def _print_error(message: str) -> None:
    err.print("[bold red]error:[/] ", end="")
    err.print(message, markup=False, highlight=False, soft_wrap=True)


def usage_message(exc: typer.TyperException) -> str:
    """A mistake in the command line that typer found (an unknown option, a value outside an
    option's choices, a missing argument), in one line that says where to read how to write it."""
    message = " ".join(exc.format_message().replace("Value error, ", "").split()).rstrip(".")
    context = getattr(exc, "ctx", None)
    if context is None:
        return message
    return f"{message}; see `{context.command_path} --help`"


def main() -> None:
    # Everything daeval writes is for its owner only (daeval.warehouse.modes).
    os.umask(0o077)
    try:
        code = app(prog_name="daeval", standalone_mode=False)
    except DaevalError as exc:
        _print_error(str(exc))
        sys.exit(exc.exit_code)
    except typer.TyperException as exc:
        if type(exc).__name__ != "NoArgsIsHelpError":  # its help has been printed already
            _print_error(usage_message(exc))
        sys.exit(exc.exit_code)
    except typer.Abort:
        _print_error("stopped")
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
