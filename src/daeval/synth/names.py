"""Names, and the ways a name gets written differently in different records.

Name lists are common given names and surnames in England, grouped by broad origin so a family's
names fit its recorded ethnicity. Lists are ordered roughly from common to rare; draws favour the
front of each list. Every name has a fixed table of variants a record may carry instead:

- spelling and phonetic variants (Katherine/Catherine, Smith/Smyth, Mohammed/Muhammad);
- nicknames for given names (William/Bill, Rebecca/Becky);
- keying errors made by rule: a dropped letter, two letters swapped, a doubled letter, a vowel
  typed as another.

All spellings, and their upper-case forms (some systems store names in capitals), sit in one
vocabulary shared by first and last names, so a recorded name is an integer index.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pyarrow as pa

ORIGINS = ("british", "south_asian", "east_european", "west_african")

FEMALE = {
    "british": (
        "Olivia Amelia Jessica Emily Sophie Chloe Grace Lily Ruby Ella Mia Evie Poppy Isla Charlotte "
        "Megan Lucy Holly Amber Hannah Jade Leanne Gemma Kelly Stacey Danielle Natalie Laura Sarah "
        "Rebecca Katherine Catherine Elizabeth Victoria Samantha Michelle Nicola Rachel Claire Lisa "
        "Louise Emma Kirsty Zoe Jodie Amy Aimee Shannon Chantelle Caitlin Jennifer Margaret Siobhan "
        "Charlene Jasmine Paige Courtney Tia Summer Abigail Aaliyah Freya Daisy"
    ),
    "south_asian": (
        "Aisha Fatima Amina Zainab Maryam Ayesha Sana Hina Nadia Saima Priya Anjali Simran Zara "
        "Noor Iqra Mehreen Shazia Rukhsana Sadia"
    ),
    "east_european": (
        "Agnieszka Oliwia Zuzanna Natalia Ioana Andreea Magdalena Katarzyna Alina Elena Monika "
        "Justyna Daria Roksana"
    ),
    "west_african": (
        "Precious Blessing Chidinma Abena Adaeze Ngozi Funmilayo Esther Grace Comfort Ama Favour "
        "Chioma Temitope"
    ),
}

MALE = {
    "british": (
        "Oliver Harry George Jack Jacob Noah Charlie Thomas Oscar William James Leo Alfie Joshua "
        "Freddie Archie Ethan Alexander Joseph Samuel Daniel Mason Lewis Dylan Tyler Kyle Liam Connor "
        "Callum Ryan Jordan Lee Dean Wayne Craig Darren Gary Paul Mark Stephen Steven Michael "
        "Christopher Matthew Andrew Anthony Robert David John Jonathan Richard Shaun Jamie Benjamin "
        "Adam Aaron Jake Bradley Reece Kieran Luke"
    ),
    "south_asian": (
        "Mohammed Muhammad Ali Omar Hassan Bilal Imran Zain Ibrahim Yusuf Ayaan Amir Faisal Tariq "
        "Raj Arjun Sanjay Harpreet Kamran Adnan"
    ),
    "east_european": (
        "Jakub Piotr Tomasz Kacper Szymon Andrei Mihai Bogdan Marek Pawel Lukasz Adrian Dawid Florin"
    ),
    "west_african": (
        "Emmanuel Kwame Chukwuemeka Oluwaseun Kofi Samuel Daniel Tunde Ikenna Yaw Joshua Obinna "
        "David Femi"
    ),
}

SURNAMES = {
    "british": (
        "Smith Jones Taylor Brown Williams Wilson Johnson Davies Robinson Wright Thompson Evans "
        "Walker White Roberts Green Hall Wood Jackson Clarke Lewis James Phillips Mason Mitchell "
        "Rose Cox Morgan Moore Parker Martin Harris Cooper King Lee Baker Harrison Morris Ward "
        "Turner Hughes Edwards Hill Scott Young Allen Carter Watson Kelly Bennett Shaw Lloyd Price "
        "Griffiths Mills Barnes Holmes Stevens Fisher Murphy Marshall Owen Macdonald Campbell "
        "Stewart Anderson Reid Grant Byrne O'Brien Doherty Gallagher Fletcher Chapman Dixon Hunt "
        "Palmer Hartley Ashworth Whittaker Haworth Sutcliffe Holden Cartwright Brennan Lawson "
        "Nicholson Atkinson Pearson Simpson Gibson Ellis Bradley Booth Dawson Thomson Sharples"
    ),
    "south_asian": (
        "Khan Ali Hussain Ahmed Begum Akhtar Shah Patel Singh Kaur Iqbal Mahmood Rashid Malik "
        "Chaudhry Mirza Sharma Bibi"
    ),
    "east_european": (
        "Nowak Kowalski Wisniewski Wojcik Kaminski Lewandowski Popescu Ionescu Popa Horvath "
        "Novak Dumitru"
    ),
    "west_african": (
        "Okafor Adeyemi Mensah Okonkwo Boateng Owusu Adebayo Eze Asante Oyelaran Nwosu Danso"
    ),
}

SPELLINGS = (
    "Katherine Catherine Kathryn Katharine | Sarah Sara | Rebecca Rebekah | Stephen Steven | "
    "Jonathan Johnathan Jonathon | Mohammed Muhammad Mohammad Mohamed | Zoe Zoey | Aimee Amy Amie | "
    "Chantelle Shantelle | Shaun Sean Shawn | Jodie Jody | Leanne Lianne Leann | Kirsty Kirstie | "
    "Natalie Nathalie | Lewis Louis | Aaliyah Aliyah | Jamie Jaimie | Callum Calum | Connor Conor | "
    "Aisha Ayesha Aysha | Maryam Mariam | Fatima Fatimah | Reece Rhys Reese | Kieran Ciaran | "
    "Jasmine Jasmin | Caitlin Katelyn | Siobhan Shevaun | Charlene Sharlene | Zara Zarah | "
    "Yusuf Yousef Yusef | Smith Smyth Smithe | Thompson Thomson Tompson | Clarke Clark | "
    "Davies Davis | Macdonald McDonald Mcdonald | Stevens Stephens | Reid Read Reed | "
    "Hussain Hussein Husain | Ahmed Ahmad | Phillips Philips | Allen Allan | Griffiths Griffith | "
    "Gallagher Gallacher | Whittaker Whitaker | Haworth Howarth | Kowalski Kowalsky | Nowak Novak | "
    "O'Brien OBrien Obrien | Chaudhry Choudhury Chowdhury | Byrne Burn | Hartley Hartly"
)
"""Groups of names that are the same name spelt differently (phonetic or spelling variants)."""

NICKNAMES = (
    "Katherine: Kate Katie Kath | Catherine: Cath Cathy Kate | Elizabeth: Liz Beth Lizzie | "
    "Margaret: Maggie Peggy | Jennifer: Jen Jenny | Rebecca: Becky Becca | Samantha: Sam Sammy | "
    "Victoria: Vicky Tori | Michelle: Shell Chelle | Nicola: Nicky Nic | Jessica: Jess Jessie | "
    "Charlotte: Charlie Lottie | Danielle: Dani | Abigail: Abbie Abby | Natalie: Nat | "
    "Alexander: Alex Xander | Matthew: Matt | Christopher: Chris Kit | Michael: Mike Mick Micky | "
    "Daniel: Dan Danny | Joseph: Joe Joey | Samuel: Sam Sammy | Thomas: Tom Tommy | "
    "William: Will Bill Billy | James: Jim Jimmy Jamie | Robert: Rob Bob Bobby | Anthony: Tony Ant | "
    "Andrew: Andy Drew | Jonathan: Jon Jonny | Richard: Rich Rick Richie | Benjamin: Ben Benny | "
    "Joshua: Josh | David: Dave Davey | Stephen: Steve | Steven: Steve | Jacob: Jake | "
    "Oliver: Ollie | Frederick: Fred Freddie | Mohammed: Mo | Muhammad: Mo | Emmanuel: Manny"
)
"""Given names and the short forms people are known by."""

_VOWEL_SWAP = str.maketrans("aeiouy", "eayuoi")


def _keying_errors(name: str) -> list[str]:
    """Misspellings of ``name`` made by rule (deterministic, so the vocabulary is fixed)."""
    out = []
    n = len(name)
    if n >= 4:
        p = n // 2
        out.append(name[:p] + name[p + 1 :])  # a dropped letter
        out.append(name[0] + name[2] + name[1] + name[3:])  # two letters swapped
    if n >= 3:
        p = max(1, n // 3)
        out.append(name[: p + 1] + name[p] + name[p + 1 :])  # a doubled letter
    for p in range(1, n):
        if name[p] in "aeiouy":
            out.append(name[:p] + name[p].translate(_VOWEL_SWAP) + name[p + 1 :])
            break
    return [v for v in dict.fromkeys(out) if v != name and v.isascii()]


def _groups(spec: str) -> list[list[str]]:
    return [g.split() for g in spec.split("|")]


@dataclass(frozen=True)
class NameBook:
    """The name vocabulary and, for each canonical name, the indices of its variants."""

    vocabulary: pa.Array
    """Every spelling; indices ``>= upper_offset`` are the upper-case forms."""
    upper_offset: int
    first: dict[tuple[str, str], np.ndarray]
    """(sex 'F'/'M', origin) -> vocabulary indices of the canonical given names, common first."""
    surnames: dict[str, np.ndarray]
    spelling: np.ndarray
    """[vocab, 4] indices of spelling variants (padded by repetition; the name itself if none)."""
    spelling_count: np.ndarray
    nickname: np.ndarray
    nickname_count: np.ndarray
    typo: np.ndarray
    typo_count: np.ndarray


def _pad(rows: list[list[int]], width: int) -> tuple[np.ndarray, np.ndarray]:
    """Fixed-width table of variant indices; a row with no variants repeats its own index."""
    table = np.repeat(np.arange(len(rows), dtype=np.int32)[:, None], width, axis=1)
    counts = np.zeros(len(rows), np.int32)
    for i, row in enumerate(rows):
        if row:
            row = row[:width]
            counts[i] = len(row)
            table[i] = [row[j % len(row)] for j in range(width)]
    return table, counts


@cache
def name_book() -> NameBook:
    """Build the vocabulary once per process (a few thousand strings)."""
    words: dict[str, int] = {}

    def index(word: str) -> int:
        return words.setdefault(word, len(words))

    first = {}
    for sex, lists in (("F", FEMALE), ("M", MALE)):
        for origin in ORIGINS:
            first[(sex, origin)] = np.array([index(w) for w in lists[origin].split()], np.int32)
    surnames = {o: np.array([index(w) for w in SURNAMES[o].split()], np.int32) for o in ORIGINS}
    canonical = list(words)

    spelling_of: dict[int, list[int]] = {}
    for group in _groups(SPELLINGS):
        ids = [index(w) for w in group]
        for i in ids:
            spelling_of[i] = [j for j in ids if j != i]
    nickname_of: dict[int, list[int]] = {}
    for entry in NICKNAMES.split("|"):
        name, short = entry.split(":")
        nickname_of[index(name.strip())] = [index(w) for w in short.split()]
    typo_of = {index(w): [index(t) for t in _keying_errors(w)] for w in canonical}

    size = len(words)
    spelling, spelling_count = _pad([spelling_of.get(i, []) for i in range(size)], 4)
    nickname, nickname_count = _pad([nickname_of.get(i, []) for i in range(size)], 4)
    typo, typo_count = _pad([typo_of.get(i, []) for i in range(size)], 4)
    spellings = list(words)
    vocabulary = pa.array(spellings + [w.upper() for w in spellings], pa.string())
    return NameBook(
        vocabulary,
        size,
        first,
        surnames,
        spelling,
        spelling_count,
        nickname,
        nickname_count,
        typo,
        typo_count,
    )


def draw_common_first(rng: np.random.Generator, pool: np.ndarray, n: int) -> np.ndarray:
    """Draw ``n`` names from ``pool``, favouring the front of the list (the commoner names)."""
    u = rng.random(n) ** 1.6
    return pool[(u * len(pool)).astype(np.int64)]
