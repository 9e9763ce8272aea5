"""daeval demo: synthetic data → ingest → link → measures → a first page, in a temporary folder."""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from pathlib import Path

import pytest

pytestmark = pytest.mark.xdist_group("demo")


def test_demo_prints_the_path_of_a_page_that_shows_the_re_referral_rate(demo):
    study, result = demo
    match = re.search(r"Report: (.+index\.html)", result.stdout.replace("\n", ""))
    assert match, result.stdout
    page = Path(match.group(1))
    assert page == (study / "study" / "outputs" / "index.html").resolve()
    html = page.read_text(encoding="utf-8")
    with (study / "study" / "outputs" / "measures.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    overall = next(r for r in rows if r["measure"] == "re_referral_rate" and r["group_by"] == "all")
    shown = re.search(r'id="re-referral-rate">([0-9.]+)%<', html)
    assert shown and float(shown.group(1)) == pytest.approx(100 * float(overall["value"]), abs=0.05)
    # Calibrated to the DfE national figure of about 22%.
    assert 0.19 < float(overall["value"]) < 0.25


def test_demo_outputs_hold_no_small_counts_and_no_record_level_data(demo):
    study, _ = demo
    with (study / "study" / "outputs" / "measures.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        for column in ("numerator", "denominator"):
            if column == "denominator" and row["measure"] == "referrals_per_month":
                continue  # months, not people
            if row[column]:
                count = int(row[column])
                assert count > 7 and count % 5 == 0, row
    html = (study / "study" / "outputs" / "index.html").read_text(encoding="utf-8")
    with (study / "raw" / "people.csv").open(newline="") as f:
        people = list(csv.DictReader(f))
    for person in people[:2000]:
        assert person["person_id"] not in html
        assert not person["last_name"] or f">{person['last_name']}<" not in html
    assert "<script" not in html  # self-containment: test_reports.test_pages_are_self_contained


def test_no_suppressed_cell_of_the_demo_can_be_recovered_by_subtraction(demo):
    study, _ = demo
    with (study / "study" / "outputs" / "measures.csv").open(newline="") as f:
        rows = [r for r in csv.DictReader(f) if not r["group"].startswith("difference")]
    assert any(r["suppressed"] == "true" for r in rows)
    # The groups of one grouping add up to all; the classes of a trajectory to its index events.
    sets: dict[tuple, list[dict]] = defaultdict(list)
    for r in rows:
        period = (r["period_start"], r["period_end"])
        if r["group_by"] != "all":
            sets[("groups", r["measure"], r["group_by"], r["category"], *period)].append(r)
        if r["measure"] == "risk_trajectory":
            sets[("classes", r["group_by"], r["group"], *period)].append(r)
        # The change classes of one instrument add up to its people.
        instrument, _, part = r["category"].partition(":")
        if r["measure"] in ("reliable_change", "clinical_change") and part not in (
            "mean_change",
            "effect_size",
        ):
            sets[("classes", r["measure"], instrument, r["group_by"], r["group"], *period)].append(
                r
            )
    for key, members in sets.items():
        hidden = [m for m in members if m["suppressed"] == "true"]
        assert len(hidden) != 1 or len(members) == 1, (key, members)
    # Nor from its own row: those not counted are people too. A complement of 8 or more can
    # show as 5 after rounding (8 of 16 shows as 10 of 15), never as 0.
    for r in rows:
        shown = r["suppressed"] == "false" and r["numerator"] and r["denominator"]
        if shown and not (r["measure"], r["category"]) == ("service_funnel", "referred"):
            assert int(r["denominator"]) - int(r["numerator"]) >= 5 or r["measure"] in (
                "km_csc_referral",
                "time_to_first_referral",
                "address_moves",
                "referrals_per_month",  # its denominator counts months
            ), r


def test_no_clear_identifier_of_the_input_reaches_the_warehouse(demo):
    import duckdb

    folder, _ = demo
    raw = folder / "raw"
    clear: set[str] = set()
    with (raw / "people.csv").open(newline="") as f:
        for person in csv.DictReader(f):
            clear.update(
                v for v in (person["person_id"], person["first_name"], person["last_name"],
                            person["postcode"]) if v
            )  # fmt: skip
    for table, column in (
        ("csc_referrals", "referral_id"),
        ("police_notifications", "notification_id"),
    ):
        with (raw / f"{table}.csv").open(newline="") as f:
            clear.update(row[column] for row in csv.DictReader(f))
    # A name may spell a code by chance (a surname typed BOTH is also an ethnicity code).
    from daeval.model import ALL_CODE_LISTS

    clear -= {code for codes in ALL_CODE_LISTS for code in codes}
    con = duckdb.connect(str(folder / "study" / "warehouse.duckdb"), read_only=True)
    found = []
    for (table,) in con.sql("SELECT table_name FROM duckdb_tables()").fetchall():
        for (column,) in con.sql(
            f"SELECT column_name FROM duckdb_columns() WHERE table_name = '{table}'"
        ).fetchall():
            values = con.sql(
                f'SELECT DISTINCT CAST("{column}" AS VARCHAR) FROM "{table}"'
            ).fetchall()
            found += [(table, column, v) for (v,) in values if v in clear]
    assert found == []
    assert len(clear) > 50_000
    # Dates of birth collide with other dates by chance, so they are checked by their form.
    assert con.sql("SELECT count(*) FROM people WHERE day(birth_month) <> 1").fetchall() == [(0,)]


def test_demo_links_people_before_measuring_and_deletes_the_staging_area(demo):
    import duckdb

    folder, _ = demo
    study = folder / "study"
    assert not (study / "staging").exists()
    con = duckdb.connect(str(study / "warehouse.duckdb"), read_only=True)
    people, keyed, keys = con.sql(
        "SELECT count(*), count(k.person_key), count(DISTINCT k.person_key) FROM people "
        "LEFT JOIN person_keys AS k USING (source, person_id)"
    ).fetchall()[0]
    assert people == keyed and keys < people
    assert (study / "outputs" / "linkage_weights.svg").exists()


def test_demo_page_has_an_outcomes_section_from_the_controlled_change_figures(demo):
    study, _ = demo
    with (study / "study" / "outputs" / "measures.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    means = {
        r["category"].split(":")[0]: r
        for r in rows
        if r["measure"] == "reliable_change" and r["group_by"] == "all"
        and r["category"].endswith(":mean_change") and r["suppressed"] == "false"
    }  # fmt: skip
    # The synthetic sites use PHQ-9, GAD-7, CRIES, IES-R, SCORE-15, CORE-10, DASH and SWEMWBS.
    assert {"PHQ9", "CORE10", "SWEMWBS", "CRIES8"} <= set(means)
    html = (study / "study" / "outputs" / "index.html").read_text(encoding="utf-8")
    section = html.split('id="outcomes"', 1)[1].split("<h2>", 1)[0]
    for code, row in means.items():
        shown = f"{float(row['value']):.2f} ({float(row['ci_lower']):.2f} to {float(row['ci_upper']):.2f})"
        assert f"({code})" in section and shown in section, code
    # People who complete improve on average in the synthetic data: the scores fall (or, for
    # SWEMWBS, where higher is better, rise).
    assert float(means["PHQ9"]["value"]) < 0 < float(means["SWEMWBS"]["value"])


def chart_descriptions(html: str) -> dict[str, str]:
    """Each inline chart's key and its description (what it shows, in words)."""
    return dict(re.findall(r'<desc id="([A-Za-z0-9_-]+)-desc">(.*?)</desc>', html, flags=re.S))


def test_the_demos_headline_charts_show_the_figures_that_passed_disclosure_control(demo):
    study, _ = demo
    with (study / "study" / "outputs" / "measures.csv").open(newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["group_by"] == "all"]
    charts = chart_descriptions(
        (study / "study" / "outputs" / "index.html").read_text(encoding="utf-8")
    )
    # Reliable change by instrument: every share that passed is drawn and said, not hidden in
    # a bar hatched whole because a neighbouring share was suppressed.
    passed = {
        tuple(r["category"].split(":")): float(r["value"])
        for r in rows
        if r["measure"] == "reliable_change" and r["suppressed"] == "false"
        and r["category"].split(":")[1] in ("reliably_improved", "unchanged")
    }  # fmt: skip
    assert passed, "no reliable change share of the demo passes disclosure control"
    said = dict(part.split(": ", 1) for part in charts["change-all"].split("): ", 1)[1].split("; "))
    for (code, category), value in passed.items():
        assert f"{category} {100 * value:.0f}%" in said[code], (code, category, said[code])
    # The demo is sized so that most instruments show a share and no bar is hatched whole but
    # one's, and the service funnel, the time to a first referral and every effect size pass.
    assert sum(part.endswith(("suppressed", "suppressed.")) and "%" not in part
               for part in said.values()) <= 1, said  # fmt: skip
    for key in ("funnel-all", "km"):
        assert "suppressed" not in charts[key], charts[key]
    effects = [r for r in rows if r["measure"] == "reliable_change"
               and r["category"].endswith(":effect_size")]  # fmt: skip
    assert len(effects) >= 8 and all(r["suppressed"] == "false" for r in effects), effects
    for r in effects:
        assert f"{r['category'].split(':')[0]}: {float(r['value']):.2f}" in charts["effect-all"]


def test_design_questions_are_answered_for_the_demo_workspace(demo):
    import json
    import subprocess
    import sys

    study, _ = demo

    def design(*args: str) -> dict:
        done = subprocess.run(
            [sys.executable, "-m", "daeval", "design", *args, "--json"],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    workspace = str(study / "study")
    projection = design("recruitment", "--workspace", workspace, "--site", "sat", "--target", "40")
    assert set(projection["stages"]) == {
        "eligible", "contacted", "accepted", "consented", "completed", "followed_up"
    }  # fmt: skip
    low, high = projection["months_80_interval"]
    assert low <= projection["months_median"] <= high
    # Released stage counts pass disclosure control (none from 1 to 7, the rest multiples of 5).
    for stage in projection["stages"].values():
        for count in (stage["reached"], stage["of"]):
            assert count is None or (count > 7 and count % 5 == 0)
    fit = design("fit", "--workspace", workspace)
    assert fit["sites"] == 4 and [d["design"] for d in fit["designs"]] == [
        "individual", "practitioner", "site", "stepped_wedge"
    ]  # fmt: skip
    mdes = {d["design"]: d["mdes"] for d in fit["designs"]}
    assert mdes["individual"] < mdes["practitioner"] < mdes["site"]


def test_the_demo_study_passes_its_check_and_its_readiness_sees_the_loaded_data(demo):
    import subprocess
    import sys

    import yaml

    from daeval.synth.services import SITES

    study, _ = demo
    workspace = study / "study"
    checked = subprocess.run(
        [sys.executable, "-m", "daeval", "study", "check", str(workspace)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout
    out = study / "readiness.csv"
    done = subprocess.run(
        [sys.executable, "-m", "daeval", "readiness", str(workspace), "--out", str(out)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    with out.open(newline="") as f:
        data = {r["intervention"]: r["evidence"] for r in csv.DictReader(f)
                if r["aspect"] == "Data availability"}  # fmt: skip
    document = yaml.safe_load((workspace / "study.yaml").read_text(encoding="utf-8"))
    for site in SITES:
        # Every outcome measured by a questionnaire the synthetic site gives has loaded.
        given = [o for o in document["outcomes"]
                 if site.intervention_id in o["interventions"] and o.get("instrument") in site.instruments]  # fmt: skip
        assert given, site.intervention_id
        loaded = int(re.search(r"(\d+) with data loaded", data[site.intervention_id]).group(1))
        assert loaded >= len(given), data[site.intervention_id]
        assert "no warehouse" not in data[site.intervention_id]


def test_readiness_judges_recruitment_from_the_controlled_funnel(demo):
    import subprocess
    import sys

    from daeval.report.figures import Figures

    study, _ = demo
    workspace = study / "study"
    out = study / "readiness-sat.csv"
    done = subprocess.run(
        [sys.executable, "-m", "daeval", "readiness", str(workspace), "--intervention", "sat",
         "--out", str(out)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    with out.open(newline="") as f:
        line = next(r for r in csv.DictReader(f) if r["aspect"] == "Recruitment")
    # From referrals_per_month and recruitment_funnel as disclosure control released them.
    figures = Figures.of(workspace / "outputs")
    assert figures is not None
    per_month = figures.one("referrals_per_month", group_by="site_id", group="sat")
    assert per_month is not None and per_month.value is not None
    expected = per_month.value
    for stage in figures.select("recruitment_funnel", "site_id", "sat"):
        assert stage.numerator is not None and stage.denominator
        expected *= stage.numerator / stage.denominator
    match = re.match(r"observed at sat: ([0-9.]+) a month reach the end", line["evidence"])
    assert match, line["evidence"]
    assert float(match.group(1)) == pytest.approx(expected, abs=0.05)
