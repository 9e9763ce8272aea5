"""What happens after the front door: assessments, plans and closure of each referral.

- ``nfa`` and front-door ``early_help`` close within days (reason RC7: no assessment took place,
  so RC8/RC9, which mean closure after assessment, do not apply).
- ``assessment`` and ``s47`` referrals are assessed (authorised within about 45 working days, the
  Working Together timescale, with a tail beyond it). An assessment either closes the case (RC8 no
  further action, RC9 referred to early help), or leads to a child in need plan; a section 47
  enquiry often leads to a child protection plan (emotional abuse the usual category where there is
  domestic abuse), and a few children then become looked after.
- Dates after the end of the period are unknown: open cases have no closure, open plans no end,
  assessments in progress no authorisation and no factors.
- Factors follow the CIN rules: 3A/3B/3C for domestic abuse, '21' (no factors) only alone and only
  when the case closed RC8 or RC9.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from daeval.model import codes
from daeval.synth import areas
from daeval.synth.addresses import AddressHistory
from daeval.synth.csc import ASSESSMENT, EARLY_HELP, NFA, S47, Referrals
from daeval.synth.timeline import END_DAY

CLOSURE = tuple(codes.REASON_FOR_CLOSURE)
RC = {code: CLOSURE.index(code) for code in CLOSURE}
PLAN_TYPES = tuple(codes.PLAN_TYPE)
CIN, CP, CLA = (PLAN_TYPES.index(t) for t in ("CIN", "CP", "CLA"))
CATEGORIES = tuple(codes.CATEGORY_OF_ABUSE)
CATEGORY_MIX = {
    True: {"EMO": 0.60, "NEG": 0.25, "PHY": 0.08, "SAB": 0.02, "MUL": 0.05},
    False: {"NEG": 0.50, "EMO": 0.20, "PHY": 0.18, "SAB": 0.06, "MUL": 0.06},
}
# Chance of each factor at the end of an assessment, with and without domestic abuse at the front
# door. 18A/19A are the physical and sexual abuse codes in use before census 2021.
FACTOR_CHANCE = {
    "3A": (0.30, 0.02), "3B": (0.85, 0.08), "3C": (0.04, 0.01),
    "4B": (0.35, 0.28), "1B": (0.18, 0.12), "2B": (0.15, 0.12), "4A": (0.08, 0.10),
    "16A": (0.15, 0.18), "17A": (0.14, 0.08), "18A": (0.04, 0.06), "19A": (0.01, 0.03),
    "5B": (0.03, 0.04), "6B": (0.04, 0.05), "10A": (0.02, 0.03), "11A": (0.01, 0.03),
    "14A": (0.02, 0.04), "15A": (0.02, 0.03),
}  # fmt: skip


@dataclass
class Casework:
    closure_day: np.ndarray  # -1 when still open at the end of the period
    closure_reason: np.ndarray  # index into CLOSURE, -1 when open
    assessment_referral: np.ndarray  # referral row of each assessment
    assessment_start: np.ndarray
    assessment_authorised: np.ndarray  # -1 when in progress
    assessment_factors: pa.Array
    plan_referral: np.ndarray
    plan_type: np.ndarray
    plan_start: np.ndarray
    plan_end: np.ndarray  # -1 when open
    plan_category: np.ndarray  # -1 unless CP


def _factors(rng: np.random.Generator, domestic: np.ndarray, closed_after: np.ndarray) -> pa.Array:
    n = len(domestic)
    columns = []
    any_factor = np.zeros(n, bool)
    for code, (p_da, p_other) in FACTOR_CHANCE.items():
        has = rng.random(n) < np.where(domestic, p_da, p_other)
        any_factor |= has
        columns.append(pc.if_else(pa.array(has), code, pa.scalar(None, pa.string())))
    alone = pc.if_else(pa.array(closed_after), "21", "20")
    columns.append(pc.if_else(pa.array(any_factor), pa.scalar(None, pa.string()), alone))
    return pc.binary_join_element_wise(*columns, ";", null_handling="skip")


def _draw(rng: np.random.Generator, mix: dict[str, float], n: int) -> np.ndarray:
    idx = np.array([CATEGORIES.index(c) for c in mix])
    return idx[rng.choice(len(idx), size=n, p=np.array(list(mix.values())))]


def work_cases(rng: np.random.Generator, refs: Referrals, addresses: AddressHistory) -> Casework:
    """Assessments, plans and closures for a chunk's referrals."""
    n = len(refs.day)
    day = refs.day
    u = rng.random(n)
    assessed = (refs.decision == ASSESSMENT) | (refs.decision == S47)
    a_start = day + rng.integers(0, 4, n)
    a_done = a_start + np.clip(rng.gamma(3.0, 12.0, n), 5, 120).astype(np.int32)
    s47 = refs.decision == S47
    # After assessment: close (RC8 no further action, RC9 early help), or a CIN or CP plan.
    close_nfa, close_early_help, plan_cin, plan_cp = 0, 1, 2, 3
    outcome = np.where(
        s47,
        np.select([u < 0.5, u < 0.75, u < 0.95], [plan_cp, plan_cin, close_nfa], close_early_help),
        np.select([u < 0.42, u < 0.67], [close_nfa, close_early_help], plan_cin),
    )
    cin = assessed & (outcome == plan_cin)
    cp = assessed & (outcome == plan_cp)
    cin_start = a_done + rng.integers(0, 15, n)
    cin_end = cin_start + rng.integers(90, 541, n)
    cp_start = day + rng.integers(10, 22, n)
    cp_end = cp_start + rng.integers(90, 731, n)
    cla = cp & (rng.random(n) < 0.08)
    cla_start = cp_start + rng.integers(20, 301, n)
    cla_end = cla_start + rng.integers(60, 901, n)

    closure = np.select(
        [refs.decision == NFA, refs.decision == EARLY_HELP, cla, cp, cin],
        [
            day + rng.choice([0, 0, 1, 2, 3], n),
            day + rng.integers(0, 8, n),
            cla_end,
            cp_end,
            cin_end,
        ],
        a_done,
    ) + np.where(assessed, rng.integers(0, 15, n), 0)
    closure = np.maximum(closure, day)
    r = rng.random(n)
    reason = np.where(
        assessed & (outcome == close_nfa),
        RC["RC8"],
        np.where(assessed & (outcome == close_early_help), RC["RC9"], RC["RC7"]),
    )
    reason = np.where(
        cla,
        np.select([r < 0.2, r < 0.3, r < 0.34], [RC["RC4"], RC["RC3"], RC["RC1"]], RC["RC7"]),
        reason,
    )
    moved = addresses.district_at(refs.family, np.minimum(closure, END_DAY)) >= areas.HOME_DISTRICTS
    reason = np.where((reason == RC["RC7"]) & (moved != refs.neighbour), RC["RC5"], reason)
    is_open = closure > END_DAY

    a_rows = np.flatnonzero(assessed & (a_start <= END_DAY))
    authorised = np.where(a_done[a_rows] <= END_DAY, a_done[a_rows], -1)
    done = authorised >= 0
    closed_after = (reason >= RC["RC8"]) & ~is_open
    factors = _factors(rng, refs.domestic[a_rows[done]], closed_after[a_rows[done]])
    position = pa.array(np.cumsum(done) - 1, pa.int64(), mask=~done)
    all_factors = factors.take(position)

    plan_ref, plan_type, plan_start, plan_end = [], [], [], []
    for mask, kind, start, end in ((cin, CIN, cin_start, cin_end), (cp, CP, cp_start, cp_end),
                                   (cla, CLA, cla_start, cla_end)):  # fmt: skip
        rows = np.flatnonzero(mask & (start <= END_DAY))
        plan_ref.append(rows)
        plan_type.append(np.full(len(rows), kind, np.int8))
        plan_start.append(start[rows])
        plan_end.append(np.where(end[rows] <= END_DAY, end[rows], -1))
    by_start = np.argsort(np.concatenate(plan_start), kind="stable")
    p_ref = np.concatenate(plan_ref)[by_start]
    p_type = np.concatenate(plan_type)[by_start]
    category = np.where(
        refs.domestic[p_ref],
        _draw(rng, CATEGORY_MIX[True], len(p_ref)),
        _draw(rng, CATEGORY_MIX[False], len(p_ref)),
    )
    return Casework(
        closure_day=np.where(is_open, -1, closure).astype(np.int32),
        closure_reason=np.where(is_open, -1, reason).astype(np.int8),
        assessment_referral=a_rows,
        assessment_start=a_start[a_rows].astype(np.int32),
        assessment_authorised=authorised.astype(np.int32),
        assessment_factors=all_factors,
        plan_referral=p_ref,
        plan_type=p_type,
        plan_start=np.concatenate(plan_start)[by_start].astype(np.int32),
        plan_end=np.concatenate(plan_end)[by_start].astype(np.int32),
        plan_category=np.where(p_type == CP, category, -1).astype(np.int8),
    )
