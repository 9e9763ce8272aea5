"""Who changed reliably: Jacobson & Truax's reliable change and clinical significance.

Jacobson NS, Truax P (1991). Clinical significance: a statistical approach to defining meaningful
change in psychotherapy research. J Consult Clin Psychol 59(1):12-19, doi:10.1037/0022-006X.59.1.12.

- Standard error of the difference: S_diff = SD_clinical × √2 × √(1 − r), with r the reliability
  (the √2 as corrected by Christensen & Mendoza 1986). The reliable-change threshold in points is
  z × S_diff, with z the two-sided normal quantile of the instrument's confidence level (1.96 at
  95%, 1.645 at 90%). A published threshold in points, where the definition gives one, is used
  as it stands.
- A change is reliable when it is at least the threshold: ``reliably_improved`` or
  ``reliably_deteriorated`` in the instrument's direction, else ``unchanged``.
- Clinical cut-offs, for an instrument where higher is worse (signs flip otherwise):
  a = M_clinical − 2 SD_clinical; b = M_general + 2 SD_general (the functional population's SD,
  as in J&T 1991 and Bauer, Lambert & Nielsen 2004); c = (SD_clinical M_general + SD_general
  M_clinical) / (SD_clinical + SD_general). ``auto`` takes c when both norms exist, b when only
  the general population's do, a when only the clinical's do, else the published cut-off.
- Among people whose baseline is in the clinical range (at or past the cut-off): ``recovered``
  (a reliable improvement ending outside the clinical range), ``improved`` (a reliable
  improvement still inside it), ``unchanged``, ``deteriorated``. People who start outside the
  clinical range can change reliably but not clinically significantly, so they are not classed.
- An alternative rule (NHS Talking Therapies for PHQ-9 and GAD-7) replaces the threshold by its
  reliable-change figure and the cut-off by its caseness threshold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import ibis
import ibis.expr.types as ir

from daeval.instruments.definition import Instrument
from daeval.instruments.settings import JACOBSON_TRUAX, ChangeSettings, InstrumentSettings

RELIABLE_CLASSES = ("reliably_improved", "unchanged", "reliably_deteriorated")
CLINICAL_CLASSES = ("recovered", "improved", "unchanged", "deteriorated")
PAIR = ("source", "person_id", "instrument", "respondent")


def z_for(confidence: float) -> float:
    """The two-sided normal quantile for a confidence level (0.95 → 1.96)."""
    return NormalDist().inv_cdf(1 - (1 - confidence) / 2)


def s_diff(sd: float, reliability: float) -> float:
    return sd * math.sqrt(2) * math.sqrt(1 - reliability)


def reliable_change_points(sd: float, reliability: float, confidence: float) -> float:
    """The Jacobson-Truax reliable-change threshold in score points."""
    return z_for(confidence) * s_diff(sd, reliability)


def clinical_cutoffs(instrument: Instrument) -> dict[str, float]:
    """The cut-offs a, b and c that the instrument's norms allow, and its published one."""
    sign = 1 if instrument.higher_is_worse else -1
    clinical, general = instrument.norms.clinical, instrument.norms.general
    out: dict[str, float] = {}
    if clinical is not None:
        out["a"] = clinical.mean - sign * 2 * clinical.sd
    if general is not None:
        out["b"] = general.mean + sign * 2 * general.sd
    if clinical is not None and general is not None:
        out["c"] = (clinical.sd * general.mean + general.sd * clinical.mean) / (
            clinical.sd + general.sd
        )
    if instrument.cutoff is not None:
        out["cutoff"] = instrument.cutoff.value
    return out


@dataclass(frozen=True)
class ChangeRule:
    """How one instrument's change is judged."""

    instrument: str
    name: str  # jacobson_truax or the alternative rule's name
    threshold: float | None  # reliable change, in points
    confidence: float | None
    cutoff: float | None  # the clinical range starts here
    criterion: str | None  # which cut-off: a, b, c, cutoff, or the alternative rule's caseness
    higher_is_worse: bool


def change_rule(instrument: Instrument, settings: ChangeSettings) -> ChangeRule:
    if settings.rule != JACOBSON_TRUAX:
        alt = next(r for r in instrument.alternative_rules if r.name == settings.rule)
        return ChangeRule(
            instrument.code,
            alt.name,
            alt.reliable_change,
            None,
            alt.caseness,
            "caseness",
            instrument.higher_is_worse,
        )
    threshold, confidence = None, None
    rc = instrument.reliable_change
    if rc is not None:
        confidence = rc.confidence
        if rc.points is not None:
            threshold = rc.points
        else:
            assert instrument.reliability and instrument.norms.clinical and confidence
            threshold = reliable_change_points(
                instrument.norms.clinical.sd, instrument.reliability.value, confidence
            )
    cutoffs = clinical_cutoffs(instrument)
    criterion: str | None = settings.criterion
    if criterion == "auto":
        criterion = next((c for c in ("c", "b", "a", "cutoff") if c in cutoffs), None)
    cutoff = cutoffs.get(criterion) if criterion else None
    return ChangeRule(
        instrument.code,
        JACOBSON_TRUAX,
        threshold,
        confidence,
        cutoff,
        criterion if cutoff is not None else None,
        instrument.higher_is_worse,
    )


def change_rules(settings: InstrumentSettings) -> dict[str, ChangeRule]:
    return {
        code: change_rule(i, settings.change_for(code))
        for code, i in settings.library.items()
        if i.score_only is None or i.reliable_change is not None
    }


def paired_scores(scores: ir.Table, start: str = "baseline", finish: str = "end") -> ir.Table:
    """Each person's valid ``start`` and ``finish`` scores on one instrument from one respondent,
    side by side: ``baseline``, ``end``, their dates, and ``change`` (end − baseline)."""
    kept = scores.filter(scores.valid & scores.score.notnull())
    kept = kept.mutate(respondent=kept.respondent.fill_null(""))
    at = {
        tp: kept.filter(kept.timepoint == tp).select(
            *PAIR, **{f"score_{tp}": kept.score, f"date_{tp}": kept.administered_date}
        )
        for tp in (start, finish)
    }
    pairs = at[start].join(at[finish], list(PAIR))
    pairs = pairs.select(
        *PAIR,
        baseline=pairs[f"score_{start}"],
        end=pairs[f"score_{finish}"],
        baseline_date=pairs[f"date_{start}"].cast("date"),
        end_date=pairs[f"date_{finish}"].cast("date"),
    ).mutate(change=lambda t: t.end - t.baseline)
    return pairs.mutate(respondent=ibis.ifelse(pairs.respondent == "", None, pairs.respondent))


def classified(pairs: ir.Table, rules: dict[str, ChangeRule]) -> ir.Table:
    """``pairs`` with ``improvement`` (change in the better direction), ``reliable_change``
    (one of RELIABLE_CLASSES, null without a threshold) and ``clinical_change`` (one of
    CLINICAL_CLASSES; null without a cut-off or when the baseline is outside the clinical range)."""
    reliable, clinical = [], []
    improvement = ibis.cases(
        *(
            (pairs.instrument == code, -pairs.change if rule.higher_is_worse else pairs.change)
            for code, rule in rules.items()
        ),
        else_=ibis.null("float64"),
    )
    for code, rule in rules.items():
        if rule.threshold is None:
            continue
        mine = pairs.instrument == code
        # Scores carry two decimals; comparing at that precision keeps 5.999... from missing 6.
        points = round(rule.threshold, 6)
        better = improvement.round(6) >= points
        worse = improvement.round(6) <= -points
        reliable.append((mine & better, "reliably_improved"))
        reliable.append((mine & worse, "reliably_deteriorated"))
        reliable.append((mine, "unchanged"))
        if rule.cutoff is None:
            continue
        if rule.higher_is_worse:
            clinical_at_start, clinical_at_end = (
                pairs.baseline >= rule.cutoff,
                pairs.end >= rule.cutoff,
            )
        else:
            clinical_at_start, clinical_at_end = (
                pairs.baseline <= rule.cutoff,
                pairs.end <= rule.cutoff,
            )
        started = mine & clinical_at_start
        clinical.append((started & better & ~clinical_at_end, "recovered"))
        clinical.append((started & better, "improved"))
        clinical.append((started & worse, "deteriorated"))
        clinical.append((started, "unchanged"))
    none = ibis.null("string")
    return pairs.mutate(
        improvement=improvement,
        reliable_change=ibis.cases(*reliable, else_=none) if reliable else none,
        clinical_change=ibis.cases(*clinical, else_=none) if clinical else none,
    )
