"""daeval link on DuckDB: person keys, trusted links, accuracy, privacy, reuse and fallbacks."""

from __future__ import annotations

import csv
import json
import shutil

import duckdb
import pytest
from tests.lib.keys import TEST_KEY
from tests.lib.tables import write_table

from daeval.ingest.load import ingest_folder
from daeval.link.run import link_workspace
from daeval.link.train import MIN_RECORDS
from daeval.privacy.pseudonyms import pseudonym
from daeval.warehouse import Workspace

pytestmark = pytest.mark.xdist_group("link_synthetic")


@pytest.fixture(scope="module")
def ingested(tmp_path_factory, synthetic_folder):
    """The synthetic folder (``raw``) and a workspace holding it, before linkage (``template``,
    copied by each test)."""
    root = tmp_path_factory.mktemp("link")
    (root / "raw").symlink_to(synthetic_folder, target_is_directory=True)
    ingest_folder(root / "raw", Workspace(root / "template"), TEST_KEY)
    return root


def _fresh(ingested, tmp_path) -> Workspace:
    shutil.copytree(ingested / "template", tmp_path / "ws")
    return Workspace(tmp_path / "ws")


def _keys(ws: Workspace) -> dict[tuple[str, str], str]:
    with duckdb.connect(str(ws.warehouse_path), read_only=True) as con:
        rows = con.execute("SELECT source, person_id, person_key FROM person_keys").fetchall()
    return {(s, p): k for s, p, k in rows}


@pytest.fixture(scope="module")
def linked(ingested, tmp_path_factory):
    ws_root = tmp_path_factory.mktemp("linked")
    shutil.copytree(ingested / "template", ws_root / "ws")
    ws = Workspace(ws_root / "ws")
    truth = ingested / "raw" / "truth" / "people_truth.csv"
    report = link_workspace(ws, truth=truth, key=TEST_KEY, sweep=True)
    return ingested, ws, report


def test_every_person_gets_exactly_one_key_and_trusted_links_share_it(linked):
    raw, ws, report = linked
    keys = _keys(ws)
    with duckdb.connect(str(ws.warehouse_path), read_only=True) as con:
        people = con.execute("SELECT DISTINCT source, person_id FROM people").fetchall()
        assert con.execute(
            "SELECT count(*) FROM (SELECT source, person_id FROM person_keys GROUP BY ALL "
            "HAVING count(*) > 1)"
        ).fetchall() == [(0,)]
    assert set(keys) == set(people)
    with (raw / "raw" / "person_links.csv").open(newline="") as f:
        links = list(csv.DictReader(f))
    assert len(links) > 50
    for link in links:
        a = (link["source_a"], pseudonym(TEST_KEY, link["source_a"], link["person_id_a"]))
        b = (link["source_b"], pseudonym(TEST_KEY, link["source_b"], link["person_id_b"]))
        assert keys[a] == keys[b]
    assert report.clusters == len(set(keys.values()))
    assert report.trusted_links == len(links)
    with duckdb.connect(str(ws.warehouse_path), read_only=True) as con:
        pairs = con.execute(
            "SELECT count(*) FILTER (WHERE match_weight IS NULL), "
            "count(*) FILTER (WHERE match_weight >= ?), count(*) FROM linkage_pairs",
            [report.threshold],
        ).fetchall()[0]
    assert pairs == (len(links), report.pairs_linked, len(links) + report.pairs_linked)


def test_linkage_finds_the_same_person_across_sources(linked):
    _, _, report = linked
    acc = report.accuracy
    assert acc is not None and acc.records == report.records
    # The synthetic sources hold spelling, nickname and date errors (daeval.synth.identities).
    assert acc.precision > 0.97
    assert acc.recall > 0.95
    assert acc.merged_rate < 0.01
    assert report.model is not None and report.model.origin == "trained on trusted links"
    pairs = {(a, b) for a, b, _ in report.source_pairs}
    assert ("csc", "police") in pairs
    # The accuracy at the run's threshold is one point of the sweep.
    at = dict(report.sweep)
    assert at[report.threshold].f1 == pytest.approx(acc.f1)
    # A higher threshold never joins more records.
    thresholds = sorted(at)
    for low, high in zip(thresholds, thresholds[1:], strict=False):
        assert at[high].predicted_pairs <= at[low].predicted_pairs


def test_names_stay_out_of_the_warehouse_and_the_staging_area_is_deleted(linked):
    raw, ws, _ = linked
    assert not ws.staging.exists()
    names: set[str] = set()
    with (raw / "raw" / "people.csv").open(newline="") as f:
        for person in csv.DictReader(f):
            for field in ("first_name", "last_name"):
                if len(person[field]) >= 5:
                    names.add(person[field].upper())
    with duckdb.connect(str(ws.warehouse_path), read_only=True) as con:
        model = con.execute("SELECT model FROM linkage_models").fetchall()[0][0]
        text_columns = con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() "
            "WHERE table_name LIKE 'linkage%' OR table_name = 'person_keys'"
        ).fetchall()
        values = set()
        for table, column in text_columns:
            values |= {
                str(v).upper()
                for (v,) in con.execute(f'SELECT DISTINCT "{column}" FROM "{table}"').fetchall()
            }
    assert len(names) > 500
    words = set(model.upper().replace('"', " ").replace("'", " ").split())
    assert not names & words
    assert not names & values
    assert json.loads(model)["comparisons"]
    reviewable = json.loads((ws.outputs / "linkage_model.json").read_text(encoding="utf-8"))
    assert reviewable == json.loads(model)


def test_a_saved_model_is_reused_and_gives_the_same_keys(ingested, linked, tmp_path):
    _, first_ws, _ = linked
    ws = _fresh(ingested, tmp_path)
    with duckdb.connect(str(first_ws.warehouse_path), read_only=True) as con:
        model = json.loads(con.execute("SELECT model FROM linkage_models").fetchall()[0][0])
    report = link_workspace(ws, model=model)
    assert report.model is not None and report.model.origin == "saved"
    assert _keys(ws) == _keys(first_ws)


def test_a_source_without_features_links_only_through_trusted_links(tmp_path):
    people = [
        "source | person_id | first_name | last_name | date_of_birth | sex | postcode",
        "police | p1        | Ann        | Lee       | 2010-01-01    | F   | ZX1 1AA",
        "police | p2        | Ann        | Lee       | 2010-01-01    | F   | ZX1 1AA",
        "csc    | c1        |            |           |               |     |",
        "csc    | c2        |            |           |               |     |",
    ]
    write_table(tmp_path / "raw", "people", "\n".join(people))
    write_table(
        tmp_path / "raw",
        "person_links",
        "source_a | person_id_a | source_b | person_id_b\npolice | p1 | csc | c1",
    )
    ws = Workspace(tmp_path / "ws")
    ingest_folder(tmp_path / "raw", ws, TEST_KEY)
    report = link_workspace(ws)
    assert any(w.startswith("csc: no names or dates of birth") for w in report.warnings)
    keys = _keys(ws)
    key = {pid: keys[(s, pseudonym(TEST_KEY, s, pid))] for s, pid in
           [("police", "p1"), ("police", "p2"), ("csc", "c1"), ("csc", "c2")]}  # fmt: skip
    assert key["p1"] == key["c1"]
    assert key["c2"] not in {key["p1"], key["p2"]}
    # Too few records to train: the documented default model is used, and said so.
    assert report.model is not None and report.model.origin == "default"
    assert f"at least {MIN_RECORDS:,}" in (report.model.fallback_reason or "")
    with duckdb.connect(str(ws.warehouse_path), read_only=True) as con:
        origin = con.execute("SELECT model_origin FROM linkage_runs").fetchall()
    assert origin == [("default",)]


def test_a_second_run_replaces_the_keys_of_the_people_it_links(linked, ingested, tmp_path):
    # The model trained on this folder (training is seeded: it would train the same one again).
    model = linked[2].model.settings
    ws = _fresh(ingested, tmp_path)
    link_workspace(ws, threshold=30.0, model=model)  # nothing but trusted links joins records
    alone = _keys(ws)
    ingest_folder(ingested / "raw", ws, TEST_KEY, sources=None)  # features again
    link_workspace(ws, model=model)
    again = _keys(ws)
    assert set(alone) == set(again)
    assert len(set(again.values())) < len(set(alone.values()))
    with duckdb.connect(str(ws.warehouse_path), read_only=True) as con:
        assert con.execute("SELECT max(run_id) FROM person_keys").fetchall() == [(2,)]
        assert con.execute("SELECT count(*) FROM linkage_runs").fetchall() == [(2,)]


def test_outputs_carry_only_controlled_counts_and_the_chart_describes_itself(linked):
    _, ws, report = linked
    summary = json.loads((ws.outputs / "linkage.json").read_text(encoding="utf-8"))
    counts = [summary[k] for k in ("records", "people", "pairs_scored", "pairs_linked")]
    counts += [b["pairs"] for b in summary["match_weight_histogram"]]
    counts += [p["pairs"] for p in summary["links_by_source_pair"]]
    assert all(c is None or (c > 7 and c % 5 == 0) for c in counts)
    assert abs(summary["records"] - report.records) <= 2
    small = [low for low, n in report.histogram if n <= 7]
    hidden = [b["from"] for b in summary["match_weight_histogram"] if b["pairs"] is None]
    assert hidden == small
    svg = (ws.outputs / "linkage_weights.svg").read_text(encoding="utf-8")
    assert svg.startswith("<svg") and "<title" in svg and "<desc" in svg
    assert f"threshold {report.threshold:g}" in svg
    assert svg.count("<rect") == len(report.histogram) - len(small)
