from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.lib.keys import TEST_KEY


@pytest.fixture
def daeval():
    """Run the real ``daeval`` command in a subprocess; returns the completed process."""

    def run(
        *args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess:
        environ = {**os.environ, "DAEVAL_KEY": TEST_KEY.decode(), **(env or {})}
        return subprocess.run(
            [sys.executable, "-m", "daeval", *map(str, args)],
            capture_output=True,
            text=True,
            cwd=cwd,
            env=environ,
            timeout=600,
        )

    return run


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """``daeval demo`` run once (tests that use it share an xdist group, so one worker runs it):
    the demo folder and the completed process."""
    folder = tmp_path_factory.mktemp("demo")
    result = subprocess.run(
        [sys.executable, "-m", "daeval", "demo", str(folder)],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return folder, result
