"""Tables drawn as text in tests, written out as data-contract files.

    referral_id | child_id | la_code | referral_date
    ------------+----------+---------+--------------
    r1          | c1       | 900     | 2020-01-01

A blank cell is missing. The separator line is optional.
"""

from __future__ import annotations

import csv
from pathlib import Path


def parse_table(text: str) -> tuple[list[str], list[list[str]]]:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    header = [h.strip() for h in lines[0].split("|")]
    rows = []
    for line in lines[1:]:
        if set(line) <= set("-+| "):
            continue
        cells = [c.strip() for c in line.split("|")]
        assert len(cells) == len(header), (
            f"row has {len(cells)} cells, header {len(header)}: {line}"
        )
        rows.append(cells)
    return header, rows


def write_table(folder: Path, name: str, text: str) -> Path:
    header, rows = parse_table(text)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def records(text: str) -> list[dict[str, str | None]]:
    header, rows = parse_table(text)
    return [{h: (c or None) for h, c in zip(header, row, strict=True)} for row in rows]
