"""The person records linkage works on: every person of the warehouse with the linkage features the
ingest left in the staging area, and the links the data owners already trust.

A record is named ``source:person_id`` (``person_id`` is the pseudonym). Besides the features it
carries every postcode sector the person is known at (the ``addresses`` history and the current
postcode), so that someone who moved still shares a sector with their older records, and the days
of the events that tie a police record to a CSC one: the police notifications a child was in
(``notified_days``), and the days from which a police referral of a CSC child could have followed
a notification (``referred_windows``: the referral's day and the ``REFERRAL_WITHIN_DAYS`` before
it). ``event_days`` is whichever of the two the record has, for blocking. ``sibling_names`` are the
first names of the child's brothers and sisters as the source shows them (see ``_siblings_sql``).
A record whose features are gone (an earlier linkage deleted them) or were never there still takes
part, as a record with no features: it can join a person only through a trusted link.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from daeval.ingest.linkage_features import STAGING_FILE, compared_features_sql
from daeval.ingest.rules import literal
from daeval.model.codes import REFERRAL_SOURCE
from daeval.model.tables import CSC_PERSON, POLICE_PERSON

REFERRAL_WITHIN_DAYS = 7
"""Days after a police notification within which a police referral of the same child to children's
social care is taken to follow from it. Forces share notifications with the local authority's
front door within a day or so of the incident (the synthetic referrals follow within 0 to 5 days);
a week allows for weekends and a slow inbox."""
POLICE_REFERRAL = next(code for code, label in REFERRAL_SOURCE.codes.items() if label == "Police")
"""The CIN census referral source of a referral made by the police ("6")."""

FEATURES = (
    "first_name",
    "last_name",
    "first_name_soundex",
    "last_name_soundex",
    "birth_year_month",
    "birth_day",
    "sex",
    "postcode_sector",
    "postcode",
)
USABLE = ("first_name", "last_name", "birth_year_month")
"""A record can be matched by the model only with at least one of these."""


MIN_ALIAS_LINKS = 2
"""Trusted links that must show two spellings of a name for one person before the spellings count
as one name (one link alone may show a keying error)."""


def _add_name_forms(con: duckdb.DuckDBPyConnection) -> None:
    """Add ``first_name_forms`` and ``last_name_forms``: the name and the other forms it takes.

    The other forms are learned from the trusted links: when the records of one person show two
    spellings of a name (Thomas and Tom, Kieran and Ciaran, Clarke and Clark) in at least
    ``MIN_ALIAS_LINKS`` links, each spelling is a form of the other. The table of forms stays in
    the linkage's own connection with the names and goes with it.
    """
    parts = [
        f"SELECT '{part}' AS part, a.{part}_name AS x, b.{part}_name AS y FROM trusted AS t "
        "JOIN records AS a ON a.record_id = t.record_id_l "
        f"JOIN records AS b ON b.record_id = t.record_id_r WHERE a.{part}_name <> b.{part}_name"
        for part in ("first", "last")
    ]
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE name_forms AS WITH pairs AS ({' UNION ALL '.join(parts)}), "
        "both_ways AS (SELECT part, x, y FROM pairs UNION ALL SELECT part, y, x FROM pairs), "
        "seen AS (SELECT part, x, y FROM both_ways GROUP BY ALL "
        f"HAVING count(*) >= {MIN_ALIAS_LINKS}) "
        "SELECT part, x AS name, list_sort(list(y)) AS forms FROM seen GROUP BY ALL"
    )
    forms = ", ".join(
        f"CASE WHEN r.{part}_name IS NOT NULL THEN "
        f"list_prepend(r.{part}_name, coalesce({part[0]}.forms, [])) END AS {part}_name_forms"
        for part in ("first", "last")
    )
    joins = " ".join(
        f"LEFT JOIN name_forms AS {part[0]} ON {part[0]}.part = '{part}' "
        f"AND {part[0]}.name = r.{part}_name"
        for part in ("first", "last")
    )
    con.execute(
        f"CREATE OR REPLACE TABLE records AS SELECT r.*, {forms} FROM records AS r {joins} "
        "ORDER BY r.source, r.person_id"
    )
    con.execute("DROP TABLE name_forms")


def _events_sql(tables: set[str]) -> str:
    """Query of (source, person_id, notified_days, referred_windows) for the people with police
    notifications or police referrals to CSC in the warehouse ``wh`` (``tables``: its tables)."""
    day = "CAST({0} - DATE '1970-01-01' AS INTEGER)"
    parts = []
    if {"notification_children", "police_notifications"} <= tables:
        parts.append(
            f"SELECT {literal(POLICE_PERSON.literal or '')} AS source, c.child_id AS person_id, "
            f"list_sort(list(DISTINCT {day.format('n.notification_date')})) AS notified_days, "
            "NULL::INTEGER[] AS referred_windows FROM wh.notification_children AS c "
            "JOIN wh.police_notifications AS n USING (notification_id) "
            "WHERE n.notification_date IS NOT NULL GROUP BY ALL"
        )
    if "csc_referrals" in tables:
        parts.append(
            f"SELECT {literal(CSC_PERSON.literal or '')} AS source, child_id AS person_id, "
            "NULL::INTEGER[] AS notified_days, "
            f"list_sort(list(DISTINCT CAST({day.format('referral_date')} - k AS INTEGER))) "
            "AS referred_windows "
            "FROM wh.csc_referrals "
            f"CROSS JOIN range(0, {REFERRAL_WITHIN_DAYS + 1}) AS t(k) "
            f"WHERE referral_source = {literal(POLICE_REFERRAL)} AND referral_date IS NOT NULL "
            "GROUP BY ALL"
        )
    if not parts:
        return (
            "SELECT NULL::VARCHAR AS source, NULL::UUID AS person_id, "
            "NULL::INTEGER[] AS notified_days, NULL::INTEGER[] AS referred_windows WHERE false"
        )
    return " UNION ALL ".join(parts)


def _siblings_sql(tables: set[str]) -> str:
    """Query of (source, person_id, sibling_names): the first names of a child's brothers and
    sisters as each source shows them, from the linkage features (``features``). In police
    records, the other children of the child's notifications. In CSC records, the other children
    referred on the same day by the same local authority under the same last name, in the same
    postcode sector or with none recorded (a household's children are referred together)."""
    police, csc = literal(POLICE_PERSON.literal or ""), literal(CSC_PERSON.literal or "")
    parts = []
    if "notification_children" in tables:
        parts.append(
            f"SELECT {police} AS source, a.child_id AS person_id, "
            "list_sort(list(DISTINCT fb.first_name)) AS sibling_names "
            "FROM wh.notification_children AS a JOIN wh.notification_children AS b "
            "ON b.notification_id = a.notification_id AND b.child_id <> a.child_id "
            f"JOIN features AS fb ON fb.source = {police} AND fb.person_id = b.child_id "
            "WHERE fb.first_name IS NOT NULL GROUP BY ALL"
        )
    if "csc_referrals" in tables:
        parts.append(
            "(WITH referred AS (SELECT DISTINCT f.person_id, r.la_code, r.referral_date, "
            "f.first_name, f.last_name, f.postcode_sector FROM wh.csc_referrals AS r "
            f"JOIN features AS f ON f.source = {csc} AND f.person_id = r.child_id "
            "WHERE f.first_name IS NOT NULL AND f.last_name IS NOT NULL) "
            f"SELECT {csc} AS source, a.person_id, "
            "list_sort(list(DISTINCT b.first_name)) AS sibling_names "
            "FROM referred AS a JOIN referred AS b ON b.la_code = a.la_code "
            "AND b.referral_date = a.referral_date AND b.last_name = a.last_name "
            "AND coalesce(b.postcode_sector = a.postcode_sector, true) "
            "AND b.person_id <> a.person_id GROUP BY ALL)"
        )
    if not parts:
        return (
            "SELECT NULL::VARCHAR AS source, NULL::UUID AS person_id, "
            "NULL::VARCHAR[] AS sibling_names WHERE false"
        )
    return " UNION ALL ".join(parts)


def _tables(con: duckdb.DuckDBPyConnection, database: str) -> set[str]:
    """The names of the tables of an attached database."""
    query = "SELECT table_name FROM duckdb_tables() WHERE database_name = ?"
    return {r[0] for r in con.execute(query, [database]).fetchall()}


def record_id_sql(source: str, person_id: str) -> str:
    return f"({source} || ':' || {person_id})"


@dataclass(frozen=True)
class SourceRecords:
    source: str
    records: int
    with_features: int


def stage_records(
    con: duckdb.DuckDBPyConnection,
    warehouse: Path,
    staging: Path,
    sources: list[str] | None = None,
) -> list[SourceRecords]:
    """Create ``records`` (people with features) and ``trusted`` (trusted links) on ``con``."""
    con.execute(f"ATTACH {literal(str(warehouse))} AS wh (READ_ONLY)")
    features = staging / STAGING_FILE
    postcodes = (
        "(SELECT NULL::VARCHAR AS source, NULL::VARCHAR AS person_id, "
        "NULL::VARCHAR AS postcode WHERE false)"
    )
    staged = (
        "(SELECT NULL::VARCHAR AS source, NULL::VARCHAR AS person_id, NULL::VARCHAR AS first_name, "
        "NULL::VARCHAR AS last_name, NULL::DATE AS date_of_birth, NULL::VARCHAR AS sex, "
        "NULL::VARCHAR AS postcode WHERE false)"
    )
    if features.exists():
        con.execute(f"ATTACH {literal(str(features))} AS st (READ_ONLY)")
        staged = "st.linkage_features"
        if "linkage_addresses" in _tables(con, "st"):
            postcodes = "st.linkage_addresses"
    in_warehouse = _tables(con, "wh")
    only = ""
    if sources:
        only = f"WHERE p.source IN ({', '.join(literal(s) for s in sources)})"
    present = {r[0] for r in con.execute(f"SELECT * FROM {staged} LIMIT 0").description}
    selected = ", ".join(f"f.{c}" for c in FEATURES)
    con.execute(
        f"CREATE OR REPLACE TABLE records AS WITH history AS (SELECT source, person_id, "
        "list_sort(list(DISTINCT postcode_sector)) AS sectors FROM wh.addresses "
        "WHERE postcode_sector IS NOT NULL GROUP BY ALL), "
        "known AS (SELECT source, person_id, list(DISTINCT postcode) AS postcodes "
        f"FROM {postcodes} GROUP BY ALL), "
        f"features AS ({compared_features_sql(staged, present)}), "
        f"events AS ({_events_sql(in_warehouse)}), "
        f"siblings AS ({_siblings_sql(in_warehouse)}) "
        f"SELECT DISTINCT ON (p.source, p.person_id) "
        f"{record_id_sql('p.source', 'p.person_id')} AS record_id, p.source, p.person_id, "
        f"{selected}, f.first_name || ' ' || f.last_name AS full_name, "
        # Every sector the person is known at: the address history and the current postcode.
        "list_sort(list_distinct(list_concat(coalesce(h.sectors, []), "
        "CASE WHEN f.postcode_sector IS NULL THEN [] ELSE [f.postcode_sector] END))) "
        "AS postcode_sectors, "
        # Every full postcode, likewise (kept only here, for linkage).
        "list_sort(list_distinct(list_concat(coalesce(k.postcodes, []), "
        "CASE WHEN f.postcode IS NULL THEN [] ELSE [f.postcode] END))) AS postcodes, "
        "e.notified_days, e.referred_windows, "
        "coalesce(e.notified_days, e.referred_windows) AS event_days, s.sibling_names "
        "FROM wh.people AS p LEFT JOIN features AS f "
        "ON f.source = p.source AND f.person_id = p.person_id "
        "LEFT JOIN history AS h ON h.source = p.source AND h.person_id = p.person_id "
        "LEFT JOIN known AS k ON k.source = p.source AND k.person_id = p.person_id "
        "LEFT JOIN events AS e ON e.source = p.source AND e.person_id = p.person_id "
        f"LEFT JOIN siblings AS s ON s.source = p.source AND s.person_id = p.person_id {only} "
        "ORDER BY p.source, p.person_id"
    )
    con.execute(
        "CREATE OR REPLACE TABLE trusted AS SELECT DISTINCT "
        f"{record_id_sql('source_a', 'person_id_a')} AS record_id_l, "
        f"{record_id_sql('source_b', 'person_id_b')} AS record_id_r FROM wh.person_links "
        "WHERE (source_a, person_id_a) != (source_b, person_id_b) AND "
        f"{record_id_sql('source_a', 'person_id_a')} IN (SELECT record_id FROM records) AND "
        f"{record_id_sql('source_b', 'person_id_b')} IN (SELECT record_id FROM records)"
    )
    _add_name_forms(con)
    usable = " OR ".join(f"{c} IS NOT NULL" for c in USABLE)
    rows = con.execute(
        f"SELECT source, count(*), count(*) FILTER (WHERE {usable}) FROM records "
        "GROUP BY source ORDER BY source"
    ).fetchall()
    con.execute("DETACH wh")
    if features.exists():
        con.execute("DETACH st")
    return [SourceRecords(s, n, u) for s, n, u in rows]
