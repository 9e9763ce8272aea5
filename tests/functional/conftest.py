from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture
def daeval():
    """Run the real ``daeval`` command in a subprocess; returns the completed process."""

    def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "daeval", *map(str, args)],
            capture_output=True,
            text=True,
            cwd=cwd,
            timeout=600,
        )

    return run
