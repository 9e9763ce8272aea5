"""Forms of a name learned from the trusted links: two spellings count as one name only when at
least two trusted links show them for one person."""

from __future__ import annotations

import duckdb

from daeval.link.records import MIN_ALIAS_LINKS, _add_name_forms


def _con(records: list[tuple[str, str | None, str | None]], links: list[tuple[str, str]]):
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE records (record_id VARCHAR, source VARCHAR, person_id VARCHAR, "
        "first_name VARCHAR, last_name VARCHAR)"
    )
    con.executemany(
        "INSERT INTO records VALUES (?, split_part(?, ':', 1), split_part(?, ':', 2), ?, ?)",
        [(r, r, r, f, last) for r, f, last in records],
    )
    con.execute("CREATE TABLE trusted (record_id_l VARCHAR, record_id_r VARCHAR)")
    con.executemany("INSERT INTO trusted VALUES (?, ?)", links)
    return con


def _forms(con, record_id: str) -> tuple[list[str] | None, list[str] | None]:
    return con.execute(
        "SELECT first_name_forms, last_name_forms FROM records WHERE record_id = ?", [record_id]
    ).fetchone()


def test_spellings_seen_in_enough_trusted_links_become_forms_of_one_name() -> None:
    assert MIN_ALIAS_LINKS == 2
    records = [
        ("police:1", "THOMAS", "CLARKE"), ("csc:1", "TOM", "CLARK"),
        ("police:2", "THOMAS", "SMITH"), ("csc:2", "TOM", "SMITH"),
        ("police:3", "KIERAN", "JONES"), ("csc:3", "CIARAN", "JONES"),  # one link only
        ("police:4", "TOM", "HALL"),  # no link: still gets the forms of its name
        ("police:5", None, None),
    ]  # fmt: skip
    links = [("police:1", "csc:1"), ("csc:2", "police:2"), ("police:3", "csc:3")]
    con = _con(records, links)
    _add_name_forms(con)
    assert _forms(con, "police:1") == (["THOMAS", "TOM"], ["CLARKE"])
    assert _forms(con, "csc:1") == (["TOM", "THOMAS"], ["CLARK"])
    assert _forms(con, "police:4") == (["TOM", "THOMAS"], ["HALL"])
    assert _forms(con, "police:3") == (["KIERAN"], ["JONES"])
    assert _forms(con, "police:5") == (None, None)
    # The working table of forms does not outlive the call; every record is still there once.
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert tables == {"records", "trusted"}
    assert con.execute("SELECT count(*), count(DISTINCT record_id) FROM records").fetchone() == (
        8,
        8,
    )


def test_a_last_name_seen_two_ways_in_two_links_becomes_one_name() -> None:
    records = [
        ("police:1", "AMY", "CLARKE"), ("csc:1", "AMY", "CLARK"),
        ("police:2", "ZOE", "CLARK"), ("csc:2", "ZOE", "CLARKE"),
    ]  # fmt: skip
    con = _con(records, [("police:1", "csc:1"), ("police:2", "csc:2")])
    _add_name_forms(con)
    assert _forms(con, "police:1") == (["AMY"], ["CLARKE", "CLARK"])
    assert _forms(con, "police:2") == (["ZOE"], ["CLARK", "CLARKE"])
