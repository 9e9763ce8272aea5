"""Names, and the ways a name gets written differently in different records.

Name lists are common given names and surnames in England, grouped by broad origin so a family's
names fit its recorded ethnicity. How often two people share a name decides how hard linkage is,
so the draws follow published frequencies where there are some:

- British surnames follow the rank-frequency curve of surnames in Great Britain
  (``SURNAME_FREQUENCY``): the listed surnames take the first ranks, and a long tail of rarer
  surnames made from common English place-name elements (``_surname_tail``) takes the rest;
- given names are drawn evenly from their list: the commonest given name is about 1.3% of a
  year's births of its sex (ONS, Baby names in England and Wales 2019: 4,082 girls named Olivia
  and 4,392 boys named Oliver among 640,370 live births), about what one name of a list of 70
  gets;
- East European and West African surnames follow the same curve over their listed surnames and a
  tail made the same way. The curve is more concentrated at the top than Poland's: Nowak, the
  commonest Polish surname, is borne by about 203,000 of 38 million people (0.53%; PESEL
  register, dane.gov.pl, 2021);
- South Asian surnames favour the front of their short list: in England a few surnames (Khan,
  Ahmed, Hussain, Begum, Patel) are borne by a large share of people of South Asian origin, which
  makes namesakes, and linkage errors, commoner among them.

Every name has a fixed table of variants a record may carry instead:

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
        "Justyna Daria Roksana Anna Maria Malgorzata Barbara Ewa Krystyna Joanna Aleksandra "
        "Karolina Paulina Marta Dorota Beata Julia Maja Zofia Hanna Lena Alicja Wiktoria Gabriela "
        "Mihaela Cristina Roxana Raluca Bianca Larisa Irina"
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
        "Jakub Piotr Tomasz Kacper Szymon Andrei Mihai Bogdan Marek Pawel Lukasz Adrian Dawid Florin "
        "Jan Krzysztof Andrzej Stanislaw Michal Marcin Grzegorz Jozef Mateusz Wojciech Antoni "
        "Filip Bartosz Kamil Damian Ionut Alexandru Gabriel Cristian Stefan Vasile Constantin "
        "Nicolae Radu Catalin Sorin Dorin"
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

SURNAME_FREQUENCY = (
    (1, 13300), (49, 2082), (93, 1294), (128, 942), (390, 420), (563, 288), (746, 217),
    (1318, 146), (1942, 86), (2534, 63), (3472, 42), (4605, 30), (5799, 22), (11886, 9),
    (16554, 5),
)  # fmt: skip
"""(rank, bearers per million) of surnames in Great Britain, between which frequencies are
interpolated on log scales. Rank 1, Smith: 1.33% of deaths registered in England and Wales in
1984-97 (Guild of One-Name Studies, "Comparative tables 1856-1996", surnamestudies.org.uk). The
other points: per-million frequencies of the Great Britain surname profiler (University College
London) for Allen, Fisher, Burton, Giles, Whitehouse, Corbett, York, Lewin, Benn, Powis, Breese,
Strain, Tidball and Came, as listed by C. R. Benn, "Family tree research: names"
(www.ing.iac.es/~crb/ftr/names.html)."""

TAIL_FIRST = (
    "Ash Ald Bar Black Brad Bram Brook Brom Bur Cal Carl Chad Chat Clay Cliff Cold Cot Crom Dal "
    "Dar Dun East Elm Fair Farn Fen Fern Frank Gold Gran Green Hal Ham Har Hart Hather Haw Hay "
    "Heath Hen High Hol Horn Hun Ing Kel Ken King Kirk Lang Lath Lid Lin Lock Long Low Marl Mid "
    "Mil Moor Mor New North Oak Old Pen Pick Pres Rad Rams Red Rick Rid Rod Ross Row Rush Sal "
    "Sand Shel Sher Ship Small South Stan Stock Stone Sud Sum Sut Tal Thorn Thur Tod Tun Wake Wal "
    "War Wat Wed Well Wen West Whit Wick Wil Win Wolf Wood Wor Yar Bel Ber Bick Bil Bing Birk "
    "Bish Bol Bot Brent Bright Broad Buck Bux Cad Cam Chal Cher Chil Chor Col Cran Crow Dart Dent "
    "Dew Dod Down Dray Dud Dur Ever Fal Fel Fin Fox Gar Gil Glad Good Gos Hack Had Hals Hamp Hes "
    "Hod Hux Kil Knap Lam Lan Lax Lea Ley Lox Lum Mal Man Maw Mel Mer Moss Mount Nash Nut Orm Pad "
    "Pal Par Pem Pit Plum Pol Pot Raw Ray Ren Rip Roth Rud Sax Scar Sel Skel Slad Snow Spen Stap "
    "Stow Swin Tat Ted Thack Tid Tor Tow Trow Wad Wain Wel Wes Wig Wim Worm Wrag"
)
TAIL_LAST = (
    "ley ton worth field ham by well wood ford bury ridge more dale land stone hurst combe shaw "
    "thorpe wick stead croft brook bridge gate hill house ing low den don borne burn cliffe cote "
    "gill hall holme hope lock leigh marsh mere mill ness over pool port row sey side stock tree "
    "wall way ward wright yard bank beck berry brough cott grave hay hold ington lees nall sby "
    "ston thwaite cross dyke end fold green lands leys mead moor mouth nook royd thorn wold"
)
"""First and last elements of English place-names, put together into surnames rarer than the
listed ones (Ashworth, Greenhalgh and Whitfield are real surnames of this kind)."""

TAILS = {
    "british": (TAIL_FIRST, TAIL_LAST),
    "east_european": (
        "Kowal Wisniew Kamin Lewandow Zielin Szyman Dabrow Kozlow Jankow Kwiatkow Piotrow Grabow "
        "Pawlow Michal Jablon Majew Olszew Malinow Jawor Gor Witkow Rutkow Ostrow Tomaszew Zalew "
        "Wroblew Jasin Zawadz Jakubow Sadow Chmielew Borkow Sokolow Szczepan Kucharz Kalinow "
        "Maciejew Czarn Urban Laskow Glowac Zakrzew Krajew Romanow Kaczmar Wojciech Adam Marcin "
        "Stan Mazur Krawc Wilcz Baran Sikor Bielaw Pietrz Walc Dud Kubi Bartos Pawl Wieczor Domin "
        "Gajew Kurow Bogus Lesniew Sobcz Zajac Wrob Nowic Kaczor Gorecz Mroz Krol Pop Ion Georg "
        "Dumitr Stoic Radul Marin Tudor Costin Vasil Nicol Petr Mihail Dobr Neag Olar Mocan Barb "
        "Lup Cristes Munt Moldov",
        "ski cki czyk ak ek ewicz owicz iak uk escu eanu",
    ),
    "west_african": (
        "Ade Olu Oke Ola Aji Ako Obi Eze Nwa Chukwu Ogun Oye Bab Fola Kola Tay Dada Ige Ama Oti "
        "Ose Ayo Femi Asa Boa Ofo Owu Kwa Anu Agye Ose Dar Ndu Onye Ibe Uche Emeka Ike Okon",
        "yemi bayo kunle wale nna emeka dike ola tunde ji nwosu gbo mensah ntim fo ko du kwu "
        "chi nso",
    ),
}
"""Elements put together into each origin's rarer surnames: English place-names; Polish and
Romanian stems with their surname endings; Yoruba, Igbo and Akan name parts."""

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


def _surname_tail(origin: str, taken: set[str]) -> list[str]:
    """Surnames made of two elements (``TAILS``), in a fixed shuffled order (their ranks)."""
    firsts, lasts = TAILS[origin]
    made = [
        first + last
        for first in firsts.split()
        for last in lasts.split()
        if not (first[-1] == last[0] and first[-1] not in "lst")  # no Dunnness or Rossston
    ]
    unique = sorted({name for name in made if name not in taken})
    order = np.random.default_rng(1881).permutation(len(unique))
    return [unique[i] for i in order]


def surname_weights(count: int) -> np.ndarray:
    """Probability of each of the first ``count`` ranks of British surnames (``SURNAME_FREQUENCY``
    interpolated on log scales, the last slope carried on), normalised to sum to one."""
    ranks, per_million = (np.array(v, float) for v in zip(*SURNAME_FREQUENCY, strict=True))
    r = np.log(np.arange(1, count + 1, dtype=float))
    logs = np.interp(r, np.log(ranks), np.log(per_million))
    beyond = r > np.log(ranks[-1])
    slope = (np.log(per_million[-1]) - np.log(per_million[-2])) / (
        np.log(ranks[-1]) - np.log(ranks[-2])
    )
    logs[beyond] = np.log(per_million[-1]) + slope * (r[beyond] - np.log(ranks[-1]))
    weights = np.exp(logs)
    return weights / weights.sum()


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
    surname_cumulative: dict[str, np.ndarray]
    """Origin -> cumulative probability of its surnames by rank (``surname_weights``), for the
    origins with a tail of rarer surnames (``TAILS``)."""
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
    """Build the vocabulary once per process (about a hundred thousand strings)."""
    words: dict[str, int] = {}

    def index(word: str) -> int:
        return words.setdefault(word, len(words))

    first = {}
    for sex, lists in (("F", FEMALE), ("M", MALE)):
        for origin in ORIGINS:
            first[(sex, origin)] = np.array([index(w) for w in lists[origin].split()], np.int32)
    listed = {o: SURNAMES[o].split() for o in ORIGINS}
    for origin in TAILS:
        listed[origin] += _surname_tail(
            origin, set(words) | {w for ws in listed.values() for w in ws}
        )
    surnames = {o: np.array([index(w) for w in listed[o]], np.int32) for o in ORIGINS}
    cumulative = {o: np.cumsum(surname_weights(len(surnames[o]))) for o in TAILS}
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
        cumulative,
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


def draw_given(rng: np.random.Generator, pool: np.ndarray, n: int) -> np.ndarray:
    """Draw ``n`` given names evenly from ``pool`` (see the module's docstring)."""
    return pool[rng.integers(0, len(pool), n)]


def draw_surnames(rng: np.random.Generator, origin: str, n: int) -> np.ndarray:
    """Draw ``n`` surnames of an origin by rank frequency, or from the front of a short list."""
    book = name_book()
    pool = book.surnames[origin]
    if origin not in book.surname_cumulative:
        return draw_common_first(rng, pool, n)
    cumulative = book.surname_cumulative[origin]
    ranks = np.searchsorted(cumulative, rng.random(n) * cumulative[-1], side="right")
    return pool[np.minimum(ranks, len(pool) - 1)]
