"""daeval init / study check / study questions / study partners / toc render / readiness, end to
end on the shipped example studies and on deliberately broken copies."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from daeval.study.examples import EXAMPLES, example_text

FEASIBILITY = ("fbs", "sat", "leap", "coda")


def daeval(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "daeval", *args], capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def workspaces(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("studies")
    made = {}
    for name in EXAMPLES:
        done = daeval("init", str(root / name), "--example", name)
        assert done.returncode == 0, done.stderr
        made[name] = root / name
    return made


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_each_example_study_passes_the_check(workspaces, name):
    workspace = workspaces[name]
    assert (workspace / "study.yaml").read_text(encoding="utf-8") == example_text(name)
    assert (workspace / "raw").is_dir() and (workspace / "outputs").is_dir()
    done = daeval("study", "check", str(workspace))
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"passes \(0 error\(s\), \d+ warning\(s\)\)", done.stdout), done.stdout


def test_init_refuses_to_overwrite_and_names_the_examples(workspaces, tmp_path):
    before = (workspaces["feasibility"] / "study.yaml").read_bytes()
    done = daeval("init", str(workspaces["feasibility"]), "--example", "step-up")
    assert done.returncode == 2 and "already exists" in done.stderr
    assert (workspaces["feasibility"] / "study.yaml").read_bytes() == before
    done = daeval("init", str(tmp_path / "x"), "--example", "pilot")
    assert done.returncode == 2
    assert "is not one of 'feasibility', 'innovations', 'step-up'" in done.stderr
    blank = daeval("init", str(tmp_path / "blank"))
    assert blank.returncode == 0
    checked = daeval("study", "check", str(tmp_path / "blank"))
    assert checked.returncode == 0 and "no study: section" in checked.stdout


def _broken(tmp_path: Path, old: str, new: str) -> tuple[subprocess.CompletedProcess, str]:
    text = example_text("feasibility")
    assert old in text, old
    broken = text.replace(old, new, 1)
    workspace = tmp_path / "broken"
    workspace.mkdir()
    (workspace / "study.yaml").write_text(broken, encoding="utf-8")
    return daeval("study", "check", str(workspace)), broken


def _first_line(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


def test_a_broken_copy_is_caught_at_its_line(tmp_path):
    study = yaml.safe_load(example_text("feasibility"))
    site = study["interventions"][0]["sites"][0]
    done, text = _broken(tmp_path, f"sites: [{site}]", f"sites: [{site}x]")
    assert done.returncode == 15
    line = _first_line(text, f"sites: [{site}x]")
    assert f"study.yaml:{line}: error: interventions[1] ({study['interventions'][0]['id']})" in (
        done.stdout
    )
    assert f"'{site}x' is not a known site id. Fix: did you mean {site}?" in done.stdout
    assert "1 error(s)" in done.stderr


def test_a_link_to_a_missing_node_and_a_misspelt_field_are_caught(tmp_path):
    study = yaml.safe_load(example_text("feasibility"))
    link = study["interventions"][0]["theory_of_change"]["links"][0]
    text = example_text("feasibility")
    target = re.search(rf"to: {re.escape(link['to'])}\b", text)
    assert target
    done, broken = _broken(tmp_path, target.group(0), "to: nowhere")
    assert done.returncode == 15
    assert "'nowhere' is not a known node id" in done.stdout
    assert f"study.yaml:{_first_line(broken, 'to: nowhere')}:" in done.stdout
    (tmp_path / "broken" / "study.yaml").unlink()
    (tmp_path / "broken").rmdir()
    done, _ = _broken(tmp_path, "delivery_organisation:", "delivery_organization:")
    assert done.returncode == 15
    assert "delivery_organization is not a field here" in done.stdout
    assert "did you mean delivery_organisation?" in done.stdout


def test_an_outcome_cut_loose_from_its_activities_is_flagged(tmp_path):
    study = yaml.safe_load(example_text("feasibility"))
    toc = study["interventions"][0]["theory_of_change"]
    outcome = next(n for n in toc["nodes"] if n["type"] == "long_term_outcome")
    toc["links"] = [link for link in toc["links"] if link["to"] != outcome["id"]]
    workspace = tmp_path / "cut"
    workspace.mkdir()
    (workspace / "study.yaml").write_text(yaml.safe_dump(study, sort_keys=False))
    done = daeval("study", "check", str(workspace), "--strict")
    assert done.returncode == 15
    assert f"no activity leads to outcome '{outcome['id']}'" in done.stdout


def test_toc_render_draws_every_intervention(workspaces, tmp_path):
    done = daeval("toc", "render", str(workspaces["feasibility"]), "--out", str(tmp_path / "toc"))
    assert done.returncode == 0, done.stderr
    study = yaml.safe_load(example_text("feasibility"))
    for intervention in study["interventions"]:
        svg = tmp_path / "toc" / f"{intervention['id']}.svg"
        png = tmp_path / "toc" / f"{intervention['id']}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        ids = {g.get("id") for g in ET.parse(svg).iter() if g.get("id")}
        nodes = intervention["theory_of_change"]["nodes"]
        assert {f"node-{n['id']}" for n in nodes} <= ids
    done = daeval("toc", "render", str(workspaces["feasibility"]), "--out", str(tmp_path),
                  "--intervention", "nobody")  # fmt: skip
    assert done.returncode == 2 and "interventions with one: fbs" in done.stderr


def test_readiness_scorecard_of_the_feasibility_example(workspaces, tmp_path):
    out = tmp_path / "readiness.csv"
    done = daeval("readiness", str(workspaces["feasibility"]), "--out", str(out))
    assert done.returncode == 0, done.stderr
    with out.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["intervention"] for r in rows[::9]] == list(FEASIBILITY)
    assert len(rows) == 9 * len(FEASIBILITY)
    assert {r["rating"] for r in rows} <= {"green", "amber", "red"}
    data = [r for r in rows if r["aspect"] == "Data availability"]
    assert all("(no warehouse yet)" in r["evidence"] for r in data)
    assert all(r["rating"] != "green" for r in data)  # nothing has loaded


def test_research_question_matrix_of_the_feasibility_example(workspaces, tmp_path):
    out = tmp_path / "matrix.csv"
    done = daeval("study", "questions", str(workspaces["feasibility"]), "--out", str(out))
    assert done.returncode == 0, done.stderr
    with out.open(newline="") as f:
        rows = {r["id"]: r for r in csv.DictReader(f)}
    assert list(rows) == ["1a", "1b", "1c", "1d", "1e", "2a", "2b", "3a", "3b", "3c", "3d"]
    assert rows["3c"]["missing"].startswith("no method")  # the protocol's table leaves it empty
    assert "Interviews" in rows["1b"]["methods"]


def test_partner_selection_of_the_feasibility_example(workspaces, tmp_path):
    out = tmp_path / "partners.csv"
    done = daeval("study", "partners", str(workspaces["feasibility"]), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "illustrative" in done.stdout
    with out.open(newline="") as f:
        rows = list(csv.DictReader(f))
    chosen = {r["id"] for r in rows if r["chosen"] == "yes"}
    assert chosen == set(FEASIBILITY)
    assert any(r["reason"].startswith("not eligible") for r in rows)
    assert any(r["reason"].startswith("not chosen") for r in rows)
