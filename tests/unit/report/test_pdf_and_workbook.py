"""Report tables, the PDF drawn from the report HTML, and the Excel workbook of the tables."""

from __future__ import annotations

import os
import time
import zipfile
from datetime import datetime
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from openpyxl import load_workbook
from PIL import Image
from tests.lib.pdf_pages import page_images, page_texts

from daeval.report.pdf import ExternalResourceError, write_pdf
from daeval.report.tables import SUPPRESSED, Table
from daeval.report.workbook import sheet_names, write_workbook

RECT_COLOUR = (214, 40, 40)  # #d62828

SMALL_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Test report</title>
<style>
  @page { size: A4; margin: 20mm; }
  body { font-family: "DejaVu Sans", sans-serif; color: #111; }
  table { border-collapse: collapse; }
  td, th { border: 1px solid #333; padding: 2px 6px; }
</style></head>
<body>
<h1>Re-referral rate</h1>
<table>
  <thead><tr><th>Site</th><th>Referrals</th></tr></thead>
  <tbody><tr><td>Northfield</td><td>4321</td></tr></tbody>
</table>
<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100" viewBox="0 0 200 100">
  <rect x="0" y="0" width="200" height="100" fill="#d62828"/>
</svg>
</body></html>
"""


def long_table_html(rows: int) -> str:
    body = "\n".join(f"<tr><td>row {i}</td><td>{i * 7}</td></tr>" for i in range(rows))
    return f"""<!doctype html><html><head><meta charset="utf-8"><style>
@page {{ size: A4; margin: 15mm; }}
body {{ font-family: "DejaVu Sans", sans-serif; }}
</style></head><body><h1>Long table</h1>
<table><thead><tr><th>Label heading</th><th>Value heading</th></tr></thead>
<tbody>{body}</tbody></table></body></html>"""


def count_pixels(image: Image.Image, colour: tuple[int, int, int], tolerance: int = 6) -> int:
    """How many pixels of ``image`` are within ``tolerance`` of ``colour`` in each channel."""
    pixels = np.asarray(image.convert("RGB"), dtype=np.int16)
    return int((np.abs(pixels - np.array(colour)) <= tolerance).all(axis=-1).sum())


def pdf_info(path: Path) -> dict[str, str]:
    document = pdfium.PdfDocument(str(path))
    try:
        return document.get_metadata_dict(skip_empty=True)
    finally:
        document.close()


def with_image(src: str) -> str:
    return SMALL_HTML.replace("</body>", f'<img src="{src}" alt="x"></body>')


# Tables


def test_table_rejects_a_row_of_the_wrong_length_naming_its_key():
    with pytest.raises(ValueError, match=r"'re_referral'.*row 1 has 1 cells.*2 columns"):
        Table("re_referral", "Re-referrals", ("site", "n"), (("a", 1), ("b",)))


def test_table_rejects_percent_columns_it_does_not_have():
    with pytest.raises(ValueError, match="'t'.*share"):
        Table("t", "T", ("n",), ((1,),), percent_columns=("share",))


# PDF


def test_pdf_of_small_html_is_an_a4_page_with_text_table_and_chart(tmp_path: Path):
    pdf = write_pdf(SMALL_HTML, tmp_path / "report.pdf")
    images = page_images(pdf)
    assert len(images) == 1
    width, height = images[0].size
    assert abs(width - 595) <= 1 and abs(height - 842) <= 1
    dark = count_pixels(images[0], (0, 0, 0), tolerance=60)
    assert dark > 100, "no text or lines were drawn"
    red = count_pixels(images[0], RECT_COLOUR)
    assert red > 150 * 75 * 0.9, f"the SVG rectangle is missing ({red} red pixels)"
    (text,) = page_texts(pdf)
    assert "Re-referral rate" in text
    assert "Northfield" in text and "4321" in text


@pytest.mark.slow
def test_pdf_is_byte_for_byte_the_same_for_the_same_html(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    one = write_pdf(SMALL_HTML, tmp_path / "one.pdf").read_bytes()
    assert "SOURCE_DATE_EPOCH" not in os.environ
    time.sleep(1.1)  # fontTools would stamp embedded fonts with the clock, to the second
    two = write_pdf(SMALL_HTML, tmp_path / "two.pdf").read_bytes()
    assert one == two
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "5")
    assert write_pdf(SMALL_HTML, tmp_path / "three.pdf").read_bytes() == one
    assert os.environ["SOURCE_DATE_EPOCH"] == "5"
    info = pdf_info(tmp_path / "one.pdf")
    assert "CreationDate" not in info and "ModDate" not in info
    assert info["Producer"].startswith("WeasyPrint")
    other = write_pdf(SMALL_HTML.replace("4321", "4322"), tmp_path / "other.pdf").read_bytes()
    assert other != one


def test_pdf_dates_come_from_the_html_meta(tmp_path: Path):
    html = SMALL_HTML.replace(
        "<title>",
        '<meta name="dcterms.created" content="2024-05-01T09:30:00Z">'
        '<meta name="dcterms.modified" content="2024-05-02">'
        "<title>",
    )
    one = write_pdf(html, tmp_path / "one.pdf")
    info = pdf_info(one)
    assert info["CreationDate"] == "D:20240501093000Z"
    assert info["ModDate"].startswith("D:20240502")
    assert write_pdf(html, tmp_path / "two.pdf").read_bytes() == one.read_bytes()


@pytest.mark.parametrize(
    "src", ["http://example.invalid/x.png", "file:///etc/passwd", "https://example.invalid/a.svg"]
)
def test_pdf_refuses_to_fetch_an_image_and_writes_nothing(tmp_path: Path, src: str):
    target = tmp_path / "report.pdf"
    with pytest.raises(ExternalResourceError, match=f"refers to '{src}'") as raised:
        write_pdf(with_image(src), target)
    assert raised.value.url == src
    assert not target.exists()


def test_pdf_refuses_a_relative_image_and_reads_no_file(tmp_path: Path, monkeypatch):
    Image.new("RGB", (20, 20), RECT_COLOUR).save(tmp_path / "x.png")
    monkeypatch.chdir(tmp_path)
    html = with_image("x.png").replace("<svg", "<!--").replace("</svg>", "-->")
    with pytest.raises(ExternalResourceError, match="refers to 'x.png'"):
        write_pdf(html, tmp_path / "report.pdf")
    assert not (tmp_path / "report.pdf").exists()


def test_pdf_keeps_links_which_fetch_nothing(tmp_path: Path):
    html = SMALL_HTML.replace(
        "<h1>Re-referral rate</h1>",
        '<h1 id="top">Re-referral rate</h1><p><a href="#top">Top</a> '
        '<a href="other.html">Other</a> <a href="https://example.invalid/">Site</a></p>',
    )
    (text,) = page_texts(write_pdf(html, tmp_path / "report.pdf"))
    assert "Top Other Site" in text


@pytest.mark.parametrize(
    "html",
    [
        SMALL_HTML.replace("</style>", "</style><link rel=stylesheet href='file:///etc/passwd'>"),
        SMALL_HTML.replace("<style>", "<style>@import url('http://example.invalid/a.css');"),
        SMALL_HTML.replace("<h1>", "<h1 style=\"background: url('file:///etc/hostname')\">"),
        SMALL_HTML.replace("<h1>", "<h1 style=\"background: url('hostname.png')\">"),
        SMALL_HTML.replace(
            "<style>", "<style>@font-face { font-family: X; src: url('file:///x.ttf'); }"
        ),
    ],
    ids=["link", "import", "background", "relative-background", "font-face"],
)
def test_pdf_refuses_stylesheets_and_backgrounds_from_outside(tmp_path: Path, html: str):
    with pytest.raises(ExternalResourceError, match="self-contained") as raised:
        write_pdf(html, tmp_path / "report.pdf")
    assert raised.value.url in html


def test_pdf_draws_a_data_url_image_which_holds_its_own_bytes(tmp_path: Path):
    # a 1x1 green PNG, drawn 50 pixels square
    png = (
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4"
        "nGNg+M8AAAICAQB7CYF4AAAAAElFTkSuQmCC"
    )
    html = SMALL_HTML.replace("</body>", f'<img src="{png}" style="width:50px;height:50px">')
    (image,) = page_images(write_pdf(html, tmp_path / "report.pdf"))
    assert count_pixels(image, (0, 255, 0), tolerance=60) > 30 * 30


def test_long_table_spans_pages_and_repeats_its_header(tmp_path: Path):
    pdf = write_pdf(long_table_html(150), tmp_path / "long.pdf")
    texts = page_texts(pdf)
    assert len(texts) > 1
    assert len(page_images(pdf, scale=0.5)) == len(texts)
    assert "row 0" in texts[0] and "row 149" in texts[-1]
    for text in texts[1:]:
        assert "Label heading" in text and "Value heading" in text
    assert "Long table" not in texts[1]


# Workbook

TABLES = (
    Table(
        key="re_referral",
        title="Re-referral within 12 months",
        columns=("site", "referrals", "share", "comment"),
        rows=(
            ("Northfield", 120, 0.25, "=1+1"),
            ("Southgate", 8, SUPPRESSED, None),
            ("Eastbrook", 45, 0.1333, "+SUM(A1:A2)"),
            ("Westcombe", 60, 0.5, "-2"),
            ("Total", 233, 0.3, "@cmd"),
        ),
        note="Counts under 10 are suppressed; others are rounded to 5.",
        percent_columns=("share",),
    ),
    Table(
        key="outcomes: SDQ [total]/by site?",
        title="SDQ total difficulties",
        columns=("instrument", "mean"),
        rows=(("SDQ", 14.25),),
    ),
    Table(key="About", title="A table keyed like the first sheet", columns=("x",), rows=((1,),)),
)

FRONT = (("daeval version", "0.1.0"), ("Study file SHA-256", "ab12cd"), ("Options", "=rounding 5"))


def test_workbook_sheets_titles_headers_and_typed_cells(tmp_path: Path):
    path = write_workbook(TABLES, tmp_path / "tables.xlsx", front=FRONT)
    book = load_workbook(path)
    assert book.sheetnames == ["About", "re_referral", "outcomes_ SDQ _total__by site_", "About_2"]
    sheet = book["re_referral"]
    assert sheet["A1"].value == "Re-referral within 12 months" and sheet["A1"].font.b
    assert sheet["A2"].value == "Counts under 10 are suppressed; others are rounded to 5."
    assert [c.value for c in sheet[4]] == ["site", "referrals", "share", "comment"]
    assert all(c.font.b for c in sheet[4])
    assert sheet.freeze_panes == "A5"
    assert [c.value for c in sheet[5]] == ["Northfield", 120, 0.25, "=1+1"]
    assert sheet["B5"].data_type == "n" and isinstance(sheet["B5"].value, int)
    assert sheet["C5"].data_type == "n" and sheet["C5"].number_format == "0.0%"
    assert sheet["B5"].number_format == "General"
    assert sheet["C6"].value == "suppressed" and sheet["C6"].data_type == "s"
    assert sheet["D6"].value is None
    for ref, text in (("D5", "=1+1"), ("D7", "+SUM(A1:A2)"), ("D8", "-2"), ("D9", "@cmd")):
        assert sheet[ref].value == text and sheet[ref].data_type == "s", ref
        assert sheet[ref].quotePrefix, ref
    assert sheet.max_row == 9
    widths = {k: d.width for k, d in sheet.column_dimensions.items()}
    assert widths["A"] == 12 and widths["D"] == 13  # "Northfield" + 2; "+SUM(A1:A2)" + 2
    other = book["outcomes_ SDQ _total__by site_"]
    assert other["A1"].value == "SDQ total difficulties" and other["A2"].value is None
    assert other["B5"].value == 14.25 and other["B5"].data_type == "n"


def test_workbook_formulas_are_never_written_as_formulas(tmp_path: Path):
    path = write_workbook(TABLES, tmp_path / "tables.xlsx", front=FRONT)
    with zipfile.ZipFile(path) as archive:
        xml = b"".join(archive.read(n) for n in archive.namelist() if n.endswith(".xml"))
    assert b"<f>" not in xml and b"<f " not in xml


def test_workbook_about_sheet_lists_front_matter_and_contents(tmp_path: Path):
    book = load_workbook(write_workbook(TABLES, tmp_path / "tables.xlsx", front=FRONT))
    about = book["About"]
    rows = [tuple(c.value for c in row) for row in about.iter_rows()]
    assert rows[:3] == list(FRONT)
    assert about["B3"].data_type == "s"  # "=rounding 5" is text
    assert rows[3] == (None, None)
    assert rows[4][0] == "Contents" and rows[5] == ("Table", "Sheet")
    assert rows[6:] == [
        ("Re-referral within 12 months", "re_referral"),
        ("SDQ total difficulties", "outcomes_ SDQ _total__by site_"),
        ("A table keyed like the first sheet", "About_2"),
    ]
    assert about["B7"].hyperlink.location == "'re_referral'!A1"


def test_workbook_without_front_matter_starts_with_contents(tmp_path: Path):
    book = load_workbook(write_workbook(TABLES[:1], tmp_path / "tables.xlsx"))
    assert book["About"]["A1"].value == "Contents"
    assert book["About"]["A3"].value == "Re-referral within 12 months"


def test_workbook_is_byte_for_byte_the_same(tmp_path: Path):
    one = write_workbook(TABLES, tmp_path / "one.xlsx", front=FRONT).read_bytes()
    two = write_workbook(TABLES, tmp_path / "two.xlsx", front=FRONT).read_bytes()
    assert one == two
    with zipfile.ZipFile(tmp_path / "one.xlsx") as archive:
        assert {i.date_time for i in archive.infolist()} == {(2000, 1, 1, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode()
    assert core.count("2000-01-01T00:00:00Z") == 2
    later = write_workbook(TABLES, tmp_path / "later.xlsx", stamp=datetime(2024, 5, 1, 12))
    assert load_workbook(later).properties.created == datetime(2024, 5, 1, 12)


def test_sheet_names_are_sanitised_short_and_unique():
    names = sheet_names(
        [
            "a" * 40,
            "a" * 40,
            "a" * 31,
            "x[1]:y*z?/w\\v",
            "about",
            "History",
            "'quoted'",
            "",
            "RE",
            "re",
        ]
    )
    assert names == [
        "a" * 31,
        "a" * 29 + "_2",
        "a" * 29 + "_3",
        "x_1__y_z__w_v",
        "about_2",
        "History_2",
        "quoted",
        "table",
        "RE",
        "re_2",
    ]
    assert all(len(n) <= 31 for n in names)
    assert len({n.casefold() for n in names}) == len(names)


def test_workbook_rejects_a_value_it_cannot_store(tmp_path: Path):
    bad = Table("t", "T", ("x",), ((float("nan"),),))
    with pytest.raises(ValueError, match=r"table 't', row 0, column 'x'"):
        write_workbook([bad], tmp_path / "bad.xlsx")
