"""``daeval design``: recruitment projection, MDES and sample size, which design fits."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from daeval.errors import DaevalError, MissingDataError

design_app = typer.Typer(
    name="design",
    help="Plan an evaluation: recruitment time, minimum detectable effects, sample size.",
    no_args_is_help=True,
)
out = Console()


class DesignKind(StrEnum):
    """What is randomised (``--design``): individuals, or clusters at two or three levels."""

    individual = "individual"
    cluster2 = "cluster2"
    cluster3 = "cluster3"


DesignOption = Annotated[
    DesignKind,
    typer.Option("--design", help="Individuals, or clusters of two or three levels."),
]
ClustersOption = Annotated[
    int,
    typer.Option("--clusters", help="Clusters (cluster2), or level-2 clusters per top cluster."),
]
ClusterSize = Annotated[float, typer.Option("--cluster-size", help="Individuals per cluster.")]
TopClusters = Annotated[int, typer.Option("--top-clusters", help="Top-level clusters (cluster3).")]
Icc = Annotated[float, typer.Option("--icc", help="Intraclass correlation at the cluster level.")]
IccTop = Annotated[float, typer.Option("--icc-top", help="Intraclass correlation, top level.")]
R2 = Annotated[float, typer.Option("--r2", help="Outcome variance explained by covariates.")]
R2Cluster = Annotated[float, typer.Option("--r2-cluster", help="R² at the cluster level.")]
R2Top = Annotated[float, typer.Option("--r2-top", help="R² at the top level.")]
Covariates = Annotated[
    int, typer.Option("--covariates", help="Covariates at the randomised level.")
]
Treated = Annotated[float, typer.Option("--treated", help="Share randomised to the intervention.")]
Alpha = Annotated[float, typer.Option("--alpha", help="Significance level.")]
PowerOption = Annotated[float, typer.Option("--power", help="Power.")]
Attrition = Annotated[float, typer.Option("--attrition", help="Share randomised but not analysed.")]
OneSided = Annotated[bool, typer.Option("--one-sided", help="A one-sided test.")]
Json = Annotated[bool, typer.Option("--json", help="Print a JSON object instead of text.")]
Chart = Annotated[Path | None, typer.Option("--chart", help="Write a chart (SVG) here.")]
Force = Annotated[
    bool, typer.Option("--force", help="Replace the --chart file if it exists already.")
]


def _design(kind: DesignKind, options: dict) -> object:
    """The Design the command's options describe (``options``: the command's local names)."""
    from daeval.design.power import Design

    n = options["n"] if kind == "individual" and "n" in options else options["cluster_size"]
    return Design(
        kind.value,  # type: ignore[arg-type]
        n=n,
        clusters=options["clusters"],
        top_clusters=options.get("top_clusters", 1),
        icc=options["icc"] if kind != "individual" else 0.0,
        icc_top=options["icc_top"],
        r2_individual=options["r2"],
        r2_cluster=options["r2_cluster"],
        r2_top=options["r2_top"],
        covariates=options["covariates"],
        treated=options["treated"],
        alpha=options["alpha"],
        power=options["power"],
        two_sided=not options["one_sided"],
        attrition=options["attrition"],
    )


def _check_ranges(*ranges: tuple[str, float, float, float | None]) -> None:
    """Refuse an option outside its range: (option, value, lowest, a bound it must stay below
    or None); a count's lowest is 1, a share's range 0 to below 1."""
    for option, value, lowest, below in ranges:
        if value < lowest or (below is not None and value >= below):
            within = f"at least {lowest:g}" + ("" if below is None else f" and below {below:g}")
            raise DaevalError(f"{option} {value:g}: give a value {within}")


def _check_positive(*values: tuple[str, float]) -> None:
    """Refuse an option (option, value) that is not above 0."""
    for option, value in values:
        if not value > 0:
            raise DaevalError(f"{option} {value:g}: give a number above 0")


def _write_chart(path: Path, svg: str) -> None:
    from daeval.whole_files import written_whole

    with written_whole(path) as temporary:
        temporary.write_text(svg, encoding="utf-8")


def _print_json(data: object) -> None:
    out.print_json(json.dumps(data, default=float))


@design_app.command("mdes")
def mdes_command(
    kind: DesignOption = DesignKind.individual,
    n: Annotated[float, typer.Option("--n", help="Individuals in all (individual).")] = 100,
    clusters: ClustersOption = 20,
    cluster_size: ClusterSize = 10,
    top_clusters: TopClusters = 10,
    icc: Icc = 0.05,
    icc_top: IccTop = 0.0,
    r2: R2 = 0.0,
    r2_cluster: R2Cluster = 0.0,
    r2_top: R2Top = 0.0,
    covariates: Covariates = 0,
    treated: Treated = 0.5,
    alpha: Alpha = 0.05,
    power: PowerOption = 0.80,
    attrition: Attrition = 0.0,
    one_sided: OneSided = False,
    baseline_rate: Annotated[
        float | None,
        typer.Option("--baseline-rate", help="For a binary outcome: the rate without the service."),
    ] = None,
    as_json: Json = False,
    chart: Chart = None,
    force: Force = False,
) -> None:
    """The minimum detectable effect size (in SDs), with an ICC sensitivity table for clusters."""
    from daeval.cli.output_paths import check_outputs

    check_outputs({"--chart": chart}, force=force)
    from daeval.design.charts import power_curves_svg
    from daeval.design.power import detectable_rate, icc_sensitivity, mdes, power_curve

    design = _design(kind, locals())
    value = mdes(design)  # type: ignore[arg-type]
    result: dict = {"mdes": value, "design": asdict(design)}  # type: ignore[call-overload]
    if baseline_rate is not None:
        result["baseline_rate"] = baseline_rate
        result["detectable_rate"] = detectable_rate(baseline_rate, value)
    if kind != "individual":
        table = icc_sensitivity(design)  # type: ignore[arg-type]
        if baseline_rate is not None:
            for row in table:
                row["detectable_rate"] = detectable_rate(baseline_rate, row["mdes"])
        result["icc_sensitivity"] = table
    if chart is not None:
        effects = [i / 50 for i in range(1, 76)]
        designs = {"this design": design}
        if kind != "individual":
            designs = {f"ICC {r['icc']:g}": replace(design, icc=r["icc"]) for r in table}  # type: ignore[type-var]
        curves = {label: power_curve(d, effects) for label, d in designs.items()}  # type: ignore[arg-type]
        _write_chart(chart, power_curves_svg(curves, "Effect size (SD)"))
    if as_json:
        _print_json(result)
        return
    out.print(f"MDES: {value:.3f} SD ({kind}, power {power:g}, alpha {alpha:g})")
    if baseline_rate is not None:
        out.print(
            f"Detectable change from a rate of {baseline_rate:.1%}: to {result['detectable_rate']:.1%}"
        )
    if kind != "individual":
        grid = Table(title="MDES by ICC (no ICCs are published for this field)")
        grid.add_column("ICC", justify="right")
        grid.add_column("MDES (SD)", justify="right")
        if baseline_rate is not None:
            grid.add_column("Detectable rate", justify="right")
        for row in result["icc_sensitivity"]:
            cells = [f"{row['icc']:g}", f"{row['mdes']:.3f}"]
            if baseline_rate is not None:
                cells.append(f"{row['detectable_rate']:.1%}")
            grid.add_row(*cells)
        out.print(grid)
    if chart is not None:
        out.print(f"Chart: {chart}")


@design_app.command("sample-size")
def sample_size_command(
    target: Annotated[
        float | None, typer.Option("--mdes", help="The effect size to detect, in SDs.")
    ] = None,
    baseline_rate: Annotated[
        float | None, typer.Option("--baseline-rate", help="Binary outcome: the rate without.")
    ] = None,
    target_rate: Annotated[
        float | None, typer.Option("--target-rate", help="Binary outcome: the rate to detect.")
    ] = None,
    kind: DesignOption = DesignKind.individual,
    clusters: ClustersOption = 20,
    cluster_size: ClusterSize = 10,
    icc: Icc = 0.05,
    icc_top: IccTop = 0.0,
    r2: R2 = 0.0,
    r2_cluster: R2Cluster = 0.0,
    r2_top: R2Top = 0.0,
    covariates: Covariates = 0,
    treated: Treated = 0.5,
    alpha: Alpha = 0.05,
    power: PowerOption = 0.80,
    attrition: Attrition = 0.0,
    one_sided: OneSided = False,
    as_json: Json = False,
) -> None:
    """The sample needed: individuals (individual), clusters (cluster2) or top-level clusters
    (cluster3), for an effect size or for a change in a rate."""
    import math

    from daeval.design.power import SIZES, sample_size

    if target is None:
        if baseline_rate is None or target_rate is None:
            raise DaevalError("give --mdes, or --baseline-rate and --target-rate")
        for name, rate in (("--baseline-rate", baseline_rate), ("--target-rate", target_rate)):
            if not 0 < rate < 1:
                raise DaevalError(f"{name} must be between 0 and 1")
        target = abs(
            2 * math.asin(math.sqrt(target_rate)) - 2 * math.asin(math.sqrt(baseline_rate))
        )
    design = _design(kind, locals())
    units = sample_size(design, target)  # type: ignore[arg-type]
    sized = replace(design, **{SIZES[kind]: units})  # type: ignore[type-var]
    individuals = sized.total_individuals()  # type: ignore[attr-defined]
    unit = {"individual": "individuals", "cluster2": "clusters", "cluster3": "top-level clusters"}[
        kind
    ]
    if as_json:
        _print_json({"units": units, "unit": unit, "individuals": individuals, "mdes": target})
        return
    randomised = "" if kind == "individual" else f" ({individuals:,.0f} individuals randomised)"
    out.print(f"{units:,} {unit}{randomised} to detect {target:.3f} SD")


def _parse_ratio(text: str) -> tuple[int, int]:
    try:
        a, b = (int(x) for x in text.split(":"))
    except ValueError:
        raise DaevalError(f"--ratio {text!r}: write it as 1:1 or 2:1") from None
    return a, b


def _parse_stage(text: str) -> object:
    from daeval.design.recruitment import STAGES, Stage

    name, _, value = text.partition("=")
    if name not in STAGES or not value:
        raise DaevalError(
            f"--stage {text!r}: write stage=rate or stage=reached/of, stage one of {', '.join(STAGES)}"
        )
    try:
        if "/" in value:
            reached, of = (int(v) for v in value.split("/"))
            return Stage(name, reached, of)
        return Stage(name, rate=float(value))
    except ValueError:
        raise DaevalError(f"--stage {text!r}: {value!r} is not a rate or reached/of") from None


@design_app.command("recruitment")
def recruitment_command(
    target: Annotated[int, typer.Option("--target", help="Analysable participants per arm.")],
    workspace: Annotated[
        Path | None, typer.Option("--workspace", "-w", help="Read the site's funnel from here.")
    ] = None,
    site: Annotated[str | None, typer.Option("--site", help="The site (with --workspace).")] = None,
    referrals_per_month: Annotated[
        float | None, typer.Option("--referrals-per-month", help="A fixed mean instead.")
    ] = None,
    monthly_referrals: Annotated[
        str | None, typer.Option("--monthly-referrals", help="Observed counts, e.g. 5,7,3,6.")
    ] = None,
    stage: Annotated[
        list[str] | None,
        typer.Option("--stage", help="A funnel stage: eligible=0.8 or eligible=80/100 (repeat)."),
    ] = None,
    ratio: Annotated[str, typer.Option("--ratio", help="Allocation ratio, e.g. 1:1.")] = "1:1",
    sites: Annotated[float, typer.Option("--sites", help="Scenario: sites like this one.")] = 1.0,
    consent_rate: Annotated[
        float | None, typer.Option("--consent-rate", help="Scenario: a different consent rate.")
    ] = None,
    window: Annotated[int, typer.Option("--window", help="Months simulated at most.")] = 120,
    runs: Annotated[int, typer.Option("--runs", help="Simulation runs.")] = 2000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    as_json: Json = False,
    chart: Chart = None,
    force: Force = False,
) -> None:
    """Months to reach the target: median and 80% interval, by simulation with each rate's
    uncertainty; from a site's own records (--workspace, --site) or from typed rates."""
    from daeval.cli.output_paths import check_outputs
    from daeval.design.charts import recruitment_svg
    from daeval.design.recruitment import Funnel, Scenario, project
    from daeval.privacy.disclosure_control import controlled_count
    from daeval.warehouse import Workspace

    _check_ranges(("--runs", runs, 1, None), ("--window", window, 1, None))
    _check_positive(("--sites", sites))
    ws = None if workspace is None else Workspace(workspace)
    read = [] if ws is None else [ws.warehouse_path, ws.study_file]
    check_outputs({"--chart": chart}, inputs=read, force=force)
    counts: dict[str, tuple[int, int]] = {}
    if workspace is not None:
        from daeval.design.site_funnel import site_funnel

        if site is None:
            raise DaevalError(
                "--workspace needs --site: add --site NAME (a site_id of its episodes)"
            )
        funnel, counts = site_funnel(Workspace(workspace), site)
        if stage:
            typed = {s.name: s for s in map(_parse_stage, stage)}  # type: ignore[attr-defined]
            kept = tuple(typed.pop(s.name, s) for s in funnel.stages)
            funnel = replace(funnel, stages=kept + tuple(typed.values()))  # type: ignore[arg-type]
    else:
        observed: tuple[int, ...] = ()
        if monthly_referrals:
            try:
                observed = tuple(int(v) for v in monthly_referrals.split(","))
            except ValueError:
                raise DaevalError("--monthly-referrals: give whole numbers, e.g. 5,7,3") from None
        funnel = Funnel(
            monthly_referrals=observed,
            referrals_per_month=referrals_per_month,
            stages=tuple(map(_parse_stage, stage or [])),  # type: ignore[arg-type]
        )
    scenario = Scenario(sites=sites, consent_rate=consent_rate, window=window)
    projection = project(funnel, target, _parse_ratio(ratio), scenario, runs=runs, seed=seed)
    result = projection.as_dict()
    result["stages"] = {
        s.name: {"rate": s.expected, "reached": controlled_count(counts[s.name][0]) if s.name in counts else None,
                 "of": controlled_count(counts[s.name][1]) if s.name in counts else None}
        for s in funnel.stages
    }  # fmt: skip
    result["mean_referrals_per_month"] = funnel.mean_referrals
    if chart is not None:
        _write_chart(chart, recruitment_svg(projection))
    if as_json:
        _print_json(result)
        return
    out.print(
        f"{projection.total_needed} analysable participants needed ({target} per arm, {ratio}); "
        f"{projection.expected_per_month:.2f} expected a month"
    )
    if projection.months_median is None:
        out.print(
            f"Months to reach them: not within {window} months in most runs "
            f"({projection.reached_within_window:.0%} of runs reached it)"
        )
    else:
        high = f"{projection.months_high:g}" if projection.months_high else f"more than {window}"
        out.print(
            f"Months to reach them: median {projection.months_median:g} "
            f"(80% interval {projection.months_low:g} to {high})"
        )
    for name, stage_result in result["stages"].items():
        out.print(f"  {name}: {stage_result['rate']:.1%}")
    if chart is not None:
        out.print(f"Chart: {chart}")


@design_app.command("fit")
def fit_command(
    workspace: Annotated[
        Path | None, typer.Option("--workspace", "-w", help="Read each site's throughput.")
    ] = None,
    per_site_month: Annotated[
        float | None,
        typer.Option("--per-site-month", help="Analysable participants a month per site."),
    ] = None,
    sites: Annotated[
        int | None, typer.Option("--sites", help="Sites that could take part.")
    ] = None,
    practitioners: Annotated[
        int, typer.Option("--practitioners", help="Practitioners per site.")
    ] = 5,
    icc: Icc = 0.05,
    window: Annotated[int, typer.Option("--window", help="Months of recruitment.")] = 18,
    target_mdes: Annotated[
        float, typer.Option("--target-mdes", help="The effect size to plan for, in SDs.")
    ] = 0.3,
    attrition: Attrition = 0.0,
    as_json: Json = False,
) -> None:
    """Compare individual, practitioner-level and site-level randomisation and a stepped wedge
    across sites: MDES after the window, and months to reach the target MDES."""
    from daeval.design.fit import Throughput, compare

    _check_ranges(
        ("--practitioners", practitioners, 1, None), ("--window", window, 1, None),
        ("--icc", icc, 0, 1), ("--attrition", attrition, 0, 1),
    )  # fmt: skip
    _check_positive(("--target-mdes", target_mdes))
    observed: dict[str, float] = {}
    if workspace is not None:
        from daeval.design.recruitment import Funnel
        from daeval.design.site_funnel import site_funnel
        from daeval.warehouse import Workspace

        ws = Workspace(workspace)
        con = ws.open().connect(read_only=True)
        try:
            names = [r[0] for r in con.sql(
                "SELECT DISTINCT site_id FROM service_episodes ORDER BY 1").fetchall()]  # fmt: skip
        finally:
            con.close()
        if not names:
            raise MissingDataError(
                f"design fit needs service_episodes, which has not been loaded into {workspace}; "
                "add service_episodes.csv to the data folder and run daeval ingest, or give "
                "--per-site-month and --sites"
            )
        for name in names:
            funnel: Funnel = site_funnel(ws, name)[0]
            observed[name] = funnel.mean_referrals * funnel.conversion
        per_site_month = sum(observed.values()) / len(observed)
        sites = sites or len(observed)
    if per_site_month is None or sites is None:
        raise DaevalError("give --workspace, or --per-site-month and --sites")
    _check_ranges(("--sites", sites, 1, None))
    _check_positive(("--per-site-month", per_site_month))
    throughput = Throughput(per_site_month, sites, practitioners, icc, attrition=attrition)
    rows = compare(throughput, window, target_mdes)
    if as_json:
        _print_json({"per_site_month": per_site_month, "sites": sites, "observed": observed,
                     "window": window, "target_mdes": target_mdes, "icc": icc, "designs": rows})  # fmt: skip
        return
    grid = Table(
        title=f"{per_site_month:.2f} participants a month at each of {sites} sites; ICC {icc:g}"
    )
    for column in ("Design", "Clusters", f"Participants in {window} months",
                   f"MDES after {window} months", f"Months to MDES {target_mdes:g}"):  # fmt: skip
        grid.add_column(column, justify="right" if column != "Design" else "left")
    for row in rows:
        grid.add_row(
            row["design"].replace("_", " "),
            "" if row["clusters"] is None else str(row["clusters"]),
            f"{row['participants']:,}",
            "not possible" if row["mdes"] is None else f"{row['mdes']:.3f}",
            row["note"] if row["mdes"] is None
            else ("more than 120" if row["months_to_target"] is None else str(row["months_to_target"])),
        )  # fmt: skip
    out.print(grid)
