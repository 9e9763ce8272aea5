"""The Kaplan-Meier measures by subgroup: a subgroup's curve is the curve of its children alone."""

from __future__ import annotations

from datetime import date, timedelta

import ibis
import numpy as np
import pandas as pd
import pytest

from daeval.metrics.groupings import Breakdown, person_attributes
from daeval.metrics.time_to_referral import (
    km_csc_referral,
    survival_measures,
    time_to_first_referral,
)

AS_OF = date(2021, 12, 31)


def _tables(seed: int):
    rng = np.random.default_rng(seed)
    children = [f"p{i}" for i in range(150)]
    sexes = rng.choice(["F", "M"], len(children))
    people = pd.DataFrame({
        "source": "police", "person_id": children, "postcode_sector": "ZX1 1",
        "sex": sexes, "ethnicity": "WBRI", "disability": "N",
        "birth_month": date(2012, 1, 1),
    })  # fmt: skip
    n = 400
    child = rng.integers(0, len(children), n)
    events = pd.DataFrame({
        "notification_id": [f"n{i}" for i in range(n)],
        "child_id": [children[c] for c in child],
        "child_key": [f"k{c}" for c in child],
        "notification_date": [date(2019, 1, 1) + timedelta(days=int(d)) for d in rng.integers(0, 1000, n)],
        "risk_level": rng.choice(["standard", "medium", "high"], n),
    })  # fmt: skip
    m = 250
    referrals = pd.DataFrame({
        "child_key": [f"k{c}" for c in rng.integers(0, len(children), m)],
        "referral_date": [date(2019, 1, 1) + timedelta(days=int(d)) for d in rng.integers(0, 1100, m)],
    })  # fmt: skip
    return people, events, referrals, dict(zip(children, sexes, strict=True))


@pytest.mark.parametrize("measure", [km_csc_referral, time_to_first_referral])
@pytest.mark.parametrize("seed", [1, 2])
def test_a_subgroups_rows_are_those_of_its_children_alone(measure, seed):
    people, events, referrals, sex_of = _tables(seed)
    con = ibis.duckdb.connect()
    attributes = person_attributes(con.create_table("people", people))
    refs = con.create_table("referrals", referrals)
    breakdown = Breakdown(attributes=attributes, subgroups=("sex",))
    got = measure(con.create_table("events", events), refs, AS_OF, 365, breakdown)
    for sex in ("F", "M"):
        alone = events[events.child_id.map(sex_of) == sex]
        expected = measure(con.create_table(f"events_{sex}", alone), refs, AS_OF, 365)
        expected = expected[expected.group_by == "all"].drop(columns=["group_by", "group"])
        rows = got[(got.group_by == "sex") & (got.group == sex)].drop(columns=["group_by", "group"])
        assert len(rows) > 0
        pd.testing.assert_frame_equal(
            rows.drop(columns=["period_start", "period_end"]).reset_index(drop=True),
            expected.drop(columns=["period_start", "period_end"]).reset_index(drop=True),
        )
    con.disconnect()


def test_both_measures_at_once_give_the_rows_of_each():
    people, events, referrals, _ = _tables(3)
    con = ibis.duckdb.connect()
    breakdown = Breakdown(
        attributes=person_attributes(con.create_table("people", people)), subgroups=("sex",)
    )
    index, refs = con.create_table("events", events), con.create_table("referrals", referrals)
    both = survival_measures(index, refs, AS_OF, 365, breakdown)
    each = pd.concat(
        [m(index, refs, AS_OF, 365, breakdown) for m in (km_csc_referral, time_to_first_referral)],
        ignore_index=True,
    )
    pd.testing.assert_frame_equal(both, each)
    con.disconnect()
