"""Rich progress displays for long steps (drawn on standard error, so output stays clean)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)


@contextmanager
def synth_progress(console: Console) -> Iterator[Callable[[str, int, int], None]]:
    """A bar per generation step, fed by ``progress(step, done, total)`` calls."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def update(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = bar.add_task(step, total=total)
            bar.update(tasks[step], completed=done, total=total)

        yield update


@contextmanager
def step_progress(console: Console, title: str) -> Iterator[Callable[[str], None]]:
    """A spinner naming the current step, fed by ``progress(step)`` calls."""
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(title, total=None)

        def update(step: str) -> None:
            bar.update(task, description=f"{title}: {step}")

        yield update
