"""Statistical disclosure control for the tidy measures table, on by default.

Rules (data contract v1, following the OpenSAFELY output rules): a count of 7 or fewer is
suppressed; other counts are rounded to the nearest 5; ratios are recomputed from the rounded
counts; a cell that would let a suppressed one be recovered by subtraction is suppressed too.

The unit of control is the count, not the row. One count can appear in several places: a funnel
stage's count is its own row's numerator and the next stage's denominator; the categories of one
measure share a denominator; two measures counting the same people (``SHARED_PEOPLE``) can hold
the same count. A hidden count is hidden wherever it appears, as a numerator or a denominator, in
every row of every measure: within one family (the measures sharing people, one group, one
period), a denominator equal to another row's numerator or denominator, and a count of one
measure equal to a count of another, are taken for the same count. No measure has to declare its
chains for this: equal counts are found in the data (a count that merely happens to equal a
hidden one is hidden too, which costs a figure but never discloses one).

In order, until nothing changes (a fixed point):

1. primary: a count of 7 or fewer is hidden, and so is a numerator whose complement (denominator
   less numerator, people too) is 7 or fewer, except in ``WHOLE_ROWS``;
2. a share is shown whole or not at all: a row whose denominator is hidden hides its numerator;
3. secondary: in each set of counts that add up to another count shown elsewhere (the groups of
   one grouping, the calendar periods of one figure, the categories that split a denominator:
   ``PARTS_OF_A_WHOLE``, ``PARTS_BY_PREFIX``, ``PARTS_OF_EACH``), with the whole itself when the
   parts add up to it exactly, one hidden count would be the whole less the others, so the next
   smallest is hidden with it. Numerators and denominators are both checked.

A row's ``value`` is released only when both its counts are; ``suppressed`` marks a hidden
numerator. Denominators that count months, not people (``DURATION_DENOMINATORS``), are released
as they are.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace

from daeval.model.measure_row import MeasureRow


@dataclass(frozen=True)
class DisclosurePolicy:
    """How figures are protected before they leave the secure setting."""

    enabled: bool = True
    threshold: int = 7
    rounding_base: int = 5

    def describe(self) -> str:
        if not self.enabled:
            return "off: figures are exact and must not leave the secure setting"
        return (
            f"on: counts of {self.threshold} or fewer suppressed, others rounded to the nearest "
            f"{self.rounding_base}, ratios recomputed from rounded counts, complementary cells "
            "suppressed"
        )


def round_to_base(count: int, base: int) -> int:
    """``count`` rounded to the nearest multiple of ``base`` (halves round up)."""
    return int((count + base / 2) // base * base)


def is_small(count: int | None, policy: DisclosurePolicy) -> bool:
    return count is not None and count <= policy.threshold


STATISTIC_DECIMALS = 3
"""Decimal places kept in a statistic (a survival estimate, a median) that is not a ratio of counts."""

STATISTICS = frozenset({"km_csc_referral", "time_to_first_referral"})
"""Measures whose ``value`` is a statistic estimated from the people counted, not numerator /
denominator: it cannot be recomputed from rounded counts, so it is kept, to
``STATISTIC_DECIMALS`` places, when the counts behind it pass, and suppressed with them."""

STATISTIC_SUFFIXES = {"reliable_change": (":mean_change", ":effect_size")}
"""Measures with some statistic rows among their ratios, by the end of the category's name."""


def is_statistic(row: MeasureRow) -> bool:
    """Whether the row's value is a statistic (see STATISTICS), not numerator / denominator."""
    suffixes = STATISTIC_SUFFIXES.get(row.measure, ())
    return row.measure in STATISTICS or (row.category or "").endswith(suffixes)


WHOLE_ROWS = {("service_funnel", "referred")}
"""(measure, category) of rows whose numerator is their denominator by definition: the complement
is always zero and tells nothing, so only the count itself is checked."""


def _needs_primary_suppression(row: MeasureRow, policy: DisclosurePolicy) -> bool:
    if row.numerator is None:
        return False
    if is_small(row.numerator, policy):
        return True
    if (row.measure, row.category) in WHOLE_ROWS:
        return False
    # The complement (those not counted) is a count of people too.
    return row.denominator is not None and is_small(row.denominator - row.numerator, policy)


PARTS_OF_A_WHOLE = {
    "risk_trajectory": ("no_repeat", "escalated", "de_escalated", "repeat_same_level"),
    "address_moves": ("0", "1", "2_or_more"),
}
"""Categories of a measure that split its denominator between them: one hidden category could be
recovered as the denominator less the others."""
PARTS_BY_PREFIX = {"screening_funnel": "ineligible:"}
"""The same, for categories named by a prefix (the reasons for ineligibility split the ineligible)."""
PARTS_OF_EACH = {
    "reliable_change": ("reliably_improved", "unchanged", "reliably_deteriorated"),
    "clinical_change": ("recovered", "improved", "unchanged", "deteriorated"),
}
"""The same, for categories ``<whole>:<part>``: the classes of one instrument split its people."""


def _whole_of(row: MeasureRow) -> str | None:
    """The whole a row's category is one part of (None when it is not a part)."""
    category = row.category or ""
    prefix = PARTS_BY_PREFIX.get(row.measure)
    if category in PARTS_OF_A_WHOLE.get(row.measure, ()) or (
        prefix and category.startswith(prefix)
    ):
        return ""
    whole, _, part = category.rpartition(":")
    if whole and part in PARTS_OF_EACH.get(row.measure, ()):
        return whole
    return None


SHARED_PEOPLE = {
    "service_funnel": "service episodes",
    "dropout_rate": "service episodes",
    "recruitment_funnel": "service episodes",
    "referrals_per_month": "service episodes",
    "csc_referral_within_window": "index events",
    "csc_outcome_within_window": "index events",
    "address_moves": "index events",
    "km_csc_referral": "index events",
    "time_to_first_referral": "index events",
    "repeat_notification_rate": "notifications",
    "risk_trajectory": "notifications",
    "post_separation_share": "notifications",
    "reliable_change": "questionnaires",
    "clinical_change": "questionnaires",
}
"""Measures that count the same people (by the same group and period), so that a count of one
may be a count of another: the drop-out's denominator and a funnel stage, the referrals within
a window and the first outcome of csc_outcome_within_window."""

DURATION_DENOMINATORS = frozenset({"referrals_per_month"})
"""Measures whose denominator is a number of months, not of people: released unrounded (the
numerator is controlled, and the value recomputed from it)."""


def _partitions(rows: list[MeasureRow]) -> list[tuple[str, list[int]]]:
    """Sets of rows whose numerators add up to a figure shown elsewhere, so that one hidden member
    of a set could be recovered by subtraction: the groups of one grouping (which add up to all),
    the calendar periods of one figure (which add up to the whole period), and the categories of
    a measure that split its denominator. Each set comes with its kind."""
    widest = _widest_periods(rows)
    sets: dict[tuple, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        period = (row.period_start, row.period_end)
        if row.group_by != "all":
            sets[("groups", row.measure, row.group_by, row.category, *period)].append(i)
        if period != widest[(row.measure, row.group_by, row.group, row.category)]:
            sets[("periods", row.measure, row.group_by, row.group, row.category)].append(i)
        whole = _whole_of(row)
        if whole is not None:
            sets[("categories", row.measure, whole, row.group_by, row.group, *period)].append(i)
    return [(key[0], members) for key, members in sets.items()]


def _whole_row(kind: str, members: list[int], rows: list[MeasureRow], index: dict) -> int | None:
    """The row the members of a set add up to (groups: the row for all; periods: the whole
    period), or None."""
    first = rows[members[0]]
    if kind == "groups":
        key = (first.measure, "all", "all", first.category, first.period_start, first.period_end)
        return index.get(key)
    if kind == "periods":
        return index.get(("widest", first.measure, first.group_by, first.group, first.category))
    return None


class _Counts:
    """Every numerator and denominator of the rows as a slot (row i: 2i and 2i + 1), slots holding
    the same count joined (union-find), and which counts are hidden."""

    def __init__(self, rows: list[MeasureRow]) -> None:
        self.rows = rows
        self.parent = list(range(2 * len(rows)))
        self.hidden: set[int] = set()
        self._join_equal_counts()

    def value(self, slot: int) -> int | None:
        row = self.rows[slot // 2]
        return row.denominator if slot % 2 else row.numerator

    def find(self, slot: int) -> int:
        while self.parent[slot] != slot:
            self.parent[slot] = self.parent[self.parent[slot]]
            slot = self.parent[slot]
        return slot

    def join(self, a: int, b: int) -> None:
        self.parent[self.find(a)] = self.find(b)

    def is_hidden(self, slot: int) -> bool:
        return self.find(slot) in self.hidden

    def hide(self, slot: int) -> bool:
        """Hide the slot's count; whether it was shown before."""
        root = self.find(slot)
        if root in self.hidden:
            return False
        self.hidden.add(root)
        return True

    def _join_equal_counts(self) -> None:
        """Within a family (measures sharing people, one group, one period), a denominator equal
        to a count of another row, or a count equal to a count of another measure, is taken for
        the same count."""
        periods = _widest_periods(self.rows)
        families: dict[tuple, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
        for i, row in enumerate(self.rows):
            whole = periods[(row.measure, row.group_by, row.group, row.category)]
            period = "whole" if (row.period_start, row.period_end) == whole else (
                row.period_start, row.period_end)  # fmt: skip
            people = SHARED_PEOPLE.get(row.measure, row.measure)
            family = families[(people, row.group_by, row.group, period)]
            for slot in (2 * i, 2 * i + 1):
                count = self.value(slot)
                duration = slot % 2 and row.measure in DURATION_DENOMINATORS
                if count is not None and not duration:
                    family[count].append(slot)
        for family in families.values():
            for slots in family.values():
                for a_index, a in enumerate(slots):
                    for b in slots[a_index + 1 :]:
                        if a // 2 == b // 2:
                            continue
                        other_measure = self.rows[a // 2].measure != self.rows[b // 2].measure
                        if a % 2 or b % 2 or other_measure:
                            self.join(a, b)


def _widest_periods(rows: list[MeasureRow]) -> dict[tuple, tuple]:
    """The widest period each (measure, grouping, group, category) is shown for."""
    widest: dict[tuple, tuple] = {}
    for row in rows:
        key = (row.measure, row.group_by, row.group, row.category)
        start, end = widest.get(key, (row.period_start, row.period_end))
        widest[key] = (
            min((d for d in (start, row.period_start) if d is not None), default=None),
            max((d for d in (end, row.period_end) if d is not None), default=None),
        )
    return widest


def _primary(counts: _Counts, policy: DisclosurePolicy) -> None:
    for i, row in enumerate(counts.rows):
        if row.numerator is None:
            continue
        if is_small(row.numerator, policy):
            counts.hide(2 * i)
        duration = row.measure in DURATION_DENOMINATORS
        if row.denominator is None or duration:
            continue
        if is_small(row.denominator, policy):
            counts.hide(2 * i + 1)
        # The complement (those not counted) is a count of people too.
        whole = (row.measure, row.category) in WHOLE_ROWS
        if not whole and is_small(row.denominator - row.numerator, policy):
            counts.hide(2 * i)


def _sets_of_counts(counts: _Counts) -> list[tuple[list[int], int | None]]:
    """(parts, whole): slots that add up to another count (the whole's slot, when they add up
    to it exactly), numerators and, for groups and periods, denominators."""
    rows = counts.rows
    periods = _widest_periods(rows)
    index: dict[tuple, int] = {}
    for i, row in enumerate(rows):
        index.setdefault(
            (row.measure, row.group_by, row.group, row.category, row.period_start, row.period_end),
            i,
        )
        if (row.period_start, row.period_end) == periods[
            (row.measure, row.group_by, row.group, row.category)
        ]:
            index.setdefault(("widest", row.measure, row.group_by, row.group, row.category), i)
    out: list[tuple[list[int], int | None]] = []
    for kind, members in _partitions(rows):
        whole_row = _whole_row(kind, members, rows, index)
        sides = [0] if kind == "categories" else [0, 1]
        for side in sides:
            if side == 1 and rows[members[0]].measure in DURATION_DENOMINATORS:
                continue
            parts = [2 * i + side for i in members if counts.value(2 * i + side) is not None]
            if not parts:
                continue
            whole = None
            if kind == "categories":
                whole = 2 * members[0] + 1
            elif whole_row is not None:
                whole = 2 * whole_row + side
            total = sum(counts.value(s) or 0 for s in parts)
            if whole is not None and counts.value(whole) != total:
                whole = None  # the parts do not add up to it (people without a group, say)
            out.append((parts, whole))
    return out


def suppress_small_counts(
    rows: Iterable[MeasureRow], policy: DisclosurePolicy = DisclosurePolicy()
) -> list[MeasureRow]:
    """The rows with disclosure control applied, in the same order (see the module's rules)."""
    rows = list(rows)
    if not policy.enabled:
        return rows
    counts = _Counts(rows)
    _primary(counts, policy)
    sets = _sets_of_counts(counts)
    changed = True
    while changed:
        changed = False
        # A share is shown whole or not at all.
        for i, row in enumerate(rows):
            if row.numerator is not None and row.denominator is not None:
                if counts.is_hidden(2 * i + 1) and row.measure not in DURATION_DENOMINATORS:
                    changed |= counts.hide(2 * i)
        # One hidden count among counts that add up to another is the whole less the others.
        for parts, whole in sets:
            members = {counts.find(s): s for s in parts}
            if whole is not None:
                members.pop(counts.find(whole), None)
            hidden = [s for root, s in members.items() if root in counts.hidden]
            whole_hidden = whole is not None and counts.is_hidden(whole)
            shown = [s for root, s in members.items() if root not in counts.hidden]
            if len(hidden) + whole_hidden != 1:
                continue
            if shown:
                smallest = min(shown, key=lambda s: (counts.value(s) or 0, rows[s // 2].group, s))
                changed |= counts.hide(smallest)
            elif whole is not None:
                changed |= counts.hide(whole)  # a single part is the whole
    return [
        _controlled(row, counts.is_hidden(2 * i), counts.is_hidden(2 * i + 1), policy)
        for i, row in enumerate(rows)
    ]


def _controlled(
    row: MeasureRow, hide: bool, hide_denominator: bool, policy: DisclosurePolicy
) -> MeasureRow:
    if row.numerator is None and row.denominator is None:
        return row
    denominator = None
    if row.denominator is not None and row.measure in DURATION_DENOMINATORS:
        denominator = row.denominator
    elif row.denominator is not None and not hide_denominator:
        denominator = round_to_base(row.denominator, policy.rounding_base)
    if hide or row.numerator is None:
        # The interval goes with the value: bounds would let it be recovered.
        return replace(
            row,
            numerator=None,
            denominator=denominator,
            value=None,
            suppressed=True,
            ci_lower=None,
            ci_upper=None,
        )
    numerator = round_to_base(row.numerator, policy.rounding_base)
    if is_statistic(row):
        value = None if row.value is None else round(row.value, STATISTIC_DECIMALS)
        low, high = (
            None if v is None else round(v, STATISTIC_DECIMALS)
            for v in (row.ci_lower, row.ci_upper)
        )
        return replace(
            row,
            numerator=numerator,
            denominator=denominator,
            value=value,
            suppressed=False,
            ci_lower=low,
            ci_upper=high,
        )
    value = numerator / denominator if denominator else None
    return replace(row, numerator=numerator, denominator=denominator, value=value, suppressed=False)


def controlled_count(count: int, policy: DisclosurePolicy = DisclosurePolicy()) -> int | None:
    """A count fit to leave the secure setting: None when small, otherwise rounded."""
    if not policy.enabled:
        return count
    if is_small(count, policy):
        return None
    return round_to_base(count, policy.rounding_base)
