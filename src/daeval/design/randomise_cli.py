"""``daeval randomise``: concealed allocation with an audit log."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from daeval.design.randomisation import (
    DEFAULT_P,
    Factor,
    RandomisationSettingsError,
    default_block_sizes,
    strata,
)

if TYPE_CHECKING:
    from daeval.design.allocation import TrialSettings
    from daeval.warehouse import Workspace

randomise_app = typer.Typer(
    name="randomise",
    help="Allocate participants to arms: concealed sequences, an append-only audit log.",
    no_args_is_help=True,
)
out = Console()

WorkspaceOption = Annotated[
    Path, typer.Option("--workspace", "-w", help="The study workspace folder.")
]
TrialOption = Annotated[
    str, typer.Option("--trial", help="The trial's name: its folder is WS/randomisation/NAME.")
]
KeyFileOption = Annotated[
    Path | None,
    typer.Option(
        "--key-file",
        help="Project key file (owner-only). Default: $DAEVAL_KEY_FILE, else $DAEVAL_KEY.",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print a JSON object instead of text.")]


class Method(StrEnum):
    """How arms are allocated (``--method``; daeval.design.allocation.METHODS)."""

    blocks = "blocks"
    minimisation = "minimisation"


def _key(key_file: Path | None) -> bytes:
    from daeval.privacy.keys import load_key

    return load_key(os.environ, key_file)


def _workspace(path: Path) -> Workspace:
    """The workspace at ``path``, refused when it is a file (a folder still to be made is one)."""
    from daeval.warehouse import Workspace

    workspace = Workspace(path)
    workspace.check_folder()
    return workspace


def split_names(text: str) -> tuple[str, ...]:
    """``a,b, c`` → ``("a", "b", "c")``."""
    return tuple(part.strip() for part in text.split(","))


def parse_ratio(text: str | None, n_arms: int) -> tuple[int, ...]:
    """``2:1`` → ``(2, 1)``; none given is equal allocation."""
    if text is None:
        return (1,) * n_arms
    try:
        return tuple(int(part) for part in text.split(":"))
    except ValueError:
        raise RandomisationSettingsError(
            f"--ratio {text!r}: write whole numbers separated by ':', e.g. 2:1"
        ) from None


def parse_pair(text: str, option: str) -> tuple[str, str]:
    """``name=value`` → ``("name", "value")``."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip() or not value.strip():
        raise RandomisationSettingsError(f"{option} {text!r}: write NAME=VALUE, e.g. site=fbs")
    return name.strip(), value.strip()


def parse_factor(text: str, option: str) -> Factor:
    """``site=fbs,sat`` → a factor named site with levels fbs and sat."""
    name, levels = parse_pair(text, option)
    return Factor(name, split_names(levels))


def parse_sizes(text: str) -> tuple[int, ...]:
    """``4,6,8`` → ``(4, 6, 8)``."""
    try:
        return tuple(int(part) for part in split_names(text))
    except ValueError:
        raise RandomisationSettingsError(
            f"--block-sizes {text!r}: write whole numbers separated by commas, e.g. 4,6,8"
        ) from None


def weighted(factors: list[Factor], weights: list[str]) -> list[Factor]:
    """The factors with the weights given as ``name=weight`` (the others keep weight 1)."""
    by_name = {factor.name: factor for factor in factors}
    for text in weights:
        name, value = parse_pair(text, "--weight")
        if name not in by_name:
            raise RandomisationSettingsError(
                f"--weight {text!r}: {name} is not a --factor ({', '.join(by_name) or 'none'})"
            )
        try:
            by_name[name] = replace(by_name[name], weight=float(value))
        except ValueError:
            raise RandomisationSettingsError(f"--weight {text!r}: the weight is a number") from None
    return list(by_name.values())


def _settings(
    method: str,
    arms: str,
    ratio: str | None,
    stratifying: list[str],
    factors: list[str],
    weights: list[str],
    block_sizes: str | None,
    p: float | None,
    capacity: int | None,
) -> TrialSettings:
    """The trial's settings from the options, refusing options that belong to the other method."""
    from daeval.design.allocation import DEFAULT_CAPACITY, TrialSettings

    arm_names = split_names(arms)
    parts = parse_ratio(ratio, len(arm_names))
    if method == "blocks":
        wrong = [
            name
            for name, given in (("--factor", factors), ("--weight", weights), ("--p", p))
            if given
        ]
        if wrong:
            raise RandomisationSettingsError(
                f"{', '.join(wrong)}: for --method minimisation only; add --method "
                "minimisation, or use --strata NAME=LEVEL,LEVEL to stratify blocks"
            )
        return TrialSettings(
            method,
            arm_names,
            parts,
            tuple(parse_factor(text, "--strata") for text in stratifying),
            parse_sizes(block_sizes) if block_sizes else default_block_sizes(parts),
            capacity=DEFAULT_CAPACITY if capacity is None else capacity,
        )
    wrong = [
        name
        for name, given in (
            ("--strata", stratifying),
            ("--block-sizes", block_sizes),
            ("--capacity", capacity),
        )
        if given
    ]
    if method == "minimisation" and wrong:
        raise RandomisationSettingsError(
            f"{', '.join(wrong)}: for --method blocks only; use --factor NAME=LEVEL,LEVEL (and "
            "--weight, --p) with minimisation"
        )
    chosen = weighted([parse_factor(text, "--factor") for text in factors], weights)
    return TrialSettings(method, arm_names, parts, tuple(chosen), p=DEFAULT_P if p is None else p)


@randomise_app.command("setup")
def setup_command(
    workspace: WorkspaceOption,
    arms: Annotated[
        str, typer.Option("--arms", help="The arms, separated by commas: intervention,control.")
    ],
    method: Annotated[
        Method, typer.Option("--method", help="Stratified permuted blocks, or minimisation.")
    ] = Method.blocks,
    ratio: Annotated[
        str | None,
        typer.Option("--ratio", help="Allocation ratio in the order of --arms, e.g. 2:1 (1:1)."),
    ] = None,
    stratifying: Annotated[
        list[str] | None,
        typer.Option(
            "--strata",
            help="Blocks: a stratifying factor, NAME=LEVEL,LEVEL (repeat; strata are every "
            "combination).",
        ),
    ] = None,
    factor: Annotated[
        list[str] | None,
        typer.Option("--factor", help="Minimisation: a factor, NAME=LEVEL,LEVEL (repeat)."),
    ] = None,
    weight: Annotated[
        list[str] | None,
        typer.Option("--weight", help="Minimisation: a factor's weight, NAME=W (default 1)."),
    ] = None,
    block_sizes: Annotated[
        str | None,
        typer.Option(
            "--block-sizes",
            help="Blocks: sizes to draw from, multiples of the ratio's sum (default 4,6,8 for 1:1).",
        ),
    ] = None,
    p: Annotated[
        float | None,
        typer.Option("--p", help="Minimisation: chance of the least-imbalanced arm (0.8)."),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option("--seed", help="Seed of the random stream (default: drawn at random)."),
    ] = None,
    capacity: Annotated[
        int | None,
        typer.Option("--capacity", help="Blocks: places in each stratum's sequence (1000)."),
    ] = None,
    trial: TrialOption = "main",
    key_file: KeyFileOption = None,
) -> None:
    """Set up a trial once: draw the seed and sequences and seal them with the settings.

    The settings, seed and sequences are encrypted under a key derived from the project key;
    nothing in the workspace shows an arm before it is allocated.
    """
    from daeval.design.allocation import Trial, setup_trial

    settings = _settings(
        method.value,
        arms,
        ratio,
        stratifying or [],
        factor or [],
        weight or [],
        block_sizes,
        p,
        capacity,
    )
    key = _key(key_file)
    ws = _workspace(workspace)
    setup_trial(ws, key, settings, trial=trial, seed=seed)
    place = Trial(ws, trial)
    arms_text = ", ".join(settings.arms)
    ratio_text = ":".join(map(str, settings.ratio))
    if settings.method == "blocks":
        n_strata = len(strata(settings.factors))
        detail = f"{n_strata} strata of {settings.capacity:,} places each"
    else:
        detail = "minimising on " + ", ".join(f.name for f in settings.factors)
    out.print(
        escape(
            f"Trial {trial} set up: {settings.method}, arms {arms_text} ({ratio_text}), {detail}."
        ),
        highlight=False,
        soft_wrap=True,
    )
    out.print(
        escape(f"Sealed: {place.sealed_path}; audit log: {place.log_path}"),
        highlight=False,
        soft_wrap=True,
    )


@randomise_app.command("assign")
def assign_command(
    workspace: WorkspaceOption,
    participant: Annotated[str, typer.Option("--participant", help="The participant's trial id.")],
    by: Annotated[str, typer.Option("--by", help="Who is allocating (recorded in the log).")],
    value: Annotated[
        list[str] | None,
        typer.Option("--value", help="The participant's level of a factor, NAME=LEVEL (repeat)."),
    ] = None,
    trial: TrialOption = "main",
    key_file: KeyFileOption = None,
    as_json: JsonOption = False,
) -> None:
    """Reveal and record one participant's arm; a participant is randomised once only."""
    from daeval.design.allocation import Trial, assign

    values: dict[str, str] = {}
    for text in value or []:
        name, level = parse_pair(text, "--value")
        if name in values:
            raise RandomisationSettingsError(f"--value {name} is given twice")
        values[name] = level
    key = _key(key_file)
    ws = _workspace(workspace)
    allocation = assign(ws, key, participant, values, by, trial=trial)
    if as_json:
        out.print_json(json.dumps(asdict(allocation)))
        return
    out.print(
        escape(f"{allocation.participant}: {allocation.arm}"), highlight=False, soft_wrap=True
    )
    where = f"stratum {allocation.stratum}, slot {allocation.slot}; " if allocation.stratum else ""
    out.print(
        escape(
            f"Allocation {allocation.n} ({where}{allocation.time}, by {allocation.by}); "
            f"logged in {Trial(ws, trial).log_path} line {allocation.n}"
        ),
        highlight=False,
        soft_wrap=True,
    )


@randomise_app.command("balance")
def balance_command(
    workspace: WorkspaceOption,
    trial: TrialOption = "main",
    key_file: KeyFileOption = None,
    as_json: JsonOption = False,
) -> None:
    """Print the allocations by arm: per stratum (blocks) or per factor level (minimisation)."""
    from daeval.design.allocation_review import balance

    table = balance(_workspace(workspace), _key(key_file), trial=trial)
    if as_json:
        out.print_json(json.dumps(table.to_json()))
        return
    blocks = table.method == "blocks"
    shown = Table(title=escape(f"Trial {trial}: allocations by arm"))
    for heading in ("Stratum",) if blocks else ("Factor", "Level"):
        shown.add_column(heading)
    for arm in table.arms:
        shown.add_column(escape(arm), justify="right")
    shown.add_column("Total", justify="right")
    for row in table.rows:
        labels = (row.level,) if blocks else (row.factor, row.level)
        counts = (*row.counts, row.total)
        shown.add_row(*map(escape, labels), *(f"{n:,}" for n in counts))
    padding = ("Total",) if blocks else ("Total", "")
    shown.add_row(*padding, *(f"{n:,}" for n in (*table.totals, sum(table.totals))), style="bold")
    out.print(shown)


@randomise_app.command("verify")
def verify_command(
    workspace: WorkspaceOption,
    trial: TrialOption = "main",
    key_file: KeyFileOption = None,
) -> None:
    """For an auditor: replay every allocation from the seed and check the log's hash chain.

    Exits with code 21 and names the first line that differs when the log does not match.
    """
    from daeval.design.allocation import AuditFailedError, Trial
    from daeval.design.allocation_review import verify

    ws = _workspace(workspace)
    report = verify(ws, _key(key_file), trial=trial)
    log = Trial(ws, trial).log_path
    if report.discrepancy is not None:
        raise AuditFailedError(f"trial {trial}, {log} {report.discrepancy}")
    out.print(
        escape(
            f"Trial {trial} verified: {report.lines} allocations in {log}; the hash chain is "
            "intact, every arm replays from the seed and settings, and the log matches the "
            "sealed record."
        ),
        highlight=False,
        soft_wrap=True,
    )
