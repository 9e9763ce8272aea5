"""The first report page: the re-referral rate of a workspace, as one self-contained HTML file."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from daeval import __version__
from daeval.metrics.measures_table import MeasuresRun
from daeval.metrics.re_referral import DEFINITION as RE_REFERRAL_DEFINITION
from daeval.privacy.disclosure_control import DisclosurePolicy, is_small, round_to_base
from daeval.warehouse import Workspace

PAGE = "index.html"


def _percent(value: float | None) -> str:
    return "suppressed" if value is None else f"{100 * value:.1f}%"


def _count(value: int | None) -> str:
    return "suppressed" if value is None else f"{value:,}"


def _statistic(value: float | None) -> str:
    return "suppressed" if value is None else f"{value:.2f}"


def _controlled_count(count: int, policy: DisclosurePolicy) -> int | None:
    if not policy.enabled:
        return count
    return None if is_small(count, policy) else round_to_base(count, policy.rounding_base)


def outcome_rows(run: MeasuresRun) -> list[dict]:
    """Per instrument, for all sites: the reliable_change and clinical_change figures (already
    disclosure-controlled), one dict of category -> row per instrument."""
    from daeval.instruments.library import builtin_library

    library = builtin_library()
    by_code: dict[str, dict] = {}
    for row in run.rows:
        if row.measure in ("reliable_change", "clinical_change") and row.group_by == "all":
            code, _, category = (row.category or "").partition(":")
            instrument = library[code]
            entry = by_code.setdefault(
                code,
                {
                    "code": code,
                    "name": instrument.name,
                    "higher_is_better": not instrument.higher_is_worse,
                },
            )
            entry[category if row.measure == "reliable_change" else f"clinical_{category}"] = row
    return [by_code[c] for c in sorted(by_code)]


def write_first_page(
    workspace: Workspace, run: MeasuresRun, policy: DisclosurePolicy = DisclosurePolicy()
) -> Path:
    """Write ``outputs/index.html`` and return its path."""
    env = Environment(
        loader=PackageLoader("daeval.report", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["percent"] = _percent
    env.filters["count"] = _count
    env.filters["statistic"] = _statistic
    loaded = workspace.open().loaded_tables()
    definition = RE_REFERRAL_DEFINITION.format(window=run.window_days)
    html = env.get_template("first_page.html.j2").render(
        run=run,
        rows=[r for r in run.rows if r.measure == "re_referral_rate"],
        outcomes=outcome_rows(run),
        definition=definition,
        loaded={name: _controlled_count(n, policy) for name, n in loaded.items()},
        version=__version__,
    )
    path = workspace.outputs / PAGE
    path.write_text(html, encoding="utf-8")
    return path
