"""One chunk of the local authority's families and every record they leave in each system.

A chunk's records are generated from the chunk's own random streams (seeded by the chunk index), so
the output depends only on the seed and the scale. Volumes are quotas: each calibrated count at
scale 1 (``VOLUMES``) is multiplied by the scale and shared out among chunks in proportion to their
families, with cumulative rounding so the chunks add up exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from daeval.synth import calibration as cal
from daeval.synth.addresses import build_addresses
from daeval.synth.casework import work_cases
from daeval.synth.csc import refer
from daeval.synth.police import notify
from daeval.synth.population import build_population
from daeval.synth.records import (
    csc_tables,
    police_tables,
    service_tables,
)
from daeval.synth.services import SITES, refer_to_site
from daeval.synth.timeline import END_DAY, STEP_UP_WINDOW_END

FAMILIES = 11_000
"""Families in the authority at scale 1 (those known to the police, children's social care or a
service over the three years, and some who never are)."""
CHUNK_FAMILIES = 25_000

_WINDOW_DAYS = STEP_UP_WINDOW_END + 1
_AFTER_DAYS = END_DAY - STEP_UP_WINDOW_END
_OTHER_VULNERABILITY = cal.VULNERABLE_PERSON_REFERRALS.value - cal.DA_NOTIFICATIONS.value

VOLUMES: dict[str, float] = {
    "da_window": cal.DA_NOTIFICATIONS.value,
    "da_after": cal.DA_NOTIFICATIONS.value * _AFTER_DAYS / _WINDOW_DAYS,
    "other_window": _OTHER_VULNERABILITY,
    "other_after": _OTHER_VULNERABILITY * _AFTER_DAYS / _WINDOW_DAYS,
    "police_events": 1_150,  # family referrals to CSC following a notification (three years)
    "other_events": 2_950,  # family referrals to CSC from other sources (three years)
    "nfa": cal.NFA_REFERRALS.value,
    "nfa_domestic": cal.NFA_DA_REFERRALS.value,
    **{f"site_{s.site_id}": float(s.families) for s in SITES},
}
"""Counts at scale 1 over the three years (the third year of notifications at the window's rate)."""

STREAMS = (
    "population",
    "addresses",
    "police",
    "csc",
    "casework",
    "services",
    "questionnaires",
    "records",
)

Emit = Callable[[str, dict[str, pa.Array]], None]


@dataclass
class Counters:
    """Running id numbers, carried from one chunk to the next."""

    notification: int = 0
    referral: int = 0
    assessment: int = 0
    plan: int = 0
    episode: int = 0
    response: int = 0
    site_person: dict[str, int] = field(default_factory=lambda: {s.site_id: 0 for s in SITES})
    site_family: dict[str, int] = field(default_factory=lambda: {s.site_id: 0 for s in SITES})


def chunk_sizes(scale: float) -> list[int]:
    """Families per chunk at ``scale``."""
    total = max(1, round(FAMILIES * scale))
    full, rest = divmod(total, CHUNK_FAMILIES)
    return [CHUNK_FAMILIES] * full + ([rest] if rest else [])


def chunk_quotas(scale: float, sizes: list[int], k: int) -> dict[str, int]:
    """Chunk ``k``'s share of every volume (cumulative rounding keeps the totals exact)."""
    total = sum(sizes)
    before = sum(sizes[:k])
    after = before + sizes[k]
    return {
        name: round(v * scale * after / total) - round(v * scale * before / total)
        for name, v in VOLUMES.items()
    }


def build_chunk(
    seed: int,
    k: int,
    first_family: int,
    n_families: int,
    quotas: dict[str, int],
    counters: Counters,
    emit: Emit,
) -> None:
    """Generate chunk ``k`` and hand each table's batch to ``emit``."""
    streams = np.random.SeedSequence(seed, spawn_key=(k,)).spawn(len(STREAMS))
    rng = {name: np.random.default_rng(s) for name, s in zip(STREAMS, streams, strict=True)}

    pop = build_population(rng["population"], first_family, n_families)
    homes = build_addresses(rng["addresses"], pop)
    notes = notify(rng["police"], pop, quotas, counters.notification)
    counters.notification += len(notes.day)
    refs = refer(rng["csc"], pop, homes, notes, quotas, counters.referral)
    counters.referral += len(refs.day)
    cases = work_cases(rng["casework"], refs, homes)

    police_tables(rng["records"], pop, homes, notes, emit)
    csc_tables(rng["records"], pop, homes, notes, refs, cases, counters, emit)

    triggers = (
        np.concatenate((notes.family[notes.domestic], refs.family)),
        np.concatenate((notes.day[notes.domestic], refs.day)),
    )
    for site in SITES:
        episodes = refer_to_site(
            rng["services"],
            pop,
            homes,
            site,
            triggers,
            quotas[f"site_{site.site_id}"],
            counters.site_family[site.site_id],
        )
        service_tables(rng["records"], rng["questionnaires"], pop, homes, episodes, counters, emit)
