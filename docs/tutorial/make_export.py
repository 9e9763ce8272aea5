"""Write the tutorial's example export (docs/tutorial/export/): SYNTHETIC, FICTIONAL records.

The files look as a local authority's and a police force's systems might export them: their own
column names, local codes, UK dates (dd/mm/yyyy, a date and time, Excel serial day numbers in a
workbook) and a few rows that are wrong on purpose, so that `daeval ingest` has something to
quarantine. Every person, name, id and postcode is made up: surnames are invented words, and
postcodes use the area XQ, which no UK postcode has. The same seed gives the same files.

    .venv/bin/python docs/tutorial/make_export.py docs/tutorial/export
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
import sys
from pathlib import Path

from openpyxl import Workbook

SEED = 20240601
START = dt.date(2021, 1, 4)
END = dt.date(2024, 6, 28)
EXCEL_EPOCH = dt.date(1899, 12, 30)

FIRST_F = ["Amelia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Freya", "Florence", "Willow", "Rosie",
           "Evie", "Poppy", "Grace", "Sophia", "Daisy", "Ruby", "Maisie", "Esme", "Hannah", "Zara"]  # fmt: skip
FIRST_M = ["Oliver", "Noah", "George", "Leo", "Arthur", "Oscar", "Harry", "Jack", "Charlie",
           "Freddie", "Alfie", "Theo", "Henry", "Finley", "Archie", "Jacob", "Reuben", "Tommy",
           "Ethan", "Louis"]  # fmt: skip
SHORT = {"Florence": "Flo", "Sophia": "Sophie", "Freddie": "Fred", "Charlie": "Charles",
         "Alfie": "Alfred", "Theo": "Theodore", "Archie": "Archibald", "Tommy": "Thomas",
         "Maisie": "Maisy", "Evie": "Eve"}  # fmt: skip
SURNAMES = ["Quillfeather", "Brackenwhistle", "Tumblethorne", "Ambervane", "Mossbottle",
            "Pennyrook", "Thistlewick", "Cobblestitch", "Fernwhistle", "Marrowby", "Nettlecombe",
            "Puddlefoot", "Rookhollow", "Saltmarrow", "Tillybrook", "Wobbleton", "Yarrowmede",
            "Bramblefinch", "Clovertide", "Dewberrow", "Elderquist", "Fiddlesworth", "Gorsewick",
            "Hazelmopp", "Inkwhistle", "Juniperlee", "Kettlebury", "Larkspindle", "Mallowfen",
            "Nutmegsby", "Oakenshaw-Pim", "Pebbleford", "Quincewold", "Rushlington",
            "Sorrelwyn", "Teasleby", "Umberfold", "Velvetree", "Willowmop", "Zestbury"]  # fmt: skip
ETHNICITY = (
    ["White - British"] * 14
    + ["White - Other"] * 2
    + ["Mixed - White and Black Caribbean", "Asian - Pakistani", "Black - African", "Not recorded"]
)
SOURCES = ["School", "Health Visitor", "GP", "Family", "Anonymous", "Police"]
FACTORS = ["DA", "Neglect", "Parental MH", "Parental substance misuse", "No factors"]
TEAMS = ["North Hub", "South Hub", "MASH"]


def _uk(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def _day(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=rng.randint(0, (last - first).days))


def _postcode(rng: random.Random) -> str:
    return f"XQ{rng.randint(1, 9)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"


class Export:
    """The rows of each file, built household by household."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.nominals: list[list[str]] = []
        self.notifications: list[list[str]] = []
        self.present: list[list[str]] = []
        self.children: list[list[object]] = []
        self.referrals: list[list[str]] = []
        self.assessments: list[list[str]] = []
        self.plans: list[list[str]] = []
        self.addresses: list[list[str]] = []
        self.matches: list[list[str]] = []
        self._ids = {"nominal": 410000, "child": 700100, "referral": 0, "occurrence": 0,
                     "assessment": 0, "plan": 0}  # fmt: skip

    def _next(self, kind: str) -> int:
        self._ids[kind] += self.rng.randint(1, 3) if kind in ("nominal", "child") else 1
        return self._ids[kind]

    def _nominal(self, first: str, last: str, born: dt.date, sex: str, postcode: str) -> str:
        ref = f"N{self._next('nominal')}"
        self.nominals.append([ref, first.upper(), last.upper(), _uk(born), sex, postcode])
        return ref

    def household(self) -> None:
        rng = self.rng
        surname = rng.choice(SURNAMES)
        postcode = _postcode(rng)
        mother = self._nominal(rng.choice(FIRST_F), surname, _day(rng, dt.date(1982, 1, 1), dt.date(2000, 12, 31)), "Female", postcode)  # fmt: skip
        father = self._nominal(rng.choice(FIRST_M), rng.choice(SURNAMES), _day(rng, dt.date(1978, 1, 1), dt.date(1999, 12, 31)), "Male", postcode)  # fmt: skip
        kids = []
        for _ in range(rng.choice([1, 1, 2, 2, 2, 3])):
            sex = rng.choice(["Female", "Male"])
            first = rng.choice(FIRST_F if sex == "Female" else FIRST_M)
            born = _day(rng, dt.date(2007, 1, 1), dt.date(2020, 12, 31))
            police = self._nominal(SHORT.get(first, first) if rng.random() < 0.3 else first, surname, born, sex, postcode)  # fmt: skip
            kids.append((police, first, born, sex))
        separated = rng.random() < 0.35
        first_day = _day(rng, START, END - dt.timedelta(days=60))
        csc_ids: dict[str, str] = {}
        day = first_day
        for n in range(rng.choice([1, 1, 1, 2, 2, 3, 4])):
            if day > END:
                break
            self._notification(day, mother, father, kids, separated and n > 0)
            for police, first, born, sex in kids:
                if rng.random() < 0.55:
                    child = csc_ids.get(police) or self._child(first, surname, born, sex, postcode)
                    csc_ids[police] = child
                    self._referral(child, day + dt.timedelta(days=rng.randint(1, 200)), "Police")
            day += dt.timedelta(days=rng.randint(20, 400))
        for police, child in csc_ids.items():
            if rng.random() < 0.3:  # matched by the MASH
                self.matches.append([police, child, _uk(_day(rng, START, END))])
        for child in csc_ids.values():
            if rng.random() < 0.3:  # another referral, from elsewhere
                self._referral(child, _day(rng, START, END), rng.choice(SOURCES))

    def _notification(self, day: dt.date, victim: str, suspect: str, kids: list, after: bool) -> None:  # fmt: skip
        rng = self.rng
        occurrence = f"DA/{day:%y}/{self._next('occurrence'):05d}"
        kind = rng.choices(["DA", "Domestic", "Vulnerable adult"], [6, 3, 1])[0]
        score = rng.randint(0, 22)
        grade = "High" if score >= 14 else rng.choice(["Std", "Med"]) if score >= 5 else "Std"
        if rng.random() < 0.08:
            grade, score_text = "", ""  # not assessed
        else:
            score_text = str(score)
        time = f"{rng.randint(0, 23):02d}:{rng.choice([0, 15, 30, 45]):02d}"
        self.notifications.append([
            occurrence, f"{_uk(day)} {time}", kind, victim, suspect,
            "DASH" if grade else "", grade, score_text, "Yes" if after else "No",
        ])  # fmt: skip
        for police, *_ in kids:
            self.present.append([occurrence, police])

    def _child(self, first: str, last: str, born: dt.date, sex: str, postcode: str) -> str:
        rng = self.rng
        child = str(self._next("child"))
        self.children.append([
            child, first, last, (born - EXCEL_EPOCH).days, sex[0],
            rng.choice(ETHNICITY), postcode if rng.random() < 0.9 else _postcode(rng),
        ])  # fmt: skip
        moved = _day(rng, dt.date(2019, 1, 1), END)
        self.addresses.append([child, _postcode(rng), "01/01/2015", _uk(moved)])
        self.addresses.append([child, postcode, _uk(moved + dt.timedelta(days=1)), ""])
        return child

    def _referral(self, child: str, day: dt.date, source: str) -> None:
        rng = self.rng
        if day > END:
            return
        ref = f"R{day:%Y}-{self._next('referral'):04d}"
        outcome = rng.choices(["NFA", "Early Help", "C&F Assessment", "S47 Strategy"], [3, 3, 4, 1])[0]  # fmt: skip
        closed = day + dt.timedelta(days=rng.randint(5, 120))
        reason = {"NFA": "Closed - NFA", "Early Help": "Closed - to EH"}.get(outcome, "Closed - needs met")  # fmt: skip
        open_case = closed > END
        self.referrals.append([
            ref, child, _uk(day), source, outcome, "Yes" if source == "Police" else rng.choice(["Yes", "No"]),
            rng.choice(TEAMS), f"Worker {rng.randint(1, 40)}",
            "" if open_case else _uk(closed), "" if open_case else reason,
        ])  # fmt: skip
        if outcome in ("C&F Assessment", "S47 Strategy"):
            start = day + dt.timedelta(days=rng.randint(0, 10))
            signed = start + dt.timedelta(days=rng.randint(10, 45))
            if signed <= END:
                factor = "DA" if source == "Police" and rng.random() < 0.7 else rng.choice(FACTORS)
                self.assessments.append([f"A{self._next('assessment'):05d}", ref, _uk(start), _uk(signed), factor])  # fmt: skip
                if rng.random() < 0.45:
                    kind = "Child Protection" if outcome == "S47 Strategy" else "Child in Need"
                    begins = signed + dt.timedelta(days=rng.randint(1, 30))
                    ends = begins + dt.timedelta(days=rng.randint(90, 400))
                    self.plans.append([
                        f"P{self._next('plan'):05d}", child, kind, _uk(begins),
                        _uk(ends) if ends <= END else "",
                        rng.choice(["Emotional", "Neglect"]) if kind == "Child Protection" else "",
                    ])  # fmt: skip

    def plant_mistakes(self) -> None:
        """Rows that are wrong on purpose, each explained in the tutorial."""
        # A local code the study file does not map yet (the tutorial adds it).
        for row in self.notifications[10:70:10]:
            row[2] = "Dom abuse"
        # A referral date that does not exist and one in the future (typing slips).
        self.referrals[25][2] = "31/02/2023"
        self.referrals[60][2] = "14/03/2031"
        # The same referral exported twice.
        self.referrals.insert(91, list(self.referrals[90]))
        # A child at an incident whose occurrence number was mistyped.
        self.present[40][0] = "DA/22/0O4O1"
        # A date of birth typed as text in the workbook.
        self.children[15][3] = "not known"


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)


def _write_xlsx(path: Path, header: list[str], rows: list[list[object]]) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Children"
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    fixed = dt.datetime(2024, 7, 1)
    workbook.properties.created = workbook.properties.modified = fixed
    workbook.save(path)


def write(folder: Path, seed: int = SEED) -> None:
    """Write the example export into ``folder``."""
    rng = random.Random(seed)
    export = Export(rng)
    for _ in range(130):
        export.household()
    export.referrals.sort(key=lambda r: dt.datetime.strptime(r[2], "%d/%m/%Y"))
    export.plant_mistakes()
    folder.mkdir(parents=True, exist_ok=True)
    _write_csv(folder / "Police nominals.csv",
               ["Nominal Ref", "Forename", "Surname", "DOB", "Gender", "Home Postcode"], export.nominals)  # fmt: skip
    _write_csv(folder / "DA notifications.csv",
               ["Occurrence No", "Date Reported", "Occurrence Type", "Victim Ref", "Suspect Ref",
                "Risk Tool", "DASH Grade", "DASH Yes Count", "Separated"], export.notifications)  # fmt: skip
    _write_csv(folder / "Children present.csv", ["Occurrence No", "Child Nominal Ref"], export.present)  # fmt: skip
    _write_xlsx(folder / "Child details.xlsx",
                ["Child ID", "Forename", "Surname", "Date of Birth", "Sex", "Ethnicity", "Postcode"], export.children)  # fmt: skip
    _write_csv(folder / "Referrals.csv",
               ["Referral ID", "Child ID", "Referral Date", "Referral Source", "Outcome",
                "DA Flag", "Team", "Allocated Worker", "Closure Date", "Closure Reason"], export.referrals)  # fmt: skip
    _write_csv(folder / "Assessments.csv",
               ["Assessment ID", "Referral ID", "Start Date", "Authorised Date", "Primary Factor"], export.assessments)  # fmt: skip
    _write_csv(folder / "Plans.csv",
               ["Plan ID", "Child ID", "Plan Type", "Start Date", "End Date", "Category of Abuse"], export.plans)  # fmt: skip
    _write_csv(folder / "MASH matches.csv", ["Police Ref", "LCS Child ID", "Matched On"], export.matches)  # fmt: skip
    _write_csv(folder / "Address history.csv", ["Child ID", "Postcode", "Moved In", "Moved Out"], export.addresses)  # fmt: skip
    # Marks the folder as made-up data, so that every report made from it says so (a real
    # export has no such file; see docs/decisions/0017-synthetic-data-labelled.md).
    manifest = {"synthetic": True, "generator": "docs/tutorial/make_export.py", "seed": seed,
                "scale": "tutorial example",
                "period": {"start": START.isoformat(), "end": END.isoformat()}}  # fmt: skip
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    write(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "export")
