"""Questionnaire scoring written the plain way, one administration at a time, straight from each
instrument's definition: the reference the warehouse scoring (Ibis) is checked against."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable

from daeval.instruments.definition import Instrument, MissingMethod, Rule

Key = tuple[str, str, str, str, str | None]  # source, person_id, instrument, timepoint, respondent


def _scale_score(
    values: dict[str, float], items: list[str], rule: Rule, instrument: Instrument, allowed: int
) -> tuple[float | None, bool, int, bool]:
    """(score, valid, n_missing, prorated) of one scale."""
    answered = [values[i] for i in items if i in values]
    missing = len(items) - len(answered)
    count_as_no = instrument.missing is not None and (
        instrument.missing.method is MissingMethod.COUNT_AS_NO
    )
    valid = len(answered) > 0 if count_as_no else missing <= allowed
    if not valid or rule is Rule.NONE:
        return None, valid, missing, False
    total = sum(answered)
    if rule is Rule.SUM:
        score = total * len(items) / len(answered)
    elif rule is Rule.MEAN:
        score = total / len(answered)
    elif rule is Rule.MEAN_TIMES:
        assert instrument.scoring and instrument.scoring.multiplier
        score = total / len(answered) * instrument.scoring.multiplier
    elif rule is Rule.COUNT:
        score = total
    else:
        assert instrument.scoring and instrument.scoring.conversion
        score = instrument.scoring.conversion[int(total)] if missing == 0 else None
    prorated = missing > 0 and not count_as_no
    return (None if score is None else _rounded(score)), valid, missing, prorated


def _rounded(score: float) -> float:
    """``score`` to two decimals as the SQL engines round: halves away from zero (a prorated
    17 x 9 / 8 = 19.125 is 19.13), where Python's round takes halves to even (19.12)."""
    return math.copysign(math.floor(abs(score) * 100 + 0.5), score) / 100


def _keyed(instrument: Instrument, item: str, value: float) -> float:
    if item.isdigit() and int(item) in instrument.reverse:
        assert instrument.responses
        return instrument.responses.low + instrument.responses.high - value
    return value


def _allowed(instrument: Instrument, item: str, value: float) -> bool:
    if instrument.score_only is not None:
        if item not in instrument.score_only.ranges:
            return False
        low, high = instrument.score_only.ranges[item]
        return value >= low and (high is None or value <= high)
    assert instrument.items and instrument.responses
    if item in instrument.recorded:
        return value in instrument.recorded[item]
    numbers = {str(i) for i in range(1, instrument.items.count + 1)}
    return item in numbers and value in instrument.responses.values


def score(rows: Iterable[dict], library) -> dict[Key, dict]:  # type: ignore[no-untyped-def]
    """Scores of ``rows`` (dicts with the measure_responses columns) by administration."""
    grouped: dict[Key, list[dict]] = defaultdict(list)
    for r in rows:
        if r["instrument"] in library:
            key = (r["source"], r["person_id"], r["instrument"], r["timepoint"], r["respondent"])
            grouped[key].append(r)
    out = {}
    for key, answers in grouped.items():
        instrument: Instrument = library[key[2]]
        items = [a["item"] for a in answers]
        usable = [
            a
            for a in answers
            if items.count(a["item"]) == 1 and _allowed(instrument, a["item"], a["value"])
        ]
        problem = len(usable) < len(answers)
        # An answer that cannot be used counts as missing.
        values = {a["item"]: _keyed(instrument, a["item"], a["value"]) for a in usable}
        if instrument.score_only is not None:
            names = list(instrument.score_only.ranges)
            total_items = ["total"] if "total" in names else names
            rule = Rule.SUM if "total" in names else Rule.NONE
            subscales = {n: [n] for n in names if n != "total"}
            allowed, sub_allowed, sub_rule = 0, 0, Rule.SUM
        else:
            assert instrument.items and instrument.scoring and instrument.missing
            total_items = [str(i) for i in range(1, instrument.items.count + 1)]
            rule = instrument.scoring.rule
            subscales = {n: [str(i) for i in m] for n, m in instrument.subscales.items()}
            allowed = instrument.missing.max_missing
            sub_allowed = instrument.missing.subscale_max_missing
            sub_rule = instrument.scoring.subscale_rule or (
                Rule.SUM if rule in (Rule.CONVERSION, Rule.NONE) else rule
            )
        total, valid, missing, prorated = _scale_score(
            values, total_items, rule, instrument, allowed
        )
        sub = {
            n: _scale_score(values, members, sub_rule, instrument, sub_allowed)
            for n, members in subscales.items()
        }
        if rule is Rule.NONE:
            valid = all(s[1] for s in sub.values()) and (instrument.score_only is None or valid)
        valid = valid and not problem
        result = {
            "score": total if valid else None,
            "valid": valid,
            "n_missing": missing,
            "prorated": prorated and valid,
            **{f"score_{n}": (s[0] if valid else None) for n, s in sub.items()},
        }
        result["band"] = _band(instrument, result["score"])
        result["above_cutoff"] = _past_cutoff(instrument, result["score"])
        out[key] = result
    return out


def _band(instrument: Instrument, score: float | None) -> str | None:
    if score is None or instrument.bands is None:
        return None
    reached = [b.label for b in instrument.bands.levels if score >= b.lower]
    return reached[-1] if reached else None


def _past_cutoff(instrument: Instrument, score: float | None) -> bool | None:
    if score is None or instrument.cutoff is None:
        return None
    if instrument.higher_is_worse:
        return score >= instrument.cutoff.value
    return score <= instrument.cutoff.value
