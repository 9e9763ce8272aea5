"""Households: the true people behind every record.

Each family has two adults and one to four children. In a domestic-abuse family slot 0 is the parent
who is the victim and slot 1 the parent who perpetrates the abuse; in other families they are simply
the two parents. People are held in dense ``[families, 6]`` arrays (slots 2-5 are children), so a
person's index in a chunk is ``family * 6 + slot`` and its true identity, unique across chunks, is
``(first_family + family) * 6 + slot``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from daeval.model import codes
from daeval.synth import areas
from daeval.synth.names import ORIGINS, draw_given, draw_surnames, name_book
from daeval.synth.timeline import ADULT_AGE_DAYS, END_DAY, YEAR_DAYS

SLOTS = 6
VICTIM, PERPETRATOR = 0, 1
CHILD_SLOTS = 4

ETHNICITY_CODES = tuple(codes.ETHNICITY)
SEX_CODES = tuple(codes.SEX)  # M, F, U
MALE, FEMALE, SEX_UNKNOWN = 0, 1, 2

# ONS 2011 Census, England, ethnic group (table KS201EW), percentages rounded; Gypsy or Irish
# Traveller (0.1%) split between WIRT and WROM.
ENGLAND_ETHNICITY = {
    "WBRI": 79.8, "WIRI": 1.0, "WIRT": 0.05, "WROM": 0.05, "WOTH": 4.6,
    "MWBC": 0.8, "MWBA": 0.3, "MWAS": 0.6, "MOTH": 0.5,
    "AIND": 2.6, "APKN": 2.1, "ABAN": 0.8, "AOTH": 1.5, "CHNE": 0.7,
    "BAFR": 1.8, "BCRB": 1.1, "BOTH": 0.5, "OOTH": 1.0,
}  # fmt: skip

_ORIGIN_OF = {
    **dict.fromkeys(["WOTH", "WROM"], "east_european"),
    **dict.fromkeys(["AIND", "APKN", "ABAN", "AOTH"], "south_asian"),
    "BAFR": "west_african",
}
ORIGIN_OF_ETHNICITY = np.array(
    [ORIGINS.index(_ORIGIN_OF.get(code, "british")) for code in ETHNICITY_CODES], np.int8
)
"""Name origin used for each ethnicity code (index into ORIGINS)."""

_MIXED_WITH = {"black_caribbean": "MWBC", "black_african": "MWBA", "asian": "MWAS"}
_PARTNER_GROUP = {"BCRB": "black_caribbean", "BAFR": "black_african", "BOTH": "black_caribbean"}
MIXED_CHILD_CODE = np.array(
    [
        ETHNICITY_CODES.index(
            _MIXED_WITH.get(
                _PARTNER_GROUP.get(
                    code, "asian" if codes.ETHNICITY_GROUP[code] == "asian" else "other"
                ),
                "MOTH",
            )
        )
        for code in ETHNICITY_CODES
    ],
    np.int8,
)
"""Ethnicity code of a child whose parents' groups differ, given the other parent's code."""

DA_FAMILY_SHARE = 0.55
"""Share of families in which one parent abuses the other (the rest are known for other needs)."""
TRANSIENT_SHARE = 0.17
"""Families that move often (Step Up: transience prevented contact with a large minority)."""


@dataclass
class Population:
    """The families of one chunk and everyone in them."""

    first_family: int
    area: np.ndarray  # home district index (0..5)
    transient: np.ndarray
    da: np.ndarray
    separation_day: np.ndarray  # day the couple separated (very low: before; very high: never)
    da_weight: np.ndarray  # relative rate of police domestic-abuse notifications
    other_weight: np.ndarray  # relative rate of other vulnerable-person notifications
    csc_weight: np.ndarray  # relative rate of referrals to children's social care from others
    exists: np.ndarray  # [n, 6]
    sex: np.ndarray  # [n, 6] index into SEX_CODES
    dob: np.ndarray  # [n, 6] day number
    first_name: np.ndarray  # [n, 6] vocabulary index
    last_name: np.ndarray
    ethnicity: np.ndarray  # [n, 6] index into ETHNICITY_CODES
    disabled: np.ndarray  # [n, 6] bool

    @property
    def size(self) -> int:
        return len(self.area)

    def true_id(self, person: np.ndarray) -> np.ndarray:
        """True identity of chunk-local person indices (family * 6 + slot)."""
        return self.first_family * SLOTS + person.astype(np.int64)

    def children_present(self, family: np.ndarray, day: np.ndarray) -> np.ndarray:
        """[events, 4] mask of the children born and under 18 on each event's day."""
        dob = self.dob[family, 2:]
        age = day[:, None] - dob
        return self.exists[family, 2:] & (age >= 0) & (age < ADULT_AGE_DAYS)


def _draw_ethnicity(rng: np.random.Generator, n: int) -> np.ndarray:
    weights = np.array([ENGLAND_ETHNICITY.get(c, 0.0) for c in ETHNICITY_CODES])
    return rng.choice(len(ETHNICITY_CODES), size=n, p=weights / weights.sum()).astype(np.int8)


def _years(x: np.ndarray) -> np.ndarray:
    return np.round(x * YEAR_DAYS).astype(np.int32)


def build_population(rng: np.random.Generator, first_family: int, n: int) -> Population:
    """Draw ``n`` families with their members' true characteristics."""
    area = rng.choice(areas.HOME_DISTRICTS, size=n, p=areas.HOME_WEIGHTS).astype(np.int8)
    transient = rng.random(n) < TRANSIENT_SHARE
    da = rng.random(n) < DA_FAMILY_SHARE
    move_factor = np.where(transient, 1.6, 1.0)
    da_weight = np.where(da, rng.gamma(0.8, 1.0, n), 0.0) * move_factor
    other_weight = rng.gamma(0.6, 1.0, n) * np.where(da, 1.0, 1.4) * move_factor
    csc_weight = rng.gamma(0.35, 1.0, n) * np.where(da, 1.5, 1.0) * move_factor

    # Separation: Step Up found almost two thirds of standard-risk abuse was post-separation.
    r = rng.random(n)
    separation_day = np.where(
        r < 0.5, -1, np.where(r < 0.82, rng.integers(0, END_DAY + 1, n), 1_000_000)
    ).astype(np.int32)

    n_children = rng.choice([1, 2, 3, 4], size=n, p=[0.38, 0.32, 0.19, 0.11])
    exists = np.zeros((n, SLOTS), bool)
    exists[:, :2] = True
    exists[:, 2:] = np.arange(CHILD_SLOTS)[None, :] < n_children[:, None]

    dob = np.zeros((n, SLOTS), np.int32)
    youngest = rng.integers(-_years(np.array(16.5)), END_DAY - 20, n)
    gaps = _years(1.1 + rng.gamma(2.0, 0.9, (n, CHILD_SLOTS)))
    gaps[:, 0] = 0
    dob[:, 2:] = youngest[:, None] - np.cumsum(gaps, axis=1)
    oldest = dob[np.arange(n), 1 + n_children]
    # The parent was 17-34 at the first birth and at most 44 at the last.
    dob[:, VICTIM] = np.maximum(
        oldest - _years(rng.uniform(17, 34, n)), youngest - _years(np.array(44.0))
    )
    dob[:, PERPETRATOR] = dob[:, VICTIM] - _years(np.clip(rng.normal(2.5, 4.0, n), -6, 15))

    sex = np.empty((n, SLOTS), np.int8)
    sex[:, VICTIM] = np.where(rng.random(n) < 0.88, FEMALE, MALE)
    same_sex = rng.random(n) < 0.03
    sex[:, PERPETRATOR] = np.where(same_sex, sex[:, VICTIM], 1 - sex[:, VICTIM])
    sex[:, 2:] = np.where(rng.random((n, CHILD_SLOTS)) < 0.51, MALE, FEMALE)

    ethnicity = np.empty((n, SLOTS), np.int8)
    ethnicity[:, VICTIM] = _draw_ethnicity(rng, n)
    ethnicity[:, PERPETRATOR] = np.where(
        rng.random(n) < 0.85, ethnicity[:, VICTIM], _draw_ethnicity(rng, n)
    )
    group = np.array([codes.ETHNICITY_GROUP[c] for c in ETHNICITY_CODES])
    differ = group[ethnicity[:, VICTIM]] != group[ethnicity[:, PERPETRATOR]]
    white_victim = group[ethnicity[:, VICTIM]] == "white"
    partner = np.where(white_victim, ethnicity[:, PERPETRATOR], ethnicity[:, VICTIM])
    child_code = np.where(differ, MIXED_CHILD_CODE[partner], ethnicity[:, VICTIM])
    ethnicity[:, 2:] = child_code[:, None]

    first_name, last_name = _names(rng, sex, ethnicity)
    disabled = rng.random((n, SLOTS)) < np.array([0.12, 0.10, 0.07, 0.07, 0.07, 0.07])
    return Population(
        first_family=first_family,
        area=area,
        transient=transient,
        da=da,
        separation_day=separation_day,
        da_weight=da_weight,
        other_weight=other_weight,
        csc_weight=csc_weight,
        exists=exists,
        sex=sex,
        dob=dob,
        first_name=first_name,
        last_name=last_name,
        ethnicity=ethnicity,
        disabled=disabled,
    )


ROUNDS_OF_REDRAWING = 8


def _unique_in_family(
    rng: np.random.Generator, first: np.ndarray, sex: np.ndarray, origin: np.ndarray
) -> None:
    """Redraw a given name already taken by someone of the same sex in the family.

    Parents seldom give two of their children the same name, or a child the name of the parent of
    the same sex, so two members of one household rarely share a full name. Names are redrawn from
    the same list a few times; the short lists make a later clash unlikely but not impossible.
    """
    slots = first.shape[1]
    for _ in range(ROUNDS_OF_REDRAWING):
        clash = np.zeros(first.shape, bool)
        for j in range(1, slots):
            earlier = (first[:, :j] == first[:, j : j + 1]) & (sex[:, :j] == sex[:, j : j + 1])
            clash[:, j] = earlier.any(axis=1)
        if not clash.any():
            return
        for o in range(len(ORIGINS)):
            _draw_given_names(rng, first, clash & (origin == o), sex, o)


def _draw_given_names(
    rng: np.random.Generator, first: np.ndarray, where: np.ndarray, sex: np.ndarray, o: int
) -> None:
    """Fill ``first`` where ``where`` holds with given names of origin ``o``, by sex."""
    book = name_book()
    for s, letter in ((MALE, "M"), (FEMALE, "F")):
        pick = where & (sex == s)
        if pick.any():
            first[pick] = draw_given(rng, book.first[(letter, ORIGINS[o])], int(pick.sum()))


def _names(
    rng: np.random.Generator, sex: np.ndarray, ethnicity: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Given names and surnames; children take either parent's surname."""
    n = sex.shape[0]
    origin = ORIGIN_OF_ETHNICITY[ethnicity]
    first = np.zeros(sex.shape, np.int32)
    surname_own = np.zeros(sex.shape, np.int32)
    for o, origin_name in enumerate(ORIGINS):
        pick = origin == o
        _draw_given_names(rng, first, pick, sex, o)
        surname_own[pick] = draw_surnames(rng, origin_name, int(pick.sum()))
    _unique_in_family(rng, first, sex, origin)
    last = np.empty(sex.shape, np.int32)
    last[:, VICTIM] = surname_own[:, VICTIM]
    married = rng.random(n) < 0.35
    last[:, PERPETRATOR] = np.where(married, surname_own[:, VICTIM], surname_own[:, PERPETRATOR])
    fathers = rng.random(n) < 0.55
    family_surname = np.where(fathers, last[:, PERPETRATOR], last[:, VICTIM])
    last[:, 2:] = family_surname[:, None]
    return first, last
