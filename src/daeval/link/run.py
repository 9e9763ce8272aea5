"""``daeval link``: find the same person across sources and give every record one person key.

The run reads the people of the warehouse with the linkage features left by ingest, trains (or
reuses) the model, scores the candidate pairs, joins pairs at or above the threshold together
with the trusted links into clusters, and stores one ``person_key`` per record. The figures of the
run, the model (m and u probabilities, no names) and the match-weight histogram are stored with
it. Then the staging area, the only place names and dates of birth were kept, is deleted.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
from splink.clustering import cluster_pairwise_predictions_at_threshold

from daeval.errors import MissingDataError
from daeval.ingest.linkage_features import STAGING_FILE
from daeval.ingest.references import namespace_sql
from daeval.ingest.rules import literal
from daeval.link.chart import write_outputs
from daeval.link.engines import engine
from daeval.link.model import DEFAULT_THRESHOLD
from daeval.link.quality import (
    WEIGHT_BIN,
    Accuracy,
    accuracy,
    accuracy_by_threshold,
    links_by_source_pair,
    weight_histogram,
)
from daeval.link.records import SourceRecords, record_id_sql, stage_records
from daeval.link.train import Model, train, with_model
from daeval.model.tables import PERSON_IN_ROW_SOURCE
from daeval.privacy.pseudonyms import pseudonym_sql
from daeval.warehouse.marks import check_key, check_staging
from daeval.warehouse.scratch import scratch_folder
from daeval.warehouse.store import Workspace, attached_transaction, scalar

Progress = Callable[[str], None]
MEMORY_LIMIT = "6GB"


@dataclass
class LinkReport:
    run_id: int
    engine: str
    threshold: float
    sources: list[SourceRecords]
    model: Model | None
    pairs_scored: int
    pairs_linked: int
    trusted_links: int
    clusters: int
    histogram: list[tuple[float, int]]
    source_pairs: list[tuple[str, str, int]]
    accuracy: Accuracy | None = None
    sweep: list[tuple[float, Accuracy]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def records(self) -> int:
        return sum(s.records for s in self.sources)

    @property
    def records_with_features(self) -> int:
        return sum(s.with_features for s in self.sources)

    @property
    def model_origin(self) -> str:
        return "none (trusted links only)" if self.model is None else self.model.origin


def _truth_table(con: duckdb.DuckDBPyConnection, truth: Path, key: bytes) -> None:
    """``truth(record_id, true_id)`` from a file of source, person_id (clear) and true_person_id."""
    try:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE truth_raw AS SELECT * FROM "
            f"read_csv({literal(str(truth))}, all_varchar=true, header=true)"
        )
    except duckdb.Error:
        raise MissingDataError(  # the reader's words can repeat the file's clear ids: not shown
            f"{truth}: cannot be read as a CSV truth file; save it as UTF-8 CSV with the header "
            "source, person_id, true_person_id"
        ) from None
    columns = {r[0] for r in con.execute("DESCRIBE truth_raw").fetchall()}
    lacking = {"source", "person_id", "true_person_id"} - columns
    if lacking:
        raise MissingDataError(f"{truth}: truth file lacks column(s) {', '.join(sorted(lacking))}")
    pseudonym = pseudonym_sql(key, namespace_sql(PERSON_IN_ROW_SOURCE), '"person_id"')
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE truth AS SELECT {record_id_sql('source', pseudonym)} "
        "AS record_id, true_person_id AS true_id FROM truth_raw"
    )
    con.execute("DROP TABLE truth_raw")


def _saved_model(workspace: Workspace) -> dict[str, Any]:
    with workspace.open().connect(read_only=True) as con:
        text = scalar(con, "SELECT model FROM linkage_models ORDER BY run_id DESC LIMIT 1")
    if text is None:
        raise MissingDataError(
            f"{workspace.root}: no saved linkage model yet; run `daeval link` once without "
            "--reuse-model"
        )
    return json.loads(text)


def link_workspace(
    workspace: Workspace,
    *,
    threshold: float | None = None,
    engine_name: str = "duckdb",
    sources: list[str] | None = None,
    truth: Path | None = None,
    key: bytes | None = None,
    model: dict[str, Any] | None = None,
    reuse_model: bool = False,
    sweep: bool = False,
    progress: Progress | None = None,
    memory_limit: str = MEMORY_LIMIT,
) -> LinkReport:
    """Link the workspace's people and store their person keys (see the module's docstring)."""
    say = progress or (lambda step: None)
    threshold = DEFAULT_THRESHOLD if threshold is None else threshold
    warehouse = workspace.open()
    if key is not None:
        check_key(warehouse.path, key)
    # Features left by an ingest that was killed before its warehouse was in place are refused.
    check_staging(warehouse.path, workspace.staging / STAGING_FILE)
    warehouse.create_schema()  # a warehouse made by an earlier version lacks the linkage tables
    if reuse_model:
        model = _saved_model(workspace)
    # (Spill files hold linkage features: see daeval.warehouse.scratch.)
    with scratch_folder(workspace.root, "link") as spill, duckdb.connect() as con:
        con.execute(f"SET memory_limit = {literal(memory_limit)}")
        con.execute(f"SET temp_directory = {literal(str(spill))}")
        say("reading people and linkage features")
        counts = stage_records(con, warehouse.path, workspace.staging, sources)
        if not counts:
            raise MissingDataError(
                f"{workspace.root}: no people to link; ingest people.csv first"
                + (f" (sources asked for: {', '.join(sources)})" if sources else "")
            )
        report = _link(con, counts, threshold, engine_name, model, say, spill)
        if truth is not None:
            if key is None:
                raise MissingDataError("a truth file needs the project key to read its ids")
            _truth_table(con, truth, key)
            report.accuracy = accuracy(con, "clusters", "truth")
            if sweep:
                say("accuracy at other thresholds")
                report.sweep = accuracy_by_threshold(con, "truth")
        say("saving person keys")
        _save(con, warehouse.path, report)
    # The names and dates of birth have served their purpose.
    shutil.rmtree(workspace.staging, ignore_errors=True)
    write_outputs(workspace.outputs, report)
    if report.model is not None:
        # The model holds settings and m and u probabilities only: it can leave for review.
        (workspace.outputs / "linkage_model.json").write_text(
            json.dumps(report.model.settings, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
    return report


def _link(
    con: duckdb.DuckDBPyConnection,
    counts: list[SourceRecords],
    threshold: float,
    engine_name: str,
    model: dict[str, Any] | None,
    say: Progress,
    scratch: Path | None = None,
) -> LinkReport:
    warnings = [
        f"{s.source}: no names or dates of birth to link on; its {s.records} record(s) link only "
        "through trusted links"
        for s in counts
        if s.with_features == 0
    ]
    trusted_links = int(scalar(con, "SELECT count(*) FROM trusted"))
    runner = engine(engine_name, con, scratch)
    try:
        records = runner.table("records")
        trusted = runner.table("trusted")
        used: Model | None = None
        scored = None
        if any(s.with_features for s in counts):
            say("training the linkage model" if model is None else "loading the linkage model")
            linker, used = (
                train(records, sum(s.with_features for s in counts), trusted, trusted_links)
                if model is None
                else with_model(records, model)
            )
            if used.fallback_reason:
                warnings.append(
                    f"training failed ({used.fallback_reason}); the default model was used"
                )
            say("scoring candidate pairs")
            scored = linker.inference.predict()
        say("clustering")
        parts = [
            f"SELECT record_id_l, record_id_r, 1.0 AS match_probability FROM {trusted.physical_name}"
        ]
        if scored is not None:
            parts.insert(
                0,
                "SELECT record_id_l, record_id_r, match_probability FROM "
                f"{scored.physical_name} WHERE match_weight >= {threshold}",
            )
        edges = runner.db_api.query_sql(" UNION ALL ".join(parts))
        clusters = cluster_pairwise_predictions_at_threshold(
            records, edges, runner.db_api, node_id_column_name="record_id"
        )
        runner.fetch(clusters.query_sql("SELECT record_id, cluster_id FROM {this}"), "clustered")
        if scored is not None:
            runner.fetch(
                scored.query_sql("SELECT record_id_l, record_id_r, match_weight FROM {this}"),
                "scored",
            )
        else:
            con.execute(
                "CREATE OR REPLACE TABLE scored (record_id_l VARCHAR, record_id_r VARCHAR, "
                "match_weight DOUBLE)"
            )
    finally:
        runner.close()
    # A person key is opaque and stable for a cluster: a digest of its first record's id.
    con.execute(
        "CREATE OR REPLACE TABLE clusters AS SELECT r.record_id, r.source, r.person_id, "
        "'K' || left(sha256(min(r.record_id) OVER (PARTITION BY c.cluster_id)), 24) AS cluster_id "
        "FROM records AS r JOIN clustered AS c USING (record_id)"
    )
    figures = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE match_weight >= {threshold}) FROM scored"
    ).fetchall()[0]
    return LinkReport(
        run_id=0,
        engine=engine_name,
        threshold=threshold,
        sources=counts,
        model=used,
        pairs_scored=int(figures[0]),
        pairs_linked=int(figures[1]),
        trusted_links=trusted_links,
        clusters=int(scalar(con, "SELECT count(DISTINCT cluster_id) FROM clusters")),
        histogram=weight_histogram(con, "scored"),
        source_pairs=links_by_source_pair(con, "clusters"),
        warnings=warnings,
    )


def _save(con: duckdb.DuckDBPyConnection, warehouse: Path, report: LinkReport) -> None:
    """Store the run in the warehouse, in one transaction."""
    with attached_transaction(con, warehouse, "wh"):
        run_id = int(scalar(con, "SELECT coalesce(max(run_id), 0) + 1 FROM wh.linkage_runs"))
        report.run_id = run_id
        con.execute(
            "DELETE FROM wh.person_keys WHERE (source, person_id) IN "
            "(SELECT source, person_id FROM clusters)"
        )
        con.execute(
            f"INSERT INTO wh.person_keys SELECT source, person_id, cluster_id, {run_id} "
            "FROM clusters ORDER BY source, person_id"
        )
        acc = report.accuracy
        con.execute(
            "INSERT INTO wh.linkage_runs VALUES (?, now(), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
            "?, ?)",
            [
                run_id, report.engine, report.threshold, report.model_origin,
                report.model.fallback_reason if report.model else None,
                report.records, report.records_with_features, report.pairs_scored,
                report.pairs_linked, report.trusted_links, report.clusters,
                acc.precision if acc else None, acc.recall if acc else None,
                acc.f1 if acc else None, acc.merged_rate if acc else None,
                acc.split_rate if acc else None,
            ],
        )  # fmt: skip
        if report.model is not None:
            con.execute(
                "INSERT INTO wh.linkage_models VALUES (?, ?)",
                [run_id, json.dumps(report.model.settings, sort_keys=True)],
            )
        for low, pairs in report.histogram:
            con.execute(
                "INSERT INTO wh.linkage_weights VALUES (?, ?, ?, ?)",
                [run_id, low, low + WEIGHT_BIN, pairs],
            )
        con.execute(
            f"INSERT INTO wh.linkage_pairs SELECT {run_id}, record_id_l, record_id_r, match_weight "
            f"FROM scored WHERE match_weight >= {report.threshold} UNION ALL "
            f"SELECT {run_id}, record_id_l, record_id_r, NULL FROM trusted"
        )
        for a, b, pairs in report.source_pairs:
            con.execute(
                "INSERT INTO wh.linkage_source_pairs VALUES (?, ?, ?, ?)", [run_id, a, b, pairs]
            )
