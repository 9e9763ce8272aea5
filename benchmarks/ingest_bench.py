"""daeval ingest (checks, minimisation, one transaction) against DuckDB's plain CSV load of the same files."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import duckdb

from daeval.ingest.load import ingest_folder
from daeval.synth import generate
from daeval.warehouse import Workspace

SCALE = 20
BENCH_KEY = b"benchmark-key-not-secret-0123456789abcdef"


def run() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "raw"
        summary = generate(data, scale=SCALE, seed=2)
        began = time.perf_counter()
        ingest_folder(data, Workspace(Path(tmp) / "ws"), BENCH_KEY)
        seconds = time.perf_counter() - began
        began = time.perf_counter()
        con = duckdb.connect(str(Path(tmp) / "plain.duckdb"))
        for path in sorted(data.glob("*.csv")):
            con.execute(f"CREATE TABLE \"{path.stem}\" AS SELECT * FROM read_csv('{path}')")
        con.close()
        baseline = time.perf_counter() - began
    rows = sum(summary.rows.values())
    return {
        "name": f"ingest of a scale-{SCALE} synthetic folder vs plain DuckDB read_csv",
        "seconds": seconds,
        "baseline_seconds": baseline,
        "rows": rows,
        "rows_per_second": round(rows / seconds),
    }
