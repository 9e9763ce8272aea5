"""Workbooks written part by part with zipfile, for tests of the xlsx reader's limits.

A big part is streamed and highly compressible, so the file stays small on disk.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from pathlib import Path

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
SHEET = "xl/worksheets/sheet1.xml"
STRINGS = "xl/sharedStrings.xml"


def write_workbook(
    path: Path,
    rows: Iterable[str],
    strings: Iterable[str] | None = None,
    dimension: str | None = None,
) -> Path:
    """A workbook of one sheet whose ``sheetData`` holds ``rows`` (XML text, streamed), with a
    shared strings part of ``strings`` (each the XML of one ``si``) when given."""
    overrides = (
        f'<Override PartName="/{SHEET}" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.worksheet+xml"/>'
    )
    links = f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    if strings is not None:
        overrides += (
            f'<Override PartName="/{STRINGS}" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sharedStrings+xml"/>'
        )
        links += f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            f'<Types xmlns="{TYPES}"><Default Extension="rels" ContentType="application/vnd.'
            'openxmlformats-package.relationships+xml"/><Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.'
            f'main+xml"/>{overrides}</Types>',
        )
        z.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{PACKAGE_REL}"><Relationship Id="rId1" '
            f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets><sheet name="Sheet1" sheetId="1" '
            'r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{PACKAGE_REL}">{links}</Relationships>',
        )
        with z.open(SHEET, "w") as f:
            f.write(f'<worksheet xmlns="{MAIN}">'.encode())
            if dimension:
                f.write(f'<dimension ref="{dimension}"/>'.encode())
            f.write(b"<sheetData>")
            for row in rows:
                f.write(row.encode())
            f.write(b"</sheetData></worksheet>")
        if strings is not None:
            with z.open(STRINGS, "w") as f:
                f.write(f'<sst xmlns="{MAIN}">'.encode())
                for si in strings:
                    f.write(si.encode())
                f.write(b"</sst>")
    return path
