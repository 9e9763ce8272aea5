"""A workbook beyond the reader's limits, through the real command: refused, the others load."""

from __future__ import annotations

import re

from tests.lib.workbooks import write_workbook


def test_a_workbook_bomb_is_refused_with_its_limit_and_the_other_files_load(tmp_path, daeval):
    data = tmp_path / "data"
    data.mkdir()
    # A few hundred bytes claiming a row two thousand million rows down: openpyxl would fill the
    # gap with empty rows, and the reading would not end.
    header = '<row r="1"><c r="A1" t="inlineStr"><is><t>source</t></is></c></row>'
    write_workbook(data / "people.xlsx", [header, '<row r="2000000000"><c><v>1</v></c></row>'])
    (data / "costs.csv").write_text(
        "site_id,intervention_id,period_start,period_end,category,amount_gbp\n"
        "s1,i1,2020-01-01,2020-12-31,staff,1200\n"
    )
    result = daeval("ingest", data, "--workspace", tmp_path / "ws")
    assert result.returncode == 11, result.stderr
    assert (
        "people.xlsx: its part xl/worksheets/sheet1.xml has a row numbered beyond 1,048,576 "
        "(Excel's last row); split the workbook or save the sheet as CSV"
    ) in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr
    assert re.search(r"costs\.csv\s+│\s+costs\s+│\s+1\s+│\s+1\s+│\s+0", result.stdout)
