"""The sections of the reports, following the field's questions: feasibility, promise,
acceptability, readiness for impact evaluation, children's pathways, equality, data quality, and
the definitions. Every figure comes from the controlled measures table; a section whose inputs
are missing says what would fill it.

``site`` is None for the cross-site report, else the site a report is about.
"""

from __future__ import annotations

import math

from daeval.design.recruitment import Funnel
from daeval.instruments.library import builtin_library
from daeval.model.measure_row import MeasureRow
from daeval.report import charts
from daeval.report.blocks import (
    Block,
    Image,
    Section,
    Text,
    count,
    frac,
    label,
    n,
    percent,
    share,
    statistic,
    with_ci,
)
from daeval.report.figures import by_category
from daeval.report.inputs import Inputs
from daeval.report.tables import Table

NO_MEASURES = "No measures yet: run `daeval measures --workspace WS`, then the report again."
FUNNEL = ("referred", "eligible", "contacted", "accepted", "started", "completed")
CHANGE = ("reliably_improved", "unchanged", "reliably_deteriorated")
TRAJECTORY = ("no_repeat", "repeat_same_level", "escalated", "de_escalated")
ROUTES = ("referral", "assessment", "cin_plan", "cp_plan", "cla")
SUBGROUPS = ("area", "sex", "age_band", "ethnicity_group", "disability")


def _scope(site: str | None) -> tuple[str, str | None]:
    return ("site_id", site) if site else ("all", None)


def feasibility(inputs: Inputs, site: str | None) -> Section:
    title = "Evidence of feasibility: referral, engagement and drop-out"
    figures = inputs.figures
    if figures is None:
        return Section("feasibility", title, missing=NO_MEASURES)
    group_by, group = _scope(site)
    stages = by_category(figures.select("service_funnel", group_by, group))
    if not stages:
        return Section("feasibility", title, missing="No service episodes were loaded "
                       "(service_episodes), so there is no funnel.")  # fmt: skip
    counts = [(label(s), stages[s].numerator if s in stages else None) for s in FUNNEL]
    blocks: list[Block] = [
        charts.funnel_chart(f"funnel-{site or 'all'}", "Service funnel", counts),
        Table(
            f"funnel_{site or 'all'}",
            "Service funnel" + (f": {site}" if site else ": all sites"),
            ("Stage", "People", "Share of the stage before"),
            rows=tuple((label(s), n(r.numerator), frac(r.value)) for s, r in stages.items()),
            percent_columns=("Share of the stage before",),
            note="Each stage counts the episodes that reached it among those that reached the "
            "stage before (service_funnel).",
        ),
    ]
    dropout = figures.select("dropout_rate", "site_id")
    if dropout and site is None:
        blocks.append(Table(
            "dropout_by_site", "Drop-out by site", ("Site", "Dropped out", "Started", "Rate"),
            rows=tuple((r.group, n(r.numerator), n(r.denominator), frac(r.value))
                  for r in dropout),
            percent_columns=("Rate",),
            note="Among episodes that started and ended, the share that ended other than by "
            "completing (dropout_rate).",
        ))  # fmt: skip
    elif site is not None:
        row = figures.one("dropout_rate", group_by="site_id", group=site)
        if row is not None:
            blocks.append(Text(f"Drop-out: {percent(row.value)} of {count(row.denominator)} "
                               "episodes that started and ended did not complete."))  # fmt: skip
    funnel = inputs.funnels.get(site) if site else None
    if funnel is not None:
        blocks.append(Text(
            f"Observed recruitment: {funnel.mean_referrals:.1f} referrals a month, of which "
            f"{percent(funnel.conversion)} pass every stage to follow-up."))  # fmt: skip
        projection = _projection(inputs, site, funnel) if site else None
        if projection is not None:
            blocks.append(projection)
    return Section("feasibility", title, tuple(blocks))


def _projection(inputs: Inputs, site: str, funnel: Funnel) -> Block | None:
    """Recruitment projected from the site's observed funnel towards the sample the study's
    design for its intervention needs (``daeval design recruitment``)."""
    from daeval.design.recruitment import project
    from daeval.study.readiness import needed_participants

    wanted = inputs.site_intervention(site)
    intervention = next((i for i in inputs.study.interventions if i.id == wanted), None) if (
        inputs.study) else None  # fmt: skip
    design = intervention.readiness.design if intervention and intervention.readiness else None
    if design is None or funnel.conversion <= 0:
        return None
    total = needed_participants(design)
    result = project(funnel, per_arm=math.ceil(total / 2), runs=500, seed=0)
    curve = result.curve
    last = next((m for m in range(len(curve)) if curve[m][0] >= result.total_needed),
                len(curve) - 1)  # fmt: skip
    points = [(m + 1, float(curve[m][1]), float(curve[m][0]), float(curve[m][2]))
              for m in range(min(last + 6, len(curve)))]  # fmt: skip
    return charts.projection_chart(
        f"projection-{site}", f"Recruitment towards {result.total_needed} participants "
        f"(effect size {design.effect_size:g} SD)", points, float(result.total_needed))  # fmt: skip


def outcome_table(inputs: Inputs, site: str | None) -> Table | None:
    """Change from baseline to end by instrument: mean change and effect size with their
    confidence intervals, and the reliable-change shares."""
    if inputs.figures is None:
        return None
    group_by, group = _scope(site)
    library = builtin_library()
    by_code: dict[str, dict] = {}
    for measure in ("reliable_change", "clinical_change"):
        for row in inputs.figures.select(measure, group_by, group):
            code, _, category = (row.category or "").partition(":")
            key = category if measure == "reliable_change" else f"clinical_{category}"
            by_code.setdefault(code, {})[key] = row
    if not by_code:
        return None
    rows = []
    for code in sorted(by_code):
        o = by_code[code]
        name = library[code].name if code in library else code
        better = (
            " (higher is better)" if code in library and not library[code].higher_is_worse else ""
        )
        mean = o.get("mean_change")
        rows.append((
            f"{name} ({code}){better}",
            n(mean.numerator) if mean else "",
            with_ci(mean), with_ci(o.get("effect_size")),
            *(frac(o[c].value) if c in o else "n/a" for c in
              ("reliably_improved", "unchanged", "reliably_deteriorated", "clinical_recovered")),
        ))  # fmt: skip
    return Table(
        f"outcomes_{site or 'all'}",
        "Change from baseline to end, by instrument" + (f": {site}" if site else ": all sites"),
        ("Instrument", "People", "Mean change (95% CI)", "Effect size (95% CI)",
         "Reliably improved", "Unchanged", "Reliably deteriorated", "Recovered"),
        rows=tuple(rows),
        percent_columns=("Reliably improved", "Unchanged", "Reliably deteriorated", "Recovered"),
        note="People with a valid baseline and end questionnaire (same instrument and "
        "respondent); change is end minus baseline; reliable change by Jacobson and Truax with "
        "each instrument's published threshold; n/a where an instrument has none.",
    )  # fmt: skip


def promise(inputs: Inputs, site: str | None) -> Section:
    title = "Evidence of promise: outcomes and pathways compared"
    if inputs.figures is None:
        return Section("outcomes", title, missing=NO_MEASURES)
    blocks: list[Block] = []
    table = outcome_table(inputs, site)
    if table is not None:
        groups: dict[str, dict[str, float | None]] = {}
        group_by, group = _scope(site)
        for row in inputs.figures.select("reliable_change", group_by, group):
            code, _, category = (row.category or "").partition(":")
            if category in CHANGE:
                groups.setdefault(code, {})[category] = share(row)
        groups = {k: v for k, v in groups.items() if v}
        effects = [
            ((row.category or "").partition(":")[0], row.value, row.ci_lower, row.ci_upper)
            for row in inputs.figures.select("reliable_change", group_by, group)
            if (row.category or "").endswith(":effect_size")
        ]
        if effects:
            blocks.append(charts.bar_chart(
                f"effect-{site or 'all'}", "Standardised change from baseline to end, by "
                "instrument", effects, "effect size (SD of the baseline scores)",
                percent=False))  # fmt: skip
        blocks += _band_charts(inputs, site, groups)
        if groups:
            blocks.append(charts.category_bars(
                f"change-{site or 'all'}", "Reliable change by instrument", groups,
                list(CHANGE), "Share of people"))  # fmt: skip
        blocks.append(table)
    else:
        blocks.append(Text("No questionnaire answers (measure_responses) were loaded, so there "
                           "are no outcome figures."))  # fmt: skip
    if site is None:
        compared = _comparison_table(inputs)
        if compared is not None:
            blocks.append(compared)
        else:
            blocks.append(Text("No comparison is declared in study.yaml (comparison:), so "
                               "pathways are not compared with comparison areas."))  # fmt: skip
    return Section("outcomes", title, tuple(blocks))


def _band_charts(
    inputs: Inputs, site: str | None, groups: dict[str, dict[str, float | None]]
) -> list[Block]:
    """A pre/post plot with the bands for each instrument with a reliable change threshold and
    at least one share that passed disclosure control."""
    from daeval.instruments.change import change_rules
    from daeval.instruments.settings import JACOBSON_TRUAX, settings_from
    from daeval.report.change_chart import change_band_chart, total_range

    section = None
    if inputs.workspace.study_file.exists():
        from daeval.study.document import read_document

        section = read_document(inputs.workspace.study_file).get("instruments")
    settings = settings_from(section, "study.yaml instruments")
    rules = change_rules(settings)
    group_by, group = _scope(site)
    assert inputs.figures is not None
    clinical = {
        (r.category or "").partition(":")[0]: share(r)
        for r in inputs.figures.select("clinical_change", group_by, group)
        if (r.category or "").endswith(":recovered")
    }
    out: list[Block] = []
    for code, shares in sorted(groups.items()):
        rule = rules.get(code)
        if rule is None or rule.name != JACOBSON_TRUAX or not rule.threshold:
            continue
        if all(v is None for v in shares.values()) or total_range(settings.library[code]) is None:
            continue
        with_recovery = {**shares, "recovered": clinical[code]} if code in clinical else shares
        out.append(change_band_chart(f"band-{code}-{site or 'all'}", settings.library[code],
                                     rule.threshold, rule.cutoff, with_recovery))  # fmt: skip
    return out


def _comparison_table(inputs: Inputs) -> Table | None:
    assert inputs.figures is not None
    rows = []
    for measure in ("re_referral_rate", "repeat_notification_rate", "csc_referral_within_window"):
        arms = {r.group: r for r in inputs.figures.select(measure, "arm") if not r.category}
        if not arms:
            continue
        did = {r.group: r for r in inputs.figures.select(measure, "arm_phase") if not r.category}
        rows.append((
            measure, frac(share(arms.get("intervention"))),
            frac(share(arms.get("comparator"))), with_ci(arms.get("difference"), True),
            with_ci(did.get("difference_in_differences"), True) or "n/a",
        ))  # fmt: skip
    if not rows:
        return None
    return Table(
        "comparison", "Intervention against comparison areas",
        ("Measure", "Intervention", "Comparator", "Difference (95% CI)",
         "Difference in differences (95% CI)"),
        rows=tuple(rows),
        percent_columns=("Intervention", "Comparator"),
        note="Areas as study.yaml's comparison declares them; n/a where there is no period "
        "before the service started.",
    )  # fmt: skip


def acceptability(inputs: Inputs, site: str | None) -> Section:
    title = "Acceptability"
    if inputs.study is None:
        return Section(
            "acceptability", title, missing=f"No study file to read: {inputs.study_problem}."
        )
    wanted = inputs.site_intervention(site) if site else None
    rows = []
    for intervention in inputs.study.interventions:
        if intervention.readiness is None or (site and intervention.id != wanted):
            continue
        for f in intervention.readiness.acceptability:
            rows.append((intervention.id, f.stakeholder, f.rating, f.finding, f.source or ""))
    if not rows:
        return Section("acceptability", title, missing="No acceptability findings are recorded "
                       "in study.yaml (interventions[].readiness.acceptability).")  # fmt: skip
    return Section("acceptability", title, (Table(
        f"acceptability_{site or 'all'}", "Acceptability findings",
        ("Intervention", "Stakeholder", "Rating", "Finding", "Source"), tuple(rows),
        note="As recorded in study.yaml; the study file marks findings that are illustrative.",
    ),))  # fmt: skip


def readiness(inputs: Inputs, site: str | None) -> Section:
    from daeval.study.readiness import overall

    title = "Readiness for impact evaluation"
    if inputs.study is None:
        return Section(
            "readiness", title, missing=f"No study file to read: {inputs.study_problem}."
        )
    lines = list(inputs.readiness)
    if site:
        wanted = inputs.site_intervention(site)
        lines = [line for line in lines if line.intervention == wanted]
    if not lines:
        return Section("readiness", title, missing="No intervention under study in study.yaml.")
    verdicts = overall(lines)
    blocks: list[Block] = [Table(
        f"readiness_{site or 'all'}", "Readiness scorecard",
        ("Intervention", "Aspect", "Rating", "Evidence"),
        tuple((line.intervention, line.aspect, line.rating, line.evidence) for line in lines),
        note="Overall: " + "; ".join(f"{k} {v}" for k, v in verdicts.items()) + ". Rules: "
        "docs/study-file.md.",
    )]  # fmt: skip
    design = _design_table(inputs, site)
    if design is not None:
        blocks.append(design)
    return Section("readiness", title, tuple(blocks))


def _design_table(inputs: Inputs, site: str | None) -> Table | None:
    """Which design fits the sites' observed throughput (``daeval design fit``)."""
    from daeval.design.fit import Throughput, compare

    funnels = {k: v for k, v in inputs.funnels.items() if site in (None, k)}
    if not funnels or site is not None:
        return None
    per_site = sum(f.mean_referrals * f.conversion for f in funnels.values()) / len(funnels)
    if per_site <= 0:
        return None
    rows = compare(Throughput(per_site, len(funnels), 5, 0.05), 18, 0.3)
    return Table(
        "design_comparison", "Which design fits: 18 months of recruitment at every site",
        ("Design", "Clusters", "Participants", "MDES", "Months to MDES 0.3"),
        tuple((r["design"].replace("_", " "), "" if r["clusters"] is None else r["clusters"],
               r["participants"], "not possible" if r["mdes"] is None else f"{r['mdes']:.3f}",
               "more than 120" if r["months_to_target"] is None else r["months_to_target"])
              for r in rows),
        note=f"{per_site:.2f} analysable participants a month per site (the mean of the sites' "
        "observed funnels); 5 practitioners a site; ICC 0.05 (daeval design fit).",
    )  # fmt: skip


def pathways(inputs: Inputs, site: str | None) -> Section:
    title = "Children's pathways"
    figures = inputs.figures
    if figures is None:
        return Section("pathways", title, missing=NO_MEASURES)
    if site is not None:
        return Section("pathways", title, (Text(
            "Pathways are measured across the local authority, not per service: see the "
            "cross-site report."),))  # fmt: skip
    blocks: list[Block] = []
    headline = figures.one("re_referral_rate")
    if headline is not None:
        blocks.append(Text(f"Re-referral rate: {percent(headline.value)} of "
                           f"{count(headline.denominator)} referrals were re-referrals within "
                           "12 months of an earlier referral.", "lede"))  # fmt: skip
    flows = []
    for level in ("standard", "medium", "high"):
        for r in figures.select("risk_trajectory", "risk_level", level):
            flows.append((f"{label(level)} risk", label(r.category or ""), r.numerator))
    if flows:
        blocks.append(charts.sankey_chart("trajectory", "Risk at the next notification, by "
                                          "risk at the first", flows))  # fmt: skip
    trajectory = by_category(figures.select("risk_trajectory"))
    if trajectory:
        blocks.append(_category_table(
            "risk_trajectory", "Risk trajectories after a graded notification",
            ("Trajectory", "Victims"), trajectory,
            "risk_trajectory: the victim's notifications in the year after one graded standard, "
            "medium or high."))  # fmt: skip
    routes = by_category(figures.select("csc_outcome_within_window"))
    if routes:
        flows = _route_flows(inputs)
        if flows:
            blocks.append(charts.sankey_chart(
                "routes", "The furthest step into children's social care within a year, by risk "
                "at the notification", flows, columns=("Risk at the notification",
                                                       "Furthest step")))  # fmt: skip
        blocks.append(_category_table(
            "routes", "How far into children's social care, within a year of a notification",
            ("Step reached", "Children"), routes,
            "csc_outcome_within_window: each step counts the children who reached it."))  # fmt: skip
    km = figures.select("km_csc_referral")
    if km:
        points = [(float(r.category or 0), r.value, r.ci_lower, r.ci_upper) for r in km]
        blocks.append(charts.survival_chart(
            "km", "Time to a first referral after a notification", {"All children": points},
            "Cumulative share referred"))  # fmt: skip
    screening = by_category(figures.select("screening_funnel"))
    if screening:
        blocks.append(_category_table(
            "screening", "After a no-further-action decision: screening for early help",
            ("Stage", "Referrals"), screening,
            "screening_funnel: the study's cohort of referrals closed with no further action."))  # fmt: skip
    if not blocks:
        return Section("pathways", title, missing="No police or CSC measures were computed.")
    return Section("pathways", title, tuple(blocks))


def _category_table(
    key: str, title: str, columns: tuple[str, str], rows: dict[str, MeasureRow], note: str
) -> Table:
    """A table of one measure's categories: each with its count and share."""
    return Table(
        key, title, (*columns, "Share"),
        rows=tuple((label(k), n(r.numerator), frac(r.value)) for k, r in rows.items()),
        percent_columns=("Share",), note=note,
    )  # fmt: skip


def _route_flows(inputs: Inputs) -> list[tuple[str, str, int | None]]:
    """Children by risk level at the notification and the furthest step they reached: the
    difference of the controlled counts of one step and the next (a difference of 7 or fewer,
    or one that rests on a suppressed count, is shown as suppressed)."""
    assert inputs.figures is not None
    flows: list[tuple[str, str, int | None]] = []
    for level in ("standard", "medium", "high"):
        reached = by_category(inputs.figures.select("csc_outcome_within_window", "risk_level",
                                                    level))  # fmt: skip
        if not reached:
            continue
        index = next(iter(reached.values())).denominator
        chain = [index, *(reached[s].numerator if s in reached else None for s in ROUTES), 0]
        names = ["No referral", *(label(s) for s in ROUTES)]
        for i, name in enumerate(names):
            high, low = chain[i], chain[i + 1]
            flow = None if high is None or low is None or high - low <= 7 else high - low
            flows.append((f"{label(level)} risk", name, flow))
    return flows


HEADLINES: tuple[tuple[str, str | None, str], ...] = (
    ("re_referral_rate", None, "Re-referral rate"),
    ("dropout_rate", None, "Drop-out"),
    ("service_funnel", "completed", "Completed the service, of those who started"),
    ("csc_referral_within_window", None, "Referred to CSC within a year of a notification"),
)
"""Headline figures (measure, category) shown by every subgroup of the equality plan; reliable
improvement on each questionnaire is added by instrument."""


def _headlines(inputs: Inputs) -> list[tuple[str, str | None, str]]:
    assert inputs.figures is not None
    codes = sorted({
        (r.category or "").partition(":")[0] for r in inputs.figures.select("reliable_change")
        if (r.category or "").endswith(":reliably_improved")
    })  # fmt: skip
    return [*HEADLINES, *(("reliable_change", f"{c}:reliably_improved",
                           f"Reliably improved on {c}") for c in codes)]  # fmt: skip


def equality(inputs: Inputs, site: str | None) -> Section:
    title = "Equality: headline figures by subgroup"
    figures = inputs.figures
    if figures is None:
        return Section("equality", title, missing=NO_MEASURES)
    if site is not None:
        return Section("equality", title, (Text("Subgroup figures for one site are mostly too "
                       "small to publish: see the cross-site report."),))  # fmt: skip
    subgroups = [s for s in figures.meta.get("subgroups", SUBGROUPS) if s in SUBGROUPS]
    blocks: list[Block] = []
    for measure, category, name in _headlines(inputs):
        found = [
            (subgroup, r)
            for subgroup in subgroups
            for r in figures.select(measure, subgroup)
            if r.category == category
        ]
        if not found:
            continue
        key = f"{measure}-{category or 'all'}".replace(":", "-").replace("_", "-")
        if any(share(r) is not None for _, r in found):
            blocks.append(charts.bar_chart(
                f"equality-{key}", f"{name} by subgroup",
                [(f"{label(g)}: {r.group}", share(r), None, None) for g, r in found], name))  # fmt: skip
        blocks.append(Table(
            f"equality_{key}", f"{name} by subgroup",
            ("Subgroup", "Group", "Numerator", "Denominator", "Rate"),
            rows=tuple((label(g), r.group, n(r.numerator), n(r.denominator), frac(r.value))
                  for g, r in found),
            percent_columns=("Rate",),
            note="Groups whose counts would identify a child are suppressed.",
        ))  # fmt: skip
    if not blocks:
        return Section("equality", title, missing="No measure was broken down by subgroup.")
    return Section("equality", title, tuple(blocks))


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
        from daeval.privacy.disclosure_control import controlled_count

        blocks.append(Table(
            "linkage", "Linkage",
            ("Records", "People", "Pairs linked", "Trusted links", "Threshold", "Model"),
            ((n(controlled_count(int(link.get("records", 0)), inputs.policy)),
              n(controlled_count(int(link.get("people", 0)), inputs.policy)),
              n(controlled_count(int(link.get("pairs_linked", 0)), inputs.policy)),
              n(controlled_count(int(link.get("trusted_links", 0)), inputs.policy)),
              statistic(link.get("threshold")), str(link.get("model", ""))),),
            note="docs/linkage.md explains the model and the threshold.",
        ))  # fmt: skip
    return Section("data-quality", title, tuple(blocks))


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
        _, png = render_toc(
            toc, intervention.name, inputs.workspace.outputs / "toc" / intervention.id
        )
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


SECTIONS = (feasibility, promise, acceptability, readiness, pathways, equality, data_quality,
            theory_of_change, definitions)  # fmt: skip


def build_sections(inputs: Inputs, site: str | None = None) -> list[Section]:
    return [make(inputs, site) for make in SECTIONS]
