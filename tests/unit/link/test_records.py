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
            "CREATE TABLE csc_referrals (referral_id UUID, child_id UUID, referral_date DATE, "
            "referral_source VARCHAR)"
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
            f"INSERT INTO csc_referrals VALUES (gen_random_uuid(), '{A}', DATE '1970-01-31', '6'), "
            f"(gen_random_uuid(), '{A}', DATE '1970-02-10', '2A')"
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
