import duckdb
import pytest
from tests.lib.sql_values import evaluated

from daeval.privacy.minimise import (
    birth_month_sql,
    is_postcode_sql,
    postcode_sector,
    postcode_sector_sql,
    postcode_sql,
)

CASES = [
    ("FY1 2AB", "FY1 2"),
    ("fy12ab", "FY1 2"),
    ("SW1A 1AA", "SW1A 1"),
    ("M1 1AE", "M1 1"),
    ("  b33 8th ", "B33 8"),
    ("CR2 6XH", "CR2 6"),
    ("ec1a\t 1bb", "EC1A 1"),
    ("W1A0AX", "W1A 0"),
    ("FY1", None),
    ("not a postcode", None),
    ("", None),
]


@pytest.mark.parametrize("postcode, sector", CASES)
def test_postcode_sector(postcode, sector):
    assert postcode_sector(postcode) == sector


def test_the_sql_form_agrees_with_the_python_form():
    got = evaluated(postcode_sector_sql, [c for c, _ in CASES])
    assert got == [sector for _, sector in CASES]


FULL = [
    "FY1 2AB", "FY1 2AB", "SW1A 1AA", "M1 1AE", "B33 8TH", "CR2 6XH", "EC1A 1BB", "W1A 0AX",
    None, None, None,
]  # fmt: skip


def test_the_full_postcode_for_linkage_is_written_one_way():
    assert evaluated(postcode_sql, [c for c, _ in CASES]) == FULL
    assert evaluated(is_postcode_sql, [c for c, _ in CASES]) == [
        f is not None if c is not None else None
        for c, f in zip((c for c, _ in CASES), FULL, strict=True)
    ]
    # Its sector is the sector the warehouse keeps.
    assert [f and f[:-2] for f in FULL] == [sector for _, sector in CASES]


def test_birth_month_keeps_only_year_and_month():
    con = duckdb.connect()
    expression = birth_month_sql("DATE '2014-07-23'")
    got = con.execute(f"SELECT {expression}").fetchone()[0]
    assert got.isoformat() == "2014-07-01"
