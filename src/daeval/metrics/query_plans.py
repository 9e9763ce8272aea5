"""The measures' compiled SQL, kept in the workspace so that a later run need not build it again.

Building the measures' Ibis expressions and compiling them to SQL takes seconds of Python, more
than DuckDB takes to run the queries on the data most local authorities have. What a run compiles
(the SQL text of each query in order, which results the measures read and how, and the small
in-memory tables the SQL joins, such as the calendar) is kept as a *plan*, under a key made of
everything the SQL depends on (see :func:`plan_key`): the source of daeval itself, the versions of
Ibis, sqlglot and DuckDB, the run's settings, the study file, the tables loaded and their columns,
and the values read from the data before the SQL is built (the first referral's date, ...). A
run with the same key runs the kept SQL, which reads the warehouse as it is then: only SQL is
kept, never a result, so no figure can be stale. Any other key compiles afresh; a plan that
cannot be read is ignored and compiled again. See docs/decisions/0019-measure-plans.md.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa

import daeval
from daeval.warehouse.modes import FOLDER_MODE, private_folder, restrict

PLAN_FORMAT = 1
"""The layout of a kept plan; a plan of another layout is compiled again."""
KEPT_PLANS = 16
"""Plans kept in a workspace (the most recently made); older ones are removed."""
PLAN_FILE = "plan.json"


@dataclass(frozen=True)
class Step:
    """One query or statement of a plan, run in order on one DuckDB connection.

    ``schema`` (result columns and their Ibis types) is given for a query whose rows are read;
    ``scalar`` when its one value is read; ``finish`` names what turns its frame into rows (see
    :class:`daeval.metrics.queries.Queries`). ``memtables`` are the in-memory tables it joins."""

    sql: str
    statement: bool = False
    memtables: tuple[str, ...] = ()
    schema: tuple[tuple[str, str], ...] | None = None
    scalar: bool = False
    finish: str | None = None


@dataclass(frozen=True)
class Plan:
    """The steps of a run, and which of them (by index) give its results, in order."""

    steps: tuple[Step, ...]
    results: tuple[int, ...]
    memtables: dict[str, pa.Table]


@cache
def code_fingerprint() -> str:
    """A digest of every file of the daeval package (its modules, and the data files they read,
    such as the instruments' definitions) and of the versions of the libraries that compile the
    SQL: any change to daeval's code, even without a new version number, makes new plans."""
    import duckdb
    import ibis
    import sqlglot

    digest = hashlib.sha256()
    versions = (daeval.__version__, ibis.__version__, sqlglot.__version__, duckdb.__version__)
    digest.update(repr(versions).encode())
    package = Path(daeval.__file__).parent
    files = (p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    for path in sorted(files):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_plain(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"a plan key cannot hold {type(value).__name__}")


def plan_key(**parts: Any) -> str:
    """The key of the plan that ``parts`` (settings and values read from the data) give with
    this code: equal keys, equal SQL."""
    text = json.dumps(
        {"format": PLAN_FORMAT, "code": code_fingerprint(), **_plain(parts)}, sort_keys=True
    )
    return hashlib.sha256(text.encode()).hexdigest()


class PlanStore:
    """Plans kept in ``folder`` (owner-only), one folder per key."""

    def __init__(self, folder: Path, kept: int = KEPT_PLANS):
        self.folder = folder
        self.kept = kept

    def load(self, key: str) -> Plan | None:
        """The plan kept under ``key``, or None when there is none or it cannot be read."""
        where = self.folder / key
        try:
            document = json.loads((where / PLAN_FILE).read_text(encoding="utf-8"))
            if document.get("format") != PLAN_FORMAT or document.get("key") != key:
                return None
            steps = tuple(_step(s) for s in document["steps"])
            names = {n for s in steps for n in s.memtables}
            memtables = {n: _read_arrow(where / f"{n}.arrow") for n in sorted(names)}
            results = tuple(int(i) for i in document["results"])
        except (OSError, ValueError, KeyError, TypeError, pa.ArrowException):
            return None
        if any(not 0 <= i < len(steps) or steps[i].schema is None for i in results):
            return None
        return Plan(steps, results, memtables)

    def save(self, key: str, plan: Plan) -> None:
        """Keep ``plan`` under ``key`` (written whole: a folder renamed into place), and remove
        the oldest plans beyond :data:`KEPT_PLANS`. A plan that cannot be written is not kept."""
        try:
            private_folder(self.folder)
            made = Path(tempfile.mkdtemp(prefix=".new-", dir=self.folder))
            restrict(made, FOLDER_MODE)
            for name, table in plan.memtables.items():
                with pa.OSFile(str(made / f"{name}.arrow"), "wb") as sink:
                    with pa.ipc.new_file(sink, table.schema) as writer:
                        writer.write_table(table)
            document = {
                "format": PLAN_FORMAT,
                "key": key,
                "steps": [asdict(s) for s in plan.steps],
                "results": list(plan.results),
            }
            (made / PLAN_FILE).write_text(json.dumps(document), encoding="utf-8")
            target = self.folder / key
            shutil.rmtree(target, ignore_errors=True)  # one that could not be used
            try:
                os.replace(made, target)
            except OSError:  # made meanwhile by another run: theirs is the same plan
                shutil.rmtree(made, ignore_errors=True)
            self._prune()
        except OSError:
            return

    def _prune(self) -> None:
        plans = [
            p
            for p in self.folder.iterdir()
            if not p.name.startswith(".") and (p / PLAN_FILE).exists()
        ]
        plans.sort(key=lambda p: (p / PLAN_FILE).stat().st_mtime, reverse=True)
        for old in plans[self.kept :]:
            shutil.rmtree(old, ignore_errors=True)


def _step(document: dict) -> Step:
    schema = document["schema"]
    return Step(
        sql=str(document["sql"]),
        statement=bool(document["statement"]),
        memtables=tuple(str(n) for n in document["memtables"]),
        schema=None if schema is None else tuple((str(c), str(t)) for c, t in schema),
        scalar=bool(document["scalar"]),
        finish=None if document["finish"] is None else str(document["finish"]),
    )


def _read_arrow(path: Path) -> pa.Table:
    return pa.ipc.open_file(pa.BufferReader(path.read_bytes())).read_all()
