"""Outcome questionnaires answered at the start and end of an intervention.

Item counts and response values come from the project's outcome-measure notes (which cite the
instruments' publications and scoring guides):

- PHQ-9: 9 items scored 0-3 (Kroenke, Spitzer & Williams 2001).
- GAD-7: 7 items scored 0-3 (Spitzer et al. 2006).
- CORE-10: 10 items scored 0-4; items 2 and 3 are positively worded (CORE System Trust).
- CRIES-8 / CRIES-13: 8 / 13 items scored 0, 1, 3 or 5 (Children and War Foundation; Perrin,
  Meiser-Stedman & Smith 2005); for ages 8-18, so younger children's forms are parent-completed.
- IES-R: 22 items scored 0-4 (Weiss & Marmar 1997).
- SCORE-15: 15 items scored 1 (describes us very well) to 5 (not at all); items 1, 3, 6, 10 and 15
  are the strengths items (Stratton et al. 2010); family members aged 12 and over.
- SWEMWBS: 7 positively worded items scored 1-5 (Tennant et al. 2007; Stewart-Brown et al. 2009).
- MORS-SF: 14 items, Warmth and Invasion subscales (Oates et al. 2018); the 0-5 frequency scale and
  the keys of items 13 (Warmth) and 14 (Invasion) are unverified assumptions.
- DASH: the SafeLives risk identification checklist, 24 yes/no questions (0/1), completed by the
  practitioner with the victim.

Answers come from a latent level of difficulty per person and questionnaire; people who complete
the intervention improve on average, those who leave early much less. Only people who consented to
the evaluation (consent Y) have answers; about 2% of items are left blank.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from daeval.synth.services import (
    CHILD,
    CONSENT,
    END_REASONS,
    PERPETRATOR_PARENT,
    VICTIM_PARENT,
    Episodes,
)
from daeval.synth.timeline import END_DAY, YEAR_DAYS


@dataclass(frozen=True)
class Instrument:
    code: str
    items: int
    values: tuple[int, ...]  # the allowed answers, in order
    problem_items: frozenset[int]  # items where a higher answer means more difficulty
    baseline: float  # mean difficulty at baseline, as a share of the range


def _all(n: int) -> frozenset[int]:
    return frozenset(range(1, n + 1))


INSTRUMENTS = {
    i.code: i
    for i in (
        Instrument("PHQ9", 9, (0, 1, 2, 3), _all(9), 0.50),
        Instrument("GAD7", 7, (0, 1, 2, 3), _all(7), 0.50),
        Instrument("CORE10", 10, (0, 1, 2, 3, 4), _all(10) - {2, 3}, 0.50),
        Instrument("CRIES8", 8, (0, 1, 3, 5), _all(8), 0.55),
        Instrument("CRIES13", 13, (0, 1, 3, 5), _all(13), 0.55),
        Instrument("IESR", 22, (0, 1, 2, 3, 4), _all(22), 0.50),
        Instrument("SCORE15", 15, (1, 2, 3, 4, 5), frozenset({1, 3, 6, 10, 15}), 0.45),
        Instrument("SWEMWBS", 7, (1, 2, 3, 4, 5), frozenset(), 0.50),
        Instrument("MORSSF", 14, (0, 1, 2, 3, 4, 5), frozenset({2, 5, 7, 9, 10, 12, 14}), 0.40),
        Instrument("DASH", 24, (0, 1), _all(24), 0.35),
    )
}

# Who answers what, by site: (instrument, role, minimum age, respondent).
# Respondent 'self_or_parent': the child answers from age 8, a parent for younger children.
USES = {
    "fbs": (("PHQ9", "parents", 0, "self"), ("GAD7", "parents", 0, "self")),
    "sat": (("CRIES13", "child", 5, "self_or_parent"), ("IESR", "victim", 0, "self"),
            ("SCORE15", "victim", 0, "self"), ("SCORE15", "child", 12, "self"),
            ("MORSSF", "victim", 0, "self")),
    "leap": (("CORE10", "victim", 0, "self"), ("DASH", "victim", 0, "practitioner")),
    "coda": (("SWEMWBS", "victim", 0, "self"), ("CRIES8", "child", 4, "self_or_parent")),
}  # fmt: skip
RESPONDENTS = ("self", "parent", "practitioner", "teacher")  # codes.RESPONDENT order
TIMEPOINTS = ("baseline", "end")
ITEM_SPREAD = 0.18  # how far one unit of latent difficulty moves an item (share of range)
MISSING_ITEM = 0.02
IMPROVEMENT = {"completed": 0.9, "left": 0.2}  # mean fall in latent difficulty at the end


@dataclass
class Answers:
    """Item answers of one site in a chunk."""

    episode: np.ndarray  # row in the site's Episodes
    instrument: np.ndarray  # index into codes.INSTRUMENT order
    timepoint: np.ndarray  # index into TIMEPOINTS
    day: np.ndarray
    respondent: np.ndarray  # index into RESPONDENTS
    item: np.ndarray  # 1-based item number
    value: np.ndarray


ROLE_SETS = {
    "parents": (VICTIM_PARENT, PERPETRATOR_PARENT),
    "victim": (VICTIM_PARENT,),
    "child": (CHILD,),
}


def answer(
    rng: np.random.Generator, ep: Episodes, age: np.ndarray, instrument_order: tuple[str, ...]
) -> Answers:
    """Baseline and end answers for the consenting people of one site's episodes."""
    consented = (ep.consent == CONSENT.index("Y")) & (ep.start_day >= 0)
    completed = ep.end_reason == END_REASONS.index("completed")
    has_end = (ep.end_day >= 0) & (
        (completed & (rng.random(len(ep.end_day)) < 0.92))
        | (~completed & (rng.random(len(ep.end_day)) < 0.15))
    )
    parts = []
    for code, role, min_age, respondent in USES[ep.site.site_id]:
        who = np.flatnonzero(consented & np.isin(ep.role, ROLE_SETS[role]) & (age >= min_age))
        if len(who) == 0:
            continue
        parts.append(_one_instrument(rng, ep, who, INSTRUMENTS[code], respondent, age,
                                     has_end, completed, instrument_order.index(code)))  # fmt: skip
    names = [f.name for f in fields(Answers)]
    if not parts:
        return Answers(*(np.zeros(0, np.int32) for _ in names))
    return Answers(*(np.concatenate([getattr(p, name) for p in parts]) for name in names))


def _one_instrument(
    rng: np.random.Generator,
    ep: Episodes,
    who: np.ndarray,
    spec: Instrument,
    respondent: str,
    age_at_start: np.ndarray,
    has_end: np.ndarray,
    completed: np.ndarray,
    instrument_index: int,
) -> Answers:
    n = len(who)
    base_day = np.minimum(ep.start_day[who] + rng.integers(0, 8, n), END_DAY)
    end_day = np.maximum(ep.end_day[who] - rng.integers(0, 8, n), base_day + 7)
    with_end = has_end[who] & (end_day <= END_DAY)
    difficulty = rng.normal(0.0, 1.0, n)
    gain = rng.normal(np.where(completed[who], IMPROVEMENT["completed"], IMPROVEMENT["left"]), 0.6)

    # One row per (person, timepoint), then one per item.
    tp = np.concatenate((np.zeros(n, np.int8), np.ones(int(with_end.sum()), np.int8)))
    person = np.concatenate((np.arange(n), np.flatnonzero(with_end)))
    level = difficulty[person] - np.where(tp == 1, gain[person], 0.0)
    day = np.where(tp == 0, base_day[person], end_day[person])
    k = spec.items
    row = np.repeat(np.arange(len(person)), k)
    item = np.tile(np.arange(1, k + 1), len(person))
    share = spec.baseline + ITEM_SPREAD * level[row] + rng.normal(0.0, 0.2, len(row))
    steps = len(spec.values)
    index = np.clip((share * steps).astype(np.int64), 0, steps - 1)
    problem = np.isin(item, list(spec.problem_items))
    index = np.where(problem, index, steps - 1 - index)
    value = np.asarray(spec.values)[index]

    if respondent == "self_or_parent":
        resp = np.where(age_at_start[who] >= 8, 0, 1)
    else:
        resp = np.full(n, RESPONDENTS.index(respondent))
    keep = rng.random(len(row)) >= MISSING_ITEM
    return Answers(
        episode=who[person[row]][keep],
        instrument=np.full(int(keep.sum()), instrument_index, np.int8),
        timepoint=tp[row][keep],
        day=day[row][keep],
        respondent=resp[person[row]][keep],
        item=item[keep],
        value=value[keep],
    )


def ages(ep: Episodes, dob: np.ndarray) -> np.ndarray:
    """Age in years at the start of the intervention (at referral when not started)."""
    at = np.where(ep.start_day >= 0, ep.start_day, ep.referral_day)
    return (at - dob) / YEAR_DAYS
