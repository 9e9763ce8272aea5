"""The four intervention sites and their service episodes.

The sites are the four interventions of the WWCSC/EIF feasibility study of domestic-abuse
interventions (protocol appendices), each placed in one intervention area of the fictional
authority. Families are referred after a police domestic-abuse notification or a referral to
children's social care; most have a child of the ages the service works with, some do not and are
found ineligible. The funnel then loses families at each step as the Step Up study found: transient
families cannot be contacted, victims decline the offer (and then the children cannot be seen
either), and families stop attending.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from daeval.model import codes
from daeval.synth.addresses import AddressHistory
from daeval.synth.calibration import PERIOD_START
from daeval.synth.population import SLOTS, VICTIM, Population
from daeval.synth.timeline import END_DAY, YEAR_DAYS, day_of

SERVICE_START = day_of(date(PERIOD_START.year, 10, 1))
"""Sites take referrals from 1 October of the period's first year (2019), six months in."""


@dataclass(frozen=True)
class Site:
    site_id: str
    intervention_id: str
    name: str
    district: int  # index into areas.AREAS
    families: int  # families referred over the period at scale 1
    child_ages: tuple[float, float]  # ages (years) of the children the service is for
    expecting: bool  # also takes parents expecting a baby
    children_take_part: bool
    perpetrator_takes_part: float  # chance the abusive parent takes part too
    sessions_planned: int | None  # None: not time-limited
    weeks: tuple[int, int]  # length of a completed intervention
    completion: float  # chance a started episode is completed
    instruments: tuple[str, ...]
    referral_sources: tuple[tuple[str, float], ...]


SITES: tuple[Site, ...] = (
    # For Baby's Sake: parents with children up to age 2, both parents worked with individually,
    # weekly from pregnancy to the first birthday then less often; GAD-7 and PHQ-9; 79% of
    # referrals from children's social care.
    Site("fbs", "fbs", "For Baby's Sake", 0, 110, (0, 2), True, False, 0.6, 40, (40, 90), 0.5,
         ("PHQ9", "GAD7"),
         (("Children's social care", 0.79), ("Health visitor", 0.08), ("Midwife", 0.07),
          ("Probation", 0.03), ("Self-referral", 0.03))),
    # Survive and Thrive: children 5-18 and their parents; CRIES-13, IES-R, SCORE-15, MORS.
    Site("sat", "sat", "Survive and Thrive", 1, 240, (5, 17), False, True, 0.0, 10, (10, 26), 0.6,
         ("CRIES13", "IESR", "SCORE15", "MORSSF"),
         (("One Front Door", 0.5), ("Children's social care", 0.2), ("Early help", 0.15),
          ("School", 0.1), ("Self-referral", 0.05))),
    # LEAP Enhanced Casework: parents of children 0-3 (and in pregnancy), not time-limited
    # (61 sessions on average in 2020-22); DASH and CORE-10.
    Site("leap", "leap", "LEAP Enhanced Casework", 2, 140, (0, 3), True, False, 0.0, None,
         (20, 78), 0.55, ("CORE10", "DASH"),
         (("Children's centre outreach", 0.3), ("Children's social care", 0.25),
          ("Health visitor", 0.2), ("Self-referral", 0.15), ("Police", 0.1))),
    # Children Overcoming Domestic Abuse: mothers and children 4-11, two-hour sessions weekly
    # for 12 weeks. Outcome tools are not named in the protocol: SWEMWBS for mothers and CRIES-8
    # for children are this generator's choice.
    Site("coda", "coda", "Children Overcoming Domestic Abuse", 3, 170, (4, 11), False, True, 0.0,
         12, (12, 14), 0.65, ("SWEMWBS", "CRIES8"),
         (("Children's social care", 0.3), ("Early help", 0.2), ("Health services", 0.1),
          ("Education", 0.15), ("IDVA service", 0.08), ("Police", 0.07),
          ("Mental health services", 0.05), ("Self-referral", 0.05))),
)  # fmt: skip

ROLES = tuple(codes.ROLE)
CHILD, VICTIM_PARENT, PERPETRATOR_PARENT = (
    ROLES.index(r) for r in ("child", "victim_parent", "perpetrator_parent")
)
ELIGIBILITY = tuple(codes.ELIGIBILITY)
OFFERS = tuple(codes.OFFER)
END_REASONS = tuple(codes.END_REASON)
CONSENT = tuple(codes.CONSENT)
INELIGIBLE_REASONS = (
    "No child in the age range",
    "Risk too high: referred to MARAC and IDVA",
    "Already receiving a domestic abuse service",
    "Family lives outside the service area",
)
FIT_SHARE = 0.88
"""Share of referrals with a child of the right age (the rest are found ineligible)."""
CONTACT_CHANCE = {"settled": 0.88, "transient": 0.55}
ACCEPT_CHANCE = 0.72
START_CHANCE = 0.88
CONSENT_MIX = {"Y": 0.72, "N": 0.20, "withdrawn": 0.08}
_R = {r: END_REASONS.index(r) for r in END_REASONS}


@dataclass
class Episodes:
    """Service episodes of one site in a chunk (one row per person)."""

    site: Site
    families: int  # families referred (family numbers run from the first one given)
    family_number: np.ndarray  # site's family number (per referral)
    person: np.ndarray  # chunk-local person index
    role: np.ndarray
    referral_day: np.ndarray
    source: np.ndarray  # index into site.referral_sources
    eligibility: np.ndarray
    ineligible_reason: np.ndarray  # index into INELIGIBLE_REASONS or -1
    contact_day: np.ndarray  # -1 when none
    offer: np.ndarray  # -1 when none yet
    start_day: np.ndarray
    planned: np.ndarray  # -1 when none
    attended: np.ndarray
    end_day: np.ndarray
    end_reason: np.ndarray
    consent: np.ndarray
    consent_day: np.ndarray


def _age_fit(pop: Population, site: Site, family: np.ndarray, day: np.ndarray) -> np.ndarray:
    age = (day[:, None] - pop.dob[family, 2:]) / YEAR_DAYS
    lo, hi = site.child_ages
    fit = pop.exists[family, 2:] & (age >= lo) & (age < hi + 1)
    if site.expecting:
        fit |= pop.exists[family, 2:] & (age < 0) & (age > -0.5)
    return fit


def _choose_families(
    rng: np.random.Generator,
    pop: Population,
    addresses: AddressHistory,
    site: Site,
    triggers: tuple[np.ndarray, np.ndarray],
    quota: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    family, day = triggers
    day = np.minimum(day + rng.integers(3, 46, len(day)), END_DAY)
    here = (day >= SERVICE_START) & (addresses.district_at(family, day) == site.district)
    family, day = family[here], day[here]
    fit: np.ndarray = np.any(_age_fit(pop, site, family, day), axis=1)
    chosen = []
    taken = np.zeros(pop.size, bool)
    for pool, n in ((fit, round(FIT_SHARE * quota)), (~fit, quota - round(FIT_SHARE * quota))):
        idx = rng.permutation(np.flatnonzero(pool))
        idx = idx[~taken[family[idx]]]
        _, first = np.unique(family[idx], return_index=True)
        idx = idx[np.sort(first)][:n]
        taken[family[idx]] = True
        chosen.append(idx)
    idx = np.concatenate(chosen)
    idx = idx[np.argsort(day[idx], kind="stable")]
    return family[idx], day[idx], fit[idx]


def refer_to_site(
    rng: np.random.Generator,
    pop: Population,
    addresses: AddressHistory,
    site: Site,
    triggers: tuple[np.ndarray, np.ndarray],
    quota: int,
    first_family_number: int,
) -> Episodes:
    """Episodes for ``quota`` families referred to ``site`` from the chunk's ``triggers``."""
    family, day, fit = _choose_families(rng, pop, addresses, site, triggers, quota)
    n = len(family)
    u = rng.random((8, n))
    eligible_idx, ineligible_idx, pending_idx = (ELIGIBILITY.index(e) for e in ELIGIBILITY)
    ineligible = ~fit | (u[0] < 0.07)
    reason = np.where(~fit, 0, rng.integers(1, len(INELIGIBLE_REASONS), n))
    pending = ~ineligible & (day > END_DAY - 21)
    eligibility = np.where(ineligible, ineligible_idx, np.where(pending, pending_idx, eligible_idx))
    active = eligibility == eligible_idx

    contact_p = np.where(pop.transient[family], CONTACT_CHANCE["transient"],
                         CONTACT_CHANCE["settled"])  # fmt: skip
    contact_day = day + rng.integers(2, 31, n)
    contacted = active & (u[1] < contact_p) & (contact_day <= END_DAY)
    gave_up = active & ~contacted & (day + 60 <= END_DAY)
    accepted = contacted & (u[2] < ACCEPT_CHANCE)
    declined = contacted & ~accepted
    offer = np.select([accepted, declined, gave_up], [0, 1, 2], -1)  # codes.OFFER order

    start_day = contact_day + rng.integers(5, 41, n)
    started = accepted & (u[3] < START_CHANCE) & (start_day <= END_DAY)
    completed = started & (u[4] < site.completion)
    weeks = rng.integers(site.weeks[0], site.weeks[1] + 1, n)
    length = np.where(completed, weeks * 7, (weeks * 7 * rng.uniform(0.1, 0.6, n)).astype(int))
    end_day = np.select(
        [started, ineligible, declined, gave_up, accepted],
        [start_day + length, day + rng.integers(1, 15, n), contact_day + rng.integers(0, 8, n),
         day + rng.integers(45, 91, n), contact_day + rng.integers(30, 61, n)],
        -1,
    )  # fmt: skip
    moved = pop.transient[family] & (u[5] < 0.5)
    r = u[6]
    dropout = np.where(moved, _R["moved_away"], np.select(
        [r < 0.5, r < 0.64, r < 0.82, r < 0.92],
        [_R["disengaged"], _R["declined"], _R["escalated_to_csc"], _R["unable_to_contact"]],
        _R["other"]))  # fmt: skip
    end_reason = np.select(
        [completed, started, ineligible, declined, gave_up, accepted],
        [_R["completed"], dropout, _R["ineligible"], _R["declined"], _R["unable_to_contact"],
         np.where(u[7] < 0.5, _R["disengaged"], _R["unable_to_contact"])],
        -1,
    )  # fmt: skip
    ongoing = (end_day > END_DAY) | (eligibility == pending_idx)
    end_day = np.where(ongoing, -1, end_day)
    end_reason = np.where(ongoing, -1, end_reason)
    source_p = np.array([w for _, w in site.referral_sources])
    source = rng.choice(len(source_p), size=n, p=source_p / source_p.sum())

    return _people_in(rng, pop, site, first_family_number, family, {
        "referral_day": day, "source": source, "eligibility": eligibility,
        "ineligible_reason": np.where(ineligible, reason, -1),
        "contact_day": np.where(contacted, contact_day, -1), "offer": offer,
        "start_day": np.where(started, start_day, -1), "end_day": end_day,
        "end_reason": end_reason, "completed": completed, "started": started,
        "accepted": accepted, "length": length,
    })  # fmt: skip


def _people_in(
    rng: np.random.Generator,
    pop: Population,
    site: Site,
    first_family_number: int,
    family: np.ndarray,
    fam: dict[str, np.ndarray],
) -> Episodes:
    """Expand family referrals to one episode per person taking part."""
    n = len(family)
    taking_part = np.zeros((n, SLOTS), bool)
    taking_part[:, VICTIM] = True
    taking_part[:, 1] = rng.random(n) < site.perpetrator_takes_part
    if site.children_take_part:
        taking_part[:, 2:] = _age_fit(pop, site, family, fam["referral_day"])
    row, slot = np.nonzero(taking_part)
    person = family[row] * SLOTS + slot
    role = np.select([slot == VICTIM, slot == 1], [VICTIM_PARENT, PERPETRATOR_PARENT], CHILD)

    m = len(row)
    end_day = fam["end_day"][row]
    start = fam["start_day"][row]
    planned = site.sessions_planned
    span = np.where(end_day >= 0, end_day, END_DAY) - start
    weekly = np.maximum(span // 7, 1)
    attended = np.where(
        fam["completed"][row],
        (weekly * rng.uniform(0.75, 1.0, m)).astype(int),
        (weekly * rng.uniform(0.3, 0.9, m)).astype(int),
    )
    if planned is not None:
        attended = np.minimum(attended, planned)
    attended = np.where(start >= 0, np.maximum(attended, 1), -1)

    # Consent is asked once the offer is accepted; a child's follows the parent's.
    c = rng.choice(len(CONSENT_MIX), size=n, p=list(CONSENT_MIX.values()))
    own = rng.choice(len(CONSENT_MIX), size=m, p=list(CONSENT_MIX.values()))
    consent = np.where(role == CHILD, c[row], np.where(role == VICTIM_PARENT, c[row], own))
    asked = fam["accepted"][row]
    contact = fam["contact_day"][row]
    consent_day = np.where(asked, contact, -1)
    withdrawn = asked & (consent == CONSENT.index("withdrawn"))
    last = np.where(end_day >= 0, end_day, END_DAY)
    consent_day = np.where(
        withdrawn, contact + ((last - contact) * rng.uniform(0.2, 1.0, m)).astype(int), consent_day
    )
    return Episodes(
        site=site,
        families=n,
        family_number=first_family_number + row,
        person=person,
        role=role.astype(np.int8),
        referral_day=fam["referral_day"][row],
        source=fam["source"][row],
        eligibility=fam["eligibility"][row],
        ineligible_reason=fam["ineligible_reason"][row],
        contact_day=contact,
        offer=fam["offer"][row],
        start_day=start,
        planned=np.where(fam["accepted"][row] & (planned is not None), planned or 0, -1),
        attended=attended,
        end_day=end_day,
        end_reason=fam["end_reason"][row],
        consent=np.where(asked, consent, -1),
        consent_day=consent_day,
    )
