"""Synthetic data for one fictional local authority, in the data-contract format.

``generate`` writes a folder of tables (people, police notifications, referrals to children's
social care, assessments, plans, service episodes, questionnaire answers, addresses, costs) for
three financial years ending before the demo study begins (2019-04-01 to 2022-03-31,
``daeval.synth.calibration``), calibrated to the Step Up study's published figures
(``daeval.synth.calibration``), plus ``truth/people_truth`` (the true person behind every people row,
for testing linkage) and ``manifest.json``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from daeval.model import TABLES
from daeval.synth.authority import Counters, build_chunk, chunk_quotas, chunk_sizes
from daeval.synth.costs import site_costs
from daeval.synth.manifest import MANIFEST, manifest, write_manifest
from daeval.synth.writer import FORMATS, TRUTH_FILE, TableWriter

__all__ = ["SynthSummary", "generate"]

Progress = Callable[[str, int, int], None]
MAX_SCALE = 10_000
"""Largest scale: person ids are permutations of true identities below 2**31 (see columns.py)."""
COSTS_STREAM = 1_000_000  # spawn key of the costs' random stream (chunks use 0, 1, 2, ...)


@dataclass(frozen=True)
class SynthSummary:
    """What ``generate`` wrote: rows per table (and for the truth file), where, and how."""

    out_dir: Path
    scale: float
    seed: int
    fmt: str
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def generate(
    out_dir: Path,
    scale: float = 1.0,
    seed: int = 0,
    fmt: str = "csv",
    progress: Progress | None = None,
) -> SynthSummary:
    """Write a synthetic local authority's data to ``out_dir``.

    ``scale`` multiplies every volume (scale 1 is about the size of the Step Up study's authority,
    up to ``MAX_SCALE``);
    the same ``seed`` and ``scale`` always give the same files, byte for byte. ``progress`` is called
    as ``progress(step, done, total)`` after each chunk of families and each final step.
    """
    if not (0 < scale <= MAX_SCALE):
        raise ValueError(f"scale must be greater than 0 and at most {MAX_SCALE}, not {scale!r}")
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, not {seed!r}")
    scale = float(scale)
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: expected one of {', '.join(FORMATS)}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = [*TABLES, TRUTH_FILE]
    writer = TableWriter(out_dir, fmt, names)
    report = progress or (lambda step, done, total: None)
    complete = False
    try:
        sizes = chunk_sizes(scale)
        counters = Counters()
        first_family = 0
        for k, size in enumerate(sizes):
            quotas = chunk_quotas(scale, sizes, k)
            build_chunk(seed, k, first_family, size, quotas, counters, writer.write)
            first_family += size
            report("families", k + 1, len(sizes))
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(COSTS_STREAM,)))
        writer.write("costs", site_costs(rng, scale))
        report("costs", 1, 1)
        complete = True
    finally:
        rows = writer.close(keep=complete)
    report("files", 1, 1)
    files = {name: writer.path(name) for name in names}
    write_manifest(out_dir / MANIFEST, manifest(seed, scale, fmt, files, rows))
    report("manifest", 1, 1)
    return SynthSummary(out_dir=out_dir, scale=scale, seed=seed, fmt=fmt, rows=rows)
