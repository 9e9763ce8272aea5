"""daeval link (Splink on DuckDB) of the police and CSC people of the scale-100 synthetic folder,
against an exact-match linkage (same normalised names and date of birth) of the same records in the
same run. Both are timed in a subprocess, with peak memory, and scored against the truth file.

Set DAEVAL_BENCH_SCALE for a smaller run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from daeval.synth import generate

SCALE = float(os.environ.get("DAEVAL_BENCH_SCALE", "100"))
BENCH_KEY = "benchmark-key-not-secret-0123456789abcdef"
SOURCES = ["police", "csc"]

EXACT = """
import json, sys
from pathlib import Path
import duckdb
from daeval.link.quality import accuracy
from daeval.link.run import _truth_table
from daeval.link.records import stage_records
ws, truth, key = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3].encode()
con = duckdb.connect()
stage_records(con, ws / "warehouse.duckdb", ws / "staging", ["police", "csc"])
con.execute(
    "CREATE TABLE clusters AS SELECT record_id, CASE WHEN first_name IS NULL OR last_name IS NULL "
    "OR birth_year_month IS NULL OR birth_day IS NULL THEN record_id ELSE first_name || '|' || "
    "last_name || '|' || birth_year_month || '|' || birth_day END AS cluster_id FROM records"
)
_truth_table(con, truth, key)
a = accuracy(con, "clusters", "truth")
print(json.dumps({"precision": a.precision, "recall": a.recall, "f1": a.f1,
                  "merged_rate": a.merged_rate}))
"""

LINK = """
import json, sys
from pathlib import Path
from daeval.link.run import link_workspace
from daeval.warehouse import Workspace
ws, truth, key = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3].encode()
r = link_workspace(Workspace(ws), sources=["police", "csc"], truth=truth, key=key)
a = r.accuracy
print(json.dumps({"precision": a.precision, "recall": a.recall, "f1": a.f1,
                  "merged_rate": a.merged_rate, "split_rate": a.split_rate,
                  "records": r.records, "pairs_scored": r.pairs_scored, "clusters": r.clusters,
                  "model": r.model.origin if r.model else None}))
"""


def _timed(code: str, *args: str) -> tuple[float, float, dict]:
    """Seconds, peak resident memory (GiB) and the JSON printed by a child process."""
    wrapper = (
        "import resource, subprocess, sys; "
        "out = subprocess.run(sys.argv[1:], check=True, capture_output=True, text=True); "
        "print(out.stdout.strip().splitlines()[-1]); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    began = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", wrapper, sys.executable, "-c", code, *args],
        check=True,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - began
    figures, peak = out.stdout.strip().splitlines()[-2:]
    return seconds, int(peak) / 2**20, json.loads(figures)


def run() -> dict:
    from daeval.ingest.load import ingest_folder
    from daeval.warehouse import Workspace

    with tempfile.TemporaryDirectory() as tmp:
        data, ws = Path(tmp) / "raw", Path(tmp) / "ws"
        generate(data, scale=SCALE, seed=2)
        ingest_folder(data, Workspace(ws), BENCH_KEY.encode())
        truth = str(data / "truth" / "people_truth.csv")
        baseline, baseline_peak, exact = _timed(EXACT, str(ws), truth, BENCH_KEY)
        seconds, peak, linked = _timed(LINK, str(ws), truth, BENCH_KEY)
    return {
        "name": f"link police and CSC people of the scale-{SCALE:g} folder vs exact matching",
        "seconds": seconds,
        "baseline_seconds": baseline,
        "peak_memory_gib": round(peak, 2),
        "baseline_peak_memory_gib": round(baseline_peak, 2),
        **{k: round(v, 4) if isinstance(v, float) else v for k, v in linked.items()},
        "exact_match": {k: round(v, 4) for k, v in exact.items()},
    }
