"""Run every benchmark (``make bench``) and print its figures with the ratio to its own baseline.

Each ``benchmarks/*_bench.py`` module exposes ``run() -> dict`` returning at least ``name``,
``seconds`` and ``baseline_seconds`` (a baseline measured in the same run), plus any figures.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
from pathlib import Path


def main(selected: list[str]) -> None:
    folder = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(folder)]) if m.name.endswith("_bench"))
    for name in names:
        if selected and not any(s in name for s in selected):
            continue
        result = importlib.import_module(f"benchmarks.{name}").run()
        ratio = result["seconds"] / result["baseline_seconds"]
        print(
            f"{result['name']}: {result['seconds']:.2f} s, baseline {result['baseline_seconds']:.2f} s, ratio {ratio:.2f}"
        )
        print("  " + json.dumps({k: v for k, v in result.items() if k != "name"}, default=str))


if __name__ == "__main__":
    main(sys.argv[1:])
