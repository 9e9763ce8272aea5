"""daeval design: MDES, sample size, recruitment (typed rates and a site's own records) and which
design fits, from the command line."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta

import pytest
from statsmodels.stats.power import TTestIndPower


def _json(done) -> dict:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_mdes_for_each_design(daeval):
    cluster = _json(daeval("design", "mdes", "--design", "cluster2", "--clusters", "20",
                           "--cluster-size", "4", "--icc", "0.2", "--alpha", "0.01", "--json"))  # fmt: skip
    assert cluster["mdes"] == pytest.approx(3.740753 * 0.282843, abs=1e-4)  # worked in test_power
    assert [r["icc"] for r in cluster["icc_sensitivity"]][0] == 0.01
    single = _json(daeval("design", "mdes", "--n", "300", "--json"))
    assert TTestIndPower().power(
        effect_size=single["mdes"], nobs1=150, alpha=0.05
    ) == pytest.approx(0.80, abs=0.006)
    three = _json(daeval("design", "mdes", "--design", "cluster3", "--top-clusters", "20",
                         "--clusters", "4", "--cluster-size", "10", "--icc", "0.1",
                         "--icc-top", "0.1", "--json"))  # fmt: skip
    assert three["mdes"] == pytest.approx(2.963235 * 0.170294, abs=1e-4)
    rate = _json(daeval("design", "mdes", "--n", "800", "--baseline-rate", "0.22", "--json"))
    assert 0.13 < rate["detectable_rate"] < 0.16


def test_sample_size_reverses_mdes(daeval):
    got = _json(daeval("design", "sample-size", "--mdes", "0.3", "--json"))
    back = _json(daeval("design", "mdes", "--n", str(got["units"]), "--json"))
    smaller = _json(daeval("design", "mdes", "--n", str(got["units"] - 1), "--json"))
    assert back["mdes"] <= 0.3 < smaller["mdes"]
    clusters = _json(daeval("design", "sample-size", "--baseline-rate", "0.22", "--target-rate",
                            "0.15", "--design", "cluster2", "--cluster-size", "20", "--json"))  # fmt: skip
    assert clusters["unit"] == "clusters" and clusters["individuals"] == 20 * clusters["units"]


def test_recruitment_from_typed_rates_and_a_chart(daeval, tmp_path):
    got = _json(daeval("design", "recruitment", "--target", "25", "--referrals-per-month", "10",
                       "--stage", "eligible=0.5", "--stage", "consented=0.6", "--json",
                       "--chart", tmp_path / "r.svg"))  # fmt: skip
    # 3 a month on average, 50 needed: 16.7 months; only the monthly counts vary.
    assert got["total_needed"] == 50 and abs(got["months_median"] - 17) <= 1
    low, high = got["months_80_interval"]
    assert low <= got["months_median"] <= high
    svg = (tmp_path / "r.svg").read_text(encoding="utf-8")
    assert svg.startswith("<svg") and "<desc" in svg and "target 50" in svg


def _site_folder(root):
    """Site fbs: 10 referrals a month for 24 months; 8 in 10 eligible, all contacted, 3 in 4 of
    those accept, 1 in 2 consent, all of those end, 4 in 5 complete."""
    folder = root / "data"
    folder.mkdir()
    episodes, people = [], []
    start = date(2022, 1, 1)
    n = 0
    for month in range(24):
        for i in range(10):
            n += 1
            day = start + timedelta(days=30 * month + i)
            eligible = i < 8
            accepted = eligible and i < 6
            consented = accepted and i < 3
            completed = consented and not (n % 5 == 0)
            people.append({"source": "service:fbs", "person_id": f"s{n}"})
            episodes.append({
                "episode_id": f"e{n}", "site_id": "fbs", "intervention_id": "fbs",
                "person_id": f"s{n}", "referral_date": day.isoformat(),
                "eligibility": "eligible" if eligible else "ineligible",
                "first_contact_date": (day + timedelta(days=3)).isoformat() if eligible else "",
                "offer": "accepted" if accepted else ("declined" if eligible else ""),
                "evaluation_consent": "Y" if consented else ("N" if accepted else ""),
                "start_date": (day + timedelta(days=7)).isoformat() if accepted else "",
                "end_date": (day + timedelta(days=90)).isoformat() if consented else "",
                "end_reason": ("completed" if completed else "disengaged") if consented else "",
            })  # fmt: skip
    for name, rows in (("service_episodes", episodes), ("people", people)):
        with (folder / f"{name}.csv").open("w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    return folder


@pytest.mark.slow
def test_recruitment_and_fit_from_a_sites_own_records(daeval, tmp_path):
    folder = _site_folder(tmp_path)
    assert daeval("ingest", folder, "--workspace", tmp_path / "ws").returncode == 0
    got = _json(daeval("design", "recruitment", "--workspace", tmp_path / "ws", "--site", "fbs",
                       "--target", "30", "--json"))  # fmt: skip
    rates = {k: v["rate"] for k, v in got["stages"].items()}
    assert rates["eligible"] == pytest.approx(0.8)
    assert rates["accepted"] == pytest.approx(0.75)
    assert rates["consented"] == pytest.approx(0.5)
    assert got["stages"]["eligible"]["of"] == 240  # counts are rounded for release
    assert got["mean_referrals_per_month"] == pytest.approx(10, abs=0.5)
    # About 10 x .8 x .75 x .5 x .8 = 2.4 a month: 60 needed in about 25 months.
    assert 21 <= got["months_median"] <= 30

    fit = _json(daeval("design", "fit", "--workspace", tmp_path / "ws", "--json"))
    assert fit["sites"] == 1 and fit["per_site_month"] == pytest.approx(
        got["expected_participants_per_month"]
    )
    by_design = {r["design"]: r for r in fit["designs"]}
    assert by_design["individual"]["mdes"] is not None
    assert by_design["site"]["mdes"] is None  # one site cannot be randomised


def test_bad_options_are_refused_with_the_reason(daeval, tmp_path):
    done = daeval("design", "mdes", "--design", "cluster4")
    assert (
        done.returncode == 2 and "is not one of 'individual', 'cluster2', 'cluster3'" in done.stderr
    )
    done = daeval("design", "recruitment", "--target", "10", "--workspace", tmp_path)
    assert done.returncode != 0 and "--workspace needs --site" in done.stderr
    done = daeval("design", "recruitment", "--target", "10", "--referrals-per-month", "5",
                  "--stage", "consent=0.5")  # fmt: skip
    assert done.returncode == 2 and "stage one of eligible" in done.stderr
