"""The fictional local authority: its areas, postcode districts and postcodes.

Postcodes use the outward codes ZX1-ZX6 (the local authority, LA 990) and ZY1-ZY3 (the
neighbouring authority, LA 991). No real postcode area starts with ZX or ZY. Inward codes follow the
real pattern: a sector digit, then two letters from the 20 letters Royal Mail uses in inward codes
(C, I, K, M, O and V are never used there).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pyarrow as pa

HOME_LA = "990"
NEIGHBOUR_LA = "991"
LA_NAMES = {
    HOME_LA: "Fictional seaside borough (home authority)",
    NEIGHBOUR_LA: "Fictional neighbouring authority (families who move out)",
}


@dataclass(frozen=True)
class Area:
    district: str
    name: str
    la_code: str
    comparator: bool


AREAS: tuple[Area, ...] = (
    Area("ZX1", "Harbourside", HOME_LA, comparator=False),
    Area("ZX2", "Old Town", HOME_LA, comparator=False),
    Area("ZX3", "Promenade", HOME_LA, comparator=False),
    Area("ZX4", "Millfield", HOME_LA, comparator=False),
    Area("ZX5", "Brookvale", HOME_LA, comparator=True),
    Area("ZX6", "Ashby Green", HOME_LA, comparator=True),
    Area("ZY1", "Westerby", NEIGHBOUR_LA, comparator=False),
    Area("ZY2", "Easterby", NEIGHBOUR_LA, comparator=False),
    Area("ZY3", "Southerby", NEIGHBOUR_LA, comparator=False),
)
"""Postcode districts; the first six are the home authority's study areas (ZX1-ZX4 intervention
areas, ZX5-ZX6 comparators), the last three lie in the neighbouring authority."""

HOME_DISTRICTS = 6
"""Districts 0..5 are in LA 990; 6..8 in LA 991."""
HOME_WEIGHTS = np.array([0.18, 0.17, 0.17, 0.15, 0.17, 0.16])
"""Share of the home authority's families living in each study area."""

UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
SECTORS = 10
UNITS = len(UNIT_LETTERS) ** 2
POSTCODES_PER_DISTRICT = SECTORS * UNITS


def postcode_index(district: np.ndarray, sector: np.ndarray, unit: np.ndarray) -> np.ndarray:
    """Index of a postcode (written with its space) in :func:`postcode_vocabulary`."""
    return (district.astype(np.int32) * POSTCODES_PER_DISTRICT + sector * UNITS + unit).astype(
        np.int32
    )


def district_of(postcode: np.ndarray) -> np.ndarray:
    """District index of postcode indices (with or without the space)."""
    return (postcode % (len(AREAS) * POSTCODES_PER_DISTRICT)) // POSTCODES_PER_DISTRICT


NO_SPACE_OFFSET = len(AREAS) * POSTCODES_PER_DISTRICT
"""Adding this to a postcode index gives the same postcode written without its space."""


@cache
def postcode_vocabulary() -> pa.Array:
    """Every synthetic postcode, first as 'ZX3 4AB', then the same ones as 'ZX34AB'."""
    letters = UNIT_LETTERS
    inward_units = [a + b for a in letters for b in letters]
    spaced = [
        f"{area.district} {sector}{unit}"
        for area in AREAS
        for sector in range(SECTORS)
        for unit in inward_units
    ]
    return pa.array(spaced + [p.replace(" ", "") for p in spaced], pa.string())
