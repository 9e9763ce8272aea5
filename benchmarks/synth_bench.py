"""Benchmark: how fast daeval.synth writes a large synthetic authority.

``run()`` generates scale 600 (about 100 million rows of CSV) into a temporary folder and times it,
then times, in the same process, pyarrow writing the same number of rows of a trivial table of
eight integer columns to CSV. The ratio of the two says how close generation comes to the cost of
writing alone. Run it with ``python -m benchmarks.synth_bench``.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv

from daeval.synth import generate

BASELINE_BATCH_ROWS = 1_000_000


def baseline_write(path: Path, rows: int) -> float:
    """Seconds for pyarrow to write ``rows`` rows of an 8-column integer table to CSV."""
    batch_rows = min(rows, BASELINE_BATCH_ROWS)
    values = np.arange(batch_rows, dtype=np.int64)
    batch = pa.table({f"c{i}": values * (i + 1) for i in range(8)})
    start = time.perf_counter()
    with pcsv.CSVWriter(str(path), batch.schema) as writer:
        left = rows
        while left > 0:
            part = batch if left >= batch_rows else batch.slice(0, left)
            writer.write_table(part)
            left -= part.num_rows
    return time.perf_counter() - start


def run(scale: float = 600.0, seed: int = 0, fmt: str = "csv") -> dict:
    """Time ``generate`` at ``scale`` and the pyarrow baseline for the same number of rows."""
    with tempfile.TemporaryDirectory(prefix="synth-bench-") as tmp:
        out = Path(tmp) / "authority"
        start = time.perf_counter()
        summary = generate(out, scale=scale, seed=seed, fmt=fmt)
        seconds = time.perf_counter() - start
        rows = summary.total_rows
        baseline = baseline_write(Path(tmp) / "baseline.csv", rows)
    return {
        "name": "synth",
        "scale": scale,
        "format": fmt,
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_second": round(rows / seconds),
        "baseline_seconds": round(baseline, 2),
        "baseline_rows_per_second": round(rows / baseline),
        "ratio_to_baseline": round(seconds / baseline, 2),
        "rows_per_table": summary.rows,
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
