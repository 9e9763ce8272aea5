"""An attacker of the released measures table, written from the tidy table's documented meaning
(docs/measures.md, docs/data-contract.md), not from daeval's disclosure control.

Given the released rows and, to judge the attack, the exact rows they came from, it lists every
suppressed count that can be recovered:

- **the same count released elsewhere**: the count each numerator and denominator stands for is
  named from the measure's definition (a funnel stage's denominator is the stage before's count;
  the categories of one measure share their denominator; ``csc_outcome_within_window``'s
  ``referral`` is ``csc_referral_within_window``'s numerator; ...); a name hidden in one place and
  released in another is recovered to within the rounding;
- **measures that share people**: a count released by another measure of the same people, group
  and period whose exact value is the hidden one's (the drop-out's denominator against a funnel
  stage);
- **subtraction**: among counts that add up to another (the groups of one grouping, the calendar
  periods of a figure, the categories that split a denominator, each with its whole), a single
  unknown is the whole less the others, to within the sum of their rounding;
- **a share with a hidden count**: a released value n / d with n or d hidden gives the other.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

FUNNEL = ("referred", "eligible", "contacted", "accepted", "started", "completed")
SCREENING_PARENT = {"screened": "cohort", "eligible": "screened", "ineligible": "screened"}
RECRUITMENT = ("eligible", "contacted", "accepted", "consented", "completed", "followed_up")
PARTS = {
    "risk_trajectory": {"no_repeat", "escalated", "de_escalated", "repeat_same_level"},
    "address_moves": {"0", "1", "2_or_more"},
}
CLASSES = {
    "reliable_change": {"reliably_improved", "unchanged", "reliably_deteriorated"},
    "clinical_change": {"recovered", "improved", "unchanged", "deteriorated"},
}
STATISTICS = {"km_csc_referral", "time_to_first_referral", "referrals_per_month"}
SAME_PEOPLE = ({"service_funnel", "dropout_rate", "recruitment_funnel", "referrals_per_month"},)
ROUNDING = 2
"""A count rounded to the nearest 5 is known to within 2 either side."""


@dataclass(frozen=True)
class Row:
    measure: str
    group_by: str
    group: str
    category: str
    period: tuple[str, str]
    numerator: int | None
    denominator: int | None
    value: str

    @property
    def key(self) -> tuple:
        return (self.measure, self.group_by, self.group, self.category, self.period)


def read(path: Path) -> list[Row]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            Row(
                r["measure"], r["group_by"], r["group"], r["category"],
                (r["period_start"], r["period_end"]),
                int(r["numerator"]) if r["numerator"] else None,
                int(r["denominator"]) if r["denominator"] else None,
                r["value"],
            )
            for r in csv.DictReader(handle)
            if not r["group"].startswith("difference")
        ]  # fmt: skip


def _period(row: Row, whole: dict[tuple, tuple[str, str]]) -> object:
    wide = whole[(row.measure, row.group_by, row.group, row.category)]
    return "whole" if row.period == wide else row.period


def _names(row: Row, period: object) -> tuple[tuple, tuple]:
    """What the row's numerator and denominator count, as names shared by the same count."""
    at = (row.group_by, row.group, period)
    m, c = row.measure, row.category
    num: tuple = (m, *at, "count", c)
    den: tuple = (m, *at, "base")
    if m == "service_funnel":
        before = FUNNEL[max(FUNNEL.index(c) - 1, 0)] if c in FUNNEL else c
        den = (m, *at, "count", before)
    elif m == "screening_funnel":
        parent = "ineligible" if c.startswith("ineligible:") else SCREENING_PARENT.get(c, c)
        den = (m, *at, "count", parent)
    elif m in CLASSES:
        code, _, part = c.partition(":")
        if part in ("mean_change", "effect_size"):
            num = (m, *at, "people", code)
        den = (m, *at, "people", code)
    elif m == "recruitment_funnel":
        den = (m, *at, "of", c)
    elif m in ("csc_referral_within_window", "csc_outcome_within_window", "address_moves"):
        den = ("index events with a full window", *at)
        if m == "csc_referral_within_window" or c == "referral":
            num = ("referred within the window", *at)
    elif m == "time_to_first_referral":
        if c == "median_among_referred":
            num = ("referred within the window", *at)
            den = ("index events with a full window", *at)
        else:
            den = ("index events to as_of", *at)
    elif m == "km_csc_referral":
        den = ("index events to as_of", *at)
    elif m == "referrals_per_month":
        num = ("service_funnel", *at, "count", "referred")
        den = (m, *at, "months")
    return num, den


def _sets(rows: list[Row], whole: dict) -> dict[tuple, list[Row]]:
    """Rows whose numerators add up to another count, by set."""
    sets: dict[tuple, list[Row]] = defaultdict(list)
    for r in rows:
        if r.group_by != "all":
            sets[("groups", r.measure, r.group_by, r.category, r.period)].append(r)
        if r.period != whole[(r.measure, r.group_by, r.group, r.category)]:
            sets[("periods", r.measure, r.group_by, r.group, r.category)].append(r)
        code, _, part = r.category.partition(":")
        if r.category in PARTS.get(r.measure, ()) or part in CLASSES.get(r.measure, ()):
            sets[
                ("classes", r.measure, code if part else "", r.group_by, r.group, r.period)
            ].append(r)
        if r.measure == "screening_funnel" and r.category.startswith("ineligible:"):
            sets[("reasons", r.group_by, r.group, r.period)].append(r)
    return sets


def recovered(released: Iterable[Row], exact: Iterable[Row], page: bool = False) -> list[str]:
    """Every suppressed count of ``released`` that an attacker recovers (see the module). For a
    ``page``'s rows, a denominator not given away by the page is not shown rather than hidden."""
    truth = {r.key: r for r in exact}
    rows = [r for r in released if r.key in truth]
    whole: dict[tuple, tuple[str, str]] = {}
    for r in rows:
        key = (r.measure, r.group_by, r.group, r.category)
        start, end = whole.get(key, r.period)
        whole[key] = (min(start, r.period[0]), max(end, r.period[1]))
    found: list[str] = []
    # Each name: exact value, whether hidden somewhere, released figures.
    hidden: dict[tuple, list[str]] = defaultdict(list)
    shown: dict[tuple, list[str]] = defaultdict(list)
    slots: dict[tuple, tuple[tuple, tuple]] = {}
    for r in rows:
        t = truth[r.key]
        names = _names(r, _period(r, whole))
        slots[r.key] = names
        for name, out, exact_count, side in (
            (names[0], r.numerator, t.numerator, "numerator"),
            (names[1], r.denominator, t.denominator, "denominator"),
        ):
            if exact_count is None or (
                side == "denominator" and r.measure == "referrals_per_month"
            ):
                continue
            if page and side == "denominator" and out is None:
                continue
            (shown if out is not None else hidden)[name].append(f"{r.key} {side}")
        if (
            r.value
            and r.measure not in STATISTICS
            and not r.category.endswith((":mean_change", ":effect_size"))
        ):
            if (r.numerator is None and t.numerator is not None) or (
                r.denominator is None and t.denominator is not None
            ):
                found.append(f"a share released with a hidden count: {r.key}")
    for name, places in hidden.items():
        if name in shown:
            found.append(f"{places[0]} is released as {shown[name][0]}")
    # Measures that share people: an equal count released by another of them.
    by_place: dict[tuple, list[tuple[Row, Row]]] = defaultdict(list)
    for r in rows:
        for family in SAME_PEOPLE:
            if r.measure in family:
                by_place[(min(family), r.group_by, r.group, _period(r, whole))].append(
                    (r, truth[r.key])
                )
    for members in by_place.values():
        for r, t in members:
            for side in ("numerator", "denominator"):
                if getattr(r, side) is not None or getattr(t, side) is None:
                    continue
                for other, o in members:
                    if other.measure == r.measure:
                        continue
                    for other_side in ("numerator", "denominator"):
                        if other.measure == "referrals_per_month" and other_side == "denominator":
                            continue
                        if getattr(other, other_side) is not None and getattr(
                            o, other_side
                        ) == getattr(t, side):
                            found.append(f"{r.key} {side} equals {other.key} {other_side}")
    # Subtraction: one unknown among parts and their whole.
    index = {r.key: r for r in rows}
    for (kind, *rest), members in _sets(rows, whole).items():
        for side in (0, 1):
            parts: dict[tuple, tuple[int | None, int]] = {}
            for r in members:
                out = r.numerator if side == 0 else r.denominator
                exact_count = truth[r.key].numerator if side == 0 else truth[r.key].denominator
                if exact_count is None or (side == 1 and r.measure == "referrals_per_month"):
                    continue
                parts[slots[r.key][side]] = (out, exact_count)
            if len(parts) < 1:
                continue
            first = members[0]
            whole_row = None
            if kind == "groups":
                whole_row = index.get((first.measure, "all", "all", first.category, first.period))
            elif kind == "periods":
                key = (first.measure, first.group_by, first.group, first.category)
                whole_row = index.get((*key, whole[key]))
            whole_value: tuple[int | None, int | None] = (None, None)
            if whole_row is not None:
                t = truth[whole_row.key]
                whole_value = (
                    (whole_row.numerator, t.numerator) if side == 0
                    else (whole_row.denominator, t.denominator)
                )  # fmt: skip
            elif kind in ("classes", "reasons") and side == 0:
                whole_value = (first.denominator, truth[first.key].denominator)
            released_whole, exact_whole = whole_value
            if exact_whole is None or exact_whole != sum(e for _, e in parts.values()):
                if kind == "groups" or kind == "periods":
                    # The parts need not add up (people without a group): one hidden is still
                    # nearly the whole less the others, so none may be alone.
                    unknown = [n for n, (out, _) in parts.items() if out is None]
                    if len(unknown) == 1 and len(parts) > 1:
                        found.append(f"the only hidden member of {kind} {rest}: {unknown[0]}")
                continue
            unknown = [n for n, (out, _) in parts.items() if out is None]
            whole_unknown = released_whole is None
            if len(unknown) + whole_unknown == 1:
                target = "the whole" if whole_unknown else unknown[0]
                found.append(
                    f"{target} of {kind} {rest} is the whole less the others, within "
                    f"±{ROUNDING * len(parts)}"
                )
    return found


LABELS = {label.capitalize(): label for label in FUNNEL}
"""A funnel stage as the reports label it."""


def _number(text: object) -> float | None:
    """A shown figure: a count ("1,300"), a share ("16.7%", or a fraction from a workbook)."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        return float(text)
    text = str(text or "").strip().replace(",", "")
    try:
        return float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        return None


def _derived(count: float | None, share: float | None) -> int | None:
    """The denominator a shown count and share give away (released ones are multiples of 5)."""
    if count is None or not share:
        return None
    return int(5 * round(count / share / 5))


def funnel_rows(
    cells: list[list[object]], group_by: str, group: str, period: tuple[str, str]
) -> list[Row]:
    """A report's service funnel table (stage, people, share of the stage before) as the rows
    of the tidy table it shows: a stage's count, and the denominator its share gives away."""
    out = []
    for stage, people, share in (row[:3] for row in cells):
        category = LABELS.get(str(stage))
        if category is None:
            continue
        count, fraction = _number(people), _number(share)
        out.append(Row(
            "service_funnel", group_by, group, category, period,
            None if count is None else int(count), _derived(count, fraction),
            "" if fraction is None else str(fraction),
        ))  # fmt: skip
    return out


def dropout_row(
    share: str, denominator: str, group_by: str, group: str, period: tuple[str, str]
) -> Row:
    """A report's sentence "Drop-out: X% of N episodes" as the row it shows."""
    d, s = _number(denominator), _number(share)
    n = None if d is None or s is None else int(5 * round(d * s / 5))
    return Row("dropout_rate", group_by, group, "", period, n,
               None if d is None else int(d), "" if s is None else str(s))  # fmt: skip
