"""Report sections from a small hand-made measures table: routes by difference of controlled
counts, numeric columns, labels, and sections that say what is missing."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from daeval.model import MEASURES_COLUMNS
from daeval.report.blocks import label
from daeval.report.figures import Figures
from daeval.report.inputs import gather
from daeval.report.pathways import route_flows
from daeval.report.sections import build_sections
from daeval.report.tables import Table
from daeval.warehouse import Workspace


def _write(outputs: Path, rows: list[dict]) -> None:
    outputs.mkdir(parents=True, exist_ok=True)
    with (outputs / "measures.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=MEASURES_COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in MEASURES_COLUMNS})


def _route(level: str, step: str, reached: int | None, index: int = 1000) -> dict:
    return {
        "measure": "csc_outcome_within_window", "group_by": "risk_level", "group": level,
        "category": step, "period_start": "2020-01-01", "period_end": "2020-12-31",
        "numerator": "" if reached is None else reached, "denominator": index,
        "value": "" if reached is None else reached / index,
        "suppressed": "true" if reached is None else "false",
    }  # fmt: skip


def test_routes_are_differences_of_controlled_counts_and_small_ones_are_suppressed(tmp_path):
    steps = {"referral": 300, "assessment": 200, "cin_plan": 195, "cp_plan": 60, "cla": None}
    _write(tmp_path / "outputs", [_route("high", s, c) for s, c in steps.items()])
    inputs = gather(Workspace(tmp_path))
    flows = route_flows(inputs)
    assert flows == [
        ("High risk", "No referral", 700),
        ("High risk", "Referral", 100),
        ("High risk", "Assessment", None),  # 200 - 195 = 5: too few to show
        ("High risk", "CIN plan", 135),
        ("High risk", "Child protection plan", None),  # rests on a suppressed count
        ("High risk", "Looked after", None),
    ]


def test_sections_without_inputs_say_what_is_missing(tmp_path):
    inputs = gather(Workspace(tmp_path))
    sections = {s.id: s for s in build_sections(inputs)}
    assert sections["feasibility"].missing.startswith("No measures yet")
    assert (
        sections["readiness"].missing == "No study file to read: the workspace has no study.yaml."
    )
    assert sections["data-quality"].missing == "Nothing has been loaded into the warehouse."
    assert all(s.missing for s in sections.values())


def test_figures_select_the_whole_period_when_periods_are_reported(tmp_path):
    base = {"measure": "re_referral_rate", "group_by": "all", "group": "all", "numerator": 10,
            "denominator": 100, "value": 0.1, "suppressed": "false"}  # fmt: skip
    _write(tmp_path, [
        {**base, "period_start": "2020-01-01", "period_end": "2020-12-31"},
        {**base, "period_start": "2020-01-01", "period_end": "2020-03-31", "numerator": 5},
    ])  # fmt: skip
    (tmp_path / "measures.json").write_text('{"period": "quarter"}')
    figures = Figures.of(tmp_path)
    assert figures is not None
    [row] = figures.select("re_referral_rate")
    assert (row.period_end, row.numerator) == (date(2020, 12, 31), 10)


def test_numeric_columns_and_labels():
    table = Table("t", "T", ("Name", "People", "Share", "Change", "Note"), (
        ("a", 1300, 0.5, "-3.20 (-5.21 to -1.19)", "x"),
        ("b", "suppressed", "suppressed", "n/a", "12 people"),
    ))  # fmt: skip
    assert table.numeric_columns() == {1, 2, 3}
    assert label("reliably_improved") == "Reliably improved"
    assert label("cp_plan") == "Child protection plan"


def test_linkage_counts_written_suppressed_stay_suppressed(tmp_path):
    """daeval link writes small counts as null; the report shows them suppressed, not a crash."""
    import dataclasses

    from daeval.report.background import data_quality
    from daeval.report.inputs import FileLoad

    link = {"records": 640, "people": 485, "pairs_linked": 212, "trusted_links": None,
            "threshold": 0.0, "model": "default"}  # fmt: skip
    inputs = dataclasses.replace(
        gather(Workspace(tmp_path)),
        loads=(FileLoad("people", "people.csv", 640, 640, 0),),
        linkage=link,
    )
    [table] = [b for b in data_quality(inputs, None).blocks if getattr(b, "key", "") == "linkage"]
    assert table.rows[0][:4] == (640, 485, 210, "suppressed")
