"""The rows each system holds: the generated events written as the data contract's tables.

Every system has its own identifiers. The police hold a person under ``P`` + 10 digits (a few people
under two), children's social care under ``C`` + 10 digits in LA 990 and ``N`` + 10 digits in the
neighbouring LA 991, and each service numbers its own clients (``FBS00000123``). The ids are fixed
permutations of the true identity, so they look unrelated across systems; ``truth/people_truth``
records the true identity behind every people row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from daeval.model import codes
from daeval.synth import areas
from daeval.synth.addresses import AddressHistory, known_spells
from daeval.synth.casework import Casework
from daeval.synth.columns import coded, constant, dates, decimals, ids, integers, scramble
from daeval.synth.columns import vocabulary_of as vocab
from daeval.synth.csc import Referrals
from daeval.synth.grouping import run_bounds
from daeval.synth.identities import person_records
from daeval.synth.police import NONE, Notifications
from daeval.synth.population import SLOTS, VICTIM, Population
from daeval.synth.questionnaires import TIMEPOINTS, ages, answer
from daeval.synth.services import INELIGIBLE_REASONS, Episodes

if TYPE_CHECKING:
    from daeval.synth.authority import Counters, Emit

TRUSTED_LINK_SHARE = 0.35
"""Share of police-referred children whose police and CSC records the MASH has matched."""
SALT = {"police": 1, "csc": 2, "neighbour_csc": 3}
_YN = vocab(codes.YES_NO)
_Y, _N = 0, 1  # codes.YES_NO order
_LA = pa.array([areas.HOME_LA, areas.NEIGHBOUR_LA], pa.string())
_ITEMS = pa.array([str(i) for i in range(1, 28)], pa.string())
_INSTRUMENTS = tuple(codes.INSTRUMENT)


def _unique_contacts(
    code: np.ndarray, day: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct codes with the first and last day each was seen."""
    order = np.lexsort((day, code))
    c, d = code[order], day[order]
    starts, ends = run_bounds(c)
    return c[starts], d[starts], d[ends]


def police_ids(pop: Population, code: np.ndarray) -> pa.Array:
    """Police person ids of codes from ``Notifications.police_code``."""
    true = pop.true_id(code // 2)
    return ids("P", scramble(true * 2 + code % 2, SALT["police"]), 10)


def csc_ids(pop: Population, person: np.ndarray, neighbour: np.ndarray) -> pa.Array:
    """Children's social care ids: LA 990's where ``neighbour`` is False, else LA 991's."""
    true = pop.true_id(person)
    return pc.if_else(
        pa.array(neighbour),
        ids("N", scramble(true, SALT["neighbour_csc"]), 10),
        ids("C", scramble(true, SALT["csc"]), 10),
    )


def _people(
    rng: np.random.Generator,
    pop: Population,
    homes: AddressHistory,
    source: str,
    system: str,
    person: np.ndarray,
    person_ids: pa.Array,
    contact_day: np.ndarray,
    emit: Emit,
) -> None:
    n = len(person)
    emit(
        "people",
        {
            "source": constant(source, n),
            "person_id": person_ids,
            **person_records(rng, pop, homes, person, contact_day, system),
        },
    )
    truth = ids("T", pop.true_id(person), 10)
    emit("truth/people_truth", {"source": constant(source, n), "person_id": person_ids,
                                "true_person_id": truth})  # fmt: skip


def _addresses(
    homes: AddressHistory,
    source: str,
    person: np.ndarray,
    person_ids: pa.Array,
    first_day: np.ndarray,
    last_day: np.ndarray,
    emit: Emit,
) -> None:
    owner, spell, to_day = known_spells(homes, person // SLOTS, first_day, last_day)
    emit(
        "addresses",
        {
            "source": constant(source, len(owner)),
            "person_id": person_ids.take(pa.array(owner)),
            "postcode": coded(homes.postcode[spell], areas.postcode_vocabulary()),
            "from_date": dates(homes.start[spell]),
            "to_date": dates(to_day, to_day >= 0),
        },
    )


def police_tables(
    rng: np.random.Generator,
    pop: Population,
    homes: AddressHistory,
    notes: Notifications,
    emit: Emit,
) -> None:
    """police_notifications, notification_children, and the police's people and addresses."""
    day = notes.day
    victim = notes.police_code(notes.victim, day)
    has_perp = notes.perpetrator != NONE
    perp = notes.police_code(np.where(has_perp, notes.perpetrator, 0), day)
    note_ids = ids("VPR", notes.number, 9)
    assessed = notes.level != NONE
    emit(
        "police_notifications",
        {
            "notification_id": note_ids,
            "notification_date": dates(day),
            "incident_type": coded(np.where(notes.domestic, 0, 1), vocab(codes.INCIDENT_TYPE)),
            "victim_id": police_ids(pop, victim),
            "perpetrator_id": pc.if_else(pa.array(has_perp), police_ids(pop, perp), None),
            "risk_tool": coded(notes.tool, vocab(codes.RISK_TOOL), assessed),
            "risk_level": coded(notes.level, vocab(codes.RISK_LEVEL), assessed),
            "dash_yes_count": integers(notes.dash, notes.dash != NONE),
            "post_separation": coded(np.where(notes.post_separation, _Y, _N), _YN, notes.domestic),
        },
    )
    e, slot = np.nonzero(notes.children)
    child = notes.police_code(notes.family[e].astype(np.int64) * SLOTS + 2 + slot, day[e])
    emit(
        "notification_children",
        {"notification_id": note_ids.take(pa.array(e)), "child_id": police_ids(pop, child)},
    )

    code, first_day, last_day = _unique_contacts(
        np.concatenate((victim, perp[has_perp], child)),
        np.concatenate((day, day[has_perp], day[e])),
    )
    person = code // 2
    person_ids = police_ids(pop, code)
    _people(rng, pop, homes, "police", "police", person, person_ids, last_day, emit)
    victims = np.flatnonzero(person % SLOTS == VICTIM)
    _addresses(homes, "police", person[victims], person_ids.take(pa.array(victims)),
               first_day[victims], last_day[victims], emit)  # fmt: skip


def csc_tables(
    rng: np.random.Generator,
    pop: Population,
    homes: AddressHistory,
    notes: Notifications,
    refs: Referrals,
    cases: Casework,
    counters: Counters,
    emit: Emit,
) -> None:
    """csc_referrals, assessments, plans, person_links and CSC's people and addresses."""
    person = refs.person
    child_ids = csc_ids(pop, person, refs.neighbour)
    ref_ids = ids("REF", refs.number, 9)
    la_codes = coded(refs.neighbour.astype(np.int32), _LA)
    emit(
        "csc_referrals",
        {
            "referral_id": ref_ids,
            "child_id": child_ids,
            "la_code": la_codes,
            "referral_date": dates(refs.day),
            "referral_source": coded(refs.source, vocab(codes.REFERRAL_SOURCE)),
            "decision": coded(refs.decision, vocab(codes.DECISION)),
            "domestic_abuse": coded(np.where(refs.domestic, _Y, _N), _YN),
            "threshold_level": coded(refs.threshold, vocab(codes.THRESHOLD_LEVEL)),
            "closure_date": dates(cases.closure_day, cases.closure_day >= 0),
            "reason_for_closure": coded(
                cases.closure_reason, vocab(codes.REASON_FOR_CLOSURE), cases.closure_reason >= 0
            ),
        },
    )
    n_a = len(cases.assessment_referral)
    emit(
        "assessments",
        {
            "assessment_id": ids("ASM", counters.assessment + np.arange(n_a), 9),
            "referral_id": ref_ids.take(pa.array(cases.assessment_referral)),
            "start_date": dates(cases.assessment_start),
            "authorised_date": dates(cases.assessment_authorised, cases.assessment_authorised >= 0),
            "factors": cases.assessment_factors,
            "la_code": la_codes.take(pa.array(cases.assessment_referral)),
        },
    )
    counters.assessment += n_a
    n_p = len(cases.plan_referral)
    emit(
        "plans",
        {
            "plan_id": ids("PLN", counters.plan + np.arange(n_p), 9),
            "child_id": child_ids.take(pa.array(cases.plan_referral)),
            "plan_type": coded(cases.plan_type, vocab(codes.PLAN_TYPE)),
            "start_date": dates(cases.plan_start),
            "end_date": dates(cases.plan_end, cases.plan_end >= 0),
            "category_of_abuse": coded(
                cases.plan_category, vocab(codes.CATEGORY_OF_ABUSE), cases.plan_category >= 0
            ),
            "la_code": la_codes.take(pa.array(cases.plan_referral)),
        },
    )
    counters.plan += n_p

    code, first_day, last_day = _unique_contacts(person * 2 + refs.neighbour, refs.day)
    known = csc_ids(pop, code // 2, code % 2 == 1)
    _people(rng, pop, homes, "csc", "csc", code // 2, known, last_day, emit)
    _addresses(homes, "csc", code // 2, known, first_day, last_day, emit)
    _trusted_links(rng, pop, notes, refs, child_ids, emit)


def _trusted_links(
    rng: np.random.Generator,
    pop: Population,
    notes: Notifications,
    refs: Referrals,
    child_ids: pa.Array,
    emit: Emit,
) -> None:
    note = refs.notification
    rows = np.flatnonzero(
        (note >= 0) & ~refs.neighbour & (rng.random(len(note)) < TRUSTED_LINK_SHARE)
    )
    rows = rows[notes.children[note[rows], refs.slot[rows]]]
    police = notes.police_code(refs.person[rows], notes.day[note[rows]])
    _, first = np.unique(police * 2**32 + refs.person[rows], return_index=True)
    rows, police = rows[first], police[first]
    n = len(rows)
    emit(
        "person_links",
        {
            "source_a": constant("police", n),
            "person_id_a": police_ids(pop, police),
            "source_b": constant("csc", n),
            "person_id_b": child_ids.take(pa.array(rows)),
        },
    )


def service_tables(
    rng: np.random.Generator,
    rng_answers: np.random.Generator,
    pop: Population,
    homes: AddressHistory,
    ep: Episodes,
    counters: Counters,
    emit: Emit,
) -> None:
    """One site's service_episodes, its people and their questionnaire answers."""
    site = ep.site
    n = len(ep.person)
    prefix = site.site_id.upper()
    person_ids = ids(prefix, counters.site_person[site.site_id] + np.arange(n), 8)
    counters.site_person[site.site_id] += n
    counters.site_family[site.site_id] += ep.families
    sources = pa.array([s for s, _ in site.referral_sources], pa.string())
    emit(
        "service_episodes",
        {
            "episode_id": ids("EPI", counters.episode + np.arange(n), 9),
            "site_id": constant(site.site_id, n),
            "intervention_id": constant(site.intervention_id, n),
            "person_id": person_ids,
            "family_id": ids(f"{prefix}-F", ep.family_number, 7),
            "role": coded(ep.role, vocab(codes.ROLE)),
            "referral_date": dates(ep.referral_day),
            "referral_source": coded(ep.source, sources),
            "eligibility": coded(ep.eligibility, vocab(codes.ELIGIBILITY)),
            "ineligible_reason": coded(
                ep.ineligible_reason, pa.array(INELIGIBLE_REASONS), ep.ineligible_reason >= 0
            ),
            "first_contact_date": dates(ep.contact_day, ep.contact_day >= 0),
            "offer": coded(ep.offer, vocab(codes.OFFER), ep.offer >= 0),
            "start_date": dates(ep.start_day, ep.start_day >= 0),
            "sessions_planned": integers(ep.planned, ep.planned >= 0),
            "sessions_attended": integers(ep.attended, ep.attended >= 0),
            "end_date": dates(ep.end_day, ep.end_day >= 0),
            "end_reason": coded(ep.end_reason, vocab(codes.END_REASON), ep.end_reason >= 0),
            "evaluation_consent": coded(ep.consent, vocab(codes.CONSENT), ep.consent >= 0),
            "consent_date": dates(ep.consent_day, ep.consent_day >= 0),
        },
    )
    counters.episode += n
    source = f"service:{site.site_id}"
    _people(rng, pop, homes, source, "service", ep.person, person_ids, ep.referral_day, emit)

    family, slot = np.divmod(ep.person, SLOTS)
    ans = answer(rng_answers, ep, ages(ep, pop.dob[family, slot]), _INSTRUMENTS)
    m = len(ans.item)
    emit(
        "measure_responses",
        {
            "response_id": ids("RSP", counters.response + np.arange(m), 10),
            "source": constant(source, m),
            "person_id": person_ids.take(pa.array(ans.episode)),
            "instrument": coded(ans.instrument, vocab(codes.INSTRUMENT)),
            "timepoint": coded(ans.timepoint, pa.array(TIMEPOINTS)),
            "administered_date": dates(ans.day),
            "respondent": coded(ans.respondent, vocab(codes.RESPONDENT)),
            "item": coded(ans.item - 1, _ITEMS),
            "value": decimals(ans.value),
        },
    )
    counters.response += m
