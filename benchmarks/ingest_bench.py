"""daeval ingest (checks, pseudonyms, quarantine, linkage features, one transaction) against
DuckDB's plain read_csv of the same files into tables, on the scale-600 synthetic folder.

Set DAEVAL_BENCH_SCALE for a smaller run (the folder at 600 is about 100 million rows, 4.6 GB).
Peak memory is the resident-set peak of a subprocess running each side.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from daeval.synth import generate

SCALE = float(os.environ.get("DAEVAL_BENCH_SCALE", "600"))
BENCH_KEY = "benchmark-key-not-secret-0123456789abcdef"

PLAIN = """
import duckdb, sys, pathlib
con = duckdb.connect(sys.argv[2])
for path in sorted(pathlib.Path(sys.argv[1]).glob("*.csv")):
    con.execute(f"CREATE TABLE \\"{path.stem}\\" AS SELECT * FROM read_csv('{path}')")
con.close()
"""


def _timed(args: list[str]) -> tuple[float, float]:
    """Seconds and peak resident memory (GiB) of a child process."""
    began = time.perf_counter()
    code = (
        "import resource, subprocess, sys; "
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, *args], check=True, capture_output=True, text=True
    )
    return time.perf_counter() - began, int(out.stdout.strip()) / 2**20


def run() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "raw"
        summary = generate(data, scale=SCALE, seed=2)
        env_key = {"DAEVAL_KEY": BENCH_KEY}
        os.environ.update(env_key)
        seconds, peak = _timed(
            [
                sys.executable,
                "-m",
                "daeval",
                "ingest",
                str(data),
                "--workspace",
                str(Path(tmp) / "ws"),
            ]
        )
        baseline, baseline_peak = _timed(
            [sys.executable, "-c", PLAIN, str(data), str(Path(tmp) / "plain.duckdb")]
        )
    rows = summary.total_rows - summary.rows.get("truth/people_truth", 0)
    return {
        "name": f"ingest of the scale-{SCALE:g} synthetic folder vs plain DuckDB read_csv",
        "seconds": seconds,
        "baseline_seconds": baseline,
        "rows": rows,
        "rows_per_second": round(rows / seconds),
        "peak_memory_gib": round(peak, 2),
        "baseline_peak_memory_gib": round(baseline_peak, 2),
    }
