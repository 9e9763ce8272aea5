"""Report sections on what the figures rest on: data quality (loads, quarantine, linkage), the
theories of change, and the definitions of the measures."""

from __future__ import annotations

from typing import TYPE_CHECKING

from daeval.report.blocks import (
    NO_MEASURES,
    Block,
    Image,
    Section,
    Text,
    n,
    statistic,
)
from daeval.report.inputs import Inputs
from daeval.report.tables import Table

if TYPE_CHECKING:
    from daeval.privacy.disclosure_control import DisclosurePolicy


def data_quality(inputs: Inputs, site: str | None) -> Section:
    title = "Data quality"
    if not inputs.loads:
        return Section("data-quality", title, missing="Nothing has been loaded into the warehouse.")
    blocks: list[Block] = [Table(
        "loads", "Rows read, loaded and quarantined, by file",
        ("Table", "File", "Read", "Loaded", "Quarantined"),
        tuple((f.table, f.file, n(f.rows_read), n(f.rows_loaded),
               n(f.rows_quarantined)) for f in inputs.loads),
        note="The latest load of each file; counts through disclosure control like every "
        "figure.",
    )]  # fmt: skip
    if inputs.quarantine:
        blocks.append(Table(
            "quarantine", "Quarantined rows by rule", ("Table", "Rule", "Rows"),
            tuple((t, rule, n(rows)) for t, rule, rows in inputs.quarantine),
        ))  # fmt: skip
    link = inputs.linkage
    if link:
        blocks.append(Table(
            "linkage", "Linkage",
            ("Records", "People", "Pairs linked", "Trusted links", "Threshold", "Model"),
            (tuple(n(_linkage_count(link, name, inputs.policy))
                   for name in ("records", "people", "pairs_linked", "trusted_links"))
             + (statistic(link.get("threshold")), str(link.get("model", ""))),),
            note="docs/linkage.md explains the model and the threshold.",
        ))  # fmt: skip
    return Section("data-quality", title, tuple(blocks))


def _linkage_count(link: dict, name: str, policy: DisclosurePolicy) -> int | None:
    """A count from ``linkage.json`` as the report shows it. ``daeval link`` writes its counts
    through disclosure control already, so a small one is stored as null: it stays suppressed."""
    from daeval.privacy.disclosure_control import controlled_count

    value = link.get(name, 0)
    return None if value is None else controlled_count(int(value), policy)


def definitions(inputs: Inputs, site: str | None) -> Section:
    import importlib

    from daeval.metrics.catalogue import SPECS

    title = "Appendix: definitions"
    if inputs.figures is None:
        return Section("definitions", title, missing=NO_MEASURES)
    blocks: list[Block] = []
    seen: set[str] = set()
    for measure in sorted(inputs.figures.measures()):
        module = SPECS.get(measure)
        if module is None or module in seen:
            continue
        seen.add(module)
        doc = importlib.import_module(f"daeval.metrics.{module}").__doc__ or ""
        for paragraph in doc.replace("``", "").split("\n\n"):
            blocks.append(Text(" ".join(paragraph.split()), "definition"))
    return Section("definitions", title, tuple(blocks))


def theory_of_change(inputs: Inputs, site: str | None) -> Section:
    """Each intervention's theory of change as a diagram (also written to outputs/toc/)."""
    from daeval.study.toc import LABELS
    from daeval.study.toc_render import render_toc

    title = "Theory of change"
    if inputs.study is None:
        return Section("theory-of-change", title, missing=f"No study file to read: "
                       f"{inputs.study_problem}.")  # fmt: skip
    wanted = inputs.site_intervention(site) if site else None
    blocks: list[Block] = []
    for intervention in inputs.study.interventions:
        toc = intervention.theory_of_change
        if toc is None or not toc.nodes or (site and intervention.id != wanted):
            continue
        png = (inputs.outputs / "toc" / intervention.id).with_suffix(".png")
        # A report built in a folder of its own (daeval.report.build) draws each diagram once:
        # the site reports reuse the cross-site report's.
        if inputs.out is None or not png.exists():
            _, png = render_toc(toc, intervention.name, png.with_suffix(""))
        kinds = ", ".join(
            f"{sum(1 for n in toc.nodes if n.type == kind)} {LABELS[kind].lower()}"
            for kind in LABELS if any(n.type == kind for n in toc.nodes)
        )  # fmt: skip
        alt = (f"Theory of change of {intervention.name}: {kinds}; {len(toc.links)} links, drawn "
               "by plausibility (thick: high; solid: medium; dashed: low; dotted: unknown).")  # fmt: skip
        blocks.append(Image(f"toc-{intervention.id}", intervention.name, png.read_bytes(), alt))
    if not blocks:
        return Section("theory-of-change", title, missing="No theory of change is recorded in "
                       "study.yaml for " + (f"site {site}'s intervention." if site else
                       "any intervention."))  # fmt: skip
    return Section("theory-of-change", title, tuple(blocks))
