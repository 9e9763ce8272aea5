"""daeval synth from the command line."""

import json


def test_synth_writes_a_folder_that_ingest_accepts(tmp_path, daeval):
    result = daeval("synth", tmp_path / "raw", "--scale", "0.05", "--seed", "3")
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "raw" / "manifest.json").read_text())
    assert manifest["seed"] == 3
    total = sum(manifest["rows"].values()) if isinstance(manifest["rows"], dict) else None
    assert f"Wrote {total:,} rows" in result.stdout
    result = daeval("ingest", tmp_path / "raw", "--workspace", tmp_path / "ws")
    assert result.returncode == 0, result.stderr
    assert "Tables not in this folder" not in result.stdout


def test_synth_explains_a_bad_scale(tmp_path, daeval):
    result = daeval("synth", tmp_path / "raw", "--scale", "0")
    assert result.returncode == 2
    assert "scale must be greater than 0" in result.stderr
    assert "Traceback" not in result.stderr
