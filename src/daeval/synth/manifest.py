"""manifest.json: what a generated folder contains and how it was made.

The content depends only on the seed, scale and format (no timestamps), so two runs with the same
arguments write identical manifests. ``"synthetic": true`` marks the folder as synthetic data:
``daeval ingest`` records it, with the seed, scale and period, in the warehouse
(``daeval.warehouse.marks``), and every report made
from that warehouse says so (docs/decisions/0017-synthetic-data-labelled.md).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from daeval import __version__
from daeval.synth import areas
from daeval.synth.calibration import PERIOD_END, PERIOD_START, TARGETS
from daeval.synth.questionnaires import USES
from daeval.synth.services import SITES
from daeval.whole_files import written_whole

GENERATOR = "daeval.synth"
MANIFEST = "manifest.json"


def manifest(
    seed: int, scale: float, fmt: str, files: dict[str, str], rows: dict[str, int]
) -> dict:
    """The manifest as a JSON-ready dict."""
    area_of = {i: a for i, a in enumerate(areas.AREAS)}
    return {
        "synthetic": True,
        "generator": GENERATOR,
        "daeval_version": __version__,
        "seed": seed,
        "scale": scale,
        "format": fmt,
        "period": {"start": PERIOD_START.isoformat(), "end": PERIOD_END.isoformat()},
        "la_codes": dict(areas.LA_NAMES),
        "areas": {
            a.district: {"area": a.name, "la_code": a.la_code, "comparator": a.comparator}
            for a in areas.AREAS
        },
        "sites": [
            {
                "site_id": s.site_id,
                "intervention_id": s.intervention_id,
                "intervention": s.name,
                "area": area_of[s.district].name,
                "postcode_district": area_of[s.district].district,
                "instruments": sorted({use[0] for use in USES[s.site_id]}),
            }
            for s in SITES
        ],
        "files": files,
        "rows": rows,
        "calibration": [
            {
                **asdict(t),
                "period_start": t.period_start.isoformat(),
                "period_end": t.period_end.isoformat(),
            }
            for t in TARGETS
        ],
    }


def write_manifest(path: Path, content: dict) -> None:
    with written_whole(path) as temporary:
        text = json.dumps(content, indent=2, ensure_ascii=False) + "\n"
        temporary.write_text(text, encoding="utf-8")


def written_by_synth(folder: Path) -> bool:
    """``folder`` holds a manifest ``daeval synth`` wrote (so synth may write it again)."""
    try:
        content = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(content, dict) and content.get("generator") == GENERATOR
