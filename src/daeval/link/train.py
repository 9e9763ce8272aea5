"""Training the linkage model on the records themselves, with a default to fall back on.

Training follows the Fellegi-Sunter route in Splink: the prior from pairs that agree on
everything, u probabilities from random pairs, and m probabilities from the links the data owners
already trust (``person_links``: each is a pair known to be one person, so the comparison levels
they show are the m probabilities directly). With fewer than ``MIN_TRUSTED_LINKS`` trusted links,
m is estimated by expectation maximisation instead. A level that training never sees (a rare
error) takes its probability from the default model, and the others are rescaled to sum to one.
When a step fails outright (on small or uniform data an estimate can underflow), the run uses the
default model of :mod:`daeval.link.model` and says why.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from splink import Linker, block_on
from splink.internals.splink_dataframe import SplinkDataFrame

from daeval.errors import DaevalError
from daeval.link.model import TRAINING_RULES, default_model, for_dialect, settings

U_PAIRS = 5e6
"""Random pairs drawn to estimate u probabilities."""
SEED = 20151
PRIOR_RULE = block_on("first_name", "last_name", "birth_year_month", "birth_day")
PRIOR_RECALL = 0.8
"""Share of true matches the prior's deterministic rule is taken to find."""
MIN_TRUSTED_LINKS = 100
"""Trusted links needed to learn m probabilities from them rather than by EM."""
MIN_RECORDS = 1000
"""Records needed to train at all; fewer cannot show the rarer comparison levels."""


@dataclass(frozen=True)
class Model:
    settings: dict[str, Any]
    origin: str
    """'trained on trusted links', 'trained by EM', 'saved' or 'default'."""
    fallback_reason: str | None = None
    filled_levels: tuple[str, ...] = ()


def _quiet() -> None:
    logging.getLogger("splink").setLevel(logging.ERROR)


def _usable(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value) and value > 0


def _levels(model: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    return [
        (
            c["output_column_name"],
            [lv for lv in c["comparison_levels"] if not lv.get("is_null_level")],
        )
        for c in model["comparisons"]
    ]


def _problem(model: dict[str, Any]) -> str | None:
    """Why a model's parameters cannot be used, or None when every level has usable m and u."""
    for name, levels in _levels(model):
        for level in levels:
            for p in ("m_probability", "u_probability"):
                if not _usable(level.get(p)):
                    label = level.get("label_for_charts") or level.get("sql_condition")
                    return f"{name}: {p} of level {label!r} is {level.get(p)}"
    return None


def checked_model(model: Any, path: Path) -> dict[str, Any]:
    """``model``, read from the file ``path``, if it is a linkage model this version can use (as
    ``daeval link`` saves it in ``outputs/linkage_model.json``); otherwise a DaevalError saying why."""
    how = "give a model saved by `daeval link` (outputs/linkage_model.json), or leave out --model"
    if not isinstance(model, dict) or not isinstance(model.get("comparisons"), list):
        raise DaevalError(f"{path}: not a linkage model (it has no list of comparisons); {how}")
    try:
        for_dialect(model, "duckdb")
        problem = _problem(model)
    except ValueError as exc:
        problem = str(exc)
    except (KeyError, TypeError, AttributeError) as exc:
        problem = f"a comparison or level lacks {exc}" if isinstance(exc, KeyError) else "malformed"
    if problem:
        raise DaevalError(f"{path}: not a usable linkage model ({problem}); {how}")
    return model


def fill_from_default(model: dict[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The model with unseen levels given the default model's probabilities (others rescaled)."""
    fallback = dict(_levels(default_model()))
    filled: list[str] = []
    for name, levels in _levels(model):
        for p in ("m_probability", "u_probability"):
            missing = [i for i, lv in enumerate(levels) if not _usable(lv.get(p))]
            if not missing or len(missing) == len(levels):
                continue
            borrowed = sum(fallback[name][i][p] for i in missing)
            seen = sum(lv[p] for i, lv in enumerate(levels) if i not in missing)
            for i, level in enumerate(levels):
                if i in missing:
                    level[p] = fallback[name][i][p]
                    filled.append(f"{name}: {p} of {level.get('label_for_charts')}")
                else:
                    level[p] = level[p] * (1 - borrowed) / seen
    return model, tuple(filled)


def train(
    records: SplinkDataFrame, record_count: int, trusted: SplinkDataFrame, trusted_links: int
) -> tuple[Linker, Model]:
    """A linker for ``records`` with a trained model, or the default model if training fails."""
    _quiet()
    if record_count < MIN_RECORDS:
        few = f"too few records to train on ({record_count:,}; at least {MIN_RECORDS:,})"
        return with_model(records, default_model(), origin="default", fallback_reason=few)
    linker = Linker(records, settings(), log_level=logging.ERROR)
    from_links = trusted_links >= MIN_TRUSTED_LINKS
    reason: str | None
    try:
        linker.training.estimate_probability_two_random_records_match(
            [PRIOR_RULE], recall=PRIOR_RECALL
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=U_PAIRS, seed=SEED)
        if from_links:
            linker.training.estimate_m_from_pairwise_labels(trusted)
        else:
            for rule in TRAINING_RULES:
                linker.training.estimate_parameters_using_expectation_maximisation(
                    rule, estimate_without_term_frequencies=True
                )
        model, filled = fill_from_default(linker.misc.save_model_to_json())
        reason = _problem(model)
        levels = sum(len(levels) for _, levels in _levels(model))
        if reason is None and len(filled) > levels:  # m and u: two per level
            reason = f"training saw too few comparison levels ({len(filled)} probabilities unseen)"
    except Exception as exc:  # Splink raises many kinds; any failure means the default model
        text = str(exc).strip().splitlines()
        reason = f"{type(exc).__name__}: {text[0] if text else ''}"
    if reason is not None:
        return with_model(records, default_model(), origin="default", fallback_reason=reason)
    origin = "trained on trusted links" if from_links else "trained by EM"
    linker, used = with_model(records, model, origin=origin)
    return linker, Model(used.settings, origin, filled_levels=filled)


def with_model(
    records: SplinkDataFrame,
    model: dict[str, Any],
    origin: str = "saved",
    fallback_reason: str | None = None,
) -> tuple[Linker, Model]:
    """A linker for ``records`` using a saved or default model as it is."""
    _quiet()
    problem = _problem(model)
    if problem:
        raise DaevalError(f"the linkage model is incomplete: {problem}")
    dialect = records.db_api.sql_dialect.sql_dialect_str
    linker = Linker(records, for_dialect(model, dialect), log_level=logging.ERROR)
    return linker, Model(linker.misc.save_model_to_json(), origin, fallback_reason)
