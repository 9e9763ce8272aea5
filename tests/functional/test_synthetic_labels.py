"""Outputs made from synthetic data say so, visibly, and outputs made from real data do not.

The session's one ``daeval demo`` (synthetic) is read, and a small set of synth's tables is loaded
from a folder without synth's manifest (so nothing marks them synthetic), through ingest, link,
measures and report. Every HTML page, PDF page, chart and workbook sheet of the first carries the label;
none of the second does. Synthetic dates lie in the demo study's own time: the three financial
years before the study begins.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pyarrow.csv as pcsv
import pytest
import yaml
from openpyxl import load_workbook
from tests.lib.keys import TEST_KEY
from tests.lib.pdf_pages import page_texts

from daeval.model import TABLES, Kind

pytestmark = pytest.mark.xdist_group("demo")  # shares the session's one daeval demo

REAL_SCALE = 0.02
"""The real-data copy is small, for speed (it is checked for the absence of labels)."""
BANNER = "Synthetic data \N{EM DASH} not a real study's figures"
PROGRAMMES = (
    "For Baby's Sake",
    "Survive and Thrive Integrated Children's Service",
    "LEAP Enhanced Casework Service",
    "Children Overcoming Domestic Abuse",
)
BEFORE_THE_PERIOD = {("people", "date_of_birth"), ("addresses", "from_date")}
"""Dates that lie before the data's period by nature: births, and moving into an address."""


def _run(*args: str | Path, key_file: Path | None = None) -> None:
    extra = ["--key-file", str(key_file)] if key_file else []
    done = subprocess.run(
        [sys.executable, "-m", "daeval", *map(str, args), *extra],
        capture_output=True, text=True, timeout=900,
        env={**os.environ, "DAEVAL_KEY": TEST_KEY.decode()},
    )  # fmt: skip
    assert done.returncode == 0, (args, done.stderr)


def _real_study_yaml() -> str:
    """The demo's study file as it was before it was labelled: the feasibility example under
    its real title, with the comparison that fits the data."""
    from daeval.study.examples import example_text
    from daeval.synth.study_file import synthetic_sections

    return example_text("feasibility").rstrip("\n") + "\n\n" + synthetic_sections()


@pytest.fixture(scope="module")
def built(demo, tmp_path_factory) -> dict[str, Path]:
    """The synthetic demo folder (the session's ``daeval demo``), and a workspace of synthetic
    files loaded as real data: synth's tables without its manifest, so nothing marks them."""
    folder, _ = demo
    plain = tmp_path_factory.mktemp("plain")
    made, raw = plain / "made", plain / "raw"
    _run("synth", made, "--scale", REAL_SCALE, "--seed", 0)
    raw.mkdir()
    for csv in made.glob("*.csv"):  # not manifest.json, not truth/
        shutil.copy(csv, raw / csv.name)
    workspace = plain / "study"
    _run("init", workspace)
    (workspace / "study.yaml").write_text(_real_study_yaml(), encoding="utf-8")
    _run("ingest", raw, "--workspace", workspace)
    _run("link", "--workspace", workspace)
    _run("measures", "--workspace", workspace)
    _run("report", "--workspace", workspace)
    return {"demo": folder, "synthetic": folder / "study", "real": workspace, "real_raw": raw}


def _pages(workspace: Path, suffix: str) -> list[Path]:
    out = workspace / "outputs"
    pages = [out / f"index{suffix}", *sorted((out / "sites").glob(f"*{suffix}"))]
    assert len(pages) == 9, pages  # the cross-site report, and a report and summary per site
    return pages


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'")


def _figures(html: str) -> list[str]:
    return re.findall(r"<figure\b.*?</figure>", html, flags=re.S)


def _provenance(html: str) -> dict[str, str]:
    table = html.split('id="table-provenance"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<th scope=\"row\">(.*?)</th><td>(.*?)</td>", table, flags=re.S)
    return {name: _text(value).strip() for name, value in rows}


def test_every_html_page_of_the_demo_carries_the_banner_and_every_chart_the_label(built):
    charts = 0
    for page in _pages(built["synthetic"], ".html"):
        html = page.read_text(encoding="utf-8")
        body = html.split("<body>", 1)[1]
        # The banner is the first thing in the page, before the title.
        first = re.search(r"<p class=\"synthetic-banner\"[^>]*>(.*?)</p>", body, flags=re.S)
        assert first is not None and body.index(first.group(0)) < body.index("<h1>"), page.name
        assert BANNER in _text(first.group(1)), page.name
        h1 = _text(re.search(r"<h1>(.*?)</h1>", html, flags=re.S).group(1))
        assert h1.startswith("Synthetic demonstration"), (page.name, h1)
        figures = _figures(html)
        for figure in figures:
            caption = re.search(r"<figcaption>(.*?)</figcaption>", figure, flags=re.S)
            assert caption and "Synthetic data" in _text(caption.group(1)), (page.name, figure[:80])
        # Every drawing is inside a figure that says so.
        outside = re.sub(r"<figure\b.*?</figure>", "", html, flags=re.S)
        assert "<svg" not in outside and "<img" not in outside, page.name
        charts += html.count("<svg")
    assert charts >= 8  # the cross-site report alone draws eight charts


def test_the_programmes_and_the_study_are_named_as_synthetic(built):
    text = _text((built["synthetic"] / "outputs" / "index.html").read_text(encoding="utf-8"))
    for name in PROGRAMMES:
        assert text.count(name) >= 1, name
        assert text.count(name) == text.count(f"Synthetic: {name}"), name
    assert "Synthetic demonstration: Domestic abuse interventions" in text


def test_every_pdf_page_of_the_demo_carries_the_banner(built):
    pages = 0
    for pdf in _pages(built["synthetic"], ".pdf"):
        for number, text in enumerate(page_texts(pdf), start=1):
            flat = re.sub(r"\s+", " ", text)
            assert BANNER in flat, (pdf.name, number)
            pages += 1
    assert pages > 9  # the reports run over several pages, each checked


def test_every_sheet_of_the_demo_workbook_carries_the_banner(built):
    book = load_workbook(built["synthetic"] / "outputs" / "tables.xlsx")
    assert len(book.worksheets) > 10
    for sheet in book.worksheets:
        # In a row above the frozen panes, so it stays in view when scrolling.
        frozen = int(re.sub(r"[A-Z]+", "", sheet.freeze_panes or "A2"))
        top = [c.value for row in sheet.iter_rows(max_row=frozen - 1) for c in row]
        assert BANNER in top, sheet.title
        assert sheet.oddHeader.center.text == BANNER, sheet.title
        assert sheet.oddFooter.center.text == BANNER, sheet.title


def test_the_provenance_says_synthetic_with_seed_scale_and_dates(built):
    manifest = json.loads((built["demo"] / "raw" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["synthetic"] is True
    period = f"{manifest['period']['start']} to {manifest['period']['end']}"
    for page in _pages(built["synthetic"], ".html"):
        html = page.read_text(encoding="utf-8")
        if page.name.endswith("-summary.html"):
            continue  # the one-page summary states it in its banner and footer
        origin = _provenance(html)["Data origin"]
        assert origin.startswith("SYNTHETIC"), page.name
        seed, scale = manifest["seed"], manifest["scale"]
        assert f"seed {seed}," in origin and f"scale {scale}," in origin and period in origin
    about = load_workbook(built["synthetic"] / "outputs" / "tables.xlsx")["About"]
    rows = {r[0]: r[1] for r in about.iter_rows(values_only=True) if r[0]}
    assert rows["Data origin"].startswith("SYNTHETIC")
    assert f"seed {manifest['seed']}," in rows["Data origin"]


def test_the_case_studies_of_synthetic_data_carry_the_banner(built, tmp_path):
    from daeval.report.build import build_case_studies
    from daeval.warehouse import Workspace

    copy = tmp_path / "study"
    shutil.copytree(built["synthetic"], copy)
    html, pdf = build_case_studies(Workspace(copy), 2, seed=1)
    assert BANNER in _text(html.read_text(encoding="utf-8"))
    texts = page_texts(pdf)
    assert texts and all(BANNER in re.sub(r"\s+", " ", t) for t in texts)
    assert all("NOT FOR RELEASE" in t for t in texts)


def test_reports_from_real_data_carry_no_banner(built):
    for page in _pages(built["real"], ".html"):
        html = page.read_text(encoding="utf-8")
        assert "synthetic-banner" not in html and "synthetic-label" not in html, page.name
        assert "Synthetic data" not in html and "SYNTHETIC" not in html, page.name
        assert re.search(r"<h1>Domestic abuse interventions", html), page.name
        if not page.name.endswith("-summary.html"):
            assert "none was marked" in _provenance(html)["Data origin"], page.name
    for pdf in _pages(built["real"], ".pdf"):
        assert all("Synthetic data" not in t for t in page_texts(pdf)), pdf.name
    book = load_workbook(built["real"] / "outputs" / "tables.xlsx")
    for sheet in book.worksheets:
        values = [str(v) for row in sheet.iter_rows(values_only=True) for v in row if v]
        assert not any("Synthetic data" in v or "SYNTHETIC" in v for v in values), sheet.title
        assert not sheet.oddHeader.center.text and not sheet.oddFooter.center.text, sheet.title


def test_real_data_loaded_beside_synthetic_data_leave_the_reports_labelled(built, tmp_path):
    copy = tmp_path / "study"
    shutil.copytree(built["synthetic"], copy)
    key = built["demo"] / "demo.key"
    _run("ingest", built["real_raw"], "--workspace", copy, "--replace-all", key_file=key)
    _run("report", "--workspace", copy, "--no-pdf", key_file=key)
    html = (copy / "outputs" / "index.html").read_text(encoding="utf-8")
    assert BANNER in _text(html) and _provenance(html)["Data origin"].startswith("SYNTHETIC")


def test_synthetic_dates_lie_in_the_years_before_the_demo_study_begins(built):
    manifest = json.loads((built["demo"] / "raw" / "manifest.json").read_text(encoding="utf-8"))
    first = date.fromisoformat(manifest["period"]["start"])
    last = date.fromisoformat(manifest["period"]["end"])
    study = yaml.safe_load((built["synthetic"] / "study.yaml").read_text(encoding="utf-8"))
    begins = study["study"]["start"]
    # Three whole financial years (1 April to 31 March), the last ending before the study begins
    # and less than a year before it: the records the sites hold when the study starts.
    assert (first.month, first.day, last.month, last.day) == (4, 1, 3, 31)
    assert last.year - first.year == 3
    assert last < begins <= last + timedelta(days=366)
    assert first <= study["comparison"]["service_start"] <= last
    checked = 0
    for name, table in TABLES.items():
        columns = [
            c.name for c in table.columns
            if c.kind is Kind.DATE and (name, c.name) not in BEFORE_THE_PERIOD
        ]  # fmt: skip
        path = built["demo"] / "raw" / f"{name}.csv"
        if not columns or not path.exists():
            continue
        types = dict.fromkeys(columns, "date32")
        read = pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(column_types=types))
        for column in columns:
            values = read[column].drop_null().to_pylist()
            checked += len(values)
            assert all(first <= v <= last for v in values), (name, column)
    assert checked > 1000


@pytest.mark.parametrize(
    ("content", "synthetic"),
    [
        ('{"synthetic": true, "generator": "g", "seed": 4, "scale": 0.5, '
         '"period": {"start": "2019-04-01", "end": "2022-03-31"}}', True),
        ('{"synthetic": false, "generator": "g"}', False),
        ('{"generator": "daeval.synth"}', False),  # written before the mark: not recognised
        ('{"synthetic": "yes"}', False),  # only the JSON value true marks a folder
        ("[true]", False),
        ("not json", False),
    ],
)  # fmt: skip
def test_only_a_manifest_saying_synthetic_true_marks_a_folder(tmp_path, content, synthetic):
    from daeval.warehouse.marks import SyntheticOrigin, synthetic_origin

    (tmp_path / "manifest.json").write_text(content, encoding="utf-8")
    found = synthetic_origin(tmp_path)
    if synthetic:
        assert found == SyntheticOrigin("g", "4", "0.5", "2019-04-01 to 2022-03-31")
    else:
        assert found is None
    assert synthetic_origin(tmp_path / "absent") is None
