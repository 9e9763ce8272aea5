"""daeval report, on the demo workspace: the cross-site report, site reports and one-page
summaries (HTML and PDF) and the workbook; every count disclosure-controlled, no identifier in
any output, provenance stated, the same bytes when built again."""

from __future__ import annotations

import csv
import hashlib
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import numpy as np
import pytest
from markupsafe import escape
from openpyxl import load_workbook
from tests.lib.pdf_pages import page_images, page_texts

import daeval
from daeval.privacy.keys import fingerprint, read_key_file

SITES = ("coda", "fbs", "leap", "sat")
NOT_PEOPLE = {"table-design_comparison", "table-provenance"}
"""Tables whose numbers are not counts of people (clusters, months; the report's own facts)."""


pytestmark = pytest.mark.xdist_group("demo")


def outputs(folder: Path) -> Path:
    return folder / "study" / "outputs"


def report_files(folder: Path) -> list[Path]:
    out = outputs(folder)
    files = [out / "index.html", out / "index.pdf", out / "tables.xlsx"]
    for site in SITES:
        files += [out / "sites" / f"{site}{end}" for end in
                  (".html", ".pdf", "-summary.html", "-summary.pdf")]  # fmt: skip
    return files


class _Tables(HTMLParser):
    """Every table of a page: its id and its cells' text, row by row."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[tuple[str, list[list[str]]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append((dict(attrs).get("id", ""), []))
        elif tag == "tr" and self.tables:
            self.tables[-1][1].append([])
        elif tag in ("td", "th") and self.tables:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def html_tables(path: Path) -> list[tuple[str, list[list[str]]]]:
    parser = _Tables()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.tables


WHOLE = re.compile(r"-?[0-9][0-9,]*")


def small_counts(cells: list[str]) -> list[str]:
    """Cells that are whole numbers from 1 to 7, or not a multiple of 5 (rounding base)."""
    bad = []
    for text in cells:
        if WHOLE.fullmatch(text):
            value = int(text.replace(",", ""))
            if 1 <= value <= 7 or value % 5:
                bad.append(text)
    return bad


def test_demo_prints_the_reports_it_wrote(demo):
    folder, result = demo
    text = result.stdout.replace("\n", "")
    assert f"Report: {(outputs(folder) / 'index.html').resolve()}" in text
    for site in SITES:
        assert (
            f"Site report ({site}): {(outputs(folder) / 'sites' / f'{site}.html').resolve()}"
            in text
        )
    for path in report_files(folder):
        assert path.stat().st_size > 1000, path


def test_pages_are_self_contained(demo):
    folder, _ = demo
    for path in report_files(folder):
        if path.suffix == ".html":
            html = path.read_text(encoding="utf-8")
            assert "<script" not in html
            assert not re.search(r"""(src|href)=["'](?!#|data:)""", html), path
            assert not re.search(r"url\(\s*['\"]?(?!#|data:)", html), path
            assert "@import" not in html and "<link" not in html, path


def test_the_pdfs_render_and_each_summary_is_one_page(demo):
    folder, _ = demo
    out = outputs(folder)
    pages = page_images(out / "index.pdf", scale=0.5)
    assert len(pages) >= 8
    for image in pages[:3]:
        dark = (np.asarray(image.convert("L")) < 128).mean()
        assert 0.001 < dark < 0.5  # text and charts, not a blank or black page
    texts = page_texts(out / "index.pdf")
    assert "Cross-site report".upper() in texts[0].upper()
    assert any("Readiness scorecard" in t for t in texts)
    for site in SITES:
        summary = out / "sites" / f"{site}-summary.pdf"
        assert len(page_images(summary, scale=0.3)) == 1, site
        assert site in page_texts(summary)[0]


def test_every_count_in_every_table_passes_disclosure_control(demo):
    folder, _ = demo
    checked = 0
    for path in report_files(folder):
        if path.suffix != ".html":
            continue
        for table_id, rows in html_tables(path):
            if table_id in NOT_PEOPLE:
                continue
            cells = [c for row in rows[1:] for c in row[1:]]
            checked += len(cells)
            assert small_counts(cells) == [], (path.name, table_id)
    book = load_workbook(outputs(folder) / "tables.xlsx")
    exempt = {"design_comparison"}
    for sheet in book.worksheets[1:]:
        if sheet.title in exempt:
            continue
        for row in sheet.iter_rows(min_row=5):
            for cell in row[1:]:
                value = cell.value
                if "%" in cell.number_format or isinstance(value, bool):
                    continue  # a share, shown as a percentage
                if isinstance(value, int):
                    checked += 1
                    assert not (1 <= value <= 7) and value % 5 == 0, (sheet.title, cell.coordinate)
    assert checked > 1000
    # The exemptions are only those two tables, and both exist.
    ids = {t for t, _ in html_tables(outputs(folder) / "index.html")}
    assert NOT_PEOPLE <= ids


def test_no_identifier_or_pseudonym_reaches_any_output(demo):
    folder, _ = demo
    clear: set[str] = set()
    with (folder / "raw" / "people.csv").open(newline="") as f:
        for person in csv.DictReader(f):
            clear.update(v for v in (person["person_id"], person["last_name"]) if len(v) > 5)
    con = duckdb.connect(str(folder / "study" / "warehouse.duckdb"), read_only=True)
    pseudonyms = {
        form
        for (p,) in con.sql("SELECT CAST(person_id AS VARCHAR) FROM people LIMIT 5000").fetchall()
        for form in (p, p.replace("-", ""))
    }
    key = read_key_file(folder / "demo.key")
    secrets = {key.hex(), key.decode("latin-1")} if key else set()
    texts = []
    for path in report_files(folder):
        if path.suffix == ".html":
            texts.append(path.read_text(encoding="utf-8"))
        elif path.suffix == ".pdf":
            texts.append("\n".join(page_texts(path)))
    book = load_workbook(outputs(folder) / "tables.xlsx", read_only=True)
    texts.append("\n".join(str(v) for sheet in book.worksheets
                           for row in sheet.iter_rows(values_only=True) for v in row if v))  # fmt: skip
    words = set(re.findall(r"[A-Za-z0-9_:+/=-]{6,}", "\n".join(texts)))
    # Words of daeval's own text (an author it cites, say) may also be someone's surname.
    own = "\n".join(
        p.read_text(encoding="utf-8") for p in Path(daeval.__file__).parent.rglob("*.py")
    )
    own += (folder / "study" / "study.yaml").read_text(encoding="utf-8")
    clear -= set(re.findall(r"[A-Za-z0-9_:+/=-]{6,}", own))
    assert words & clear == set()
    assert words & pseudonyms == set()
    assert all(secret not in text for secret in secrets for text in texts)


def test_each_output_states_its_provenance(demo):
    folder, _ = demo
    study_hash = hashlib.sha256((folder / "study" / "study.yaml").read_bytes()).hexdigest()
    stated = fingerprint(read_key_file(folder / "demo.key"))
    for path in report_files(folder):
        if path.name.endswith("-summary.html"):
            html = path.read_text(encoding="utf-8")
            assert study_hash[:12] in html and stated in html
        elif path.suffix == ".html":
            html = path.read_text(encoding="utf-8")
            assert study_hash in html and stated in html and "Disclosure control" in html
    about = load_workbook(outputs(folder) / "tables.xlsx")["About"]
    values = [str(c.value) for row in about.iter_rows() for c in row if c.value]
    assert study_hash in values and stated in values


def test_the_same_inputs_give_the_same_bytes(demo, tmp_path):
    folder, _ = demo
    copy = tmp_path / "study"
    shutil.copytree(folder / "study", copy)
    shutil.rmtree(copy / "outputs" / "sites")
    for name in ("index.html", "index.pdf", "tables.xlsx"):
        (copy / "outputs" / name).unlink()
    done = subprocess.run(
        [sys.executable, "-m", "daeval", "report", "--workspace", str(copy),
         "--key-file", str(folder / "demo.key")],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for path in report_files(folder):
        again = copy / "outputs" / path.relative_to(outputs(folder))
        assert again.read_bytes() == path.read_bytes(), path.name


def test_a_workspace_without_measures_gets_a_report_that_says_what_is_missing(tmp_path):
    workspace = tmp_path / "ws"
    assert subprocess.run([sys.executable, "-m", "daeval", "init", str(workspace), "--example",
                           "step-up"], capture_output=True).returncode == 0  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "daeval", "report", "--workspace", str(workspace), "--no-pdf"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    html = (workspace / "outputs" / "index.html").read_text(encoding="utf-8")
    for section in ("feasibility", "outcomes", "pathways", "equality", "definitions"):
        part = html.split(f'id="{section}"', 1)[1].split("</section>", 1)[0]
        assert "No measures yet: run `daeval measures" in part, section
    readiness = html.split('id="readiness"', 1)[1].split("</section>", 1)[0]
    assert "Readiness scorecard" in readiness and "step-up" in readiness
    assert "Nothing has been loaded" in html


def test_case_studies_need_the_secure_setting_and_hold_no_id_or_date(demo, tmp_path):
    folder, _ = demo
    workspace = folder / "study"
    refused = subprocess.run(
        [sys.executable, "-m", "daeval", "report", "--workspace", str(workspace), "--no-pdf",
         "--case-studies", "3"], capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert refused.returncode == 2 and "--inside-secure-setting" in refused.stderr
    assert not (outputs(folder) / "not-for-release").exists()
    from daeval.report.case_studies import case_journeys, months_between
    from daeval.warehouse import Workspace

    journeys = case_journeys(Workspace(workspace), 4, seed=1)
    assert [j.name for j in journeys] == ["Child A", "Child B", "Child C", "Child D"]
    for journey in journeys:
        months = [e.month for e in journey.events]
        assert months[0] == 0 and months == sorted(months)
    # Months are counted from the journey's first event (checked on one child by hand).
    from datetime import date

    assert months_between(date(2016, 1, 31), date(2016, 3, 1)) == 0
    assert months_between(date(2016, 1, 1), date(2016, 4, 1)) == 2  # 91 days
    assert months_between(date(2016, 1, 1), date(2016, 4, 2)) == 3  # 92 days
    copy = tmp_path / "study"
    shutil.copytree(workspace, copy)
    done = subprocess.run(
        [sys.executable, "-m", "daeval", "report", "--workspace", str(copy), "--no-pdf",
         "--case-studies", "4", "--inside-secure-setting", "--seed", "1"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    page = (copy / "outputs" / "not-for-release" / "case-studies.html").read_text(encoding="utf-8")
    assert page.count("NOT FOR RELEASE") >= 2
    body = page.split("<body>", 1)[1].split('id="provenance"', 1)[0]
    assert not re.search(r"\b(19|20)\d\d-\d\d-\d\d\b", body)  # no calendar date
    assert not re.search(r"[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-", body)  # no pseudonym or key
    con = duckdb.connect(str(copy / "warehouse.duckdb"), read_only=True)
    pseudonyms = {p for (p,) in con.sql("SELECT CAST(person_id AS VARCHAR) FROM people").fetchall()}
    assert not any(p in page for p in pseudonyms)
    for journey in journeys:
        assert f"{journey.name} ({journey.age_band} at month 0)" in page
        assert all(str(escape(e.what)) in page for e in journey.events)
