"""The whole measures table (daeval compute_measures) against one hand-written DuckDB SQL script
(``measures_sql``) and a straightforward pandas version (``measures_pandas``), on the same
warehouse.

Every row compute_measures writes by default (no study.yaml) is computed by all three sides: the
fourteen measures of the workspace's tables (screening_funnel needs a study.yaml and is not among
them), each by all, its own groups, area, sex, age_band, ethnicity_group and disability. Linkage
is not run, so person keys come from trusted links (``person_links``) on every side. Disclosure
control is off on the daeval side so that the counts can be compared exactly: the SQL and pandas
rows must equal daeval's, and their values and intervals (Kaplan–Meier estimates, medians, mean
changes, effect sizes; numerator / denominator for a rate) must agree within FIGURE_TOLERANCE.
``daeval_seconds`` is the whole call, as a user runs it again on the same data and settings
(the SQL the first run compiled is kept in the workspace: see daeval.metrics.query_plans);
``daeval_first_run_seconds`` is the first call, which builds and compiles the queries (its rows
must equal the next call's); ``daeval_seconds_by_query`` splits the call by
the measures each query returns, and times apart the tables compute_measures computes once and
shares between several measures' queries ("tables kept for several measures"); "no query running"
is the time the call spends in Python alone (the queries run while Python builds the next).

The workspace is synthetic: scale DAEVAL_BENCH_SCALE (default 600: about 4 million referrals,
15 million police notifications, 25 million notification children, 17 million people records;
its ingest takes about 4 to 6 minutes on 2 cores), a tenth of it, so that the growth with size
shows, and a quarter, the largest at which the pandas side fits in this machine's memory (it does
not at the full scale). DAEVAL_BENCH_CACHE names a folder in which built workspaces are kept and
reused.

Each side runs in its own process on the ingested warehouse file; its ``seconds`` count the
computation only (for pandas, reading the tables too), its peak memory is the resident-set peak
of the process. A side whose memory passes DAEVAL_BENCH_MEMORY_LIMIT_GIB (default 18) is stopped
and reported as failed, with no time (pandas needs about 4.3 GiB at scale 60, so some 40 at 600).

To work on one side: ``python -m benchmarks.measures_bench compare sql|pandas WORKSPACE [MEASURE
...]`` prints how its rows differ from daeval's on a built workspace.
"""

from __future__ import annotations

import math
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path

from benchmarks.measures_facts import Row

SCALE = float(os.environ.get("DAEVAL_BENCH_SCALE", "600"))
BENCH_KEY = b"benchmark-key-not-secret-0123456789abcdef"
SEED = 3
SIDES = ("daeval", "sql", "pandas")


# --- (a) daeval ----------------------------------------------------------------------------------

NOT_COMPARED = frozenset({"referrals_per_month", "recruitment_funnel"})
"""Measures the SQL and pandas sides do not compute (a site's throughput, read by reports)."""


def daeval_side(workspace: str, as_of: date) -> tuple[float, list[Row], dict]:
    """compute_measures, with the seconds each query ran (named by the measures whose rows it
    returns, else by the function that asked for it) recorded on the side. The queries run on a
    thread of their own while Python builds the next ones, so their seconds overlap Python's;
    ``no query running`` is the rest of the whole call."""
    import inspect
    import re

    # Libraries are imported before the clock starts, as on the other sides: Ibis's SQL
    # compilers, which its DuckDB backend imports on first use, take about a second.
    import ibis.backends.duckdb  # noqa: F401

    from daeval.metrics import measures_table, queries
    from daeval.privacy.disclosure_control import DisclosurePolicy
    from daeval.warehouse import Workspace

    spent: Counter = Counter()
    asked_by: dict[str, str] = {}
    submit, run_query = queries.Queries._submit, queries.Queries._run

    def named_submit(self, sql, memtables, statement=False):  # type: ignore[no-untyped-def]
        caller = next(f for f in inspect.stack(0)[1:] if Path(f.filename).stem != "queries")
        asked_by[sql] = f"{Path(caller.filename).stem}.{caller.function}"
        return submit(self, sql, memtables, statement)

    def timed_run(self, sql, memtables, statement):  # type: ignore[no-untyped-def]
        began = time.perf_counter()
        try:
            return run_query(self, sql, memtables, statement)
        finally:
            measures = sorted(set(re.findall(r"'([a-z_]+)' AS \"measure\"", sql)))
            if statement:
                what = "tables kept for several measures"
            elif measures:
                what = "+".join(measures)
            else:
                what = f"other query ({asked_by.get(sql, '?')})"
            spent[what] += time.perf_counter() - began

    queries.Queries._submit = named_submit  # type: ignore[method-assign]
    queries.Queries._run = timed_run  # type: ignore[method-assign]
    policy = DisclosurePolicy(enabled=False)
    began = time.perf_counter()
    run = measures_table.compute_measures(Workspace(Path(workspace)), as_of, policy=policy)
    seconds = time.perf_counter() - began
    rows = [
        (
            r.measure,
            r.group_by,
            r.group,
            r.category,
            r.period_start,
            r.period_end,
            r.numerator,
            r.denominator,
            r.value,
            r.ci_lower,
            r.ci_upper,
        )
        for r in run.rows
        if r.measure not in NOT_COMPARED
    ]
    spent["no query running"] = seconds - sum(spent.values())
    return seconds, rows, dict(spent)


# --- running the sides ---------------------------------------------------------------------------

MEMORY_LIMIT_GIB = float(os.environ.get("DAEVAL_BENCH_MEMORY_LIMIT_GIB", "18"))

# Runs a side as a child process, stops it if its resident memory passes the limit (so that an
# out-of-memory side fails on its own instead of the machine's OOM killer choosing), and prints
# the child's peak resident memory (KiB) and whether it was stopped.
WATCH = """
import resource, subprocess, sys, time
limit_kib = float(sys.argv[1]) * 2**20
child = subprocess.Popen(sys.argv[2:], stdout=subprocess.DEVNULL)
stopped = False
while child.poll() is None:
    try:
        with open(f"/proc/{child.pid}/status") as status:
            rss = next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))
    except (OSError, StopIteration):
        rss = 0
    if rss > limit_kib:
        child.kill()
        stopped = True
    time.sleep(0.2)
child.wait()
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, stopped, child.returncode)
"""


def _side(side: str, workspace: str, day: date) -> tuple[float, list[Row], dict]:
    warehouse = str(Path(workspace) / "warehouse.duckdb")
    if side == "daeval":
        return daeval_side(workspace, day)
    if side == "sql":
        from benchmarks.measures_sql import sql_side

        return (*sql_side(warehouse, day), {})
    from benchmarks.measures_pandas import pandas_side

    return (*pandas_side(warehouse, day), {})


def _child(side: str, workspace: str, as_of: str, out: str) -> None:
    """Run one side (in its own process) and pickle its seconds, rows and details to ``out``."""
    outcome = _side(side, workspace, date.fromisoformat(as_of))
    Path(out).write_bytes(pickle.dumps(outcome))


def compare(side: str, workspace: str, *measures: str) -> None:
    """Print how one side's rows (of ``measures``, or all) differ from daeval's, in this process:
    for working on a side. daeval's rows are kept in ``<workspace>/daeval-rows.pickle``."""
    from daeval.warehouse import Workspace

    day = Workspace(Path(workspace)).open().latest_date()
    assert day is not None
    kept = Path(workspace) / "daeval-rows.pickle"
    if not kept.exists():
        kept.write_bytes(pickle.dumps(daeval_side(workspace, day)[1]))
    expected = pickle.loads(kept.read_bytes())
    seconds, rows, _ = _side(side, workspace, day)
    chosen = set(measures) or {r[0] for r in expected}
    differences = _differences(
        [r for r in expected if r[0] in chosen], [r for r in rows if r[0] in chosen], limit=20
    )
    print(f"{side}: {seconds:.2f} s, {len(rows)} rows; measures {sorted(chosen)}")
    print(differences or "same rows as daeval")


def _run_side(side: str, workspace: Path, as_of: date) -> dict:
    """seconds of the computation, peak_gib (resident memory) and rows of one side, or
    ``failed`` when it stopped without a result."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "rows.pickle"
        args = [sys.executable, "-m", "benchmarks.measures_bench", side, str(workspace)]
        began = time.perf_counter()
        result = subprocess.run(
            [
                sys.executable,
                "-c",
                WATCH,
                str(MEMORY_LIMIT_GIB),
                *args,
                as_of.isoformat(),
                str(out),
            ],
            check=True,
            capture_output=True,
            text=True,
            cwd=Path(__file__).parent.parent,
        )
        wall = time.perf_counter() - began
        peak_kib, stopped, code = result.stdout.split()
        peak = int(peak_kib) / 2**20
        if stopped == "True" or code != "0":
            why = f"over {MEMORY_LIMIT_GIB:g} GiB" if stopped == "True" else f"exit code {code}"
            return {"failed": f"stopped ({why}) after {wall:.0f} s", "peak_gib": peak}
        seconds, rows, details = pickle.loads(out.read_bytes())
    return {"seconds": seconds, "peak_gib": peak, "rows": rows, "details": details}


def _day(value: object) -> object:
    return value.date() if hasattr(value, "date") and callable(value.date) else value


def _figure(value: object) -> float | None:
    return None if value is None or value != value else float(value)  # type: ignore[arg-type]


def _normal(rows: list[Row]) -> tuple[Counter, dict]:
    """Rows as comparable tuples (dates as dates, counts as ints, a missing category as None),
    and each row's (value, ci_lower, ci_upper): given, or for a row of eight fields, a count,
    numerator / denominator with no interval."""
    counts: Counter = Counter()
    figures: dict = {}
    for row in rows:
        m, by, group, category, start, end, num, den = row[:8]
        category = None if category is None or category != category else str(category)
        den = None if den is None or den != den else int(den)
        key = (m, by, str(group), category, _day(start), _day(end), int(num), den)
        counts[key] += 1
        if len(row) > 8:
            figures[key] = tuple(_figure(v) for v in row[8:11])
        else:
            figures[key] = (int(num) / den if den else None, None, None)
    return counts, figures


FIGURE_TOLERANCE = 1e-6


def _unlike(a: float | None, b: float | None) -> bool:
    return (a is None) != (b is None) or (
        a is not None and b is not None and abs(a - b) > FIGURE_TOLERANCE
    )


def _differences(daeval: list[Row], other: list[Row], limit: int = 8) -> str | None:
    """None when the other side gives daeval's rows with the same value and interval (to
    FIGURE_TOLERANCE; a missing figure only where daeval's is missing); else what differs."""
    (expected, values), (got, figures) = _normal(daeval), _normal(other)
    missing, extra = expected - got, got - expected
    unlike = [
        (key, values[key], figure)
        for key, figure in figures.items()
        if key in values and any(map(_unlike, figure, values[key]))
    ]
    if not (missing or extra or unlike):
        return None
    lines = [
        f"{sum(missing.values())} rows missing, {sum(extra.values())} unexpected, "
        f"{len(unlike)} with another value or interval"
    ]
    lines += [f"  daeval only: {r}" for r in sorted(missing, key=str)[:limit]]
    lines += [f"  other only:  {r}" for r in sorted(extra, key=str)[:limit]]
    lines += [f"  value: {k}: daeval {w}, other {f}" for k, w, f in sorted(unlike, key=str)[:limit]]
    return "\n".join(lines)


def _build(root: Path, scale: float) -> Path:
    """A workspace ingested from the synthetic folder at ``scale`` (reused when already built)."""
    from daeval.ingest.load import ingest_folder
    from daeval.synth import generate
    from daeval.warehouse import Workspace

    ready = root / "ready"
    if ready.exists() and ready.read_text().strip() == f"{scale:g}":
        return root / "ws"
    shutil.rmtree(root, ignore_errors=True)
    generate(root / "raw", scale=scale, seed=SEED)
    ingest_folder(root / "raw", Workspace(root / "ws"), BENCH_KEY)
    shutil.rmtree(root / "raw")
    ready.write_text(f"{scale:g}\n")
    return root / "ws"


def _point(workspace: Path) -> dict:
    from daeval.metrics.measures_table import PLANS_FOLDER
    from daeval.warehouse import Workspace

    as_of = Workspace(workspace).open().latest_date()
    assert as_of is not None
    figures: dict = {"as_of": as_of.isoformat()}
    # The first run on a workspace builds and compiles the queries, and keeps the SQL; the runs
    # after it (the daeval side proper) run the kept SQL.
    shutil.rmtree(workspace / PLANS_FOLDER, ignore_errors=True)
    first = _run_side("daeval", workspace, as_of)
    sides = {side: _run_side(side, workspace, as_of) for side in SIDES}
    if "seconds" in first:
        figures["daeval_first_run_seconds"] = round(first["seconds"], 2)
        if "rows" in sides["daeval"]:
            figures["first_run_matches_daeval"] = (
                _differences(sides["daeval"]["rows"], first["rows"]) is None
            )
    for side, got in sides.items():
        figures[f"{side}_seconds"] = round(got["seconds"], 2) if "seconds" in got else None
        figures[f"{side}_peak_memory_gib"] = round(got["peak_gib"], 2)
        if "failed" in got:
            figures[f"{side}_failed"] = got["failed"]
    daeval = sides["daeval"]
    if "failed" in daeval:
        return figures
    spent = daeval["details"]
    figures["daeval_seconds_by_query"] = {k: round(v, 2) for k, v in sorted(spent.items())}
    figures["rows_compared"] = len(daeval["rows"])
    figures["measures_compared"] = sorted({r[0] for r in daeval["rows"]})
    for side in SIDES[1:]:
        if "failed" in sides[side]:
            continue
        differences = _differences(daeval["rows"], sides[side]["rows"])
        figures[f"{side}_matches_daeval"] = differences is None
        if differences is not None:
            figures[f"{side}_differences"] = differences
    sql, pandas = figures["sql_seconds"], figures["pandas_seconds"]
    if sql is not None:
        figures["daeval_over_sql"] = round(daeval["seconds"] / sql, 2)
    if pandas is not None:
        figures["pandas_over_daeval"] = round(pandas / daeval["seconds"], 2)
    return figures


def run() -> dict:
    # A tenth, so that the growth with size shows; a quarter, where pandas still fits in memory.
    scales = (SCALE / 10, SCALE / 4, SCALE)
    cache = os.environ.get("DAEVAL_BENCH_CACHE")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(cache) if cache else Path(tmp)
        points = {s: _point(_build(folder / f"scale-{s:g}", s)) for s in scales}
    for s, p in points.items():
        if not p.get("first_run_matches_daeval", True):
            raise AssertionError(f"scale {s:g}: the first run's rows differ from the next run's")
        for side in SIDES[1:]:
            if not p.get(f"{side}_matches_daeval", True):
                raise AssertionError(f"scale {s:g}, {side} differs: {p[f'{side}_differences']}")
    large = points[SCALE]
    return {
        "name": f"measures table at scale {SCALE:g}: daeval vs hand-written SQL",
        # A side that ran out of memory has no time: NaN keeps the summary line printable.
        "seconds": large["daeval_seconds"] or math.nan,
        "baseline_seconds": large["sql_seconds"] or math.nan,
        **{f"scale_{s:g}": p for s, p in points.items()},
    }


if __name__ == "__main__":
    if sys.argv[1] == "compare":
        compare(*sys.argv[2:])
    else:
        _child(*sys.argv[1:])
