"""How well a linkage did: counts anyone can see, and accuracy against a truth file when there is one.

Pairwise figures count pairs of records: a predicted pair is two records given the same person
key, a true pair two records of the same true person. Precision = true pairs predicted / pairs
predicted; recall = true pairs predicted / true pairs; F1 = their harmonic mean. Cluster figures:
the share of person keys that join records of two or more true people (merged), and the share of
true people whose records carry two or more person keys (split). Only records present in both the
linkage and the truth file count.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from daeval.warehouse.store import scalar

WEIGHT_BIN = 2.0
"""Width of the match-weight histogram's bins."""


@dataclass(frozen=True)
class Accuracy:
    records: int
    predicted_pairs: int
    true_pairs: int
    true_positive_pairs: int
    precision: float
    recall: float
    f1: float
    clusters: int
    merged_clusters: int
    true_people: int
    split_people: int

    @property
    def merged_rate(self) -> float:
        return self.merged_clusters / self.clusters if self.clusters else 0.0

    @property
    def split_rate(self) -> float:
        return self.split_people / self.true_people if self.true_people else 0.0


def _pairs(column_counts: str) -> str:
    return f"coalesce(sum({column_counts} * ({column_counts} - 1) // 2), 0)"


def accuracy(con: duckdb.DuckDBPyConnection, clusters: str, truth: str) -> Accuracy:
    """Pairwise and cluster accuracy of ``clusters(record_id, cluster_id)`` against
    ``truth(record_id, true_id)``."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE judged AS SELECT c.record_id, c.cluster_id, t.true_id "
        f"FROM {clusters} AS c JOIN {truth} AS t USING (record_id)"
    )

    def count(sql: str) -> int:
        return int(scalar(con, sql) or 0)

    predicted = count(
        f"SELECT {_pairs('n')} FROM (SELECT count(*) AS n FROM judged GROUP BY cluster_id)"
    )
    true = count(f"SELECT {_pairs('n')} FROM (SELECT count(*) AS n FROM judged GROUP BY true_id)")
    both = count(
        f"SELECT {_pairs('n')} FROM (SELECT count(*) AS n FROM judged GROUP BY cluster_id, true_id)"
    )
    precision = both / predicted if predicted else 1.0
    recall = both / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    clusters_n, merged = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE k > 1) FROM "
        "(SELECT count(DISTINCT true_id) AS k FROM judged GROUP BY cluster_id)"
    ).fetchall()[0]
    people, split = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE k > 1) FROM "
        "(SELECT count(DISTINCT cluster_id) AS k FROM judged GROUP BY true_id)"
    ).fetchall()[0]
    records = count("SELECT count(*) FROM judged")
    con.execute("DROP TABLE judged")
    return Accuracy(
        records, predicted, true, both, precision, recall, f1, clusters_n, merged, people, split
    )


def weight_histogram(con: duckdb.DuckDBPyConnection, scored: str) -> list[tuple[float, int]]:
    """(lower edge, pairs) of the match weights of every scored pair, in bins of WEIGHT_BIN."""
    rows = con.execute(
        f"SELECT floor(match_weight / {WEIGHT_BIN}) * {WEIGHT_BIN} AS low, count(*) FROM {scored} "
        "WHERE match_weight IS NOT NULL GROUP BY low ORDER BY low"
    ).fetchall()
    return [(float(low), int(n)) for low, n in rows]


def links_by_source_pair(
    con: duckdb.DuckDBPyConnection, clusters: str
) -> list[tuple[str, str, int]]:
    """(source, source, pairs of records given one person key), each pair of sources once."""
    return [
        (a, b, int(n))
        for a, b, n in con.execute(
            f"WITH c AS (SELECT cluster_id, source, count(*) AS n FROM {clusters} "
            "GROUP BY cluster_id, source) "
            "SELECT a.source, b.source, sum(CASE WHEN a.source = b.source "
            "THEN a.n * (a.n - 1) // 2 ELSE a.n * b.n END) AS pairs "
            "FROM c AS a JOIN c AS b ON a.cluster_id = b.cluster_id AND a.source <= b.source "
            "GROUP BY a.source, b.source HAVING pairs > 0 ORDER BY a.source, b.source"
        ).fetchall()
    ]


SWEEP = tuple(float(t) for t in range(-4, 15, 2))
"""Match-weight thresholds at which accuracy is reported when a truth file is given."""


def accuracy_by_threshold(
    con: duckdb.DuckDBPyConnection, truth: str, thresholds: tuple[float, ...] = SWEEP
) -> list[tuple[float, Accuracy]]:
    """Accuracy of the clusters each threshold would give, from ``scored`` and ``trusted`` pairs
    of ``records`` on ``con`` (so that a study can choose its threshold on a labelled extract)."""
    from splink import DuckDBAPI
    from splink.clustering import cluster_pairwise_predictions_at_threshold

    db_api = DuckDBAPI(con)
    nodes = db_api.register("records", dataset_display_name="sweep_records")
    out: list[tuple[float, Accuracy]] = []
    for threshold in thresholds:
        con.execute(
            "CREATE OR REPLACE TABLE sweep_edges AS SELECT record_id_l, record_id_r FROM scored "
            f"WHERE match_weight >= {threshold} UNION ALL SELECT record_id_l, record_id_r FROM trusted"
        )
        edges = db_api.register("sweep_edges", dataset_display_name=f"sweep_edges_{len(out)}")
        clusters = cluster_pairwise_predictions_at_threshold(
            nodes, edges, db_api, node_id_column_name="record_id"
        )
        con.execute(
            f"CREATE OR REPLACE TABLE sweep_clusters AS SELECT record_id, cluster_id "
            f"FROM {clusters.physical_name}"
        )
        out.append((threshold, accuracy(con, "sweep_clusters", truth)))
    con.execute("DROP TABLE sweep_edges")
    con.execute("DROP TABLE sweep_clusters")
    return out
