"""Where each family lives over time.

Most families rarely move (about one move in four years, mostly within their district). Transient
families (see ``population.TRANSIENT_SHARE``) move about three times a year, often to another district
and sometimes out of the authority, usually coming back: the pattern the Step Up study found made
families hard to contact. A family's address history is a run of spells, each starting on a move day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from daeval.synth import areas
from daeval.synth.grouping import run_starts
from daeval.synth.population import Population
from daeval.synth.timeline import END_DAY

MOVES_PER_YEAR = {"settled": 0.25, "transient": 3.0}
# Where a move goes: back to (or within) the home district, another district of the authority, or
# out to the neighbouring authority.
DESTINATION = {"settled": (0.86, 0.125, 0.015), "transient": (0.5, 0.4, 0.1)}

_DAY_OFFSET = 8192  # spell start days lie in (-8192, 8192) for key arithmetic
_KEY_STRIDE = 2 * _DAY_OFFSET


@dataclass
class AddressHistory:
    """Address spells of a chunk's families, sorted by family then start day."""

    family: np.ndarray
    start: np.ndarray  # first day at the address (may fall before the period)
    postcode: np.ndarray  # index into areas.postcode_vocabulary()
    first_spell: np.ndarray  # [families] index of each family's first spell
    _keys: np.ndarray

    def spell_at(self, family: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Index of the spell each (family, day) falls in."""
        keys = family.astype(np.int64) * _KEY_STRIDE + (day.astype(np.int64) + _DAY_OFFSET)
        return np.searchsorted(self._keys, keys, side="right") - 1

    def district_at(self, family: np.ndarray, day: np.ndarray) -> np.ndarray:
        return areas.district_of(self.postcode[self.spell_at(family, day)])

    def next_start(self, spell: np.ndarray) -> np.ndarray:
        """Start day of the following spell of the same family (a large number if none)."""
        nxt = np.minimum(spell + 1, len(self.start) - 1)
        same = (spell + 1 < len(self.start)) & (self.family[nxt] == self.family[spell])
        return np.where(same, self.start[nxt], np.iinfo(np.int32).max)


def build_addresses(rng: np.random.Generator, pop: Population) -> AddressHistory:
    """Draw every family's moves from their first address (before the period) to the end."""
    n = pop.size
    rate = np.where(pop.transient, MOVES_PER_YEAR["transient"], MOVES_PER_YEAR["settled"])
    moves = rng.poisson(rate * (END_DAY + 1) / 365.25)
    spells = moves + 1
    family = np.repeat(np.arange(n, dtype=np.int32), spells)
    first_spell = np.concatenate(([0], np.cumsum(spells)[:-1])).astype(np.int64)
    is_first = np.zeros(len(family), bool)
    is_first[first_spell] = True

    start = rng.integers(1, END_DAY + 1, len(family)).astype(np.int32)
    start[is_first] = -rng.integers(30, 4000, n)
    order = np.lexsort((start, family))
    start = start[order]  # family is already sorted and the first spell is the earliest
    # Two moves drawn for the same day are one move.
    distinct = run_starts(family, start)
    family, start = family[distinct], start[distinct]
    is_first = is_first[distinct]
    first_spell = np.flatnonzero(is_first)

    dest = np.where(
        pop.transient[family][:, None],
        np.array(DESTINATION["transient"])[None, :],
        np.array(DESTINATION["settled"])[None, :],
    )
    r = rng.random(len(family))
    home = pop.area[family].astype(np.int32)
    other_home = rng.integers(0, areas.HOME_DISTRICTS, len(family))
    neighbour = rng.integers(areas.HOME_DISTRICTS, len(areas.AREAS), len(family))
    district = np.where(
        r < dest[:, 0], home, np.where(r < dest[:, 0] + dest[:, 1], other_home, neighbour)
    )
    district[is_first] = home[is_first]
    sector = rng.integers(0, areas.SECTORS, len(family))
    unit = rng.integers(0, areas.UNITS, len(family))
    postcode = areas.postcode_index(district, sector, unit)
    keys = family.astype(np.int64) * _KEY_STRIDE + (start.astype(np.int64) + _DAY_OFFSET)
    return AddressHistory(family, start, postcode, first_spell, keys)


def known_spells(
    addresses: AddressHistory, family: np.ndarray, first_day: np.ndarray, last_day: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Address spells a source learns of between its first and last contact with each person.

    Returns, per spell row: the position of the person in the inputs, the spell index, and the
    spell's last day as known to the source (-1 when the spell was still current at last contact).
    """
    lo = addresses.spell_at(family, first_day)
    hi = addresses.spell_at(family, last_day)
    count = hi - lo + 1
    owner = np.repeat(np.arange(len(family)), count)
    within = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    spell = lo[owner] + within
    following = addresses.next_start(spell)
    ended = following <= last_day[owner]
    return owner, spell, np.where(ended, following - 1, -1)
