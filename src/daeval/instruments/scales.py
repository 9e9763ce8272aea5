"""An instrument's definition as the small tables scoring joins against.

Each instrument becomes one or more *scales*: its total (named ``total``) and each subscale. A
scale is a set of items and a rule; a licensed, score-only instrument's named scores are scales of
one "item" each (the score its licensed tool produced), so every instrument is scored the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from daeval.instruments.definition import Instrument, MissingMethod, Rule
from daeval.instruments.library import Library

TOTAL = "total"


@dataclass(frozen=True)
class Scale:
    instrument: str
    name: str
    items: tuple[str, ...]
    rule: Rule
    multiplier: float | None
    max_missing: int
    count_as_no: bool


def instrument_scales(instrument: Instrument) -> list[Scale]:
    """The total and the subscales of one instrument."""
    code = instrument.code
    if instrument.score_only is not None:
        named = tuple(instrument.score_only.ranges)
        scales = [Scale(code, n, (n,), Rule.SUM, None, 0, False) for n in named if n != TOTAL]
        if TOTAL in named:
            return [Scale(code, TOTAL, (TOTAL,), Rule.SUM, None, 0, False), *scales]
        # No total: the named scores together, valid only when all are there.
        return [Scale(code, TOTAL, named, Rule.NONE, None, 0, False), *scales]
    assert instrument.items and instrument.scoring and instrument.missing
    scoring, missing = instrument.scoring, instrument.missing
    count_as_no = missing.method is MissingMethod.COUNT_AS_NO
    items = tuple(str(i) for i in range(1, instrument.items.count + 1))
    total = Scale(
        code, TOTAL, items, scoring.rule, scoring.multiplier, missing.max_missing, count_as_no
    )
    sub_rule = scoring.subscale_rule or (
        Rule.SUM if scoring.rule in (Rule.CONVERSION, Rule.NONE) else scoring.rule
    )
    multiplier = scoring.multiplier if sub_rule is Rule.MEAN_TIMES else None
    subscales = [
        Scale(
            code,
            name,
            tuple(str(i) for i in members),
            sub_rule,
            multiplier,
            missing.subscale_max_missing,
            count_as_no,
        )
        for name, members in instrument.subscales.items()
    ]
    return [total, *subscales]


def subscale_names(library: Library) -> list[str]:
    """Every subscale name in the library, in first-seen order: the ``score_<name>`` columns."""
    names: dict[str, None] = {}
    for instrument in library.values():
        for scale in instrument_scales(instrument)[1:]:
            names[scale.name] = None
    return list(names)


@dataclass(frozen=True)
class ScoringTables:
    """The library as tables (Ibis memtables), for joins on any engine."""

    scales: ir.Table  # instrument, scale, n_items, rule, multiplier, max_missing, count_as_no
    scale_items: ir.Table  # instrument, scale, item
    items: ir.Table  # instrument, item, reflect (low + high when reverse-keyed), allowed (text)
    answers: ir.Table  # instrument, item, value: every allowed answer of a scored item
    ranges: ir.Table  # instrument, item, low, high: the range of a licensed tool's score
    conversion: ir.Table  # instrument, raw, converted
    recorded: ir.Table  # instrument, item: answers kept beside the score, not scored

    @classmethod
    def of(cls, library: Library) -> ScoringTables:
        scales: list[dict[str, Any]] = []
        scale_items: list[dict[str, Any]] = []
        items: list[dict[str, Any]] = []
        answers: list[dict[str, Any]] = []
        ranges: list[dict[str, Any]] = []
        conversion: list[dict[str, Any]] = []
        recorded: list[dict[str, Any]] = []
        for code, instrument in library.items():
            for s in instrument_scales(instrument):
                scales.append(
                    dict(
                        instrument=code,
                        scale=s.name,
                        n_items=len(s.items),
                        rule=s.rule.value,
                        multiplier=s.multiplier,
                        max_missing=s.max_missing,
                        count_as_no=s.count_as_no,
                    )
                )
                scale_items += [dict(instrument=code, scale=s.name, item=i) for i in s.items]
            if instrument.score_only is not None:
                for name, (low, high) in instrument.score_only.ranges.items():
                    allowed = f"from {low:g}" + (f" to {high:g}" if high is not None else " up")
                    items.append(dict(instrument=code, item=name, reflect=None, allowed=allowed))
                    ranges.append(dict(instrument=code, item=name, low=low, high=high))
                continue
            assert instrument.items and instrument.responses and instrument.scoring
            reflect = instrument.responses.low + instrument.responses.high
            allowed = "one of " + ", ".join(f"{v:g}" for v in instrument.responses.values)
            for number in range(1, instrument.items.count + 1):
                reverse = number in instrument.reverse
                items.append(
                    dict(
                        instrument=code,
                        item=str(number),
                        reflect=reflect if reverse else None,
                        allowed=allowed,
                    )
                )
                answers += [
                    dict(instrument=code, item=str(number), value=v)
                    for v in instrument.responses.values
                ]
            for name, values in instrument.recorded.items():
                text = "one of " + ", ".join(f"{v:g}" for v in values)
                items.append(dict(instrument=code, item=name, reflect=None, allowed=text))
                recorded.append(dict(instrument=code, item=name))
                answers += [dict(instrument=code, item=name, value=v) for v in values]
            for raw, converted in (instrument.scoring.conversion or {}).items():
                conversion.append(dict(instrument=code, raw=float(raw), converted=converted))
        return cls(
            scales=_table(scales, SCALES_SCHEMA),
            scale_items=_table(scale_items, SCALE_ITEMS_SCHEMA),
            items=_table(items, ITEMS_SCHEMA),
            answers=_table(answers, ANSWERS_SCHEMA),
            ranges=_table(ranges, RANGES_SCHEMA),
            conversion=_table(conversion, CONVERSION_SCHEMA),
            recorded=_table(recorded, RECORDED_SCHEMA),
        )


SCALES_SCHEMA = ibis.schema(
    dict(
        instrument="!string",
        scale="!string",
        n_items="!int64",
        rule="!string",
        multiplier="float64",
        max_missing="!int64",
        count_as_no="!boolean",
    )
)
SCALE_ITEMS_SCHEMA = ibis.schema(dict(instrument="!string", scale="!string", item="!string"))
ITEMS_SCHEMA = ibis.schema(
    dict(instrument="!string", item="!string", reflect="float64", allowed="!string")
)
ANSWERS_SCHEMA = ibis.schema(dict(instrument="!string", item="!string", value="!float64"))
RANGES_SCHEMA = ibis.schema(
    dict(instrument="!string", item="!string", low="!float64", high="float64")
)
CONVERSION_SCHEMA = ibis.schema(dict(instrument="!string", raw="!float64", converted="!float64"))
RECORDED_SCHEMA = ibis.schema(dict(instrument="!string", item="!string"))


def _table(rows: list[dict], schema: ibis.Schema) -> ir.Table:
    return ibis.memtable(pa.Table.from_pylist(rows, schema=schema.to_pyarrow()))
