"""Jacobson-Truax reliable and clinically significant change, checked against published worked
figures (CORE-10: Barkham et al. 2013) and hand-worked classifications."""

from __future__ import annotations

import ibis
import pandas as pd
import pytest

from daeval.instruments.change import (
    ChangeRule,
    change_rule,
    change_rules,
    classified,
    clinical_cutoffs,
    reliable_change_points,
    s_diff,
    z_for,
)
from daeval.instruments.library import builtin_library
from daeval.instruments.settings import ChangeSettings, default_settings, settings_from

LIBRARY = builtin_library()


def test_core10_reliable_change_index_of_6_at_90_percent_from_its_alpha_and_sd():
    # Barkham et al. (2013): alpha .90, clinical SD 7.7, "reliable change index (90% CI) of 6".
    assert round(7.7 * (1 - 0.90) ** 0.5, 3) == 2.435  # standard error of measurement
    assert round(s_diff(7.7, 0.90), 2) == 3.44
    assert round(reliable_change_points(7.7, 0.90, 0.90), 2) == 5.66
    assert round(reliable_change_points(7.7, 0.90, 0.90)) == 6
    assert round(reliable_change_points(7.7, 0.90, 0.95), 2) == 6.75
    core10 = LIBRARY["CORE10"]
    assert core10.reliable_change is not None and core10.reliable_change.points == 6
    assert core10.reliable_change.confidence == 0.90


def test_z_is_the_two_sided_normal_quantile():
    assert round(z_for(0.95), 2) == 1.96
    assert round(z_for(0.90), 3) == 1.645


def test_clinical_cut_offs_a_b_c_from_core10_norms():
    # General population M 4.7 SD 4.8; clinical M 19.7 SD 7.7 (higher is worse).
    cutoffs = clinical_cutoffs(LIBRARY["CORE10"])
    assert round(cutoffs["a"], 2) == round(19.7 - 2 * 7.7, 2) == 4.3
    assert round(cutoffs["b"], 2) == round(4.7 + 2 * 4.8, 2) == 14.3  # the functional SD
    assert round(cutoffs["c"], 2) == 10.46
    assert cutoffs["cutoff"] == 11
    rule = change_rule(LIBRARY["CORE10"], ChangeSettings())
    assert (rule.criterion, round(rule.cutoff or 0, 2), rule.threshold) == ("c", 10.46, 6)
    published = change_rule(LIBRARY["CORE10"], ChangeSettings(criterion="cutoff"))
    assert (published.criterion, published.cutoff) == ("cutoff", 11)


def _classify(pairs: list[tuple[str, float, float]], rules: dict[str, ChangeRule]) -> list:
    frame = pd.DataFrame(
        [
            dict(
                source="s",
                person_id=str(i),
                instrument=code,
                respondent="self",
                baseline=b,
                end=e,
                change=e - b,
            )
            for i, (code, b, e) in enumerate(pairs)
        ]  # fmt: skip
    )
    got = ibis.duckdb.connect().execute(classified(ibis.memtable(frame), rules))
    return [
        (r.reliable_change, None if pd.isna(r.clinical_change) else r.clinical_change)
        for r in got.sort_values("person_id", key=lambda s: s.astype(int)).itertuples()
    ]


def test_classes_for_an_instrument_where_higher_is_worse():
    rules = change_rules(default_settings())
    # CORE-10: threshold 6 points; clinical range from c = 10.46.
    pairs = [
        ("CORE10", 20, 13),  # fell 7, still >= 10.46: improved
        ("CORE10", 20, 10),  # fell 10 to below 10.46: recovered
        ("CORE10", 20, 15),  # fell 5: not reliable
        ("CORE10", 12, 18),  # rose exactly 6: reliably deteriorated
        ("CORE10", 10, 17),  # starts outside the clinical range: reliable change only
        ("CORE10", 16, 10.5),  # fell 5.5: unchanged though it crossed the cut-off
    ]
    assert _classify(pairs, rules) == [
        ("reliably_improved", "improved"),
        ("reliably_improved", "recovered"),
        ("unchanged", "unchanged"),
        ("reliably_deteriorated", "deteriorated"),
        ("reliably_deteriorated", None),
        ("unchanged", "unchanged"),
    ]


def test_classes_for_an_instrument_where_higher_is_better():
    rules = change_rules(default_settings())
    threshold = rules["WEMWBS"].threshold
    assert threshold is not None
    pairs = [("WEMWBS", 40, 40 + threshold + 0.5), ("WEMWBS", 50, 50 - threshold - 0.5),
             ("WEMWBS", 50, 52)]  # fmt: skip
    assert [c for c, _ in _classify(pairs, rules)] == [
        "reliably_improved",
        "reliably_deteriorated",
        "unchanged",
    ]


def test_talking_therapies_rule_for_phq9_and_gad7():
    settings = settings_from(
        {
            "PHQ9": {"change_rule": "talking_therapies"},
            "GAD7": {"change_rule": "talking_therapies"},
        },
        "study.yaml instruments",
    )
    rules = change_rules(settings)
    assert (rules["PHQ9"].threshold, rules["PHQ9"].cutoff) == (6, 10)
    assert (rules["GAD7"].threshold, rules["GAD7"].cutoff) == (4, 8)
    pairs = [
        ("PHQ9", 15, 9),  # fell 6 to below caseness: recovered
        ("PHQ9", 16, 10),  # fell 6, still at caseness
        ("GAD7", 12, 8),  # fell 4, still at caseness (8)
        ("GAD7", 12, 7),  # fell 5 below caseness
        ("GAD7", 7, 3),  # not a case at the start
    ]
    assert _classify(pairs, rules) == [
        ("reliably_improved", "recovered"),
        ("reliably_improved", "improved"),
        ("reliably_improved", "improved"),
        ("reliably_improved", "recovered"),
        ("reliably_improved", None),
    ]


def test_an_instrument_without_a_threshold_has_no_reliable_class():
    rules = change_rules(default_settings())
    assert rules["CRIES13"].threshold is None
    assert _classify([("CRIES13", 40, 10)], rules) == [(None, None)]


@pytest.mark.parametrize("code", sorted(LIBRARY))
def test_every_change_rule_is_explicit_about_its_confidence_or_basis(code):
    rc = LIBRARY[code].reliable_change
    if rc is None:
        return
    # A threshold is either published in points (with the basis it rests on) or computed at an
    # explicit confidence level.
    assert rc.basis.strip()
    assert rc.points is not None or rc.confidence is not None
