"""``daeval study check``: every problem of a study file, with its line and a fix.

Three passes: the schema (types, required fields, unknown fields), references between sections
(ids that must exist, dates in order) and the theory-of-change checks; the sections other parts of
daeval read (data sources, instruments, comparison, screening, equality subgroups, linkage) are
also run through their own parsers, so a file that passes here also loads there.
"""

from __future__ import annotations

import difflib
import functools
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from daeval.errors import DaevalError, StudyFileError
from daeval.instruments.library import builtin_library
from daeval.metrics.catalogue import MEASURE_NAMES
from daeval.model import TABLES
from daeval.study.document import read_text
from daeval.study.problems import Locator, Path_, Problem, Severity, readable, schema_problems
from daeval.study.schema import Intervention, Outcome, StudyFile
from daeval.study.toc import OUTCOME_TYPES, dead_end_activities, unreached_outcomes


@dataclass
class StudyCheck:
    """The result of checking a study file: its problems and, when it validates, the study."""

    file: Path
    problems: list[Problem] = field(default_factory=list)
    study: StudyFile | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


def _choices(value: str, known: Iterable[str], what: str) -> str:
    """'did you mean X?' for a near miss, else the choices (or that there are none)."""
    listed = list(dict.fromkeys(known))
    close = difflib.get_close_matches(value, listed, n=1, cutoff=0.75)
    if close:
        return f"did you mean {close[0]}?"
    if not listed:
        return f"declare it first (no {what} is declared yet)"
    shown = ", ".join(listed[:12]) + (", …" if len(listed) > 12 else "")
    return f"use one of {shown}"


class _Report:
    def __init__(self, locator: Locator, document: Any):
        self.locator, self.document = locator, document
        self.problems: list[Problem] = []

    def add(self, severity: Severity, path: Path_, message: str, fix: str) -> None:
        self.problems.append(
            Problem(
                severity,
                self.locator.line(path),
                readable(path, self.document),
                message,
                fix,
            )
        )

    def unknown(self, path: Path_, value: str, what: str, known: Iterable[str]) -> None:
        self.add("error", path, f"{value!r} is not a known {what} id", _choices(value, known, what))


def check_study_file(study_file: Path, today: date | None = None) -> StudyCheck:
    """Check ``study_file``; a missing or unreadable file is one error."""
    if not study_file.exists():
        problem = Problem(
            "error", None, "(file)", "there is no study file",
            f"create it, e.g. `daeval init {study_file.parent} --example feasibility`",
        )  # fmt: skip
        return StudyCheck(study_file, [problem])
    return check_text(read_text(study_file), study_file, today)


def check_text(text: str, study_file: Path, today: date | None = None) -> StudyCheck:
    today = today or date.today()
    locator = Locator(text)
    try:
        document = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        message = f"not valid YAML ({getattr(exc, 'problem', None) or exc})"
        fix = "check indentation, colons and quotes on this line and the one before"
        return StudyCheck(study_file, [Problem("error", line, "(file)", message, fix)])
    if not isinstance(document, dict):
        problem = Problem(
            "error", 1, "(top level)", "the file is not a mapping of sections",
            "start each section at the left margin, e.g. 'study:'",
        )  # fmt: skip
        return StudyCheck(study_file, [problem])
    report = _Report(locator, document)
    _check_other_parsers(document, study_file, report)
    try:
        study = StudyFile.model_validate(document)
    except ValidationError as exc:
        problems = schema_problems(exc, StudyFile, locator, document) + report.problems
        return StudyCheck(study_file, _sorted(problems))
    _check_references(study, report, today)
    _check_theories(study, report)
    return StudyCheck(study_file, _sorted(report.problems), study)


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.line or 0, p.severity, p.where, p.message))


def load_study(study_file: Path) -> StudyFile:
    """The study of ``study_file``, or a StudyFileError listing its errors."""
    result = check_study_file(study_file)
    if result.errors or result.study is None:
        first = result.errors[0]
        at = f"{study_file}:{first.line}" if first.line else str(study_file)
        count = len(result.errors)
        others = f"and {count - 1} more error(s); " if count > 1 else ""
        raise StudyFileError(
            f"{at}: {first.where}: {first.message}. Fix: {first.fix} ({others}`daeval study "
            f"check {study_file.parent}` lists every problem)"
        )
    return result.study


def _duplicates(report: _Report, base: str | Path_, ids: list[str]) -> None:
    base = (base,) if isinstance(base, str) else base
    for value, count in Counter(ids).items():
        if count > 1 and value:
            index = len(ids) - 1 - ids[::-1].index(value)
            report.add(
                "error", (*base, index, "id"), f"id {value!r} is used {count} times",
                "give each entry its own id",
            )  # fmt: skip


def _check_references(study: StudyFile, report: _Report, today: date) -> None:
    sites = {s.id: s for s in study.sites}
    interventions = {i.id: i for i in study.interventions}
    outcomes = {o.id for o in study.outcomes}
    methods = {m.id for m in study.methods}
    sources = {d.id for d in study.data_sources if d.id}
    for section, items in (
        ("sites", study.sites), ("interventions", study.interventions),
        ("outcomes", study.outcomes), ("methods", study.methods),
        ("research_questions", study.research_questions), ("references", study.references),
    ):  # fmt: skip
        _duplicates(report, section, [item.id for item in items])
    _duplicates(report, "data_sources", [d.id or "" for d in study.data_sources])
    _check_study_details(study, report, today)
    served: set[str] = set()
    for i, intervention in enumerate(study.interventions):
        for j, site in enumerate(intervention.sites):
            if site not in sites:
                report.unknown(("interventions", i, "sites", j), site, "site", sites)
            elif sites[site].comparator and not intervention.comparator:
                report.add(
                    "error", ("interventions", i, "sites", j),
                    f"site {site!r} is a comparator site but {intervention.id!r} is delivered "
                    "there", "remove the site here, or set comparator: false on the site",
                )  # fmt: skip
            served.add(site)
        if not intervention.comparator and intervention.theory_of_change is None:
            report.add(
                "warning", ("interventions", i), "no theory of change",
                "add theory_of_change: with nodes and links (see docs/study-file.md)",
            )  # fmt: skip
    for i, entry in enumerate(study.sites):
        if entry.id not in served:
            report.add(
                "warning", ("sites", i), f"no intervention is delivered at site {entry.id!r}",
                "list the site under an intervention's sites",
            )  # fmt: skip
    library = builtin_library()
    for i, outcome in enumerate(study.outcomes):
        for j, name in enumerate(outcome.interventions):
            if name not in interventions:
                report.unknown(("outcomes", i, "interventions", j), name, "intervention",
                               interventions)  # fmt: skip
        if not (outcome.instrument or outcome.measure or outcome.indicator):
            report.add(
                "error", ("outcomes", i), "says nothing of how the outcome is measured",
                "give an instrument (e.g. GAD7), a measure (e.g. re_referral_rate) or an indicator",
            )  # fmt: skip
        if outcome.instrument and outcome.instrument not in library:
            report.add(
                "warning", ("outcomes", i, "instrument"),
                f"{outcome.instrument!r} is not in daeval's questionnaire library, so answers "
                "can be kept but not scored",
                f"use one of {', '.join(library)}, or define it under instruments:",
            )  # fmt: skip
        if outcome.measure and outcome.measure not in MEASURE_NAMES:
            report.add(
                "error", ("outcomes", i, "measure"),
                f"{outcome.measure!r} is not a measure daeval computes",
                _choices(outcome.measure, MEASURE_NAMES, "measure") + " (docs/measures.md)",
            )  # fmt: skip
        if outcome.data_source is None:
            report.add(
                "warning", ("outcomes", i), "no data source",
                "name the data_sources entry (its id) the outcome's data will come from",
            )  # fmt: skip
        elif outcome.data_source not in sources and outcome.data_source not in TABLES:
            report.unknown(("outcomes", i, "data_source"), outcome.data_source, "data source",
                           sources)  # fmt: skip
    for i, method in enumerate(study.methods):
        for j, name in enumerate(method.data_sources):
            if name not in sources:
                report.unknown(("methods", i, "data_sources", j), name, "data source", sources)
    for i, question in enumerate(study.research_questions):
        where = ("research_questions", i)
        if not question.methods:
            report.add(
                "warning", where, f"research question {question.id} has no method",
                "list the methods that will answer it",
            )  # fmt: skip
        for key, known, what in (
            ("methods", methods, "method"), ("outcomes", outcomes, "outcome"),
            ("measures", MEASURE_NAMES, "measure"),
        ):  # fmt: skip
            for j, name in enumerate(getattr(question, key)):
                if name not in known:
                    report.unknown((*where, key, j), name, what, known)
    for i, activity in enumerate(study.timeline):
        if activity.end < activity.start:
            report.add(
                "error", ("timeline", i, "end"), f"ends ({activity.end}) before it starts "
                f"({activity.start})", "swap or correct the dates",
            )  # fmt: skip
        for j, name in enumerate(activity.methods):
            if name not in methods:
                report.unknown(("timeline", i, "methods", j), name, "method", methods)
    for i, source in enumerate(study.data_sources):
        if source.site and source.site not in sites:
            report.unknown(("data_sources", i, "site"), source.site, "site", sites)
        table = (source.model_extra or {}).get("table")
        if source.status != "received" and table is not None and table not in TABLES:
            report.add(
                "error", ("data_sources", i, "table"),
                f"{table!r} is not a table of the data contract",
                _choices(str(table), TABLES, "table"),
            )  # fmt: skip
    _check_partner_selection(study, report, interventions)


def _check_study_details(study: StudyFile, report: _Report, today: date) -> None:
    details = study.study
    if details is None:
        report.add(
            "warning", (), "no study: section",
            "add study: with title, data_protection and ethics (see docs/study-file.md)",
        )  # fmt: skip
        return
    retention = details.data_protection.retention
    where = ("study", "data_protection", "retention", "destruction_date")
    if retention.report_publication and retention.destruction_date < retention.report_publication:
        report.add(
            "error", where, "the data would be destroyed before the report is published",
            "correct destruction_date or report_publication",
        )  # fmt: skip
    if retention.destruction_date < today:
        report.add(
            "warning", where, f"the destruction date ({retention.destruction_date}) has passed",
            "destroy the study's personal data and its key, or record an agreed extension",
        )  # fmt: skip
    if details.start and details.end and details.end < details.start:
        report.add("error", ("study", "end"), "the study ends before it starts",
                   "correct start or end")  # fmt: skip
    ethics = details.ethics
    if ethics.status == "approved" and not (ethics.committee and ethics.approved_on):
        report.add(
            "warning", ("study", "ethics"), "approved, but by whom or when is not recorded",
            "add committee: and approved_on:",
        )  # fmt: skip


def _check_partner_selection(
    study: StudyFile, report: _Report, interventions: Mapping[str, Intervention]
) -> None:
    selection = study.partner_selection
    if selection is None:
        return
    base = ("partner_selection",)
    criteria = {c.id for c in selection.criteria}
    _duplicates(report, (*base, "criteria"), [c.id for c in selection.criteria])
    _duplicates(report, (*base, "applications"), [a.id for a in selection.applications])
    if selection.met_at > selection.scale:
        report.add("error", (*base, "met_at"), f"met_at {selection.met_at} is above the scale "
                   f"({selection.scale}), so no criterion can be met",
                   "lower met_at")  # fmt: skip
    if selection.minimum_met > len(criteria):
        report.add("error", (*base, "minimum_met"), f"asks for {selection.minimum_met} criteria "
                   f"met but there are {len(criteria)}", "lower minimum_met")  # fmt: skip
    for i, application in enumerate(selection.applications):
        where = (*base, "applications", i)
        for name, score in application.scores.items():
            if name not in criteria:
                report.unknown((*where, "scores", name), name, "criterion", criteria)
            elif not 0 <= score <= selection.scale:
                report.add("error", (*where, "scores", name), f"score {score} is outside "
                           f"0..{selection.scale}", f"score from 0 to {selection.scale}")  # fmt: skip
        missing = sorted(criteria - set(application.scores))
        if missing:
            report.add("warning", (*where, "scores"), f"not scored on {', '.join(missing)} "
                       "(counted as 0)", "score every criterion")  # fmt: skip
        if application.intervention and application.intervention not in interventions:
            report.unknown((*where, "intervention"), application.intervention, "intervention",
                           interventions)  # fmt: skip
    for i, name in enumerate(selection.diversity):
        if not any(name in a.characteristics for a in selection.applications):
            report.add("warning", (*base, "diversity", i), f"no application gives {name!r}",
                       "add it to the applications' characteristics or drop it")  # fmt: skip


def _check_theories(study: StudyFile, report: _Report) -> None:
    references = {r.id for r in study.references}
    outcomes = {o.id: o for o in study.outcomes}
    for i, intervention in enumerate(study.interventions):
        toc = intervention.theory_of_change
        if toc is None:
            continue
        base = ("interventions", i, "theory_of_change")
        ids = [n.id for n in toc.nodes]
        for value, count in Counter(ids).items():
            if count > 1:
                report.add("error", (*base, "nodes", ids.index(value), "id"), f"node id "
                           f"{value!r} is used {count} times", "give each node its own id")  # fmt: skip
        for j, link in enumerate(toc.links):
            for key, end in (("from", link.source), ("to", link.target)):
                if end not in ids:
                    report.unknown((*base, "links", j, key), end, "node", ids)
            if link.source == link.target:
                report.add("error", (*base, "links", j), "a node cannot lead to itself",
                           "link it to another node")  # fmt: skip
            for k, ref in enumerate(link.evidence):
                if ref not in references:
                    report.unknown((*base, "links", j, "evidence", k), ref, "reference",
                                   references)  # fmt: skip
        for j, node in enumerate(toc.nodes):
            where = (*base, "nodes", j)
            if not node.outcome:
                if node.type in OUTCOME_TYPES:
                    report.add("warning", where, f"outcome {node.id!r} has no measure or data "
                               "source", "link it to a study outcome (outcome: ID) that "
                               "names an instrument, measure or indicator and a data "
                               "source")  # fmt: skip
                continue
            for k, name in enumerate(node.outcome):
                at = (*where, "outcome", k) if len(node.outcome) > 1 else (*where, "outcome")
                _check_node_outcome(report, at, outcomes.get(name), name, outcomes, intervention)
        index = {n.id: j for j, n in enumerate(toc.nodes)}
        for node in unreached_outcomes(toc):
            report.add("warning", (*base, "nodes", index[node.id]), f"no activity leads to "
                       f"outcome {node.id!r}", "add links from an activity (through mechanisms "
                       "or outputs) to it")  # fmt: skip
        for node in dead_end_activities(toc):
            report.add("warning", (*base, "nodes", index[node.id]), f"activity {node.id!r} "
                       "leads to no outcome", "link it (through mechanisms or outputs) to an "
                       "outcome, or drop it")  # fmt: skip


def _check_node_outcome(
    report: _Report,
    at: Path_,
    outcome: Outcome | None,
    name: str,
    outcomes: Mapping[str, Outcome],
    intervention: Intervention,
) -> None:
    """An outcome node's study outcome exists, is the intervention's, and is measured from a
    data source."""
    if outcome is None:
        report.unknown(at, name, "outcome", outcomes)
    elif intervention.id not in outcome.interventions:
        report.add("warning", at, f"outcome {outcome.id!r} does not list intervention "
                   f"{intervention.id!r}", f"add {intervention.id} to the outcome's "
                   "interventions")  # fmt: skip
    elif outcome.data_source is None:
        report.add("warning", at, f"outcome {outcome.id!r} lacks a data source",
                   "give the outcome a data source")  # fmt: skip


def _without_place(message: str, study_file: Path, section: str) -> str:
    """A parser's message without the file and section it begins with (the problem says them)."""
    for prefix in (f"{study_file}: ", f"{study_file} ", f"{study_file.name}: ", "study.yaml "):
        message = message.removeprefix(prefix)
    head, sep, rest = message.partition(": ")
    if sep and head.startswith(section) and " " not in head.strip():
        return rest
    return message


def _check_other_parsers(document: Mapping[str, Any], study_file: Path, report: _Report) -> None:
    """Run the sections other parts of daeval read through their own parsers."""
    from daeval.ingest.mapping import parse_allowed_folders, parse_data_sources
    from daeval.instruments.settings import settings_from
    from daeval.link.study import threshold_from
    from daeval.study.comparison import comparison_from
    from daeval.study.equality import subgroups_from
    from daeval.study.screening import parse_screening

    checks: list[tuple[Path_, Callable[[], object]]] = [
        (("comparison",), lambda: comparison_from(document, study_file)),
        (("screening",), lambda: document.get("screening") is None
         or parse_screening(document["screening"], study_file.name)),
        (("instruments",), lambda: settings_from(document.get("instruments"),
                                                 f"{study_file.name} instruments")),
        (("equality_plan", "subgroups"), lambda: subgroups_from(document, study_file)),
        (("linkage",), lambda: threshold_from(document.get("linkage"), study_file)),
        (("allowed_folders",), lambda: parse_allowed_folders(document.get("allowed_folders"),
                                                             study_file.parent)),
    ]  # fmt: skip
    sources = document.get("data_sources")
    if isinstance(sources, list):
        for i, item in enumerate(sources):
            checks.append((("data_sources", i), functools.partial(parse_data_sources, [item])))
    for path, parse in checks:
        if path[0] not in document:
            continue
        try:
            parse()
        except DaevalError as exc:
            message = _without_place(str(exc), study_file, str(path[0]))
            report.add("error", path, message, "see docs/study-file.md for this section's form")
