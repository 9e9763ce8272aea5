"""Statistical disclosure control for the tidy measures table, on by default.

Rules (data contract v1, following the OpenSAFELY output rules): a count of 7 or fewer is
suppressed; other counts are rounded to the nearest 5; ratios are recomputed from the rounded
counts; a cell that would let a suppressed one be recovered by subtraction is suppressed too.
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


def _partitions(rows: list[MeasureRow]) -> list[list[int]]:
    """Sets of rows that add up to a row shown elsewhere, so that one hidden member of a set
    could be recovered by subtraction: the groups of one grouping (which add up to all), the
    calendar periods of one figure (which add up to the whole period), and the categories of a
    measure that split its denominator."""
    widest: dict[tuple, tuple] = {}
    for row in rows:
        key = (row.measure, row.group_by, row.group, row.category)
        start, end = widest.get(key, (row.period_start, row.period_end))
        widest[key] = (
            min((d for d in (start, row.period_start) if d is not None), default=None),
            max((d for d in (end, row.period_end) if d is not None), default=None),
        )
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
    return list(sets.values())


def suppress_small_counts(
    rows: Iterable[MeasureRow], policy: DisclosurePolicy = DisclosurePolicy()
) -> list[MeasureRow]:
    """The rows with disclosure control applied, in the same order."""
    rows = list(rows)
    if not policy.enabled:
        return rows
    suppressed = [_needs_primary_suppression(r, policy) for r in rows]

    # Secondary suppression: where members of a set add up to a figure shown elsewhere, a single
    # hidden member could be recovered by subtraction, so hide the next smallest too; hiding one
    # can leave a single hidden member in another set, so repeat until nothing changes.
    partitions = _partitions(rows)
    changed = True
    while changed:
        changed = False
        for members in partitions:
            hidden = [i for i in members if suppressed[i]]
            shown = [i for i in members if not suppressed[i]]
            if len(hidden) == 1 and shown:
                smallest = min(shown, key=lambda i: (rows[i].numerator or 0, rows[i].group))
                suppressed[smallest] = True
                changed = True

    return [_controlled(row, hide, policy) for row, hide in zip(rows, suppressed, strict=True)]


def _controlled(row: MeasureRow, hide: bool, policy: DisclosurePolicy) -> MeasureRow:
    if row.numerator is None and row.denominator is None:
        return row
    denominator = None
    if row.denominator is not None and not is_small(row.denominator, policy):
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
    else:
        value = numerator / denominator if denominator else None
    return replace(row, numerator=numerator, denominator=denominator, value=value, suppressed=False)


def controlled_count(count: int, policy: DisclosurePolicy = DisclosurePolicy()) -> int | None:
    """A count fit to leave the secure setting: None when small, otherwise rounded."""
    if not policy.enabled:
        return count
    if is_small(count, policy):
        return None
    return round_to_base(count, policy.rounding_base)
