"""The measures' compiled SQL kept in the workspace (daeval.metrics.query_plans): a kept plan gives
what building the queries gives, reads the warehouse as it is when run (never a kept result), and
any change of code, settings or data read before the SQL is built makes a new plan."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import duckdb
import ibis
import pandas as pd
import pytest
from tests.lib.keys import TEST_KEY

from daeval.ingest.load import ingest_folder
from daeval.metrics import measures_table, query_plans
from daeval.metrics.engines import measure_backend
from daeval.metrics.measures_table import PLANS_FOLDER, compute_measures
from daeval.metrics.queries import measure_queries
from daeval.metrics.query_plans import PLAN_FILE, PlanStore, plan_key
from daeval.privacy.disclosure_control import DisclosurePolicy
from daeval.synth import generate
from daeval.warehouse import Workspace

FINISHERS = {"double": lambda frame: frame * 2}


@pytest.fixture
def warehouse(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(
            "CREATE TABLE csc_referrals AS SELECT 'c' || (i % 7) AS child_id, DATE '2020-01-01' +"
            " i::INTEGER AS referral_date, i % 3 AS level FROM range(200) t(i)"
        )
    return path


def _run(warehouse: Path, plans: PlanStore | None, built: list[int]) -> list:
    """A kept table, a join with an in-memory table, a value and a finished frame, through
    Queries.planned; ``built`` counts the times the queries were built."""
    with measure_backend("duckdb", warehouse, ["csc_referrals"]) as con:
        with measure_queries(con, FINISHERS) as queries:

            def build():
                built.append(1)
                r = con.table("csc_referrals")
                kept = queries.keep(r.filter(r.level == 1))
                names = ibis.memtable({"child_id": ["c1", "c2"], "name": ["one", "two"]})
                per_child = kept.group_by("child_id").aggregate(n=kept.count())
                named = per_child.join(names, "child_id").order_by("child_id")
                asked = [
                    queries.frame(named),
                    queries.pending(kept.referral_date.max()),
                    queries.frame(r.aggregate(n=r.count()), "double"),
                ]
                queries.release(kept)
                return asked

            return [p.result() for p in queries.planned(plans, "key", build)]


def _same(a: list, b: list) -> bool:
    return a[0].equals(b[0]) and a[1] == b[1] and a[2].equals(b[2])


def test_a_kept_plan_gives_what_building_gives_without_building(warehouse, tmp_path):
    plans, built = PlanStore(tmp_path / "plans"), []
    first = _run(warehouse, plans, built)
    again = _run(warehouse, plans, built)
    assert built == [1]  # the second run built nothing
    assert _same(first, again)
    assert _same(first, _run(warehouse, None, []))
    # level = 1 for i = 1, 4, ..., 199 (67 referrals): c1 has i = 1, 22, ..., 190 (10 of them),
    # c2 has i = 16, 37, ..., 184 (9); the last is 2020-01-01 + 199 days; 200 referrals, doubled.
    assert list(first[0].n) == [10, 9] and list(first[0].name) == ["one", "two"]
    assert pd.Timestamp(first[1]).date() == date(2020, 7, 18)
    assert first[2].n.iat[0] == 400


def test_a_kept_plan_reads_the_warehouse_as_it_is_then(warehouse, tmp_path):
    plans, built = PlanStore(tmp_path / "plans"), []
    before = _run(warehouse, plans, built)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("INSERT INTO csc_referrals VALUES ('c1', DATE '2021-01-01', 1)")
    after = _run(warehouse, plans, built)
    assert built == [1]
    assert list(after[0].n) == [11, 9] and list(before[0].n) == [10, 9]
    assert pd.Timestamp(after[1]).date() == date(2021, 1, 1)
    assert after[2].n.iat[0] == 402
    assert _same(after, _run(warehouse, None, []))


@pytest.mark.parametrize(
    "spoil",
    [
        lambda plan: (plan / PLAN_FILE).write_text("{not json"),
        lambda plan: (plan / PLAN_FILE).write_text(
            (plan / PLAN_FILE).read_text().replace('"key": "key"', '"key": "another"')
        ),
        lambda plan: (plan / PLAN_FILE).write_text(
            json.dumps({**json.loads((plan / PLAN_FILE).read_text()), "results": [99]})
        ),
        lambda plan: next(plan.glob("*.arrow")).unlink(),
    ],
    ids=["unreadable", "another key", "results out of range", "memtable missing"],
)
def test_a_plan_that_cannot_be_used_is_built_again(warehouse, tmp_path, spoil):
    plans, built = PlanStore(tmp_path / "plans"), []
    first = _run(warehouse, plans, built)
    spoil(tmp_path / "plans" / "key")
    assert plans.load("key") is None
    assert _same(_run(warehouse, plans, built), first)
    assert built == [1, 1]
    assert plans.load("key") is not None  # kept again


def test_only_the_newest_plans_are_kept(warehouse, tmp_path):
    plans = PlanStore(tmp_path / "plans", kept=2)
    with measure_backend("duckdb", warehouse, ["csc_referrals"]) as con:
        with measure_queries(con) as queries:
            for key in ("a", "b", "c"):
                r = con.table("csc_referrals")
                queries.planned(plans, key, lambda r=r: [queries.frame(r.aggregate(n=r.count()))])
    assert plans.load("a") is None
    assert plans.load("b") is not None and plans.load("c") is not None


def test_the_key_changes_with_every_setting_and_with_the_code(monkeypatch):
    parts = {"as_of": date(2024, 3, 31), "window_days": 365, "period": None, "loaded": ["a"]}
    key = plan_key(**parts)
    assert plan_key(**parts) == key
    for change in (
        {"as_of": date(2024, 4, 1)},
        {"window_days": 180},
        {"period": "month"},
        {"loaded": ["a", "b"]},
        {"first": date(2019, 1, 1)},
    ):
        assert plan_key(**{**parts, **change}) != key, change
    monkeypatch.setattr(query_plans, "code_fingerprint", lambda: "another daeval")
    assert plan_key(**parts) != key


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("plans")
    generate(root / "raw", scale=0.1, seed=7)
    ws = Workspace(root / "ws")
    ingest_folder(root / "raw", ws, TEST_KEY)
    return ws


def _measures(ws: Workspace, window_days: int = 365) -> tuple:
    run = compute_measures(ws, window_days=window_days, policy=DisclosurePolicy(enabled=False))
    return run.rows


@pytest.mark.slow
def test_compute_measures_runs_its_kept_sql_and_builds_anew_for_other_settings(
    workspace, monkeypatch
):
    shutil.rmtree(workspace.root / PLANS_FOLDER, ignore_errors=True)
    first = _measures(workspace)
    assert len(list((workspace.root / PLANS_FOLDER).iterdir())) == 2  # the dates, the measures

    def not_built(*args, **kwargs):
        raise AssertionError("the measures were built")

    monkeypatch.setattr(measures_table, "re_referral_rate", not_built)
    assert _measures(workspace) == first  # from the kept plan: nothing built
    with pytest.raises(AssertionError, match="were built"):
        _measures(workspace, window_days=180)  # another window: built anew
    monkeypatch.undo()
    shorter = _measures(workspace, window_days=180)
    assert {r.period_start for r in shorter if r.measure == "re_referral_rate"} != {
        r.period_start for r in first if r.measure == "re_referral_rate"
    }  # the period starts a window after the first referral
