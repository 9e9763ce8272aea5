"""The subtraction-and-chain attack on every released output: measures.csv, the workbook and the
pages' text, of the demo and of a workspace of small numbers. The attacker
(tests/lib/disclosure_attack.py) reads the tidy table as its documentation defines it, and is
judged against the exact figures of the same workspace, computed without disclosure control."""

from __future__ import annotations

import csv
import re
import shutil
from datetime import date, timedelta
from html import unescape
from pathlib import Path

import pytest
from openpyxl import load_workbook
from tests.functional.test_reports import html_tables
from tests.lib.disclosure_attack import Row, dropout_row, funnel_rows, read, recovered


def _exact(study: Path, copy: Path) -> list[Row]:
    """The workspace's measures without disclosure control, computed in a copy of it."""
    from daeval.metrics.measures_table import compute_measures
    from daeval.privacy.disclosure_control import DisclosurePolicy
    from daeval.warehouse import Workspace

    copy.mkdir(parents=True)
    for name in ("warehouse.duckdb", "study.yaml"):
        if (study / name).exists():
            shutil.copy(study / name, copy / name)
    compute_measures(Workspace(copy), policy=DisclosurePolicy(enabled=False))
    return read(copy / "outputs" / "measures.csv")


def _period(exact: list[Row], measure: str) -> tuple[str, str]:
    return next(r.period for r in exact if r.measure == measure and r.group_by == "all")


def _page_rows(outputs: Path, exact: list[Row]) -> dict[str, list[Row]]:
    """Per page and for the workbook: the rows of the tidy table they show (funnels, drop-out)."""
    funnel, dropout = _period(exact, "service_funnel"), _period(exact, "dropout_rate")
    pages: dict[str, list[Row]] = {}
    for path in [outputs / "index.html", *sorted((outputs / "sites").glob("*.html"))]:
        rows: list[Row] = []
        site = None if path.name == "index.html" else _site(path)
        where = ("all", "all") if site is None else ("site_id", site)
        for table_id, cells in html_tables(path):
            if table_id.startswith("table-funnel_"):
                rows += funnel_rows(cells[1:], *where, funnel)
        text = re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8"))
        for share, of in re.findall(r"Drop-out: ([0-9.]+%) of ([0-9,]+) episodes", text):
            rows.append(dropout_row(share, of, *where, dropout))
        pages[path.name] = rows
    book = load_workbook(outputs / "tables.xlsx")
    rows = []
    for sheet in book.worksheets[1:]:
        title = str(sheet["A1"].value or "")
        if title.startswith("Service funnel"):
            group = title.split(": ", 1)[1]
            where = ("all", "all") if group == "all sites" else ("site_id", group)
            cells = [[c for c in r] for r in sheet.iter_rows(min_row=5, values_only=True)]
            rows += funnel_rows(cells, *where, funnel)
    pages["tables.xlsx"] = rows
    return pages


def _site(page: Path) -> str:
    """The site a site report or summary is about, as its title names it."""
    title = re.search(r"<title>[^<]*: ([^<]*)</title>", page.read_text(encoding="utf-8"))
    assert title, page
    return unescape(title.group(1))


@pytest.fixture(scope="module")
def demo_exact(demo, tmp_path_factory):
    folder, _ = demo
    return _exact(folder / "study", tmp_path_factory.mktemp("exact") / "study")


@pytest.mark.xdist_group("demo")
def test_no_suppressed_count_of_the_demo_is_recovered_from_measures_csv(demo, demo_exact):
    folder, _ = demo
    released = read(folder / "study" / "outputs" / "measures.csv")
    assert sum(r.numerator is None for r in released) > 100
    assert recovered(released, demo_exact) == []


@pytest.mark.xdist_group("demo")
def test_no_suppressed_count_of_the_demo_is_recovered_from_its_pages_or_workbook(demo, demo_exact):
    folder, _ = demo
    pages = _page_rows(folder / "study" / "outputs", demo_exact)
    assert sum(len(rows) for rows in pages.values()) > 50
    for page, rows in pages.items():
        assert recovered(rows, demo_exact, page=True) == [], page


# A workspace of small numbers: five sites of a few dozen episodes each, referrals spread so
# that several stages fall near the threshold.
SITES = ("alpha", "beta", "St Mary's", "St-Mary-s", "+cmd|' /C calc'!A0",
         '=HYPERLINK("http://example.org","x")')  # fmt: skip
SIZES = (30, 18, 11, 24, 40, 16)


def _episodes() -> list[list[str]]:
    rows = []
    start = date(2019, 1, 1)
    for s, (site, size) in enumerate(zip(SITES, SIZES, strict=True)):
        for i in range(size):
            k = (i * 7 + s * 3) % 10
            referred = start + timedelta(days=(i * 37 + s * 11) % 700)
            eligible = k != 0
            contacted = eligible and k not in (1, 2)
            accepted = contacted and k != 3
            started = accepted and (k != 4 or s % 2 == 0)
            ended = started and (k != 5 or s == 1)
            reason = ("completed" if k in (6, 7, 8) else "disengaged") if ended else ""
            day = referred.isoformat()
            rows.append([
                f"e{s}-{i}", site, "step-up", f"p{s}-{i}", day,
                "eligible" if eligible else "ineligible", day if contacted else "",
                "accepted" if accepted else ("declined" if contacted else ""),
                day if started else "", day if ended else "", reason,
            ])  # fmt: skip
    return rows


EPISODE_COLUMNS = [
    "episode_id", "site_id", "intervention_id", "person_id", "referral_date", "eligibility",
    "first_contact_date", "offer", "start_date", "end_date", "end_reason",
]  # fmt: skip


def _write(folder: Path, name: str, header: list[str], rows: list[list[str]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


@pytest.fixture(scope="module")
def daeval_module():
    """The ``daeval`` fixture's runner, for module-scoped fixtures."""
    import os
    import subprocess
    import sys

    from tests.lib.keys import TEST_KEY

    def run(*args):
        environ = {**os.environ, "DAEVAL_KEY": TEST_KEY.decode()}
        return subprocess.run(
            [sys.executable, "-m", "daeval", *map(str, args)],
            capture_output=True, text=True, env=environ, timeout=600,
        )  # fmt: skip

    return run


@pytest.fixture(scope="module")
def small(tmp_path_factory, daeval_module):
    """A workspace of small numbers, measured (with and without disclosure control) and
    reported: (workspace, exact rows)."""
    tmp = tmp_path_factory.mktemp("small")
    raw = tmp / "raw"
    referrals = [[f"r{i}", f"c{i}", "990", (date(2019, 1, 1) + timedelta(days=i * 9)).isoformat()]
                 for i in range(60)]  # fmt: skip
    _write(raw, "csc_referrals", ["referral_id", "child_id", "la_code", "referral_date"], referrals)
    _write(raw, "service_episodes", EPISODE_COLUMNS, _episodes())
    ws = tmp / "ws"
    for args in (("ingest", raw, "--workspace", ws), ("measures", "--workspace", ws),
                 ("report", "--workspace", ws, "--no-pdf")):  # fmt: skip
        done = daeval_module(*args)
        assert done.returncode == 0, (args[0], done.stderr)
    return ws, _exact(ws, tmp / "exact")


def test_no_suppressed_count_of_small_numbers_is_recovered_from_any_output(small):
    ws, exact = small
    released = read(ws / "outputs" / "measures.csv")
    hidden = [r for r in released if r.measure == "service_funnel" and r.numerator is None]
    assert len(hidden) >= 5  # the attack has something to attack
    assert recovered(released, exact) == []
    for page, rows in _page_rows(ws / "outputs", exact).items():
        assert recovered(rows, exact, page=True) == [], page


def test_site_ids_that_spreadsheets_would_run_are_neutralised_in_measures_csv(small):
    ws, _ = small
    with (ws / "outputs" / "measures.csv").open(newline="", encoding="utf-8") as f:
        cells = [c for row in csv.reader(f) for c in row]
    assert "'+cmd|' /C calc'!A0" in cells and '\'=HYPERLINK("http://example.org","x")' in cells
    for cell in cells:
        if cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
            float(cell)  # only a number may start so


def test_reports_for_site_ids_with_spaces_apostrophes_and_formulas(small):
    ws, _ = small
    sites = ws / "outputs" / "sites"
    names = {p.name for p in sites.iterdir()}
    assert {"St-Mary-s.html", "St-Mary-s-2.html", "HYPERLINK-http-example-org-x.html",
            "cmd-C-calc-A0-summary.html"} <= names  # fmt: skip
    assert _site(sites / "St-Mary-s.html") == "St Mary's"
    assert _site(sites / "St-Mary-s-2.html") == "St-Mary-s"
    assert not [p for p in ws.iterdir() if p.name.startswith(".report-")]


def test_an_interrupted_report_leaves_the_outputs_as_they_were(small, tmp_path):
    from daeval.report.build import build_reports
    from daeval.warehouse import Workspace

    ws, _ = small
    copy = tmp_path / "ws"
    shutil.copytree(ws, copy)
    before = {p: p.read_bytes() for p in (copy / "outputs").rglob("*") if p.is_file()}
    (copy / "outputs" / "index.html").write_text("an earlier report", encoding="utf-8")
    before[copy / "outputs" / "index.html"] = b"an earlier report"

    def interrupted(step: str) -> None:
        if step == "workbook":  # every page written, the workbook not yet
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build_reports(Workspace(copy), pdf=False, progress=interrupted)
    after = {p: p.read_bytes() for p in (copy / "outputs").rglob("*") if p.is_file()}
    assert after == before
    assert not [p for p in copy.iterdir() if p.name.startswith(".report-")]


def test_observed_recruitment_comes_from_controlled_measures_and_says_when_suppressed(small):
    ws, exact = small
    released = read(ws / "outputs" / "measures.csv")
    per_month = {r.group for r in released if r.measure == "referrals_per_month"}
    assert len(per_month) == len(SITES)
    for page in (ws / "outputs" / "sites").glob("*.html"):
        if page.name.endswith("-summary.html"):
            continue
        text = page.read_text(encoding="utf-8")
        assert "referrals a month" not in text, page.name
        assert "Observed recruitment: suppressed by disclosure control" in text, page.name


@pytest.mark.xdist_group("demo")
def test_the_demo_projects_recruitment_from_controlled_figures_only(demo):
    folder, _ = demo
    outputs = folder / "study" / "outputs"
    released = read(outputs / "measures.csv")
    shown = 0
    for page in (outputs / "sites").glob("*.html"):
        if page.name.endswith("-summary.html"):
            continue
        site = _site(page)
        rate = next(r for r in released if r.measure == "referrals_per_month" and r.group == site)
        stages = [r for r in released if r.measure == "recruitment_funnel" and r.group == site]
        text = page.read_text(encoding="utf-8")
        if all(r.numerator is not None for r in stages):
            shown += 1
            assert rate.numerator % 5 == 0
            assert f"Observed recruitment: {float(rate.value):.1f} referrals a month" in text
        else:
            assert "Observed recruitment: suppressed by disclosure control" in text
    assert shown >= 1
