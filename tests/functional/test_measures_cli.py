"""daeval ingest + daeval measures on folders written by hand, not by the generator."""

from __future__ import annotations

import csv
import json
import re
from datetime import date, timedelta

import pytest
from tests.lib import reference_engine


def _write_referrals(folder, rows):
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "csc_referrals.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["referral_id", "child_id", "la_code", "referral_date", "decision"])
        w.writerows(rows)


def _hand_made_referrals():
    """Two local authorities, children with chosen gaps between referrals (in days)."""
    rows = []
    start = date(2019, 1, 1)
    plans = {
        # la_code: list of (number of children, gaps after a first referral on a spread of days)
        "900": [(40, []), (12, [200]), (6, [365]), (5, [366]), (4, [0]), (3, [100, 100])],
        "901": [(30, []), (9, [30]), (2, [400])],
    }
    n = 0
    for la, groups in plans.items():
        for count, gaps in groups:
            for _ in range(count):
                n += 1
                d = start + timedelta(days=400 + (n * 7) % 300)
                rows.append((f"r{n}a", f"{la}-c{n}", la, d.isoformat(), "nfa"))
                for j, gap in enumerate(gaps):
                    d = d + timedelta(days=gap)
                    rows.append((f"r{n}{j}", f"{la}-c{n}", la, d.isoformat(), "assessment"))
    return rows


def _read(path):
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def loaded(tmp_path, daeval):
    data, ws = tmp_path / "data", tmp_path / "ws"
    rows = _hand_made_referrals()
    _write_referrals(data, rows)
    result = daeval("ingest", data, "--workspace", ws)
    assert result.returncode == 0, result.stderr
    assert re.search(
        rf"csc_referrals\.csv\s+│\s+csc_referrals\s+│\s+{len(rows):,}\s+│\s+{len(rows):,}\s+│\s+0",
        result.stdout,
    ), result.stdout
    return ws, rows


def _expected(rows, as_of):
    refs = [
        {"la_code": r[2], "child_id": r[1], "referral_date": date.fromisoformat(r[3])} for r in rows
    ]
    first = min(r["referral_date"] for r in refs)
    start = first + timedelta(days=365)
    return start, reference_engine.re_referral_counts(refs, start, as_of)


def test_exact_figures_inside_the_secure_setting(loaded, daeval):
    ws, rows = loaded
    result = daeval("measures", "--workspace", ws, "--no-disclosure-control")
    assert result.returncode == 0, result.stderr
    assert "must not leave the secure setting" in result.stderr
    as_of = max(date.fromisoformat(r[3]) for r in rows)
    start, expected = _expected(rows, as_of)
    out = _read(ws / "outputs" / "measures.csv")
    assert list(out[0]) == [
        "measure",
        "group_by",
        "group",
        "category",
        "period_start",
        "period_end",
        "numerator",
        "denominator",
        "value",
        "suppressed",
        "ci_lower",
        "ci_upper",
    ]
    got = {(r["group_by"], r["group"]): (int(r["numerator"]), int(r["denominator"])) for r in out}
    assert got == expected
    assert {r["period_start"] for r in out} == {start.isoformat()}
    assert {r["period_end"] for r in out} == {as_of.isoformat()}
    for r in out:
        assert float(r["value"]) == pytest.approx(
            int(r["numerator"]) / int(r["denominator"]), abs=1e-6
        )
    meta = json.loads((ws / "outputs" / "measures.json").read_text())
    assert meta["disclosure_control"].startswith("off")


def test_disclosure_control_is_on_by_default(loaded, daeval):
    ws, rows = loaded
    result = daeval("measures", "--workspace", ws)
    assert result.returncode == 0, result.stderr
    as_of = max(date.fromisoformat(r[3]) for r in rows)
    _, expected = _expected(rows, as_of)
    out = {(r["group_by"], r["group"]): r for r in _read(ws / "outputs" / "measures.csv")}
    for key, (num, den) in expected.items():
        row = out[key]
        if num <= 7 or den - num <= 7:
            assert row["suppressed"] == "true" and row["numerator"] == "" and row["value"] == ""
        else:
            assert int(row["numerator"]) == 5 * round(num / 5)
            assert int(row["denominator"]) == 5 * round(den / 5)
            assert float(row["value"]) == pytest.approx(
                int(row["numerator"]) / int(row["denominator"]), abs=1e-6
            )
    meta = json.loads((ws / "outputs" / "measures.json").read_text())
    assert meta["disclosure_control"].startswith("on")


def test_as_of_and_window_change_the_figures(loaded, daeval):
    ws, rows = loaded
    result = daeval(
        "measures",
        "--workspace",
        ws,
        "--as-of",
        "2020-08-01",
        "--window-days",
        "120",
        "--no-disclosure-control",
    )
    assert result.returncode == 0, result.stderr
    refs = [
        {"la_code": r[2], "child_id": r[1], "referral_date": date.fromisoformat(r[3])} for r in rows
    ]
    first = min(r["referral_date"] for r in refs)
    expected = reference_engine.re_referral_counts(
        refs, first + timedelta(days=120), date(2020, 8, 1), window_days=120
    )
    out = _read(ws / "outputs" / "measures.csv")
    got = {(r["group_by"], r["group"]): (int(r["numerator"]), int(r["denominator"])) for r in out}
    assert got == expected


@pytest.mark.slow
def test_the_same_inputs_give_the_same_bytes(loaded, daeval):
    ws, _ = loaded
    daeval("measures", "--workspace", ws)
    first = (ws / "outputs" / "measures.csv").read_bytes()
    daeval("measures", "--workspace", ws)
    assert (ws / "outputs" / "measures.csv").read_bytes() == first


def test_measures_without_referrals_says_what_is_missing(tmp_path, daeval):
    data = tmp_path / "data"
    data.mkdir()
    (data / "people.csv").write_text("source,person_id\ncsc,c1\n")
    assert daeval("ingest", data, "--workspace", tmp_path / "ws").returncode == 0
    result = daeval("measures", "--workspace", tmp_path / "ws")
    assert result.returncode == 12
    assert "re_referral_rate needs csc_referrals" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_input_exits_with_a_distinct_code_and_one_clear_message(tmp_path, daeval):
    data = tmp_path / "data"
    _write_referrals(data, [("r1", "c1", "900", "2020-13-01", "nfa")])
    result = daeval("ingest", data, "--workspace", tmp_path / "ws")
    assert result.returncode == 0, result.stderr
    assert re.search(
        r"csc_referrals\.csv\s+│\s+csc_referrals\s+│\s+1\s+│\s+0\s+│\s+1", result.stdout
    )
    (data / "csc_referrals.csv").write_text("referral_id,child_id\nr1,c1\n")
    result = daeval("ingest", data, "--workspace", tmp_path / "ws")
    assert result.returncode == 11
    assert "required column(s) missing for csc_referrals: la_code, referral_date" in result.stderr
    assert "Traceback" not in result.stderr
    result = daeval("ingest", data, "--workspace", tmp_path / "ws", env={"DAEVAL_KEY": "short"})
    assert result.returncode == 14
    assert "at least 32 are needed" in result.stderr


def test_a_missing_workspace_is_explained(tmp_path, daeval):
    result = daeval("measures", "--workspace", tmp_path / "nowhere")
    assert result.returncode == 13
    assert "no warehouse.duckdb here" in result.stderr


def test_help_lists_the_commands(daeval):
    result = daeval("--help")
    assert result.returncode == 0
    for command in ("synth", "ingest", "measures", "demo"):
        assert command in result.stdout
