"""daeval link from the command line: the summary, the truth file, and its errors."""

from __future__ import annotations

import json

import pytest

from daeval.link.model import default_model

pytestmark = pytest.mark.xdist_group("link_cli")


def test_link_prints_people_pairs_and_accuracy_against_the_truth_file(daeval, tmp_path):
    raw, ws = tmp_path / "raw", tmp_path / "ws"
    assert daeval("synth", raw, "--scale", "0.2", "--seed", "3").returncode == 0
    assert daeval("ingest", raw, "--workspace", ws).returncode == 0
    # A saved model (the default one): training is tested in tests/integration/test_link.py and
    # runs from the command line in `daeval demo`.
    model = tmp_path / "model.json"
    model.write_text(json.dumps(default_model()), encoding="utf-8")
    result = daeval(
        "link", "--workspace", ws, "--truth", raw / "truth" / "people_truth.csv", "--sweep",
        "--model", model,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "records →" in text and "people;" in text
    assert "csc │ police" in text
    assert "Against the truth file" in text and "F1" in text
    assert "Accuracy by threshold" in text
    assert (ws / "outputs" / "linkage_weights.svg").exists()
    assert not (ws / "staging").exists()
    # Linking again without features: every record keeps a key, only trusted links join.
    again = daeval("link", "--workspace", ws)
    assert again.returncode == 0, again.stderr


def test_sweep_without_a_truth_file_and_a_missing_workspace_are_named(daeval, tmp_path):
    result = daeval("link", "--workspace", tmp_path / "nowhere", "--sweep")
    assert result.returncode == 2 and "--sweep needs --truth" in result.stderr
    result = daeval("link", "--workspace", tmp_path / "nowhere")
    assert result.returncode == 13 and "no warehouse.duckdb" in result.stderr


@pytest.mark.parametrize(
    ("model", "said"),
    [
        ("[1, 2]", "no list of comparisons"),
        ('{"comparisons": [{"output_column_name": "name"}]}', "not a usable linkage model"),
        ('{"comparisons": []}', "not a usable linkage model"),
        ("not json", "cannot be read as a linkage model"),
    ],
)
def test_a_model_file_that_is_not_a_linkage_model_is_named(daeval, tmp_path, model, said):
    (tmp_path / "bad.json").write_text(model)
    result = daeval("link", "--workspace", tmp_path / "nowhere", "--model", tmp_path / "bad.json")
    assert result.returncode == 2, result.stderr
    assert said in result.stderr and "bad.json" in result.stderr
    assert "Traceback" not in result.stderr
