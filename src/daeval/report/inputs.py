"""Everything a report draws on, gathered once: the controlled figures, the study file, what
loaded (as counts through disclosure control), linkage quality and each site's funnel."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from daeval.design.recruitment import Funnel
from daeval.errors import DaevalError
from daeval.privacy.disclosure_control import DisclosurePolicy, controlled_count
from daeval.report.figures import Figures
from daeval.report.names import site_file_names
from daeval.study.readiness import Line, Loaded, loaded_from, observed_funnels, scorecard
from daeval.study.schema import StudyFile
from daeval.warehouse import Workspace
from daeval.warehouse.marks import SyntheticOrigin, synthetic_origins


@dataclass(frozen=True)
class FileLoad:
    table: str
    file: str
    rows_read: int | None
    rows_loaded: int | None
    rows_quarantined: int | None


@dataclass(frozen=True)
class Inputs:
    workspace: Workspace
    figures: Figures | None
    study: StudyFile | None
    study_problem: str | None
    study_sha256: str | None
    loaded: Loaded | None
    loads: tuple[FileLoad, ...] = ()
    quarantine: tuple[tuple[str, str, int | None], ...] = ()  # (table, rule, rows)
    linkage: dict[str, Any] | None = None
    funnels: dict[str, Funnel | None] = field(default_factory=dict)
    """Each site's observed funnel as the controlled measures show it (None: suppressed)."""
    policy: DisclosurePolicy = DisclosurePolicy()
    readiness: tuple[Line, ...] = ()
    """The readiness scorecard's lines (daeval.study.readiness), computed once."""
    out: Path | None = None
    """Where the report is being written (the workspace's outputs/ unless given)."""

    site_keys: dict[str, str] = field(default_factory=dict)
    """Each site's name in file names and keys (daeval.report.names)."""
    synthetic: tuple[SyntheticOrigin, ...] = ()
    """The synthetic folders the warehouse was loaded from (daeval.warehouse.marks); any at all
    makes every output say it shows synthetic data."""

    @property
    def outputs(self) -> Path:
        return self.out or self.workspace.outputs

    def key(self, site: str | None) -> str:
        """The site's name in chart and table keys; ``all`` for the cross-site report."""
        return "all" if site is None else self.site_keys.get(site) or site_file_names([site])[site]

    def site_intervention(self, site: str) -> str | None:
        """The id of the (non-comparator) intervention delivered at ``site``."""
        if self.study is None:
            return None
        for intervention in self.study.interventions:
            if site in intervention.sites and not intervention.comparator:
                return intervention.id
        return None


def _study(workspace: Workspace) -> tuple[StudyFile | None, str | None, str | None]:
    from daeval.study.check import check_study_file

    path = workspace.study_file
    if not path.exists():
        return None, "the workspace has no study.yaml", None
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    result = check_study_file(path)
    if result.study is None or result.errors:
        return (
            None,
            (
                f"study.yaml has {len(result.errors)} error(s); run `daeval study check "
                f"{workspace.root}`"
            ),
            digest,
        )
    return result.study, None, digest


def _loads(workspace: Workspace, policy: DisclosurePolicy) -> tuple[tuple, tuple]:
    """Rows read, loaded and quarantined per file of the latest load, and quarantined rows by
    table and rule, each count through disclosure control."""
    if not workspace.warehouse_path.exists():
        return (), ()
    with workspace.open().connect(read_only=True) as con:
        files = con.execute(
            "SELECT table_name, file_name, rows_read, rows_loaded, rows_quarantined FROM loads "
            "QUALIFY row_number() OVER (PARTITION BY file_name ORDER BY load_id DESC) = 1 "
            "ORDER BY table_name, file_name"
        ).fetchall()
        rules = con.execute(
            "SELECT q.table_name, q.rule, count(*) FROM quarantine q JOIN ("
            "  SELECT file_name, max(load_id) AS load_id FROM loads GROUP BY 1"
            ") l USING (file_name, load_id) GROUP BY 1, 2 ORDER BY 1, 2"
        ).fetchall()

    def c(n: int) -> int | None:
        return controlled_count(n, policy)

    loads = tuple(FileLoad(t, f, c(r), c(ld), c(q)) for t, f, r, ld, q in files)
    return loads, tuple((t, rule, c(n)) for t, rule, n in rules)


def gather(workspace: Workspace, policy: DisclosurePolicy = DisclosurePolicy()) -> Inputs:
    """The inputs of the workspace's reports; any of them may be missing."""
    figures = Figures.of(workspace.outputs)
    study, problem, digest = _study(workspace)
    loaded = loaded_from(workspace.warehouse_path)
    loads, quarantine = _loads(workspace, policy)
    linkage_path = workspace.outputs / "linkage.json"
    linkage = (
        json.loads(linkage_path.read_text(encoding="utf-8")) if linkage_path.exists() else None
    )
    sites = figures.sites() if figures else []
    funnels: dict[str, Funnel | None] = {}
    if sites:
        try:
            funnels = observed_funnels(workspace.root, sites)
        except DaevalError:
            funnels = {}
    lines = tuple(scorecard(study, loaded, workspace.root)) if study is not None else ()
    return Inputs(
        workspace, figures, study, problem, digest, loaded, loads, quarantine, linkage,
        funnels, policy, lines, site_keys=site_file_names(sites),
        synthetic=synthetic_origins(workspace.warehouse_path),
    )  # fmt: skip
