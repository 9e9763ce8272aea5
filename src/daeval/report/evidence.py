"""Report sections on the intervention's evidence: feasibility (referral, engagement, drop-out,
recruitment), promise (outcome change and comparison areas), acceptability and readiness for
impact evaluation."""

from __future__ import annotations

import math

from daeval.design.recruitment import Funnel
from daeval.instruments.library import builtin_library
from daeval.report import charts, curves
from daeval.report.blocks import (
    NO_MEASURES,
    Block,
    Section,
    Text,
    count,
    frac,
    label,
    n,
    percent,
    scope,
    share,
    with_ci,
)
from daeval.report.figures import by_category
from daeval.report.inputs import Inputs
from daeval.report.tables import Table
from daeval.study.readiness import SUPPRESSED_FUNNEL, released

FUNNEL = ("referred", "eligible", "contacted", "accepted", "started", "completed")
CHANGE = ("reliably_improved", "unchanged", "reliably_deteriorated")


def feasibility(inputs: Inputs, site: str | None) -> Section:
    title = "Evidence of feasibility: referral, engagement and drop-out"
    figures = inputs.figures
    if figures is None:
        return Section("feasibility", title, missing=NO_MEASURES)
    group_by, group = scope(site)
    stages = by_category(figures.select("service_funnel", group_by, group))
    if not stages:
        return Section("feasibility", title, missing="No service episodes were loaded "
                       "(service_episodes), so there is no funnel.")  # fmt: skip
    counts = [(label(s), stages[s].numerator if s in stages else None) for s in FUNNEL]
    blocks: list[Block] = [
        charts.funnel_chart(f"funnel-{inputs.key(site)}", "Service funnel", counts),
        Table(
            f"funnel_{inputs.key(site)}",
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
    if site in inputs.funnels and funnel is None:
        blocks.append(Text(f"Observed recruitment: {SUPPRESSED_FUNNEL}, so it is not shown "
                           "or projected."))  # fmt: skip
    elif funnel is not None:
        blocks.append(Text(
            f"Observed recruitment: {funnel.mean_referrals:.1f} referrals a month, of which "
            f"{percent(funnel.conversion)} pass every stage to follow-up (referrals_per_month, "
            "recruitment_funnel)."))  # fmt: skip
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
    return curves.projection_chart(
        f"projection-{inputs.key(site)}", f"Recruitment towards {result.total_needed} participants "
        f"(effect size {design.effect_size:g} SD)", points, float(result.total_needed))  # fmt: skip


def outcome_table(inputs: Inputs, site: str | None) -> Table | None:
    """Change from baseline to end by instrument: mean change and effect size with their
    confidence intervals, and the reliable-change shares."""
    if inputs.figures is None:
        return None
    group_by, group = scope(site)
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
        f"outcomes_{inputs.key(site)}",
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
        group_by, group = scope(site)
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
                f"effect-{inputs.key(site)}", "Standardised change from baseline to end, by "
                "instrument", effects, "effect size (SD of the baseline scores)",
                percent=False))  # fmt: skip
        blocks += _band_charts(inputs, site, groups)
        if groups:
            blocks.append(charts.category_bars(
                f"change-{inputs.key(site)}", "Reliable change by instrument", groups,
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
    group_by, group = scope(site)
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
        out.append(change_band_chart(f"band-{code}-{inputs.key(site)}", settings.library[code],
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
        f"acceptability_{inputs.key(site)}", "Acceptability findings",
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
        f"readiness_{inputs.key(site)}", "Readiness scorecard",
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

    funnels = released(inputs.funnels)
    if not funnels or site is not None:
        return None
    per_site = sum(f.mean_referrals * f.conversion for f in funnels.values()) / len(funnels)
    if per_site <= 0:
        return None
    rows = compare(Throughput(per_site, len(inputs.funnels), 5, 0.05), 18, 0.3)
    return Table(
        "design_comparison", "Which design fits: 18 months of recruitment at every site",
        ("Design", "Clusters", "Participants", "MDES", "Months to MDES 0.3"),
        tuple((r["design"].replace("_", " "), "" if r["clusters"] is None else r["clusters"],
               r["participants"], "not possible" if r["mdes"] is None else f"{r['mdes']:.3f}",
               "more than 120" if r["months_to_target"] is None else r["months_to_target"])
              for r in rows),
        note=f"{per_site:.2f} analysable participants a month per site (the mean of the sites' "
        "observed funnels disclosure control released); 5 practitioners a site; ICC 0.05 "
        "(daeval design fit).",
    )  # fmt: skip
