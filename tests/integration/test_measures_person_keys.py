"""Measures that follow a child from a police notification into CSC use the person key."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from tests.lib.keys import TEST_KEY
from tests.lib.tables import write_table

from daeval.ingest.load import ingest_folder
from daeval.link.run import link_workspace
from daeval.metrics.measures_table import compute_measures
from daeval.model import MEASURES_COLUMNS
from daeval.privacy.disclosure_control import DisclosurePolicy
from daeval.warehouse import Workspace

PEOPLE = """
source | person_id | first_name | last_name | date_of_birth | sex | postcode
police | p1        | Amelia     | Quayle    | 2012-03-04    | F   | ZX1 1AA
police | p2        | Ezra       | Villiers  | 2013-05-06    | M   | ZX2 2BB
police | v1        | Jo         | Quayle    | 1990-01-01    | F   | ZX1 1AA
csc    | c1        | Amy        | Quail     | 2012-04-03    | F   | ZX9 9ZZ
csc    | c2        | Ezra       | Villiers  | 2013-05-06    | M   | ZX2 2BB
"""
NOTIFICATIONS = """
notification_id | notification_date | incident_type  | victim_id | risk_level
n1              | 2020-01-01        | domestic_abuse | v1        | high
n2              | 2020-01-01        | domestic_abuse | v1        | medium
"""
CHILDREN = """
notification_id | child_id
n1              | p1
n2              | p2
"""
REFERRALS = """
referral_id | child_id | la_code | referral_date
r1          | c1       | 990     | 2020-02-01
r2          | c2       | 990     | 2020-03-01
"""
LINKS = """
source_a | person_id_a | source_b | person_id_b
police   | p1          | csc      | c1
"""


def _within(ws: Workspace) -> dict[str, tuple[int, int]]:
    run = compute_measures(ws, as_of=date(2021, 6, 30), policy=DisclosurePolicy(enabled=False))
    return {
        r.group: (r.numerator, r.denominator)
        for r in run.rows
        if r.measure == "csc_referral_within_window" and r.group_by in ("all", "risk_level")
    }


def _workspace(tmp_path) -> Workspace:
    raw = tmp_path / "raw"
    for name, text in (
        ("people", PEOPLE), ("police_notifications", NOTIFICATIONS),
        ("notification_children", CHILDREN), ("csc_referrals", REFERRALS),
        ("person_links", LINKS),
    ):  # fmt: skip
        write_table(raw, name, text)
    ws = Workspace(tmp_path / "ws")
    ingest_folder(raw, ws, TEST_KEY)
    return ws


def test_the_warehouse_keeps_the_rows_of_the_last_run(tmp_path):
    ws = _workspace(tmp_path)
    columns = ", ".join(f'"{c}"' for c in MEASURES_COLUMNS)
    for _ in range(2):  # a second run replaces the first run's rows
        run = compute_measures(ws, as_of=date(2021, 6, 30))
        with ws.open().connect(read_only=True) as con:
            stored = con.execute(f"SELECT {columns} FROM measures").fetchall()
        assert sorted(stored, key=str) == sorted(
            (tuple(asdict(r).values()) for r in run.rows), key=str
        )
    assert any(r.suppressed for r in run.rows)  # their counts are missing: NULL in the table


def test_children_are_followed_by_trusted_links_and_then_by_linkage(tmp_path):
    ws = _workspace(tmp_path)

    # Before linkage only the trusted link p1 = c1 joins police to CSC.
    assert _within(ws) == {"all": (1, 2), "high": (1, 1), "medium": (0, 1)}

    # Linkage finds p2 = c2 (same name, date of birth, postcode); p1 = c1 stays (trusted).
    link_workspace(ws)
    assert _within(ws) == {"all": (2, 2), "high": (1, 1), "medium": (1, 1)}


def test_a_child_under_two_csc_ids_is_one_child_for_re_referral(tmp_path):
    raw = tmp_path / "raw"
    write_table(
        raw,
        "people",
        """
        source | person_id | first_name | last_name | date_of_birth | sex | postcode
        csc    | c1        | Ezra       | Villiers  | 2013-05-06    | M   | ZX2 2BB
        csc    | c9        | Ezra       | Villiers  | 2013-05-06    | M   | ZX2 2BB
        csc    | c2        | Amelia     | Quayle    | 2012-03-04    | F   | ZX1 1AA
        csc    | c3        | Jo         | Brand     | 2011-01-02    | F   | ZX3 3CC
        csc    | c4        | Sam        | Okafor    | 2014-07-08    | M   | ZX4 4DD
        """,
    )
    write_table(
        raw,
        "csc_referrals",
        """
        referral_id | child_id | la_code | referral_date
        r1          | c1       | 990     | 2020-02-01
        r2          | c9       | 990     | 2020-05-01
        """,
    )
    ws = Workspace(tmp_path / "ws")
    ingest_folder(raw, ws, TEST_KEY)

    def re_referrals() -> tuple[int, int]:
        run = compute_measures(ws, as_of=date(2020, 12, 31), policy=DisclosurePolicy(enabled=False))
        row = next(r for r in run.rows if r.measure == "re_referral_rate" and r.group_by == "all")
        return row.numerator, row.denominator

    assert re_referrals() == (0, 2)  # two ids, two children, before linkage
    link_workspace(ws)  # the duplicate record is found: one child
    assert re_referrals() == (1, 2)
