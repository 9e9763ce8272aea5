"""Referrals to children's social care: who refers, when, and the front-door decision.

A family referral event refers every child then in the household, in the authority the family lives
in on that day (990, or 991 after a move out). Police referrals follow a notification, more often a
higher-risk one. Re-referrals come from families referred again within a year. Two figures are then
held to their targets exactly rather than left to chance:

- the re-referral rate, by deleting re-referral events (whose removal changes no other event's
  status) or adding a re-referral after a family's last event, until the share is met;
- the number of ``nfa`` decisions, with and without domestic abuse, by choosing which events get
  them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from daeval.model import codes
from daeval.synth import areas
from daeval.synth.addresses import AddressHistory
from daeval.synth.calibration import RE_REFERRAL_RATE
from daeval.synth.grouping import run_starts, same_as_next
from daeval.synth.police import HIGH, Notifications
from daeval.synth.population import Population
from daeval.synth.timeline import END_DAY, YEAR_TWO_START

SOURCES = tuple(codes.REFERRAL_SOURCE)
POLICE = SOURCES.index("6")
# Referral sources other than the police, weighted so that, with police referrals making up about
# 28% of all, schools come to about 21% (DfE children in need 2025: police 28%, schools 21%).
OTHER_SOURCE_WEIGHTS = {
    "2A": 26.0, "2B": 2.0, "3A": 3.0, "3B": 4.0, "3C": 1.0, "3D": 3.0, "3E": 3.0, "3F": 3.0,
    "1A": 6.0, "1B": 2.0, "1C": 2.0, "1D": 1.0, "4": 2.0, "5A": 5.0, "5B": 4.0, "5C": 3.0,
    "7": 4.0, "8": 8.0, "9": 1.5, "10": 3.5,
}  # fmt: skip
_OTHER_CODES = np.array([SOURCES.index(c) for c in OTHER_SOURCE_WEIGHTS], np.int8)
_OTHER_P = np.array(list(OTHER_SOURCE_WEIGHTS.values())) / sum(OTHER_SOURCE_WEIGHTS.values())

DECISIONS = tuple(codes.DECISION)
NFA, EARLY_HELP, ASSESSMENT, S47 = (DECISIONS.index(d) for d in DECISIONS)
# Relative chance that a notification leads to a referral: by risk level for domestic abuse
# (standard, medium, high), and for other vulnerabilities and unassessed abuse.
REFERRAL_WEIGHT_BY_LEVEL = np.array([1.0, 2.5, 6.0])
REFERRAL_WEIGHT_OTHER = {"other_vulnerability": 0.6, "not_assessed": 1.0}
POLICE_LAG_DAYS = np.array([0, 0, 0, 1, 1, 2, 3, 5])

YEAR = 365


@dataclass
class Events:
    family: np.ndarray
    day: np.ndarray
    source: np.ndarray
    notification: np.ndarray  # index into the chunk's notifications, or -1

    def take(self, idx: np.ndarray) -> Events:
        return Events(self.family[idx], self.day[idx], self.source[idx], self.notification[idx])

    def join(self, other: Events) -> Events:
        return Events(
            *(np.concatenate((getattr(self, f), getattr(other, f))) for f in _EVENT_FIELDS)
        )


_EVENT_FIELDS = ("family", "day", "source", "notification")


@dataclass
class Referrals:
    """Child-level referrals of a chunk, in date order."""

    number: np.ndarray
    family: np.ndarray
    slot: np.ndarray  # child slot 0..3 (person = family * 6 + 2 + slot)
    day: np.ndarray
    neighbour: np.ndarray  # bool: referral in LA 991
    source: np.ndarray
    decision: np.ndarray
    domestic: np.ndarray
    threshold: np.ndarray  # 0..3 (levels 1..4)
    notification: np.ndarray  # triggering notification index or -1

    @property
    def person(self) -> np.ndarray:
        return self.family.astype(np.int64) * 6 + 2 + self.slot


def _other_events(rng: np.random.Generator, family: np.ndarray, day: np.ndarray) -> Events:
    source = _OTHER_CODES[rng.choice(len(_OTHER_CODES), size=len(family), p=_OTHER_P)]
    return Events(family.astype(np.int32), day.astype(np.int32), source, np.full(len(family), -1))


def _police_events(rng: np.random.Generator, notes: Notifications, n: int) -> Events:
    by_level = np.where(
        notes.level >= 0,
        REFERRAL_WEIGHT_BY_LEVEL[np.maximum(notes.level, 0)],
        REFERRAL_WEIGHT_OTHER["not_assessed"],
    )
    weight = np.where(notes.domestic, by_level, REFERRAL_WEIGHT_OTHER["other_vulnerability"])
    weight = weight * notes.children.any(axis=1)
    candidates = np.flatnonzero(weight > 0)
    n = min(n, len(candidates))
    # Weighted sampling without replacement (Efraimidis-Spirakis keys).
    keys = np.log(rng.random(len(candidates))) / weight[candidates]
    chosen = np.sort(candidates[np.argpartition(-keys, n - 1)[:n]]) if n else candidates[:0]
    day = np.minimum(notes.day[chosen] + rng.choice(POLICE_LAG_DAYS, n), END_DAY)
    return Events(notes.family[chosen], day.astype(np.int32), np.full(n, POLICE, np.int8), chosen)


def _in_neighbour(addresses: AddressHistory, ev: Events) -> np.ndarray:
    return addresses.district_at(ev.family, ev.day) >= areas.HOME_DISTRICTS


def _tidy(ev: Events) -> Events:
    """Sort by family and day; keep one event per family per day (a police one if any)."""
    order = np.lexsort((ev.source != POLICE, ev.day, ev.family))
    ev = ev.take(order)
    if len(order) == 0:
        return ev
    keep = run_starts(ev.family, ev.day)
    return ev.take(np.flatnonzero(keep))


def _child_rows(
    pop: Population, addresses: AddressHistory, ev: Events
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One row per child referred: (event, child slot, in LA 991, is a re-referral)."""
    present = pop.children_present(ev.family, ev.day)
    event, slot = np.nonzero(present)
    neighbour = _in_neighbour(addresses, ev)[event]
    key = (ev.family[event].astype(np.int64) * 4 + slot) * 2 + neighbour
    day = ev.day[event]
    order = np.lexsort((day, key))
    k, d = key[order], day[order]
    gap = np.diff(d, prepend=d[:1])
    flag = ~run_starts(k) & (gap >= 1) & (gap <= YEAR)
    re = np.empty(len(flag), bool)
    re[order] = flag
    return event, slot, neighbour, re


def _nearest_prefix(
    rng: np.random.Generator, pool: np.ndarray, size: np.ndarray, x: float
) -> np.ndarray:
    """A random subset of ``pool`` whose ``size`` adds up as close as possible to ``x``."""
    perm = rng.permutation(pool)
    cum = np.cumsum(size[perm])
    return perm[cum - size[perm] / 2 <= x]


def _hold_re_referral_rate(
    rng: np.random.Generator, pop: Population, addresses: AddressHistory, ev: Events
) -> Events:
    rate = RE_REFERRAL_RATE.value
    for _ in range(8):
        ev = _tidy(ev)
        event, _slot, _nb, re = _child_rows(pop, addresses, ev)
        in_window = ev.day[event] >= YEAR_TWO_START
        total = int(in_window.sum())
        excess = float((re & in_window).sum()) - rate * total
        if abs(excess) <= 1.0:
            break
        rows = np.bincount(event, minlength=len(ev.day))
        re_rows = np.bincount(event, weights=re, minlength=len(ev.day))
        nxt_same = same_as_next(ev.family)
        next_gap = np.where(nxt_same, np.roll(ev.day, -1) - ev.day, 10**6)
        need = abs(excess) / (1 - rate)
        if excess > 0:
            removable = (
                (rows > 0) & (re_rows == rows) & (ev.day >= YEAR_TWO_START) & (next_gap > YEAR)
            )
            drop = _nearest_prefix(rng, np.flatnonzero(removable), rows, need)
            keep = np.ones(len(ev.day), bool)
            keep[drop] = False
            ev = ev.take(np.flatnonzero(keep))
        else:
            lo = np.maximum(1, YEAR_TWO_START - ev.day)
            hi = np.minimum(YEAR, END_DAY - ev.day)
            last = np.flatnonzero(~nxt_same & (lo <= hi) & (rows > 0))
            add = _nearest_prefix(rng, last, rows, need)
            day = ev.day[add] + rng.integers(lo[add], hi[add] + 1)
            ev = ev.join(_other_events(rng, ev.family[add], day))
    return _tidy(ev)


def _pick_nfa(
    rng: np.random.Generator, rows: np.ndarray, domestic: np.ndarray, quotas: dict[str, int]
) -> np.ndarray:
    nfa = np.zeros(len(rows), bool)
    for pool, target in (
        (np.flatnonzero(domestic & (rows > 0)), quotas["nfa_domestic"]),
        (np.flatnonzero(~domestic & (rows > 0)), quotas["nfa"] - quotas["nfa_domestic"]),
    ):
        nfa[_nearest_prefix(rng, pool, rows, target)] = True
    return nfa


def refer(
    rng: np.random.Generator,
    pop: Population,
    addresses: AddressHistory,
    notes: Notifications,
    quotas: dict[str, int],
    first_number: int,
) -> Referrals:
    """The chunk's referrals, with ``quotas`` for police and other events and for nfa decisions."""
    family = np.searchsorted(
        np.cumsum(pop.csc_weight), rng.random(quotas["other_events"]) * pop.csc_weight.sum()
    )
    ev = _police_events(rng, notes, quotas["police_events"]).join(
        _other_events(rng, family, rng.integers(0, END_DAY + 1, len(family)))
    )
    ev = _hold_re_referral_rate(rng, pop, addresses, ev)
    event, slot, neighbour, _re = _child_rows(pop, addresses, ev)
    rows = np.bincount(event, minlength=len(ev.day))

    from_note = ev.notification >= 0
    note = np.where(from_note, ev.notification, 0)
    da_note = from_note & notes.domestic[note]
    high = da_note & (notes.level[note] == HIGH)
    u = rng.random(len(ev.day))
    domestic = np.where(
        da_note, u < 0.95, u < np.where(pop.da[ev.family], np.where(from_note, 0.25, 0.45), 0.02)
    )
    nfa = _pick_nfa(rng, rows, domestic, quotas)
    r = rng.random(len(ev.day))
    early_help_p = np.where(high, 0.08, 0.22)
    s47_p = np.where(high, 0.40, 0.20)
    decision = np.where(
        nfa, NFA, np.where(r < early_help_p, EARLY_HELP, np.where(r < 1 - s47_p, ASSESSMENT, S47))
    ).astype(np.int8)
    t = rng.random(len(ev.day))
    threshold = np.select(
        [decision == NFA, decision == EARLY_HELP, decision == ASSESSMENT],
        [np.where(t < 0.55, 0, 1), np.where(t < 0.7, 1, 2), np.where(t < 0.65, 2, 3)],
        3,
    ).astype(np.int8)

    order = np.lexsort((slot, ev.family[event], ev.day[event]))
    event, slot, neighbour = event[order], slot[order], neighbour[order]
    return Referrals(
        number=first_number + np.arange(len(event), dtype=np.int64),
        family=ev.family[event],
        slot=slot.astype(np.int8),
        day=ev.day[event],
        neighbour=neighbour,
        source=ev.source[event],
        decision=decision[event],
        domestic=domestic[event],
        threshold=threshold[event],
        notification=ev.notification[event],
    )
