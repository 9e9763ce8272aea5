"""Paths the user names for a command to write: an existing file only with --force, an input
never, a folder where a file is wanted (or the reverse) one line, not a traceback."""

from __future__ import annotations

import json

import pytest

ANSWERS = (
    "response_id,source,person_id,instrument,timepoint,administered_date,respondent,item,value\n"
    "r1,s1,P1,GAD7,baseline,2020-01-01,parent,1,1\n"
)


def _refused(done, *words: str) -> None:
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    for word in words:
        assert word in done.stderr


@pytest.fixture
def answers(tmp_path):
    path = tmp_path / "answers.csv"
    path.write_text(ANSWERS, encoding="utf-8")
    return path


def test_score_never_writes_over_its_input_even_with_force(answers, tmp_path, daeval):
    (tmp_path / "link.csv").symlink_to(answers)
    (tmp_path / "hard.csv").hardlink_to(answers)
    for responses, out in ((answers, answers), (tmp_path / "link.csv", answers),
                           (answers, tmp_path / "hard.csv")):  # fmt: skip
        _refused(daeval("score", responses, "--out", out, "--force"), "reads", "not even --force")
    done = daeval("score", answers, "--out", tmp_path / "s.csv", "--change", answers, "--force")
    _refused(done, "--change")
    assert answers.read_text(encoding="utf-8") == ANSWERS
    assert not (tmp_path / "s.csv").exists()


def test_score_replaces_an_existing_file_only_with_force(answers, tmp_path, daeval):
    scores = tmp_path / "scores.csv"
    scores.write_text("kept\n", encoding="utf-8")
    _refused(daeval("score", answers, "--out", scores), "already exists", "--force")
    assert scores.read_text(encoding="utf-8") == "kept\n"
    assert not (tmp_path / "scores.problems.csv").exists()

    done = daeval("score", answers, "--out", scores, "--force")
    assert done.returncode == 0, done.stderr
    assert scores.read_text(encoding="utf-8").startswith("source,person_id")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "answers.csv", "scores.csv", "scores.problems.csv"]  # fmt: skip

    # The problems file beside --out is an output too.
    (tmp_path / "new.problems.csv").write_text("kept\n", encoding="utf-8")
    _refused(daeval("score", answers, "--out", tmp_path / "new.csv"), "--problems")
    assert not (tmp_path / "new.csv").exists()


def test_score_explains_a_folder_or_a_clash_in_one_line(answers, tmp_path, daeval):
    (tmp_path / "out").mkdir()
    _refused(daeval("score", answers, "--out", tmp_path / "out"), "is a folder")
    _refused(daeval("score", answers, "--out", answers / "scores.csv"), "not a folder")
    done = daeval("score", answers, "--out", tmp_path / "a.csv", "--problems", tmp_path / "a.csv")
    _refused(done, "--problems", "is also --out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answers.csv", "out"]


@pytest.mark.slow
def test_synth_refuses_a_folder_of_other_files(tmp_path, daeval):
    real = tmp_path / "real"
    real.mkdir()
    (real / "people.csv").write_text("real data\n", encoding="utf-8")
    _refused(daeval("synth", real, "--scale", "0.01"), "people.csv", "--force")
    assert (real / "people.csv").read_text(encoding="utf-8") == "real data\n"
    assert sorted(p.name for p in real.iterdir()) == ["people.csv"]
    (tmp_path / "file").write_text("x", encoding="utf-8")
    _refused(daeval("synth", tmp_path / "file", "--scale", "0.01"), "not a folder")

    # Its own earlier output synth writes again; another folder only with --force.
    raw = tmp_path / "raw"
    assert daeval("synth", raw, "--scale", "0.01").returncode == 0
    assert daeval("synth", raw, "--scale", "0.01", "--seed", "1").returncode == 0
    assert json.loads((raw / "manifest.json").read_text())["seed"] == 1
    assert not [p for p in raw.rglob(".daeval-*")]  # no temporary file left
    done = daeval("synth", real, "--scale", "0.01", "--force")
    assert done.returncode == 0, done.stderr
    assert (real / "people.csv").read_text(encoding="utf-8").startswith("source,person_id")


@pytest.mark.slow
def test_charts_tables_and_drawings_need_force_to_replace(tmp_path, daeval):
    chart = tmp_path / "power.svg"
    chart.write_text("kept", encoding="utf-8")
    _refused(daeval("design", "mdes", "--chart", chart), "--chart", "already exists")
    assert chart.read_text(encoding="utf-8") == "kept"
    assert daeval("design", "mdes", "--chart", chart, "--force").returncode == 0
    assert chart.read_text(encoding="utf-8").startswith("<svg")

    workspace = tmp_path / "ws"
    assert daeval("init", workspace, "--example", "feasibility").returncode == 0
    study = (workspace / "study.yaml").read_text(encoding="utf-8")
    for command in (("study", "questions"), ("study", "partners"), ("readiness",)):
        done = daeval(*command, workspace, "--out", workspace / "study.yaml", "--force")
        _refused(done, "reads")
    assert (workspace / "study.yaml").read_text(encoding="utf-8") == study
    (tmp_path / "toc").mkdir()
    (tmp_path / "toc" / "fbs.png").write_text("kept", encoding="utf-8")
    done = daeval("toc", "render", workspace, "--out", tmp_path / "toc", "--intervention", "fbs")
    _refused(done, "fbs.png", "already exists")
    assert sorted(p.name for p in (tmp_path / "toc").iterdir()) == ["fbs.png"]


def test_init_refuses_a_file_where_its_folders_go(tmp_path, daeval):
    (tmp_path / "file").write_text("x", encoding="utf-8")
    _refused(daeval("init", tmp_path / "file"), "not a folder")
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "raw").write_text("x", encoding="utf-8")
    _refused(daeval("init", tmp_path / "ws"), "raw", "not a folder")
    # A study.yaml that is a link to a file not yet there is not followed.
    (tmp_path / "ws2").mkdir()
    (tmp_path / "ws2" / "study.yaml").symlink_to(tmp_path / "elsewhere.yaml")
    _refused(daeval("init", tmp_path / "ws2"), "already exists")
    assert not (tmp_path / "elsewhere.yaml").exists()
