"""What an auditor and a trial team look at: the balance of the arms, and verification of the
audit log against the sealed record, replaying every allocation from the seed and settings."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from daeval.design.allocation import (
    DEFAULT_TRIAL,
    GENESIS,
    Allocation,
    SealedTrial,
    Trial,
    open_trial,
    sequences_for,
    sha256_text,
)
from daeval.design.randomisation import (
    AllocationRefusedError,
    Minimiser,
    generator,
    levels_of,
    strata,
    stratum_label,
)
from daeval.warehouse import Workspace

# --- Balance ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BalanceRow:
    """Counts by arm in one group: a stratum (blocks) or a factor's level (minimisation)."""

    factor: str
    level: str
    counts: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True)
class Balance:
    """Arms by stratum or by factor level, with the total of each arm."""

    method: str
    arms: tuple[str, ...]
    rows: tuple[BalanceRow, ...]
    totals: tuple[int, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "arms": list(self.arms),
            "rows": [
                {
                    "factor": r.factor,
                    "level": r.level,
                    "counts": dict(zip(self.arms, r.counts, strict=True)),
                }
                for r in self.rows
            ],
            "totals": dict(zip(self.arms, self.totals, strict=True)),
        }


def balance_of(sealed: SealedTrial) -> Balance:
    """The allocations counted by arm: per stratum (every stratum, empty ones too) for blocks,
    per level of every factor for minimisation, and in all."""
    settings = sealed.settings
    arms = settings.arms

    def counted(chosen: list[Allocation]) -> tuple[int, ...]:
        return tuple(sum(1 for a in chosen if a.arm == arm) for arm in arms)

    if settings.method == "blocks":
        rows = [
            BalanceRow(
                "stratum", label, counted([a for a in sealed.allocations if a.stratum == label])
            )
            for label in (stratum_label(settings.factors, s) for s in strata(settings.factors))
        ]
    else:
        rows = [
            BalanceRow(
                factor.name,
                level,
                counted([a for a in sealed.allocations if a.values[factor.name] == level]),
            )
            for factor in settings.factors
            for level in factor.levels
        ]
    return Balance(settings.method, arms, tuple(rows), counted(sealed.allocations))


def balance(workspace: Workspace, project_key: bytes, *, trial: str = DEFAULT_TRIAL) -> Balance:
    """The trial's balance table, from its sealed record."""
    return balance_of(open_trial(Trial(workspace, trial), project_key))


# --- Verification -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Discrepancy:
    """The first place where the log and the replay disagree: the log line and what differs."""

    line: int
    what: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.what}" if self.line else self.what


@dataclass(frozen=True)
class VerifyReport:
    """What :func:`verify` found: lines checked, allocations sealed, and the first discrepancy."""

    lines: int
    allocations: int
    discrepancy: Discrepancy | None

    @property
    def ok(self) -> bool:
        return self.discrepancy is None


class _Replay:
    """Allocations replayed from the seed and settings, one logged participant after another."""

    def __init__(self, sealed: SealedTrial):
        self.settings = sealed.settings
        self.sealed = sealed
        self.used: dict[str, int] = {}
        self.minimiser = Minimiser(len(self.settings.arms), self.settings.factors, self.settings.p)
        self.rng = generator(sealed.seed)

    def next(self, values: Mapping[str, str]) -> tuple[str, str | None, int | None]:
        """The arm, stratum and slot the replay gives to the next participant with ``values``."""
        levels = levels_of(self.settings.factors, values)
        if self.settings.method == "minimisation":
            return self.settings.arms[self.minimiser.allocate(levels, self.rng)], None, None
        index = strata(self.settings.factors).index(levels)
        label = stratum_label(self.settings.factors, levels)
        slot = self.used.get(label, 0) + 1
        sequence = self.sealed.sequence(index)
        if slot > len(sequence):
            raise AllocationRefusedError(f"stratum {label} has no slot {slot}")
        self.used[label] = slot
        return self.settings.arms[sequence[slot - 1]], label, slot


def read_log(path: Path) -> list[str]:
    """The log's lines, without their newlines."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    lines = text.split("\n")
    return lines[:-1] if lines[-1] == "" else lines


def _check_line(
    number: int, line: str, previous: str, replay: _Replay, sealed: SealedTrial
) -> str | None:
    """What is wrong with log line ``number`` (from 1), or ``None``."""
    try:
        entry = json.loads(line)
        n, values, arm, prev = entry["n"], entry["values"], entry["arm"], entry["prev_sha256"]
    except (ValueError, KeyError, TypeError):
        return "not a log entry (not JSON, or a field missing)"
    if n != number:
        return (
            f"holds allocation {n} where allocation {number} belongs: a line before it was "
            "deleted or lines were reordered"
        )
    if prev != (sha256_text(previous) if number > 1 else GENESIS):
        return "its prev_sha256 is not the SHA-256 of the line before: a line was changed"
    if not isinstance(values, dict):
        return f"values {values} are not a mapping of factors to levels"
    try:
        expected, stratum, slot = replay.next(values)
    except AllocationRefusedError as exc:
        return f"values {values}: {exc}"
    if arm != expected:
        return f"the log says {arm}, but the replay from the seed gives {expected}"
    if (entry.get("stratum"), entry.get("slot")) != (stratum, slot):
        return f"the log says stratum {entry.get('stratum')} slot {entry.get('slot')}, the replay {stratum} slot {slot}"
    if number > len(sealed.allocations):
        return f"the sealed record holds {len(sealed.allocations)} allocations; this line is not one of them"
    recorded = sealed.allocations[number - 1]
    if sha256_text(line) != recorded.line_sha256:
        changed = [
            key for key, value in recorded.log_entry(prev).items() if entry.get(key) != value
        ]
        return f"differs from the sealed record ({', '.join(changed) or 'layout'} changed)"
    return None


def verify(workspace: Workspace, project_key: bytes, *, trial: str = DEFAULT_TRIAL) -> VerifyReport:
    """Check a trial for an auditor: the block sequences are the ones the seed gives; every log
    line, in order, has the right number, chains to the line before by SHA-256, carries the arm
    (and stratum and slot) that replaying from the seed and settings gives, and matches the
    sealed record; and the log holds every sealed allocation. Reports the first discrepancy."""
    place = Trial(workspace, trial)
    sealed = open_trial(place, project_key)
    lines = read_log(place.log_path)
    if sealed.sequences != sequences_for(sealed.settings, sealed.seed):
        return VerifyReport(
            len(lines),
            len(sealed.allocations),
            Discrepancy(0, "the sealed block sequences are not the ones the seed gives"),
        )
    replay = _Replay(sealed)
    previous = ""
    for number, line in enumerate(lines, start=1):
        problem = _check_line(number, line, previous, replay, sealed)
        if problem:
            return VerifyReport(len(lines), len(sealed.allocations), Discrepancy(number, problem))
        previous = line
    if len(lines) < len(sealed.allocations):
        missing = sealed.allocations[len(lines)]
        return VerifyReport(
            len(lines),
            len(sealed.allocations),
            Discrepancy(
                len(lines) + 1,
                f"missing: the log ends after {len(lines)} lines but {len(sealed.allocations)} "
                f"allocations were made (allocation {missing.n}, participant "
                f"{missing.participant}, is not in the log)",
            ),
        )
    return VerifyReport(len(lines), len(sealed.allocations), None)


def replayed_arms(sealed: SealedTrial, values: Sequence[Mapping[str, str]]) -> list[str]:
    """The arms that replaying from the seed and settings gives to participants with ``values``,
    allocated in that order."""
    replay = _Replay(sealed)
    return [replay.next(v)[0] for v in values]
