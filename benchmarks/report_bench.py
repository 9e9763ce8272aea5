"""Benchmark: how long ``daeval report`` takes at scale 1, and the whole ``daeval demo``.

``run()`` makes a scale-1 demo workspace, then times, each as the real command in a fresh
process (imports included, as a user meets them):

* ``daeval demo`` into a new folder at its default scale (``demo_seconds``; the target is 30 s),
  and at scale 1 (``demo_scale_1_seconds``: what the larger default costs);
* ``daeval report`` on the scale-1 workspace (``seconds``; the target is 15 s);
* the baseline: the same report drawn the way it was before its PDFs were drawn in worker
  processes: one PDF after another in the building process, with the measures' engines (pandas,
  ibis, statsmodels) loaded as the report used to load them (``baseline_seconds``).

Each figure is wall-clock time, with the CPU seconds of the command's own process beside it
(``main_cpu_seconds`` and so on; PDF workers not counted, so for the baseline, which has none,
it is all the work) and the load average at the end: on a machine other work keeps busy, the
workers find no idle core and the wall-clock gain shrinks, while the CPU seconds of the main
process still say how long the building itself takes, which is the least the report can take. The report and its baseline alternate, ``repeats`` times each, and the fastest of each counts, so
that other work on a shared machine weighs on both alike. The ratio ``seconds / baseline_seconds``
says what drawing PDFs in workers and not loading the engines save; it leaves out the theory of
change diagrams that each site report used to draw again (now once per build). The bytes
written are the same either way: ``same_bytes`` compares the cross-site PDF of the two. Run it
with ``python -m benchmarks.report_bench``.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASELINE = """
import sys
from pathlib import Path

import daeval.metrics.measures_table  # loaded by the report before
from daeval.report import pdf
from daeval.report.build import build_reports
from daeval.warehouse import Workspace

pdf.MAX_WORKERS = 1  # one PDF after another, in this process
build_reports(Workspace(Path(sys.argv[1])))
"""


CPU: list[float] = []
"""CPU seconds (user and system) of each command timed, in its own process: the PDF workers,
children of a server process the command never waits for, are not counted."""


def _timed(*args: str) -> float:
    """Wall-clock seconds of the command; its CPU seconds are appended to ``CPU``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return seconds


def _daeval(*args: str | Path) -> float:
    return _timed(sys.executable, "-m", "daeval", *map(str, args))


def run(repeats: int = 2) -> dict:
    """Time the demo at its default scale, and the report at scale 1 against its baseline."""
    with tempfile.TemporaryDirectory(prefix="report-bench-") as tmp:
        folder = Path(tmp)
        demo_seconds = _daeval("demo", folder / "demo")
        scale1_seconds = _daeval("demo", folder / "scale1", "--scale", "1")
        demo_cpu, scale1_cpu = CPU[-2:]
        workspace = folder / "scale1" / "study"
        outputs = workspace / "outputs"
        after, before, after_cpu, before_cpu = [], [], [], []
        for _ in range(repeats):
            after.append(_daeval("report", "--workspace", workspace))
            after_cpu.append(CPU[-1])
            drawn = (outputs / "index.pdf").read_bytes()
            before.append(_timed(sys.executable, "-c", BASELINE, str(workspace)))
            before_cpu.append(CPU[-1])
            same = drawn == (outputs / "index.pdf").read_bytes()
    return {
        "name": "report",
        "scale": 1,
        "seconds": round(min(after), 2),
        "baseline_seconds": round(min(before), 2),
        "report_target_seconds": 15,
        "demo_seconds": round(demo_seconds, 2),
        "demo_target_seconds": 30,
        "demo_scale_1_seconds": round(scale1_seconds, 2),
        "main_cpu_seconds": round(min(after_cpu), 2),
        "baseline_main_cpu_seconds": round(min(before_cpu), 2),
        "demo_main_cpu_seconds": round(demo_cpu, 2),
        "demo_scale_1_main_cpu_seconds": round(scale1_cpu, 2),
        "load_average": [round(x, 1) for x in os.getloadavg()],
        "same_bytes": same,
        "all_seconds": [round(s, 2) for s in after],
        "all_baseline_seconds": [round(s, 2) for s in before],
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
