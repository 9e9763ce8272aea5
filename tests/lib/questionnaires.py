"""Questionnaire answers for tests, in the data contract's measure_responses columns."""

from __future__ import annotations

from datetime import date


def answers(
    instrument: str,
    values: dict,
    person: str = "p1",
    timepoint: str = "baseline",
    source: str = "service:x",
    on: date = date(2024, 1, 1),
    respondent: str | None = "self",
) -> list[dict]:
    """Rows answering ``values`` ({item: value}; None leaves an item unanswered)."""
    return [
        dict(source=source, person_id=person, instrument=instrument, timepoint=timepoint,
             administered_date=on, respondent=respondent, item=str(item), value=value)
        for item, value in values.items()
        if value is not None
    ]  # fmt: skip


def with_total(total: int, low: int, high: int, items: int) -> dict:
    """Answers (each from low to high) adding up to ``total``, filled from item 1."""
    values, left = {}, total - low * items
    for item in range(1, items + 1):
        step = min(high - low, left)
        values[item] = low + step
        left -= step
    assert left == 0, f"{total} cannot be made from {items} answers of {low} to {high}"
    return values
