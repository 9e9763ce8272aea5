"""`daeval ingest` on files that are broken in each format, or carry columns outside the
contract: no message and no warehouse table repeats what a row holds, and every dropped column
is named; and a replacement that would empty most of a table."""

from __future__ import annotations

import io
import zipfile

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from openpyxl import Workbook

PLANTED = "Zanzibar-Quixote"
"""A recognisable name planted in a broken part of every file."""

DICTIONARY = (
    '"Variable / Field Name","Form Name","Section Header","Field Type","Field Label",'
    '"Choices, Calculations, OR Slider Labels"\n'
    "record_id,phq,,text,Record ID,\n"
    'phq9_1,phq,,radio,Interest,"0, Not at all | 1, Several days"\n'
)
STUDY = """
data_sources:
  - records: records.csv
    dictionary: dictionary.csv
    redcap:
      source: "service:fbs"
      events: {baseline_arm_1: baseline}
      instruments:
        PHQ9: {prefix: phq9_, items: 1}
"""


def _xlsx_with_text_in_a_number_cell() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["plan_id", "child_id", "plan_type", "start_date"])
    sheet.append(["p1", "c1", "CP", 5])
    plain = io.BytesIO()
    workbook.save(plain)
    broken = io.BytesIO()
    with zipfile.ZipFile(plain) as zin, zipfile.ZipFile(broken, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<v>5</v>", f"<v>{PLANTED}</v>".encode())
            zout.writestr(item, data)
    return broken.getvalue()


def _parquet_cut_short() -> bytes:
    table = pa.table({"source": ["csc"], "person_id": [PLANTED], "postcode": [PLANTED]})
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    data = buffer.getvalue()
    return data[: len(data) // 2] + data[-8:]


def test_broken_files_of_every_format_are_refused_without_repeating_their_rows(daeval, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    # CSV: a line longer than DuckDB's maximum, whose error text quotes the line.
    (data / "people.csv").write_text(
        f"source,person_id,first_name\ncsc,c1,{PLANTED} {'x' * 2_100_000}\n", encoding="utf-8"
    )
    # CSV: a quote that swallows the rows after it.
    (data / "csc_referrals.csv").write_text(
        "referral_id,child_id,la_code,referral_date\n"
        f'r1,"{PLANTED},900,2020-01-05\nr2,c2,900,2020-01-06\nr3,c3,900,2020-01-07\n',
        encoding="utf-8",
    )
    (data / "addresses.parquet").write_bytes(_parquet_cut_short())
    (data / "plans.xlsx").write_bytes(_xlsx_with_text_in_a_number_cell())
    (data / "census.xml").write_text(
        f'<?xml version="1.0" encoding="{PLANTED}"?>\n<Message/>\n', encoding="utf-8"
    )
    (data / "dictionary.csv").write_text(DICTIONARY, encoding="utf-8")
    # REDCap: a row with a cell too many and an event not mapped (the answer's value is kept
    # in quarantine, as a value of a column that identifies no one).
    (data / "records.csv").write_text(
        "record_id,redcap_event_name,phq9_1\n"
        f"{PLANTED},{PLANTED},1,{PLANTED}\nr2,baseline_arm_1,7\n",
        encoding="utf-8",
    )
    # Columns outside the contract, in a file that loads.
    (data / "costs.csv").write_text(
        "site_id,intervention_id,period_start,period_end,category,amount_gbp,NHS Number,"
        "forename\nfbs,fbs,2020-01-01,2020-03-31,staff,100,9434765919,"
        f"{PLANTED}\n",
        encoding="utf-8",
    )
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "study.yaml").write_text(STUDY, encoding="utf-8")
    done = daeval("ingest", data, "--workspace", ws, env={"COLUMNS": "1000"})
    assert done.returncode == 11, done.stderr
    assert PLANTED not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    refused = {
        "people.csv": "cannot be read as a CSV table (line 2 is longer than DuckDB's maximum",
        "csc_referrals.csv": "row 1 (line 2 of the file) opens a quoted value",
        "addresses.parquet": "cannot be read as a Parquet table",
        "plans.xlsx": "the sheet cannot be read (a cell's value does not match the type",
        "census.xml": "line 1: the character encoding its XML declaration names is not",
    }
    for name, reason in refused.items():
        assert f"{name}: {reason}" in done.stdout
    assert (
        "dropped costs.csv: 2 column(s) not loaded (not in the data contract): nhs_number, "
        "forename\n" in done.stdout
    )
    assert "keep: it with the reason; identifiers are never kept in clear" in done.stdout
    con = duckdb.connect(str(ws / "warehouse.duckdb"), read_only=True)
    stored = con.sql("SELECT * FROM quarantine").fetchall()
    stored += con.sql("SELECT * FROM loads").fetchall()
    assert PLANTED not in str(stored)
    assert "9434765919" not in str(con.sql("SELECT * FROM costs").fetchall())
    assert con.sql(
        "SELECT file_name, rows_read, rows_quarantined FROM loads ORDER BY 1"
    ).fetchall() == [
        ("costs.csv", 1, 0),
        ("records.csv", 2, 2),
    ]


def test_a_replacement_losing_most_of_a_table_exits_16_until_replace_all(tmp_path, daeval):
    data, ws = tmp_path / "data", tmp_path / "ws"
    data.mkdir()
    (data / "people.csv").write_text("source,person_id\ncsc,c1\ncsc,c2\ncsc,c3\n")
    assert daeval("ingest", data, "--workspace", ws).returncode == 0
    (data / "people.csv").write_text("source,person_id,sex\ncsc,c1,F\ncsc,c2,X\ncsc,c3,X\n")
    result = daeval("ingest", data, "--workspace", ws)
    assert result.returncode == 16
    assert "people.csv: would take people from 3 rows to 1" in result.stderr
    assert "--replace-all" in result.stderr and "Traceback" not in result.stderr
    result = daeval("ingest", data, "--workspace", ws, "--replace-all")
    assert result.returncode == 0, result.stderr
