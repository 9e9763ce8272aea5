"""``daeval report``: the cross-site report, a report and a one-page summary per site, as
self-contained HTML and PDF, and a workbook of every table, in the workspace's ``outputs/``.

Every figure comes from the controlled measures table or passes disclosure control here; no
record-level row or pseudonym is read into a report. Each output states how it was made
(provenance) and records no build time, so the same inputs give the same files byte for byte.
Outputs made from a warehouse that holds synthetic data say so on every page, chart and sheet
(daeval.report.synthetic).
"""

from __future__ import annotations

import base64
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from daeval import __version__
from daeval.privacy.disclosure_control import DisclosurePolicy
from daeval.report.blocks import Section, cell, count, percent
from daeval.report.evidence import outcome_table
from daeval.report.inputs import Inputs, gather
from daeval.report.sections import build_sections
from daeval.report.synthetic import banner, labelled_title, origin_row
from daeval.report.tables import Table
from daeval.warehouse import Workspace

CROSS_SITE = "index.html"
SITES = "sites"


@dataclass(frozen=True)
class Provenance:
    version: str
    window_days: int
    items_: tuple[tuple[str, str], ...]
    synthetic: str | None = None
    """The banner every output carries when the data are synthetic (None: real data)."""


@dataclass
class ReportFiles:
    cross_site: Path
    cross_site_pdf: Path | None
    workbook: Path
    sites: dict[str, list[Path]] = field(default_factory=dict)
    pdf_skipped: str | None = None

    def all(self) -> list[Path]:
        paths = [self.cross_site, self.workbook]
        if self.cross_site_pdf:
            paths.append(self.cross_site_pdf)
        return paths + [p for site in self.sites.values() for p in site]


PDF_MISSING = (
    "PDFs not written: WeasyPrint needs the Pango library, which was not found "
    "(Debian and Ubuntu: apt-get install libpango-1.0-0 libpangoft2-1.0-0)"
)


def _pdf_writer() -> Callable[[str, Path], Path] | None:
    """WeasyPrint's writer, or None when the system lacks the Pango library it loads."""
    try:
        from daeval.report.pdf import write_pdf
    except OSError:
        return None
    return write_pdf


@contextmanager
def _pdf_writers(pdf: bool) -> Iterator[Callable[[str, Path], Path] | None]:
    """Several PDFs drawn at once (daeval.report.pdf.PdfWriter), all written on leaving; None
    without PDFs or without Pango."""
    if not pdf or _pdf_writer() is None:
        yield None
        return
    from daeval.report.pdf import PdfWriter

    with PdfWriter() as writer:
        yield writer


def provenance(inputs: Inputs, key_fingerprint: str | None) -> Provenance:
    meta = inputs.figures.meta if inputs.figures else {}
    latest = inputs.workspace.open().latest_date() if inputs.loads else None
    items = (
        origin_row(inputs.synthetic),
        ("daeval version", __version__),
        ("Study file (SHA-256)", inputs.study_sha256 or "no study.yaml"),
        ("Data as of", str(meta.get("as_of", "no measures"))),
        ("Latest date in the data", str(latest) if latest else "nothing loaded"),
        ("Files loaded", str(len(inputs.loads))),
        ("Measures period", f"{meta.get('period_start', '')} to {meta.get('period_end', '')}"),
        ("Follow-up window", f"{meta.get('window_days', 365)} days"),
        ("Calendar periods", str(meta.get("period") or "none")),
        ("Disclosure control", str(meta.get("disclosure_control", "on (default)"))),
        ("Key fingerprint", key_fingerprint or "not given (run with --key-file to state it)"),
        ("Build time", "not recorded, so that the same inputs give the same files"),
    )
    window = int(meta.get("window_days", 365))
    return Provenance(__version__, window, items, banner(inputs.synthetic))


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("daeval.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["cell"] = cell
    env.filters["base64"] = lambda data: base64.b64encode(data).decode("ascii")
    env.filters["css_string"] = css_string
    return env


def css_string(text: str) -> Markup:
    """``text`` as a CSS string literal, safe inside a <style> element: quotes, backslashes, angle
    brackets and anything outside printable ASCII written as CSS escapes (each ends with a space,
    which the escape takes as its end)."""

    def escaped(c: str) -> str:
        plain = c.isascii() and c.isprintable() and c not in '"\\<>&'
        return c if plain else f"\\{ord(c):x} "

    return Markup('"' + "".join(escaped(c) for c in text) + '"')


def _headline(inputs: Inputs) -> str | None:
    row = inputs.figures.one("re_referral_rate") if inputs.figures else None
    return None if row is None or row.value is None else percent(row.value)


def glance(inputs: Inputs, site: str) -> list[tuple[str, str]]:
    """The headline figures of ``site``: referred, started, drop-out, reliable improvement."""
    lines: list[tuple[str, str]] = []
    figures = inputs.figures
    if figures is None:
        return lines
    stages = {r.category: r for r in figures.select("service_funnel", "site_id", site)}
    if "referred" in stages:
        lines.append(("families referred", count(stages["referred"].numerator)))
    if "started" in stages:
        lines.append(("started the service", count(stages["started"].numerator)))
    dropout = figures.one("dropout_rate", group_by="site_id", group=site)
    if dropout is not None:
        lines.append(("dropped out, of those who started and ended", percent(dropout.value)))
    for row in figures.select("reliable_change", "site_id", site):
        code, _, category = (row.category or "").partition(":")
        if category == "reliably_improved":
            lines.append((f"reliably improved on {code}", percent(row.value)))
    return lines


def _readiness_lines(inputs: Inputs, site: str) -> list:
    wanted = inputs.site_intervention(site)
    return [line for line in inputs.readiness if line.intervention == wanted]


def site_summary(inputs: Inputs, site: str) -> Section:
    """The site report's opening section: its headline figures."""
    lines = glance(inputs, site)
    table = Table(
        f"summary_{inputs.key(site)}", f"{site}: at a glance", ("Figure", "Value"), tuple(lines)
    )
    return Section("summary", "At a glance", (table,) if lines else (),
                   None if lines else "No figures for this site yet.")  # fmt: skip


def _summary(inputs: Inputs, site: str, origin: Provenance) -> dict:
    meta = inputs.figures.meta if inputs.figures else {}
    items = dict(origin.items_)
    return {
        "glance": glance(inputs, site),
        "outcomes": outcome_table(inputs, site),
        "readiness": _readiness_lines(inputs, site),
        "study_hash": (inputs.study_sha256 or "none")[:12],
        "as_of": meta.get("as_of", "no measures"),
        "disclosure": str(meta.get("disclosure_control", "on")).split(":")[0],
        "key": items.get("Key fingerprint", "not given"),
    }


BUILDING = ".report-"
"""Prefix of the folder inside the workspace where a report is built before it is moved into
``outputs/``."""
EARLIER = "earlier-"
"""Prefix, in that folder, of the earlier outputs being replaced."""


def build_reports(
    workspace: Workspace,
    key_fingerprint: str | None = None,
    pdf: bool = True,
    policy: DisclosurePolicy = DisclosurePolicy(),
    progress: Callable[[str], None] = lambda _: None,
) -> ReportFiles:
    """Write every report of ``workspace`` and return their paths. Everything is written into
    a folder of its own inside the workspace first, and moved into ``outputs/`` only when all of
    it has been written, so that a failure leaves the outputs as they were."""
    workspace.outputs.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=BUILDING, dir=workspace.root))
    try:
        with _pdf_writers(pdf) as write_pdf:
            files = _build(workspace, building, key_fingerprint, pdf, write_pdf, policy, progress)
        return _move_into_place(files, building, workspace.outputs)
    finally:
        shutil.rmtree(building, ignore_errors=True)


def _move_into_place(files: ReportFiles, building: Path, outputs: Path) -> ReportFiles:
    """Move what was built into ``outputs/``, each file and folder (site reports, diagrams)
    replacing the earlier one whole, so that no page of an earlier report is left behind; if a
    move fails, the earlier ones are put back. Returns the paths where the files now are."""
    built = sorted(building.iterdir())
    aside: list[tuple[Path, Path]] = []
    placed: list[Path] = []
    try:
        for path in built:
            target = outputs / path.name
            if target.exists() or target.is_symlink():
                old = building / f"{EARLIER}{path.name}"
                target.rename(old)
                aside.append((old, target))
        for path in built:
            os.replace(path, outputs / path.name)
            placed.append(outputs / path.name)
    except BaseException:
        for target in placed:
            shutil.rmtree(target) if target.is_dir() else target.unlink()
        for old, target in aside:
            old.rename(target)
        raise

    def moved(path: Path) -> Path:
        return outputs / path.relative_to(building)

    return ReportFiles(
        moved(files.cross_site),
        moved(files.cross_site_pdf) if files.cross_site_pdf else None,
        moved(files.workbook),
        {site: [moved(p) for p in paths] for site, paths in files.sites.items()},
        files.pdf_skipped,
    )


def _build(
    workspace: Workspace,
    outputs: Path,
    key_fingerprint: str | None,
    pdf: bool,
    write_pdf: Callable[[str, Path], Path] | None,
    policy: DisclosurePolicy,
    progress: Callable[[str], None],
) -> ReportFiles:
    """Write every report of ``workspace`` into the folder ``outputs`` (PDFs with ``write_pdf``)."""
    from daeval.report.workbook import write_workbook

    inputs = replace(gather(workspace, policy), out=outputs)
    env = _environment()
    page = env.get_template("report.html.j2")
    summary_page = env.get_template("summary.html.j2")
    origin = provenance(inputs, key_fingerprint)
    title = inputs.study.study.title if inputs.study and inputs.study.study else "Study report"
    title = labelled_title(title, inputs.synthetic)
    (outputs / SITES).mkdir(parents=True, exist_ok=True)

    def write(path: Path, html: str) -> list[Path]:
        path.write_text(html, encoding="utf-8")
        if write_pdf is None:
            return [path]
        return [path, write_pdf(html, path.with_suffix(".pdf"))]

    released = not str(inputs.figures.meta.get("disclosure_control", "on") if inputs.figures
                       else "on").startswith("off")  # fmt: skip
    progress("cross-site report")
    sections = build_sections(inputs)
    written = write(outputs / CROSS_SITE, page.render(
        title=title, kicker="Cross-site report", lede=_lede(inputs, None),
        headline=_headline(inputs), sections=sections, provenance=origin,
        not_for_release=not released,
    ))  # fmt: skip
    tables: list[Table] = [t for s in sections for t in s.tables]
    files = ReportFiles(written[0], written[1] if write_pdf else None, outputs / "tables.xlsx")
    if pdf and write_pdf is None:
        files.pdf_skipped = PDF_MISSING
    sites = inputs.figures.sites() if inputs.figures else []
    names = inputs.site_keys
    for site in sites:
        progress(f"site report {names[site]}")
        site_sections = [site_summary(inputs, site), *build_sections(inputs, site)]
        tables += [t for s in site_sections for t in s.tables]
        paths = write(outputs / SITES / f"{names[site]}.html", page.render(
            title=f"{title}: {site}", kicker=f"Site report: {site}", lede=_lede(inputs, site),
            headline=None, sections=site_sections, provenance=origin, not_for_release=not released,
        ))  # fmt: skip
        paths += write(outputs / SITES / f"{names[site]}-summary.html", summary_page.render(
            title=f"{title}: {site}", lede=_lede(inputs, site), provenance=origin,
            not_for_release=not released, **_summary(inputs, site, origin),
        ))  # fmt: skip
        files.sites[site] = paths
    progress("workbook")
    write_workbook(tables, files.workbook, front=origin.items_, banner=origin.synthetic)
    return files


NOT_FOR_RELEASE = "not-for-release"


def build_case_studies(
    workspace: Workspace,
    count: int,
    seed: int = 0,
    key_fingerprint: str | None = None,
    pdf: bool = True,
) -> list[Path]:
    """Individual journeys for case studies, generalised and marked not for release, in
    ``outputs/not-for-release/`` (see daeval.report.case_studies)."""
    from daeval.report.case_studies import case_journeys

    inputs = gather(workspace)
    journeys = case_journeys(workspace, count, seed)
    html = _environment().get_template("case_studies.html.j2").render(
        journeys=journeys, seed=seed, provenance=provenance(inputs, key_fingerprint),
    )  # fmt: skip
    folder = workspace.outputs / NOT_FOR_RELEASE
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "case-studies.html"
    path.write_text(html, encoding="utf-8")
    write_pdf = _pdf_writer() if pdf else None
    return [path] + ([write_pdf(html, path.with_suffix(".pdf"))] if write_pdf else [])


def _lede(inputs: Inputs, site: str | None) -> str:
    meta = inputs.figures.meta if inputs.figures else {}
    scope = f"Site {site}" if site else "All sites"
    if not meta:
        return f"{scope}. No measures have been computed yet."
    return (
        f"{scope}. Data as of {meta.get('as_of')}; every figure has passed disclosure control "
        f"({meta.get('disclosure_control', 'on')})."
    )
