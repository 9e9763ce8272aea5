"""Files a study file declares under data_sources are read from the data folder given to
`daeval ingest`, or from a folder the study file names under allowed_folders: never from
anywhere else on the machine, however the name gets there (``..``, an absolute path, a link)."""

from __future__ import annotations

import pytest

PEOPLE = (
    "source,person_id,first_name,last_name,date_of_birth,sex,ethnicity,disability,postcode\n"
    "police,P1,Ann,Smith,2010-01-01,F,WBRI,N,ZX1 1AA\n"
)


@pytest.fixture
def folders(tmp_path):
    """data/ (the data folder), ws/ (the workspace) and elsewhere/people.csv outside both."""
    for name in ("data", "ws", "elsewhere"):
        (tmp_path / name).mkdir()
    (tmp_path / "elsewhere" / "people.csv").write_text(PEOPLE, encoding="utf-8")
    (tmp_path / "data" / "link.csv").symlink_to(tmp_path / "elsewhere" / "people.csv")
    return tmp_path


def _declare(folders, entry: str, head: str = "") -> None:
    text = (
        f"{head}data_sources:\n  - id: extra\n    table: measure_responses\n    status: expected\n"
    )
    text += f"  - id: people-export\n{entry}"
    (folders / "ws" / "study.yaml").write_text(text, encoding="utf-8")


def _ingest(daeval, folders):
    return daeval("ingest", folders / "data", "--workspace", folders / "ws", "--check")


@pytest.mark.parametrize(
    "name",
    ["../elsewhere/people.csv", "{root}/elsewhere/people.csv", "link.csv"],
    ids=["dot-dot", "absolute", "link-out"],
)
def test_a_declared_file_outside_the_data_folder_is_refused(folders, daeval, name):
    _declare(folders, f"    file: {name.format(root=folders)}\n    table: people\n")
    done = _ingest(daeval, folders)
    assert done.returncode == 15, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    # The entry is named by its line, position and id.
    assert "study.yaml:5: data_sources[2] (people-export)" in done.stderr
    assert "outside the data folder" in done.stderr and "allowed_folders" in done.stderr
    assert "people" not in done.stdout  # nothing was read


def test_a_redcap_dictionary_outside_the_data_folder_is_refused(folders, daeval):
    (folders / "data" / "records.csv").write_text("record_id\n1\n", encoding="utf-8")
    _declare(
        folders,
        "    records: records.csv\n    dictionary: ../elsewhere/dictionary.csv\n"
        '    redcap: {source: "service:fbs", instruments: {PHQ9: {prefix: phq9_, items: 9}}}\n',
    )
    done = _ingest(daeval, folders)
    assert done.returncode == 15, done.stdout + done.stderr
    assert (
        "data_sources[2] (people-export): '../elsewhere/dictionary.csv' is outside" in done.stderr
    )


def test_allowed_folders_let_the_study_file_name_another_folder(folders, daeval):
    _declare(
        folders, "    file: link.csv\n    table: people\n", "allowed_folders: [../elsewhere]\n"
    )
    done = _ingest(daeval, folders)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "link.csv" in done.stdout
    checked = daeval("study", "check", folders / "ws")
    assert checked.returncode == 0, checked.stdout
    (folders / "ws" / "study.yaml").write_text("allowed_folders: {a: b}\n", encoding="utf-8")
    checked = daeval("study", "check", folders / "ws")
    assert checked.returncode == 15 and "allowed_folders" in checked.stdout
