"""daeval ingest from the command line: a replacement that would empty most of a table."""

from __future__ import annotations


def test_a_replacement_losing_most_of_a_table_exits_16_until_replace_all(tmp_path, daeval):
    data, ws = tmp_path / "data", tmp_path / "ws"
    data.mkdir()
    (data / "people.csv").write_text("source,person_id\ncsc,c1\ncsc,c2\ncsc,c3\n")
    assert daeval("ingest", data, "--workspace", ws).returncode == 0
    (data / "people.csv").write_text("source,person_id,sex\ncsc,c1,F\ncsc,c2,X\ncsc,c3,X\n")
    result = daeval("ingest", data, "--workspace", ws)
    assert result.returncode == 16
    assert "people.csv: would take people from 3 rows to 1" in result.stderr
    assert "--replace-all" in result.stderr and "Traceback" not in result.stderr
    result = daeval("ingest", data, "--workspace", ws, "--replace-all")
    assert result.returncode == 0, result.stderr
