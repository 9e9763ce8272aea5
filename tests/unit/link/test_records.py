"""The records linkage reads: every person, with the features a staging file of any version holds."""

from __future__ import annotations

from pathlib import Path

import duckdb

from daeval.link.records import stage_records

# Pseudonyms as the warehouse holds them (UUIDs), for person ids "a" and "b".
A = "00000000-0000-0000-0000-00000000000a"
B = "00000000-0000-0000-0000-00000000000b"


def _warehouse(path: Path) -> None:
    with duckdb.connect(str(path)) as wh:
        wh.execute("CREATE TABLE people (source VARCHAR, person_id UUID)")
        wh.execute(f"INSERT INTO people VALUES ('csc', '{A}'), ('police', '{B}')")
        wh.execute(
            "CREATE TABLE addresses (source VARCHAR, person_id UUID, postcode_sector VARCHAR)"
        )
        wh.execute(f"INSERT INTO addresses VALUES ('csc', '{A}', 'FY8 1')")
        wh.execute(
            "CREATE TABLE person_links (source_a VARCHAR, person_id_a UUID, "
            "source_b VARCHAR, person_id_b UUID)"
        )


def test_a_staging_file_from_an_earlier_version_still_links(tmp_path: Path) -> None:
    _warehouse(tmp_path / "wh.duckdb")
    (tmp_path / "st").mkdir()
    with duckdb.connect(str(tmp_path / "st" / "linkage.duckdb")) as st:
        # No full postcode and no address history: as an earlier ingest wrote it.
        st.execute(
            "CREATE TABLE linkage_features (source VARCHAR, person_id UUID, first_name VARCHAR, "
            "last_name VARCHAR, first_name_soundex VARCHAR, last_name_soundex VARCHAR, "
            "birth_year_month VARCHAR, birth_day INTEGER, sex VARCHAR, postcode_sector VARCHAR)"
        )
        st.execute(
            "INSERT INTO linkage_features VALUES "
            f"('csc', '{A}', 'AMY', 'SMITH', 'A500', 'S530', '2010-01', 1, 'F', 'FY1 2')"
        )
    con = duckdb.connect()
    counts = stage_records(con, tmp_path / "wh.duckdb", tmp_path / "st")
    assert [(c.source, c.records, c.with_features) for c in counts] == [
        ("csc", 1, 1),
        ("police", 1, 0),
    ]
    rows = con.execute(
        "SELECT record_id, postcode, postcodes, postcode_sectors, first_name_forms, "
        "first_name_soundex, last_name_soundex, birth_year_month, birth_day FROM records "
        "ORDER BY 1"
    ).fetchall()
    # The features it stored are compared as they were.
    assert rows == [
        (f"csc:{A}", None, [], ["FY1 2", "FY8 1"], ["AMY"], "A500", "S530", "2010-01", 1),
        (f"police:{B}", None, [], [], None, None, None, None, None),
    ]


def test_full_postcodes_join_the_current_one_and_the_history(tmp_path: Path) -> None:
    _warehouse(tmp_path / "wh.duckdb")
    (tmp_path / "st").mkdir()
    from daeval.ingest.linkage_features import ADDRESSES_DDL, FEATURES_DDL

    with duckdb.connect(str(tmp_path / "st" / "linkage.duckdb")) as st:
        st.execute(FEATURES_DDL)
        st.execute(ADDRESSES_DDL)
        st.execute(
            f"INSERT INTO linkage_features VALUES ('csc', '{A}', 'AMY', 'SMITH', "
            "DATE '2010-01-01', 'F', 'FY1 2AB')"
        )
        st.execute(
            f"INSERT INTO linkage_addresses VALUES ('csc', '{A}', 'FY8 1XY'), ('csc', '{A}', 'FY1 2AB')"
        )
    con = duckdb.connect()
    stage_records(con, tmp_path / "wh.duckdb", tmp_path / "st")
    assert con.execute(
        "SELECT postcode, postcodes, postcode_sectors, first_name_soundex, last_name_soundex, "
        f"birth_year_month, birth_day FROM records WHERE record_id = 'csc:{A}'"
    ).fetchone() == (
        "FY1 2AB",
        ["FY1 2AB", "FY8 1XY"],
        ["FY1 2", "FY8 1"],
        "A500",
        "S530",
        "2010-01",
        1,
    )


def test_records_carry_the_days_of_police_notifications_and_police_referrals(
    tmp_path: Path,
) -> None:
    from daeval.link.records import REFERRAL_WITHIN_DAYS

    _warehouse(tmp_path / "wh.duckdb")
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as wh:
        wh.execute(
            "CREATE TABLE police_notifications (notification_id UUID, notification_date DATE)"
        )
        wh.execute("CREATE TABLE notification_children (notification_id UUID, child_id UUID)")
        wh.execute(
            "CREATE TABLE csc_referrals (referral_id UUID, child_id UUID, la_code VARCHAR, "
            "referral_date DATE, referral_source VARCHAR)"
        )
        n1, n2 = "00000000-0000-0000-0000-0000000000e1", "00000000-0000-0000-0000-0000000000e2"
        wh.execute(
            "INSERT INTO police_notifications VALUES (?, DATE '1970-01-11'), "
            "(?, DATE '1970-01-02'), (gen_random_uuid(), NULL)",
            [n1, n2],
        )
        wh.execute(f"INSERT INTO notification_children VALUES (?, '{B}'), (?, '{B}')", [n1, n2])
        # Police (6) on day 30 and a school (2A) on day 40: only the police referral counts.
        wh.execute(
            f"INSERT INTO csc_referrals VALUES (gen_random_uuid(), '{A}', '990', DATE '1970-01-31', "
            f"'6'), (gen_random_uuid(), '{A}', '990', DATE '1970-02-10', '2A')"
        )
    con = duckdb.connect()
    stage_records(con, tmp_path / "wh.duckdb", tmp_path / "no-staging")
    rows = dict(
        (r[0], r[1:])
        for r in con.execute(
            "SELECT record_id, notified_days, referred_windows, event_days FROM records"
        ).fetchall()
    )
    window = list(range(30 - REFERRAL_WITHIN_DAYS, 31))
    assert rows == {
        f"csc:{A}": (None, window, window),
        f"police:{B}": ([1, 10], None, [1, 10]),
    }


def _uuid(n: int) -> str:
    return f"00000000-0000-0000-0000-{n:012d}"


def test_records_carry_the_first_names_of_brothers_and_sisters(tmp_path: Path) -> None:
    """Police: the other children of a child's notifications. CSC: the other children referred on
    the same day, in the same local authority, under the same last name, in the same postcode
    sector (or with none)."""
    from daeval.ingest.linkage_features import FEATURES_DDL

    police = {1: ("AMY", "SMITH"), 2: ("BEN", "SMITH"), 3: ("CARA", "JONES"), 4: ("DAN", "SMITH")}
    csc = {  # id: (first, last, postcode, LA, referral day)
        11: ("AMY", "SMITH", "FY1 2AB", "990", 5),
        12: ("BEN", "SMITH", "FY1 2XY", "990", 5),  # the same sector, FY1 2
        13: ("EVE", "SMITH", None, "990", 5),  # no postcode: a household of any sector
        14: ("FAY", "JONES", "FY1 2AB", "990", 5),  # another last name
        15: ("GUS", "SMITH", "FY1 2AB", "991", 5),  # another local authority
        16: ("HAL", "SMITH", "FY1 2AB", "990", 6),  # another day
        17: ("IAN", "SMITH", "FY9 9ZZ", "990", 5),  # another sector
    }
    _warehouse(tmp_path / "wh.duckdb")
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as wh:
        wh.execute("DELETE FROM people")
        wh.executemany(
            "INSERT INTO people VALUES (?, ?)",
            [("police", _uuid(i)) for i in police] + [("csc", _uuid(i)) for i in csc],
        )
        wh.execute("CREATE TABLE notification_children (notification_id UUID, child_id UUID)")
        # Notification 101: Amy and Ben; 102: Amy and Cara; Dan alone in 103.
        wh.executemany(
            "INSERT INTO notification_children VALUES (?, ?)",
            [(_uuid(n), _uuid(c)) for n, c in ((101, 1), (101, 2), (102, 1), (102, 3), (103, 4))],
        )
        wh.execute(
            "CREATE TABLE csc_referrals (referral_id UUID, child_id UUID, la_code VARCHAR, "
            "referral_date DATE, referral_source VARCHAR)"
        )
        wh.executemany(
            "INSERT INTO csc_referrals VALUES (gen_random_uuid(), ?, ?, DATE '2020-01-01' + ?, '2A')",
            [(_uuid(i), la, day) for i, (_, _, _, la, day) in csc.items()],
        )
    (tmp_path / "st").mkdir()
    with duckdb.connect(str(tmp_path / "st" / "linkage.duckdb")) as st:
        st.execute(FEATURES_DDL)
        rows = [("police", _uuid(i), f, la, None) for i, (f, la) in police.items()]
        rows += [("csc", _uuid(i), f, la, pc) for i, (f, la, pc, _, _) in csc.items()]
        st.executemany(
            "INSERT INTO linkage_features VALUES (?, ?, ?, ?, DATE '2010-01-01', 'U', ?)", rows
        )
    con = duckdb.connect()
    stage_records(con, tmp_path / "wh.duckdb", tmp_path / "st")
    found = {
        (source, first): siblings
        for source, first, siblings in con.execute(
            "SELECT source, first_name, sibling_names FROM records"
        ).fetchall()
    }
    assert found == {
        ("police", "AMY"): ["BEN", "CARA"],
        ("police", "BEN"): ["AMY"],
        ("police", "CARA"): ["AMY"],
        ("police", "DAN"): None,
        # Amy and Ben are one household; Eve, with no postcode, may be of theirs or of Ian's.
        ("csc", "AMY"): ["BEN", "EVE"],
        ("csc", "BEN"): ["AMY", "EVE"],
        ("csc", "EVE"): ["AMY", "BEN", "IAN"],
        ("csc", "FAY"): None,
        ("csc", "GUS"): None,
        ("csc", "HAL"): None,
        ("csc", "IAN"): ["EVE"],
    }


def test_a_warehouse_of_csc_referrals_alone_gives_their_events_and_households(
    tmp_path: Path,
) -> None:
    from daeval.ingest.linkage_features import FEATURES_DDL

    _warehouse(tmp_path / "wh.duckdb")
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as wh:
        wh.execute("UPDATE people SET source = 'csc'")
        wh.execute(
            "CREATE TABLE csc_referrals (referral_id UUID, child_id UUID, la_code VARCHAR, "
            "referral_date DATE, referral_source VARCHAR)"
        )
        wh.execute(
            "INSERT INTO csc_referrals SELECT gen_random_uuid(), c, '990', DATE '1970-01-09', '6' "
            f"FROM (VALUES ('{A}'::UUID), ('{B}'::UUID)) AS t(c)"
        )
    (tmp_path / "st").mkdir()
    with duckdb.connect(str(tmp_path / "st" / "linkage.duckdb")) as st:
        st.execute(FEATURES_DDL)
        st.execute(
            f"INSERT INTO linkage_features VALUES ('csc', '{A}', 'AMY', 'SMITH', NULL, 'F', NULL), "
            f"('csc', '{B}', 'BEN', 'SMITH', NULL, 'M', NULL)"
        )
    con = duckdb.connect()
    stage_records(con, tmp_path / "wh.duckdb", tmp_path / "st")
    rows = con.execute(
        "SELECT first_name, notified_days, len(referred_windows), sibling_names FROM records "
        "ORDER BY 1"
    ).fetchall()
    assert rows == [("AMY", None, 8, ["BEN"]), ("BEN", None, 8, ["AMY"])]
