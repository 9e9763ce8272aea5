"""A workspace from the command line: one key, its warehouse and staging file changed together,
owner-only files, and clear refusals of paths that cannot be a workspace or a key file."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import duckdb
from tests.lib.keys import OTHER_KEY, TEST_KEY
from tests.lib.tables import write_table

from daeval.privacy.keys import fingerprint, new_key_file
from daeval.warehouse.working_copy import KILL_AFTER_ENV

PEOPLE = """
source | person_id | first_name | last_name | date_of_birth | sex | postcode
csc    | c1        | Ann        | Lee       | 2012-03-04    | F   | FY1 2AB
police | p1        | Ann        | Lee       | 2012-03-04    | F   | FY1 2AB
"""
OTHERS = """
source | person_id | first_name | last_name | date_of_birth | sex | postcode
csc    | c7        | Bob        | Hart      | 2010-05-06    | M   | LS2 9JT
police | p7        | Bob        | Hart      | 2010-05-06    | M   | LS2 9JT
"""


def _one_line_error(result: subprocess.CompletedProcess, code: int, *parts: str) -> None:
    assert result.returncode == code, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    for part in parts:
        assert part in result.stderr, result.stderr


def _people(path: Path) -> set[tuple[str, str]]:
    with duckdb.connect(str(path), read_only=True) as con:
        query = "SELECT source, CAST(person_id AS VARCHAR) FROM {} ORDER BY ALL"
        table = "people" if path.name == "warehouse.duckdb" else "linkage_features"
        return set(con.execute(query.format(table)).fetchall())


def test_a_kill_between_the_two_renames_leaves_a_staging_file_linkage_refuses(daeval, tmp_path):
    first, second, ws = tmp_path / "first", tmp_path / "second", tmp_path / "ws"
    write_table(first, "people", PEOPLE)
    write_table(second, "people", OTHERS)
    assert daeval("ingest", first, "-w", ws).returncode == 0
    staging = ws / "staging" / "linkage.duckdb"
    before = _people(ws / "warehouse.duckdb")
    assert _people(staging) == before

    # Killed just after the new staging file is in place, before the warehouse is.
    killed = daeval("ingest", second, "-w", ws, env={KILL_AFTER_ENV: "linkage.duckdb"})
    assert killed.returncode == -signal.SIGKILL
    assert _people(ws / "warehouse.duckdb") == before
    assert _people(staging).isdisjoint(before)  # features of people the warehouse lacks

    refused = daeval("link", "-w", ws)
    _one_line_error(refused, 13, str(staging), "run `daeval ingest` again")
    assert staging.exists()

    # The next ingest sets the stale file aside and makes the pair anew.
    assert daeval("ingest", second, "-w", ws).returncode == 0
    assert _people(staging) == _people(ws / "warehouse.duckdb") != before
    linked = daeval("link", "-w", ws)
    assert linked.returncode == 0, linked.stderr
    assert not staging.exists()


def test_another_key_is_refused_by_every_command_that_uses_one(daeval, tmp_path):
    data, ws = tmp_path / "data", tmp_path / "ws"
    write_table(data, "people", PEOPLE)
    assert daeval("ingest", data, "-w", ws).returncode == 0
    before = _people(ws / "warehouse.duckdb")
    other = {"DAEVAL_KEY": OTHER_KEY.decode()}
    truth = write_table(tmp_path, "truth", "source | person_id | true_person_id\ncsc | c1 | 1")
    names = (fingerprint(TEST_KEY), fingerprint(OTHER_KEY))
    for command in (
        ("ingest", data, "-w", ws),
        ("ingest", data, "-w", ws, "--check"),
        ("link", "-w", ws, "--truth", truth),
        ("report", "-w", ws, "--no-pdf"),
    ):
        result = daeval(*command, env=other)
        _one_line_error(result, 14, *names)
        assert OTHER_KEY.decode() not in result.stderr and TEST_KEY.decode() not in result.stderr
    assert _people(ws / "warehouse.duckdb") == before
    assert (ws / "staging" / "linkage.duckdb").exists()  # linkage never ran


def test_demo_refuses_a_workspace_made_with_another_key(daeval, tmp_path):
    data = tmp_path / "data"
    write_table(data, "people", PEOPLE)
    assert daeval("ingest", data, "-w", tmp_path / "demo" / "study").returncode == 0
    new_key_file(tmp_path / "demo" / "demo.key")
    result = daeval("demo", tmp_path / "demo")
    _one_line_error(result, 14, fingerprint(TEST_KEY))
    assert not (tmp_path / "demo" / "raw").exists()  # refused before any work


def test_weak_keys_are_refused(daeval, tmp_path):
    data = tmp_path / "data"
    write_table(data, "people", PEOPLE)
    for weak in ("a" * 32, " " * 32, "0123456789" * 4):
        result = daeval("ingest", data, "-w", tmp_path / "ws", env={"DAEVAL_KEY": weak})
        _one_line_error(result, 14, "DAEVAL_KEY")
    assert not (tmp_path / "ws").exists()


def test_a_file_as_workspace_and_a_folder_as_key_file_are_explained(daeval, tmp_path):
    data, file = tmp_path / "data", tmp_path / "not-a-folder"
    write_table(data, "people", PEOPLE)
    file.write_text("x")
    for command in (("ingest", data, "-w", file), ("link", "-w", file), ("demo", file)):
        _one_line_error(daeval(*command), 13, f"{file}: is a file, not a workspace folder")
    folder = tmp_path / "keys"
    folder.mkdir(mode=0o700)
    result = daeval("ingest", data, "-w", tmp_path / "ws", "--key-file", folder)
    _one_line_error(result, 14, f"key file {folder} is a folder")
    _one_line_error(daeval("key", "new", file / "k"), 14, f"{file / 'k'}: a key cannot be written")


def _modes(root: Path) -> dict[str, str]:
    found = {".": oct(stat.S_IMODE(root.stat().st_mode))}
    for path in root.rglob("*"):
        found[str(path.relative_to(root))] = oct(stat.S_IMODE(path.stat().st_mode))
    return found


def test_workspace_files_are_owner_only_under_a_permissive_umask(tmp_path):
    data, ws = tmp_path / "data", tmp_path / "ws"
    write_table(data, "people", PEOPLE)
    env = {**os.environ, "DAEVAL_KEY": TEST_KEY.decode()}

    def run(*args: str | Path) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "daeval", *map(str, args)],
            capture_output=True, text=True, env=env, umask=0o022, timeout=600,
        )  # fmt: skip

    assert run("ingest", data, "-w", ws).returncode == 0
    made = _modes(ws)
    assert {"warehouse.duckdb", "staging", "staging/linkage.duckdb", "outputs"} <= set(made)
    linked = run("link", "-w", ws)
    assert linked.returncode == 0, linked.stderr
    made |= _modes(ws)
    assert "outputs/linkage_weights.svg" in made
    exposed = {path: mode for path, mode in made.items() if int(mode, 8) & 0o077}
    assert exposed == {}
    assert "warning" not in linked.stderr

    # A workspace folder others can read is used, with a warning.
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    result = run("ingest", data, "-w", shared)
    assert result.returncode == 0
    assert f"warning: the workspace {shared} can be read by other users (mode 755)" in result.stderr
    assert {p: m for p, m in _modes(shared).items() if int(m, 8) & 0o077} == {".": "0o755"}
