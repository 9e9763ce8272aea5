"""daeval score on a hand-written answers file: scores, problems with line, column and reason, and
each person's change."""

from __future__ import annotations

import csv

from tests.lib.questionnaires import answers, with_total

COLUMNS = ["response_id", "source", "person_id", "instrument", "timepoint", "administered_date",
           "respondent", "item", "value"]  # fmt: skip


def _write(path, rows):
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        for i, r in enumerate(rows, start=1):
            value = r["value"]
            w.writerow(r | {"response_id": f"r{i}", "administered_date": r["administered_date"].isoformat(),
                            "value": value if isinstance(value, str) else f"{value:g}"})  # fmt: skip


def _read(path):
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_score_writes_scores_problems_and_change(tmp_path, daeval):
    rows = answers("CORE10", with_total(25, 0, 4, 10) | {2: 0, 3: 0}, "P1", "baseline")
    rows += answers("CORE10", {i: 1 for i in range(1, 10)}, "P1", "end")  # one missing: prorated
    rows += answers("GAD7", {i: 2 for i in range(1, 8)}, "P2", "baseline")
    rows += answers(
        "GAD7", {1: 9, 2: 1, 3: 1, 4: 1, 5: 1, 6: 1, 7: 1}, "P2", "end"
    )  # 9 not allowed
    rows += [dict(rows[0], item="1", value="often")]  # not a number
    rows += answers("ZZZ", {1: 1}, "P3")
    rows += [dict(rows[0], timepoint="later", item="2")]
    _write(tmp_path / "answers.csv", rows)

    done = daeval(
        "score", tmp_path / "answers.csv", "--out", tmp_path / "out" / "scores.csv",
        "--change", tmp_path / "out" / "change.csv",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"{len(rows)} answers read" in done.stdout
    assert "problems with the answers" in done.stderr

    scores = {
        (r["person_id"], r["instrument"], r["timepoint"]): r
        for r in _read(tmp_path / "out" / "scores.csv")
    }
    assert list(_read(tmp_path / "out" / "scores.csv")[0])[:12] == [
        "source", "person_id", "instrument", "timepoint", "administered_date", "respondent",
        "score", "valid", "n_missing", "prorated", "band", "above_cutoff"]  # fmt: skip
    # CORE-10 baseline: items 2 and 3 answered 0 are reversed to 4 each.
    base = scores[("P1", "CORE10", "baseline")]
    # ...but the same baseline holds a non-number for item 1, so it is not scored.
    assert (base["valid"], base["score"]) == ("false", "")
    end = scores[("P1", "CORE10", "end")]
    # Nine answers of 1; items 2 and 3 reverse to 3: 10 x (7 + 6) / 9 = 14.44.
    assert (end["score"], end["valid"], end["prorated"], end["n_missing"]) == (
        "14.44",
        "true",
        "true",
        "1",
    )
    assert scores[("P2", "GAD7", "baseline")]["score"] == "14"
    assert scores[("P2", "GAD7", "baseline")]["band"] == "moderate"
    assert scores[("P2", "GAD7", "end")]["valid"] == "false"
    assert not any(k[1] == "ZZZ" for k in scores)

    problems = _read(tmp_path / "out" / "scores.problems.csv")
    found = {(p["line"], p["column"], p["reason"]) for p in problems}
    gad_line = str(1 + 10 + 9 + 7 + 1)  # header, CORE-10 x 19, GAD-7 baseline x 7, then item 1
    assert (gad_line, "value", "GAD7 item 1: 9 is not one of 0, 1, 2, 3") in found
    assert (str(len(rows) - 1), "value", "value is not a number") in found
    assert (str(len(rows)), "instrument", "unknown instrument ZZZ") in found
    assert (
        str(len(rows) + 1),
        "timepoint",
        "timepoint must be baseline, mid, end or followup_<months>",
    ) in found
    assert all(p["file"] == "answers.csv" for p in problems)


def test_a_file_without_the_required_columns_is_refused(tmp_path, daeval):
    (tmp_path / "answers.csv").write_text(
        "person_id,instrument,value\nP1,PHQ9,1\n", encoding="utf-8"
    )
    done = daeval("score", tmp_path / "answers.csv", "--out", tmp_path / "scores.csv")
    assert done.returncode == 11
    assert "answers.csv: required columns missing: timepoint, item" in done.stderr
    assert not (tmp_path / "scores.csv").exists()


def test_settings_change_the_missing_item_rule(tmp_path, daeval):
    rows = answers("PHQ9", {i: 2 for i in range(1, 8)}, "P1")  # two missing
    _write(tmp_path / "answers.csv", rows)
    (tmp_path / "study.yaml").write_text(
        "instruments:\n  PHQ9:\n    missing: {max_missing: 2, choice: the protocol allows two}\n",
        encoding="utf-8",
    )
    plain = daeval("score", tmp_path / "answers.csv", "--out", tmp_path / "a.csv")
    configured = daeval(
        "score",
        tmp_path / "answers.csv",
        "--out",
        tmp_path / "b.csv",
        "--settings",
        tmp_path / "study.yaml",
    )
    assert plain.returncode == configured.returncode == 0
    assert _read(tmp_path / "a.csv")[0]["valid"] == "false"
    assert _read(tmp_path / "b.csv")[0]["score"] == "18"  # 14 x 9 / 7


def test_score_without_the_optional_columns_gives_the_same_scores(tmp_path, daeval):
    rows = answers("GAD7", {i: 2 for i in range(1, 8)}, "P2", "baseline")
    rows += answers("PHQ9", {i: 1 for i in range(1, 10)}, "P3", "baseline")
    _write(tmp_path / "full.csv", rows)
    required = ["person_id", "instrument", "timepoint", "item", "value"]
    with (tmp_path / "full.csv").open(newline="", encoding="utf-8") as f:
        lines = [{c: r[c] for c in required} for r in csv.DictReader(f)]
    with (tmp_path / "bare.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=required)
        w.writeheader()
        w.writerows(lines)

    full = daeval("score", tmp_path / "full.csv", "--out", tmp_path / "full_scores.csv")
    bare = daeval("score", tmp_path / "bare.csv", "--out", tmp_path / "bare_scores.csv")
    assert bare.returncode == 0, bare.stderr
    assert "Traceback" not in bare.stderr
    assert full.returncode == 0, full.stderr
    totals = {
        name: {(r["person_id"], r["instrument"]): r["score"] for r in _read(tmp_path / name)}
        for name in ("full_scores.csv", "bare_scores.csv")
    }
    assert totals["bare_scores.csv"] == totals["full_scores.csv"]
    assert totals["bare_scores.csv"] == {("P2", "GAD7"): "14", ("P3", "PHQ9"): "9"}


def test_ids_a_spreadsheet_would_run_are_written_as_text(tmp_path, daeval):
    hostile = '=HYPERLINK("http://example.org","x")'
    rows = answers("GAD7", {i: 2 for i in range(1, 8)}, hostile, "baseline")
    rows += answers("GAD7", {i: 1 for i in range(1, 8)}, "+cmd|' /C calc'!A0", "baseline")
    _write(tmp_path / "answers.csv", rows)
    done = daeval("score", tmp_path / "answers.csv", "--out", tmp_path / "scores.csv")
    assert done.returncode == 0, done.stderr
    ids = {r["person_id"] for r in _read(tmp_path / "scores.csv")}
    assert ids == {"'" + hostile, "'+cmd|' /C calc'!A0"}


def test_score_matches_headers_as_ingest_does(tmp_path, daeval):
    rows = answers("GAD7", {i: 2 for i in range(1, 8)}, "P2", "baseline")
    _write(tmp_path / "plain.csv", rows)
    text = (tmp_path / "plain.csv").read_text(encoding="utf-8")
    header, rest = text.split("\n", 1)
    spelled = header.replace("person_id", "Person ID").replace("instrument", "INSTRUMENT\x00")
    (tmp_path / "spelled.csv").write_text(spelled + "\n" + rest, encoding="utf-8")
    done = daeval("score", tmp_path / "spelled.csv", "--out", tmp_path / "scores.csv")
    assert done.returncode == 0, done.stderr
    assert [r["score"] for r in _read(tmp_path / "scores.csv")] == ["14"]
