"""Score applications from would-be partner sites and shortlist them for variety.

A feasibility study that invites sites to take part scores each application against published
criteria, shortlists those meeting most of them, and then chooses among the shortlisted for a
variety of local areas, populations and interventions. The domestic abuse feasibility study of
What Works for Children's Social Care with the Early Intervention Foundation scored applicants on
nine criteria:

1. a strong description of the intervention;
2. part of a DfE priority area;
3. a clearly defined target population;
4. a clear description of equality, diversity, inclusion and equity considerations;
5. already implemented;
6. a plausible theory of change;
7. a primary outcome focused on the child;
8. potential for impact;
9. programme feasibility.

Source: "Domestic abuse interventions in children's social care – feasibility study, protocol,
What Works for Children's Social Care, November 2022".

A study file's ``partner_selection`` section (:class:`~daeval.study.schema.PartnerSelection`)
gives the criteria with their weights, the scores each application received (0..``scale``), the
characteristics to diversify over and the size of the shortlist. The rules, exactly:

1. **Weighted score.** ``100 × Σ_c w_c·s_c / (scale × Σ_c w_c)`` over every criterion of the
   selection, where ``w_c`` is the criterion's weight and ``s_c`` the application's score on it
   (a criterion the application was not scored on counts 0). Scores for criteria the selection
   does not list are ignored; scores outside ``0..scale`` are used as given (the study-file
   check reports them). Scores are compared exactly (as fractions), so equal scores tie.
2. **Criteria met, eligibility.** A criterion is met when its score is at least ``met_at``; an
   application is eligible when it meets at least ``minimum_met`` criteria.
3. **Shortlist.** Up to ``shortlist`` eligible applications are chosen greedily. The first is
   the one with the highest weighted score (ties: more criteria met, then id ascending). Each
   next one is the eligible application not yet chosen with the most characteristic values (over
   the ``diversity`` characteristics only) not already present among those chosen; ties go to
   the higher weighted score, then more criteria met, then id ascending. A characteristic an
   application does not state (or states as blank) adds nothing; values are compared ignoring
   case and surrounding spaces.
4. **Order.** :func:`select_partners` returns one :class:`Choice` per application: the chosen
   ones first in the order chosen, then the rest by weighted score descending (ties by id).
   Each carries a reason in plain words, e.g. ``highest weighted score (81.5)``,
   ``adds region: London (score 70.4)``, ``not eligible: meets 3 of 9 criteria, 5 needed``.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from daeval.study.schema import Application, PartnerSelection

__all__ = ["Choice", "choices_table", "select_partners"]


@dataclass(frozen=True)
class Choice:
    """One application's result: its scores, whether it was shortlisted, and why."""

    id: str
    name: str
    score: float
    """The weighted score, 0–100 when every score lies in ``0..scale``."""
    met: int
    """How many of the selection's criteria the application meets."""
    scores: dict[str, int]
    """The score on each criterion of the selection, in the selection's order (0 if not scored)."""
    eligible: bool
    chosen: bool
    order: int | None
    """1 for the first chosen, 2 for the next, …; None when not chosen."""
    adds: tuple[str, ...]
    """``characteristic: value`` new to the shortlist when chosen (else those it would add)."""
    reason: str


@dataclass(frozen=True, eq=False)
class _Scored:
    index: int
    application: Application
    exact: Fraction
    met: int
    scores: dict[str, int]
    values: tuple[tuple[str, str], ...]
    """The stated diversity characteristics as (characteristic, value), in the selection's order."""

    @property
    def id(self) -> str:
        return self.application.id

    @property
    def score(self) -> float:
        return float(self.exact)


def _key(value: str) -> str:
    return value.strip().casefold()


def _score(selection: PartnerSelection, index: int, application: Application) -> _Scored:
    scores = {c.id: application.scores.get(c.id, 0) for c in selection.criteria}
    weighted = sum(
        (Fraction(c.weight) * application.scores.get(c.id, 0) for c in selection.criteria),
        Fraction(0),
    )
    total_weight = sum((Fraction(c.weight) for c in selection.criteria), Fraction(0))
    exact = 100 * weighted / (selection.scale * total_weight)
    met = sum(1 for c in selection.criteria if application.scores.get(c.id, 0) >= selection.met_at)
    values = tuple(
        (name, application.characteristics[name].strip())
        for name in dict.fromkeys(selection.diversity)
        if application.characteristics.get(name, "").strip()
    )
    return _Scored(index, application, exact, met, scores, values)


def _new_values(candidate: _Scored, present: set[tuple[str, str]]) -> tuple[str, ...]:
    return tuple(
        f"{name}: {value}" for name, value in candidate.values if (name, _key(value)) not in present
    )


def _fmt(score: float) -> str:
    return f"{score:.1f}"


def _by_score(candidate: _Scored) -> tuple[Fraction, int, str, int]:
    """A sort key: higher score first, then more criteria met, then id, then file order."""
    return (-candidate.exact, -candidate.met, candidate.id, candidate.index)


def _first_reason(first: _Scored, eligible: list[_Scored]) -> str:
    reason = f"highest weighted score ({_fmt(first.score)})"
    level = sorted(
        (c for c in eligible if c is not first and c.exact == first.exact), key=_by_score
    )
    if not level:
        return reason
    same = [c.id for c in level if c.met == first.met]
    if same:
        return f"{reason}, level with {', '.join(same)} on score and criteria met; chosen by id"
    names = ", ".join(c.id for c in level)
    return f"{reason}, level with {names}; chosen for meeting more criteria ({first.met})"


def _next_reason(
    chosen: _Scored, adds: tuple[str, ...], others: list[tuple[_Scored, int]], diversity: bool
) -> str:
    score = _fmt(chosen.score)
    if not diversity:
        return f"next highest weighted score ({score}); no diversity characteristics are set"
    if not adds:
        return f"chosen on score ({score}); adds no new characteristic"
    reason = f"adds {', '.join(adds)} (score {score})"
    passed = [c for c, n in others if c.exact > chosen.exact]
    if passed:
        best = min(passed, key=_by_score)
        best_adds = next(n for c, n in others if c is best)
        fewer = "nothing new" if best_adds == 0 else "fewer new characteristics"
        reason += f"; chosen ahead of {best.id} (score {_fmt(best.score)}), which adds {fewer}"
    return reason


def select_partners(selection: PartnerSelection) -> list[Choice]:
    """Score every application and shortlist up to ``selection.shortlist`` of the eligible ones.

    Returns one :class:`Choice` per application: the chosen in the order chosen, then the rest by
    weighted score descending (ties by id). The rules are in the module docstring.
    """
    scored = [_score(selection, i, a) for i, a in enumerate(selection.applications)]
    eligible = [c for c in scored if c.met >= selection.minimum_met]
    diversity = bool(selection.diversity)

    picked: list[tuple[_Scored, tuple[str, ...], str]] = []
    present: set[tuple[str, str]] = set()
    remaining = sorted(eligible, key=_by_score)
    while remaining and len(picked) < selection.shortlist:
        if not picked:
            best = remaining[0]
            adds = _new_values(best, present)
            reason = _first_reason(best, eligible)
        else:
            counts = [(c, len(_new_values(c, present))) for c in remaining]
            # ``remaining`` is in score order, so the first with the most new values wins ties.
            most = max(n for _, n in counts)
            best = next(c for c, n in counts if n == most)
            adds = _new_values(best, present)
            others = [(c, n) for c, n in counts if c is not best]
            reason = _next_reason(best, adds, others, diversity)
        picked.append((best, adds, reason))
        present.update((name, _key(value)) for name, value in best.values)
        remaining.remove(best)

    choices = [
        _choice(c, eligible=True, order=order, adds=adds, reason=reason)
        for order, (c, adds, reason) in enumerate(picked, start=1)
    ]
    chosen_ids = {id(c) for c, _, _ in picked}
    rest = sorted(
        (c for c in scored if id(c) not in chosen_ids),
        key=lambda c: (-c.exact, c.id, c.index),
    )
    n_criteria = len(selection.criteria)
    of_criteria = f"{n_criteria} criterion" if n_criteria == 1 else f"{n_criteria} criteria"
    for c in rest:
        adds = _new_values(c, present)
        is_eligible = c.met >= selection.minimum_met
        if not is_eligible:
            reason = f"not eligible: meets {c.met} of {of_criteria}, {selection.minimum_met} needed"
        else:
            would = ", ".join(adds) if adds else "no new characteristic"
            reason = (
                f"not chosen: the shortlist of {selection.shortlist} was full; "
                f"would have added {would} (score {_fmt(c.score)})"
            )
        choices.append(_choice(c, eligible=is_eligible, order=None, adds=adds, reason=reason))
    return choices


def _choice(
    c: _Scored, *, eligible: bool, order: int | None, adds: tuple[str, ...], reason: str
) -> Choice:
    """The Choice for scored application ``c``: chosen when it has a place in the order."""
    return Choice(
        id=c.id,
        name=c.application.name,
        score=c.score,
        met=c.met,
        scores=c.scores,
        eligible=eligible,
        chosen=order is not None,
        order=order,
        adds=adds,
        reason=reason,
    )


def _column(name: str, taken: set[str], kind: str) -> str:
    column = name if name not in taken else f"{kind}: {name}"
    taken.add(column)
    return column


def choices_table(choices: list[Choice], selection: PartnerSelection) -> list[dict[str, object]]:
    """Rows for a CSV or console table, one per choice in the order given.

    Columns: ``rank`` (position in the list), ``order`` (shortlist order, blank if not chosen),
    ``id``, ``name``, ``chosen`` (yes/no), ``score`` (one decimal), ``met`` ("7/9"), one column
    per criterion id with the application's score, one per diversity characteristic with the
    application's value (blank if not stated), and ``reason``. A criterion id or characteristic
    that clashes with another column is headed ``criterion: <id>`` or ``characteristic: <name>``.
    """
    taken = {"rank", "order", "id", "name", "chosen", "score", "met", "reason"}
    criteria = [(c.id, _column(c.id, taken, "criterion")) for c in selection.criteria]
    traits = [
        (name, _column(name, taken, "characteristic"))
        for name in dict.fromkeys(selection.diversity)
    ]
    characteristics = {a.id: a.characteristics for a in selection.applications}
    n_criteria = len(selection.criteria)
    rows: list[dict[str, object]] = []
    for rank, choice in enumerate(choices, start=1):
        row: dict[str, object] = {
            "rank": rank,
            "order": choice.order if choice.order is not None else "",
            "id": choice.id,
            "name": choice.name,
            "chosen": "yes" if choice.chosen else "no",
            "score": _fmt(choice.score),
            "met": f"{choice.met}/{n_criteria}",
        }
        for criterion_id, column in criteria:
            row[column] = choice.scores.get(criterion_id, 0)
        stated = characteristics.get(choice.id, {})
        for name, column in traits:
            row[column] = stated.get(name, "")
        row["reason"] = choice.reason
        rows.append(row)
    return rows
