"""How each source system records a person: the identifiers linkage has to work with.

A record starts from the true person and picks up the errors real systems show: spelling variants,
nicknames and typing errors in names, names in capitals, first and last name swapped, a date of
birth with day and month transposed, a day out or a wrong year, an older postcode, a postcode
without its space, and gaps. Rates differ by system (``RECORDING``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from daeval.model import codes
from daeval.synth import areas
from daeval.synth.addresses import AddressHistory
from daeval.synth.columns import code_index, coded, dates, vocabulary_of
from daeval.synth.names import name_book
from daeval.synth.population import SLOTS, Population
from daeval.synth.timeline import compose_calendar, split_calendar


@dataclass(frozen=True)
class Recording:
    """Probabilities of each kind of recording error in one source system."""

    spelling: float  # a spelling or phonetic variant of a name
    nickname: float  # a short form of the given name
    typo: float  # a keying error
    capitals: float  # the whole record's names in upper case
    swapped: float  # first and last name the wrong way round
    dob_missing: float
    dob_transposed: float  # day and month swapped (when the day is 12 or less)
    dob_day_out: float
    dob_year_out: float
    postcode_missing: float
    postcode_old: float  # the address before the current one
    postcode_no_space: float
    sex_unknown: float
    ethnicity_not_obtained: float
    ethnicity_refused: float
    disability_missing: float


RECORDING = {
    "police": Recording(
        spelling=0.05,
        nickname=0.05,
        typo=0.05,
        capitals=0.35,
        swapped=0.015,
        dob_missing=0.04,
        dob_transposed=0.015,
        dob_day_out=0.015,
        dob_year_out=0.01,
        postcode_missing=0.05,
        postcode_old=0.1,
        postcode_no_space=0.05,
        sex_unknown=0.01,
        ethnicity_not_obtained=0.08,
        ethnicity_refused=0.02,
        disability_missing=0.2,
    ),
    "csc": Recording(
        spelling=0.03,
        nickname=0.01,
        typo=0.03,
        capitals=0.0,
        swapped=0.005,
        dob_missing=0.01,
        dob_transposed=0.01,
        dob_day_out=0.01,
        dob_year_out=0.005,
        postcode_missing=0.03,
        postcode_old=0.08,
        postcode_no_space=0.02,
        sex_unknown=0.005,
        ethnicity_not_obtained=0.04,
        ethnicity_refused=0.01,
        disability_missing=0.05,
    ),
    "service": Recording(
        spelling=0.04,
        nickname=0.1,
        typo=0.04,
        capitals=0.05,
        swapped=0.01,
        dob_missing=0.08,
        dob_transposed=0.02,
        dob_day_out=0.01,
        dob_year_out=0.01,
        postcode_missing=0.06,
        postcode_old=0.12,
        postcode_no_space=0.1,
        sex_unknown=0.01,
        ethnicity_not_obtained=0.1,
        ethnicity_refused=0.03,
        disability_missing=0.15,
    ),
}
"""Error rates by system: the police record in haste and often in capitals; children's social care
checks identities most; services take names as clients give them (nicknames) and dates less often."""

_ETHNICITY = vocabulary_of(codes.ETHNICITY)
_NOBT, _REFU = code_index(codes.ETHNICITY, ["NOBT", "REFU"])
_SEX = vocabulary_of(codes.SEX)
_YES_NO = vocabulary_of(codes.YES_NO)
_Y, _N = code_index(codes.YES_NO, ["Y", "N"])


def _recorded_name(
    rng: np.random.Generator, true: np.ndarray, rec: Recording, given: bool
) -> np.ndarray:
    book = name_book()
    n = len(true)
    u = rng.random(n)
    j = rng.integers(0, 4, n)
    out = true.copy()
    bands = [
        (book.spelling, book.spelling_count, rec.spelling),
        (book.typo, book.typo_count, rec.typo),
    ]
    if given:
        bands.insert(0, (book.nickname, book.nickname_count, rec.nickname))
    low = 0.0
    for table, count, p in bands:
        pick = (u >= low) & (u < low + p) & (count[true] > 0)
        k = j[pick] % count[true[pick]]
        out[pick] = table[true[pick], k]
        low += p
    return out


def _recorded_dob(rng: np.random.Generator, dob: np.ndarray, rec: Recording) -> np.ndarray:
    n = len(dob)
    year, month, mday = split_calendar(dob)
    u = rng.random(n)
    transpose = (u < rec.dob_transposed) & (mday <= 12) & (mday != month)
    year_out = (u >= rec.dob_transposed) & (u < rec.dob_transposed + rec.dob_year_out)
    new_year = np.where(year_out, year + rng.choice([-1, 1], n), year)
    new_month = np.where(transpose, mday, month)
    new_mday = np.where(transpose, month, mday)
    out = np.where(transpose | year_out, compose_calendar(new_year, new_month, new_mday), dob)
    low = rec.dob_transposed + rec.dob_year_out
    day_out = (u >= low) & (u < low + rec.dob_day_out)
    return np.where(day_out, out + rng.choice([-1, 1], n), out).astype(np.int32)


def person_records(
    rng: np.random.Generator,
    pop: Population,
    addresses: AddressHistory,
    person: np.ndarray,
    contact_day: np.ndarray,
    system: str,
) -> dict[str, pa.Array]:
    """The people-table columns (bar source and person_id) for chunk-local ``person`` indices.

    ``contact_day`` is the day of the record's latest contact; the postcode is the family's address
    then (or the one before it).
    """
    rec = RECORDING[system]
    book = name_book()
    n = len(person)
    family, slot = np.divmod(person, SLOTS)

    first = _recorded_name(rng, pop.first_name[family, slot], rec, given=True)
    last = _recorded_name(rng, pop.last_name[family, slot], rec, given=False)
    swap = rng.random(n) < rec.swapped
    first, last = np.where(swap, last, first), np.where(swap, first, last)
    capitals = rng.random(n) < rec.capitals
    first = first + capitals * book.upper_offset
    last = last + capitals * book.upper_offset

    dob = _recorded_dob(rng, pop.dob[family, slot], rec)
    dob_known = rng.random(n) >= rec.dob_missing

    spell = addresses.spell_at(family, contact_day)
    older = (rng.random(n) < rec.postcode_old) & (spell > addresses.first_spell[family])
    postcode = addresses.postcode[np.where(older, spell - 1, spell)]
    no_space = rng.random(n) < rec.postcode_no_space
    postcode = postcode + no_space * areas.NO_SPACE_OFFSET
    postcode_known = rng.random(n) >= rec.postcode_missing

    sex = np.where(rng.random(n) < rec.sex_unknown, 2, pop.sex[family, slot])
    u = rng.random(n)
    ethnicity = np.where(
        u < rec.ethnicity_not_obtained,
        _NOBT,
        np.where(
            u < rec.ethnicity_not_obtained + rec.ethnicity_refused,
            _REFU,
            pop.ethnicity[family, slot],
        ),
    )
    disability = np.where(pop.disabled[family, slot], _Y, _N)
    disability_known = rng.random(n) >= rec.disability_missing
    return {
        "first_name": coded(first, book.vocabulary),
        "last_name": coded(last, book.vocabulary),
        "date_of_birth": dates(dob, dob_known),
        "sex": coded(sex, _SEX),
        "ethnicity": coded(ethnicity, _ETHNICITY),
        "disability": coded(disability, _YES_NO, disability_known),
        "postcode": coded(postcode, areas.postcode_vocabulary(), postcode_known),
    }
