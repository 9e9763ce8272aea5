"""Linkage accuracy figures against a brute-force count over every pair of records."""

from __future__ import annotations

import itertools
import random

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daeval.link.quality import accuracy, links_by_source_pair, weight_histogram


def _brute_force(assignments: list[tuple[str, int, int]]):
    """(record, cluster, true id) → pairwise P, R, F1 and merged / split shares."""
    predicted = true = both = 0
    for (_, c1, t1), (_, c2, t2) in itertools.combinations(assignments, 2):
        predicted += c1 == c2
        true += t1 == t2
        both += c1 == c2 and t1 == t2
    precision = both / predicted if predicted else 1.0
    recall = both / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    by_cluster: dict[int, set[int]] = {}
    by_true: dict[int, set[int]] = {}
    for _, c, t in assignments:
        by_cluster.setdefault(c, set()).add(t)
        by_true.setdefault(t, set()).add(c)
    merged = sum(len(v) > 1 for v in by_cluster.values()) / len(by_cluster)
    split = sum(len(v) > 1 for v in by_true.values()) / len(by_true)
    return precision, recall, f1, merged, split


def _tables(con, assignments):
    con.execute("CREATE OR REPLACE TABLE c (record_id VARCHAR, cluster_id VARCHAR)")
    con.execute("CREATE OR REPLACE TABLE t (record_id VARCHAR, true_id VARCHAR)")
    con.executemany("INSERT INTO c VALUES (?, ?)", [(r, f"k{c}") for r, c, _ in assignments])
    con.executemany("INSERT INTO t VALUES (?, ?)", [(r, f"t{t}") for r, _, t in assignments])


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=1, max_size=30))
def test_pairwise_and_cluster_figures_equal_a_count_over_every_pair(pairs):
    assignments = [(f"r{i}", c, t) for i, (c, t) in enumerate(pairs)]
    con = duckdb.connect()
    _tables(con, assignments)
    got = accuracy(con, "c", "t")
    precision, recall, f1, merged, split = _brute_force(assignments)
    assert got.records == len(assignments)
    assert got.precision == pytest.approx(precision)
    assert got.recall == pytest.approx(recall)
    assert got.f1 == pytest.approx(f1)
    assert got.merged_rate == pytest.approx(merged)
    assert got.split_rate == pytest.approx(split)


def test_a_worked_example():
    # Truth: {a1, a2, a3} one person, {b1, b2} another. Linkage: {a1, a2} {a3, b1, b2}.
    assignments = [("a1", 1, 1), ("a2", 1, 1), ("a3", 2, 1), ("b1", 2, 2), ("b2", 2, 2)]
    con = duckdb.connect()
    _tables(con, assignments)
    got = accuracy(con, "c", "t")
    # Predicted pairs: a1a2, a3b1, a3b2, b1b2 = 4; true pairs: a1a2, a1a3, a2a3, b1b2 = 4;
    # both: a1a2, b1b2 = 2.
    assert (got.predicted_pairs, got.true_pairs, got.true_positive_pairs) == (4, 4, 2)
    assert got.precision == got.recall == got.f1 == 0.5
    assert (got.clusters, got.merged_clusters, got.true_people, got.split_people) == (2, 1, 2, 1)


def test_records_missing_from_the_truth_file_do_not_count():
    con = duckdb.connect()
    _tables(con, [("a1", 1, 1), ("a2", 1, 1)])
    con.execute("INSERT INTO c VALUES ('x', 'k1')")
    got = accuracy(con, "c", "t")
    assert (got.records, got.predicted_pairs, got.precision) == (2, 1, 1.0)


def test_links_by_source_pair_count_pairs_of_records_sharing_a_key():
    rng = random.Random(4)
    rows = [(f"r{i}", rng.choice("ps"), rng.randrange(6)) for i in range(40)]
    con = duckdb.connect()
    con.execute("CREATE TABLE cl (record_id VARCHAR, source VARCHAR, cluster_id VARCHAR)")
    con.executemany("INSERT INTO cl VALUES (?, ?, ?)", [(r, s, str(c)) for r, s, c in rows])
    expected: dict[tuple[str, str], int] = {}
    for (_, s1, c1), (_, s2, c2) in itertools.combinations(rows, 2):
        if c1 == c2:
            pair = tuple(sorted((s1, s2)))
            expected[pair] = expected.get(pair, 0) + 1
    got = {(a, b): n for a, b, n in links_by_source_pair(con, "cl")}
    assert got == expected


def test_weight_histogram_bins_every_scored_pair_once():
    weights = [-13.2, -0.1, 0.0, 1.99, 2.0, 7.5, 7.9, None]
    con = duckdb.connect()
    con.execute("CREATE TABLE s (match_weight DOUBLE)")
    con.executemany("INSERT INTO s VALUES (?)", [(w,) for w in weights])
    assert weight_histogram(con, "s") == [(-14.0, 1), (-2.0, 1), (0.0, 2), (2.0, 1), (6.0, 2)]
