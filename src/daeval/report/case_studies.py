"""Individual journeys for case studies: inside the secure setting only, never for release.

A case study follows one child from their first domestic abuse notification through police,
children's social care and services, by the person key linkage gave them. The journeys are
generalised before they are written:

- no id, pseudonym, name, sex, ethnicity, postcode or date appears: each child is "Child A",
  "Child B", …; their age is an age band at month 0;
- every date is shifted to the months since the journey's first recorded event ("month 0",
  "month 3"), so no event can be matched to a calendar date;
- events are described by type and outcome only (risk level, decision, plan type, stage reached).

The page says NOT FOR RELEASE at the top and on every printed page. ``daeval report`` writes it
only with ``--case-studies N --inside-secure-setting``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb

from daeval.warehouse import Workspace

AGE_BANDS = ((0, 4, "under 5"), (5, 10, "5 to 10"), (11, 15, "11 to 15"), (16, 17, "16 or 17"))
DECISIONS = {
    "nfa": "no further action", "early_help": "early help", "assessment": "an assessment",
    "s47": "a section 47 enquiry",
}  # fmt: skip
PLANS = {"CIN": "child in need plan", "CP": "child protection plan", "CLA": "looked after"}
ENDS = {
    "completed": "completed", "disengaged": "stopped attending", "declined": "declined",
    "moved_away": "moved away", "unable_to_contact": "could not be contacted",
    "escalated_to_csc": "escalated to children's social care",
}  # fmt: skip


@dataclass(frozen=True)
class Event:
    month: int
    what: str


@dataclass(frozen=True)
class Journey:
    name: str
    age_band: str
    events: tuple[Event, ...]


def months_between(start: date, day: date) -> int:
    """Whole months from ``start`` to ``day`` (30.44 days each), never negative."""
    return max(0, int((day - start).days // 30.44))


def _age_band(birth: date | None, on: date) -> str:
    if birth is None:
        return "age not recorded"
    age = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    return next((label for low, high, label in AGE_BANDS if low <= age <= high), "18 or over")


EVENTS_SQL = """
WITH child AS (SELECT source, person_id FROM person_keys WHERE person_key = $key)
SELECT n.notification_date, 'notification', n.incident_type || '|' || coalesce(n.risk_level, '')
FROM police_notifications n JOIN notification_children c USING (notification_id)
WHERE c.child_id IN (SELECT person_id FROM child WHERE source = 'police')
UNION ALL
SELECT r.referral_date, 'referral', coalesce(r.decision, '')
FROM csc_referrals r WHERE r.child_id IN (SELECT person_id FROM child WHERE source = 'csc')
UNION ALL
SELECT a.start_date, 'assessment', ''
FROM assessments a JOIN csc_referrals r USING (referral_id)
WHERE r.child_id IN (SELECT person_id FROM child WHERE source = 'csc')
UNION ALL
SELECT p.start_date, 'plan', p.plan_type
FROM plans p WHERE p.child_id IN (SELECT person_id FROM child WHERE source = 'csc')
UNION ALL
SELECT e.referral_date, 'service', e.intervention_id || '|' || coalesce(e.end_reason, '')
FROM service_episodes e
WHERE 'service:' || e.site_id || '|' || e.person_id IN (
  SELECT source || '|' || person_id FROM child)
"""


def _describe(kind: str, detail: str) -> str:
    if kind == "notification":
        incident, _, risk = detail.partition("|")
        words = "a domestic abuse" if incident == "domestic_abuse" else "a police"
        return f"Police notification: {words} incident" + (f", {risk} risk" if risk else "")
    if kind == "referral":
        return "Referral to children's social care" + (
            f": {DECISIONS.get(detail, detail)}" if detail else "")  # fmt: skip
    if kind == "assessment":
        return "Social work assessment"
    if kind == "plan":
        return f"Plan started: {PLANS.get(detail, detail)}"
    service, _, end = detail.partition("|")
    return f"Referred to a service ({service})" + (f"; {ENDS.get(end, end)}" if end else "")


def case_journeys(workspace: Workspace, count: int, seed: int = 0) -> list[Journey]:
    """``count`` children with a domestic abuse notification and a CSC record, chosen by a
    seeded hash of their person key, with their generalised journeys."""
    with workspace.open().connect(read_only=True) as con:
        keys = _chosen(con, count, seed)
        journeys = []
        for index, (key, birth) in enumerate(keys):
            rows = con.execute(EVENTS_SQL, {"key": key}).fetchall()
            rows = sorted((day, kind, detail) for day, kind, detail in rows if day is not None)
            if not rows:
                continue
            first = rows[0][0]
            events = tuple(
                Event(months_between(first, day), _describe(kind, detail))
                for day, kind, detail in rows
            )
            journeys.append(Journey(f"Child {chr(65 + index)}", _age_band(birth, first), events))
    return journeys


def _chosen(con: duckdb.DuckDBPyConnection, count: int, seed: int) -> list[tuple[str, date]]:
    return con.execute(
        """
        SELECT k.person_key, min(p.birth_month)
        FROM notification_children c
        JOIN person_keys k ON k.source = 'police' AND k.person_id = c.child_id
        JOIN person_keys csc ON csc.person_key = k.person_key AND csc.source = 'csc'
        LEFT JOIN people p ON p.source = k.source AND p.person_id = k.person_id
        GROUP BY 1
        ORDER BY hash(k.person_key || CAST($seed AS VARCHAR)), 1
        LIMIT $count
        """,
        {"seed": seed, "count": count},
    ).fetchall()
