"""``daeval study``, ``daeval toc`` and ``daeval readiness``: the study file, its theories of
change, research questions, partner selection and readiness for impact evaluation."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from daeval.errors import DaevalError, StudyFileError

study_app = typer.Typer(
    name="study",
    help="Check the study file; research-question matrix; partner selection.",
    no_args_is_help=True,
)
toc_app = typer.Typer(
    name="toc", help="Theories of change: draw them as SVG and PNG.", no_args_is_help=True
)
out = Console(soft_wrap=True)
err = Console(stderr=True)

Workspace = Annotated[Path, typer.Argument(help="The study workspace folder.")]
OutCsv = Annotated[Path | None, typer.Option("--out", help="Also write the table as CSV here.")]
Force = Annotated[
    bool, typer.Option("--force", help="Replace the --out file(s) if they exist already.")
]
COLOURS = {"green": "green", "amber": "dark_orange", "red": "red"}


def _study_file(workspace: Path) -> Path:
    if not workspace.is_dir():
        raise DaevalError(f"{workspace}: not a folder (make a workspace with `daeval init`)")
    return workspace / "study.yaml"


def _check_out(workspace: Path, out_file: Path | None, force: bool) -> None:
    """Refuse an --out file that exists (without --force) or that the command reads."""
    from daeval.cli.output_paths import check_outputs
    from daeval.metrics.measures_table import MEASURES_CSV

    read = [workspace / "study.yaml", workspace / "warehouse.duckdb"]
    check_outputs(
        {"--out": out_file}, inputs=[*read, workspace / "outputs" / MEASURES_CSV], force=force
    )


def write_rows(rows: Sequence[dict[str, Any]], path: Path) -> None:
    """Rows of a table as CSV (lists joined with '; '; text that a spreadsheet would run as a
    formula neutralised: daeval.privacy.formula_text), written whole (a temporary file renamed)."""
    from daeval.privacy.formula_text import neutralised
    from daeval.whole_files import written_whole

    with written_whole(path) as temporary, temporary.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else [])
        writer.writeheader()
        for row in rows:
            cells = {k: "; ".join(v) if isinstance(v, list | tuple) else v for k, v in row.items()}
            writer.writerow(
                {k: neutralised(v) if isinstance(v, str) else v for k, v in cells.items()}
            )


@study_app.command("check")
def check(
    workspace: Workspace,
    strict: Annotated[bool, typer.Option("--strict", help="Fail on warnings too.")] = False,
) -> None:
    """Report every problem of WS/study.yaml with its line and a fix; exit 15 if any is an error
    (with --strict, if there is any problem at all)."""
    from daeval.study.check import check_study_file

    result = check_study_file(_study_file(workspace))
    for problem in result.problems:
        colour = "red" if problem.severity == "error" else "yellow"
        out.print(
            f"[{colour}]{problem.render(result.file.name)}[/]", highlight=False, soft_wrap=True
        )
    summary = f"{len(result.errors)} error(s), {len(result.warnings)} warning(s)"
    if result.errors or (strict and result.warnings):
        raise StudyFileError(f"{result.file}: {summary}; fix the problems listed above")
    out.print(f"{result.file}: passes ({summary})")


@study_app.command("questions")
def questions(workspace: Workspace, out_file: OutCsv = None, force: Force = False) -> None:
    """The research-question matrix: methods, data, measures and themes of each question, and
    what is still missing."""
    from daeval.metrics.measures_table import MEASURES_CSV
    from daeval.study.check import load_study
    from daeval.study.questions import research_matrix

    _check_out(workspace, out_file, force)
    study = load_study(_study_file(workspace))
    computed = None
    measures_csv = workspace / "outputs" / MEASURES_CSV
    if measures_csv.exists():
        with measures_csv.open(encoding="utf-8") as handle:
            computed = {row["measure"] for row in csv.DictReader(handle)}
    rows = research_matrix(study, computed)
    table = Table("RQ", "Question", "Methods", "Data", "Measures", "Themes", "Missing")
    for r in rows:
        table.add_row(
            r.id, r.question, "\n".join(r.methods), "\n".join(r.data), "\n".join(r.measures),
            "\n".join(r.themes), "[red]" + "\n".join(r.missing) + "[/]" if r.missing else "-",
        )  # fmt: skip
    out.print(table)
    if out_file:
        write_rows([asdict(r) for r in rows], out_file)
        out.print(f"Matrix: {out_file}")


@study_app.command("partners")
def partners(workspace: Workspace, out_file: OutCsv = None, force: Force = False) -> None:
    """Score the partner applications against the weighted criteria and shortlist for diversity;
    a table of scores and why each was or was not chosen."""
    from daeval.study.check import load_study
    from daeval.study.partners import choices_table, select_partners

    _check_out(workspace, out_file, force)
    study = load_study(_study_file(workspace))
    selection = study.partner_selection
    if selection is None:
        raise StudyFileError(
            f"{workspace}/study.yaml has no partner_selection section; add one (the example "
            "study of `daeval init DIR --example feasibility` has one)"
        )
    rows = choices_table(select_partners(selection), selection)
    table = Table(*(str(k) for k in rows[0]))
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row.values()))
    out.print(table)
    if selection.illustrative:
        out.print("[yellow]The scores in this study file are illustrative.[/]")
    if out_file:
        write_rows(rows, out_file)
        out.print(f"Table: {out_file}")


@toc_app.command("render")
def render(
    workspace: Workspace,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the SVG and PNG files.")],
    intervention: Annotated[
        str | None, typer.Option("--intervention", help="Only this intervention (its id).")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace drawings that exist already.")
    ] = False,
) -> None:
    """Draw each intervention's theory of change as DIR/<id>.svg and DIR/<id>.png."""
    from daeval.cli.output_paths import check_outputs
    from daeval.study.check import load_study

    study = load_study(_study_file(workspace))
    chosen = [
        i for i in study.interventions
        if i.theory_of_change is not None and intervention in (None, i.id)
    ]  # fmt: skip
    if not chosen:
        known = ", ".join(i.id for i in study.interventions if i.theory_of_change) or "none"
        raise DaevalError(
            f"--intervention {intervention}: no theory of change to draw; choose one of the "
            f"interventions with one: {known}"
            if intervention else
            f"{workspace}/study.yaml: no intervention has a theory_of_change to draw; add one"
        )  # fmt: skip
    drawings = [
        ("--out", out_dir / f"{i.id}{suffix}") for i in chosen for suffix in (".svg", ".png")
    ]
    check_outputs(drawings, inputs=[workspace / "study.yaml"], force=force)
    from daeval.study.toc_render import render_toc

    for item in chosen:
        assert item.theory_of_change is not None
        svg, png = render_toc(item.theory_of_change, item.name, out_dir / item.id)
        out.print(f"{item.id}: {svg} {png}")


def readiness(
    workspace: Workspace,
    out_file: OutCsv = None,
    intervention: Annotated[
        str | None, typer.Option("--intervention", help="Only this intervention (its id).")
    ] = None,
    force: Force = False,
) -> None:
    """Readiness for impact evaluation: a red/amber/green scorecard per intervention, each line
    with the evidence behind it (study file, warehouse, design calculations)."""
    from daeval.study.check import load_study
    from daeval.study.readiness import loaded_from, overall, scorecard

    _check_out(workspace, out_file, force)
    study = load_study(_study_file(workspace))
    lines = scorecard(study, loaded_from(workspace / "warehouse.duckdb"), workspace)
    if intervention is not None:
        known = ", ".join(sorted({line.intervention for line in lines})) or "none"
        lines = [line for line in lines if line.intervention == intervention]
        if not lines:
            raise DaevalError(
                f"--intervention {intervention!r}: not an intervention under study; choose one "
                f"of {known}"
            )
    verdicts = overall(lines)
    for name, verdict in verdicts.items():
        table = Table("Aspect", "Rating", "Evidence", title=f"{name}: {verdict}")
        for line in (x for x in lines if x.intervention == name):
            table.add_row(line.aspect, f"[{COLOURS[line.rating]}]{line.rating}[/]", line.evidence)
        out.print(table)
    if out_file:
        write_rows([asdict(line) for line in lines], out_file)
        out.print(f"Scorecard: {out_file}")
