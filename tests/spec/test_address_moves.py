"""address_moves: distinct later address start dates of the same child in (d, d + W]."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from tests.lib import reference_pathways
from tests.spec.conftest import SPEC_ENGINES, _connected, _dated, _engine

from daeval.metrics.address_moves import address_moves

AS_OF = date(2021, 12, 31)
EVENT_HEADER = "notification_id | child_key | notification_date | risk_level\n"
ADDRESS_HEADER = "child_key | source | from_date\n"


def _build(con, events: str, addresses: str, as_of: date, window_days: int = 365):
    index = con.create_table("events", pd.DataFrame(_dated(events, "notification_date")))
    homes = con.create_table("addresses", pd.DataFrame(_dated(addresses, "from_date")))
    return address_moves(index, homes, as_of, window_days)


def _run_ibis(backend: str, *args) -> pd.DataFrame:
    with _connected(backend) as con:
        return _build(con, *args).execute()


def _on(engine: str):
    def run(events: str, addresses: str, as_of: date, window_days: int = 365):
        if engine == "reference":
            return reference_pathways.address_moves_counts(
                _dated(events, "notification_date"),
                _dated(addresses, "from_date"),
                as_of,
                window_days,
            )
        frame = _run_ibis(engine, events, addresses, as_of, window_days)
        assert set(frame.measure) <= {"address_moves"}
        return {
            (r.group_by, str(r.group), r.category): (int(r.numerator), int(r.denominator))
            for r in frame.itertuples()
        }

    return run


@pytest.fixture(params=SPEC_ENGINES)
def moves(request):
    """moves(events, addresses, as_of, window_days) on one engine:
    {(group_by, group, category): (numerator, denominator)}."""
    return _on(_engine(request))


EVENTS = (
    EVENT_HEADER
    + """
n1 | k1 | 2020-01-01 | high
n2 | k2 | 2020-01-01 | medium
n3 | k3 | 2020-01-01 | standard
n4 | k4 | 2020-01-01 |
n5 | k5 | 2021-01-01 | high
n6 | k5 | 2020-12-31 | high
n7 | k1 | 2020-06-01 | standard
"""
)
ADDRESSES = (
    ADDRESS_HEADER
    + """
k1 | police  | 2018-05-01
k1 | csc     | 2020-01-01
k1 | csc     | 2020-12-31
k1 | police  | 2021-01-01
k2 | csc     | 2020-03-01
k2 | csc     | 2020-06-01
k2 | police  | 2020-06-01
k2 | csc     | 2020-09-01
k4 | csc     | 2019-01-01
k4 | csc     | 2020-02-01
k5 | csc     | 2019-01-01
k5 | csc     | 2021-02-01
"""
)


def test_index_events_by_number_of_moves_and_the_mean(moves):
    got = moves(EVENTS, ADDRESSES, AS_OF)
    # n1 (k1 from 2020-01-01): the start on day d is not after it, 2020-12-31 is day d + 365
    # (2020 is a leap year), 2021-01-01 is day d + 366: one move. n7 (k1 again, from 2020-06-01):
    # 2020-12-31 and 2021-01-01: two moves. n2 (k2): the first known address (2020-03-01) is not
    # a move, two records on 2020-06-01 are one, then 2020-09-01: two moves. n3: no addresses.
    # n4: one move. n5's window ends after as_of; n6's ends on it: k5 moved once.
    assert got[("all", "all", "0")] == (1, 6)
    assert got[("all", "all", "1")] == (3, 6)
    assert got[("all", "all", "2_or_more")] == (2, 6)
    assert got[("all", "all", "moves_per_child")] == (1 + 2 + 2 + 0 + 1 + 1, 6)


def test_by_risk_level_without_a_level_only_in_all(moves):
    got = moves(EVENTS, ADDRESSES, AS_OF)
    assert got[("risk_level", "high", "1")] == (2, 2)
    assert got[("risk_level", "high", "0")] == (0, 2)
    assert got[("risk_level", "high", "moves_per_child")] == (2, 2)
    assert got[("risk_level", "medium", "2_or_more")] == (1, 1)
    assert got[("risk_level", "standard", "0")] == (1, 2)
    assert got[("risk_level", "standard", "2_or_more")] == (1, 2)
    assert got[("risk_level", "standard", "moves_per_child")] == (2, 2)
    assert {group for (_, group, _) in got} == {"all", "high", "medium", "standard"}


@pytest.mark.parametrize(
    ("move_on", "counted"),
    [("2020-01-01", 0), ("2020-01-02", 1), ("2020-12-31", 1), ("2021-01-01", 0)],
)
def test_the_window_is_after_day_d_up_to_day_d_plus_w(moves, move_on, counted):
    events = EVENT_HEADER + "n1 | k1 | 2020-01-01 | high"
    addresses = ADDRESS_HEADER + f"k1 | csc | 2019-01-01\nk1 | csc | {move_on}"
    got = moves(events, addresses, AS_OF)
    assert got[("all", "all", "moves_per_child")] == (counted, 1)
    assert got[("all", "all", "1")] == (counted, 1)


def test_the_first_known_address_is_not_a_move_even_inside_the_window(moves):
    events = EVENT_HEADER + "n1 | k1 | 2020-01-01 | high\nn2 | k2 | 2020-01-01 | high"
    # k1's records begin in the window, with one address; k2's begin in it and it moves once.
    addresses = (
        ADDRESS_HEADER
        + """
    k1 | csc    | 2020-02-01
    k2 | csc    | 2020-02-01
    k2 | police | 2020-02-01
    k2 | csc    | 2020-05-01
    """
    )
    got = moves(events, addresses, AS_OF)
    assert got[("all", "all", "0")] == (1, 2)
    assert got[("all", "all", "1")] == (1, 2)
    assert got[("all", "all", "moves_per_child")] == (1, 2)


def test_records_of_one_child_starting_the_same_day_are_one_move(moves):
    events = EVENT_HEADER + "n1 | k1 | 2020-01-01 | high"
    addresses = (
        ADDRESS_HEADER
        + """
    k1 | csc    | 2019-01-01
    k1 | csc    | 2020-03-01
    k1 | police | 2020-03-01
    k1 | csc    | 2020-04-01
    """
    )
    got = moves(events, addresses, AS_OF)
    assert got[("all", "all", "2_or_more")] == (1, 1)
    assert got[("all", "all", "moves_per_child")] == (2, 1)


def test_two_records_of_one_child_in_a_notification_each_count_their_moves_once(moves):
    """A notification listing two police records that linkage found to be one child gives two
    index events (as csc_referral_within_window counts them), each with the child's own moves,
    not the moves of both rows together."""
    events = EVENT_HEADER + "n1 | k1 | 2020-01-01 | high\nn1 | k1 | 2020-01-01 | high"
    addresses = ADDRESS_HEADER + "k1 | csc | 2019-01-01\nk1 | police | 2020-03-01"
    got = moves(events, addresses, AS_OF)
    assert got[("all", "all", "1")] == (2, 2)
    assert got[("all", "all", "2_or_more")] == (0, 2)
    assert got[("all", "all", "moves_per_child")] == (2, 2)


def test_a_shorter_window_and_no_complete_event(moves):
    events = EVENT_HEADER + "n1 | k1 | 2021-12-01 | high"
    addresses = ADDRESS_HEADER + "k1 | csc | 2019-01-01\nk1 | csc | 2021-12-31"
    # 2021-12-01 + 30 = 2021-12-31 = as_of: complete with a 30-day window, not with 365.
    assert moves(events, addresses, AS_OF, 30)[("all", "all", "1")] == (1, 1)
    assert moves(events, addresses, AS_OF, 29)[("all", "all", "0")] == (1, 1)
    assert moves(events, addresses, AS_OF) == {}


@pytest.mark.parametrize("backend", ["duckdb", "sqlite"])
def test_rows_carry_the_period_of_the_events_counted_and_the_mean(backend):
    frame = _run_ibis(backend, EVENTS, ADDRESSES, AS_OF)
    assert {pd.Timestamp(s).date() for s in frame.period_start} == {date(2020, 1, 1)}
    assert {pd.Timestamp(e).date() for e in frame.period_end} == {date(2020, 12, 31)}
    mean = frame[(frame.group_by == "all") & (frame.category == "moves_per_child")]
    assert mean.value.tolist() == pytest.approx([7 / 6])
    assert sorted(frame.category.unique()) == ["0", "1", "2_or_more", "moves_per_child"]
