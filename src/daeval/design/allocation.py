"""A trial's concealed allocation: the sealed settings and sequence, assignment, the audit log.

A trial lives in ``WS/randomisation/<trial>/``:

- ``sealed.json``: the settings (method, arms, ratio, factors, block sizes or p, capacity), the
  seed, the block sequences (blocks) and every allocation made so far, encrypted with AES-256-GCM
  under a key derived from the project key with HKDF-SHA256 (``info`` names the purpose and the
  trial); a fresh random 96-bit nonce is drawn at every write and stored beside the ciphertext.
  Only the format, its version and the trial's name are in clear, and they are authenticated as
  associated data. Without the project key nothing in it can be read, so the next allocation
  cannot be foreseen from the workspace (concealment: Schulz KF, Grimes DA (2002). Allocation
  concealment in randomised trials: defending against deciphering. Lancet 359:614–618).
- ``audit.jsonl``: one line per allocation, appended and never rewritten: the allocation number
  ``n``, the time (UTC), who allocated, the participant, their values, the stratum and slot
  (blocks), the arm, and ``prev_sha256``, the SHA-256 of the previous line (64 zeros for the
  first), so an edited or deleted line breaks the chain. The sealed file holds each line's
  SHA-256 too, so even a chain rewritten from the edit onwards is caught. The log holds only
  allocations already revealed.

The sealed file is the record the next allocation is made from; the log is what an auditor
checks against it: ``daeval.design.allocation_review.verify`` replays every allocation from
the seed and settings.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from daeval.design.randomisation import (
    DEFAULT_P,
    AllocationRefusedError,
    Factor,
    Minimiser,
    RandomisationSettingsError,
    check_block_sizes,
    check_factors,
    check_ratio,
    generator,
    levels_of,
    strata,
    stratified_blocks,
    stratum_label,
)
from daeval.design.sealing import seal, unseal, write_atomically
from daeval.errors import AuditFailedError
from daeval.warehouse import Workspace

__all__ = [
    "AllocationRefusedError",
    "AuditFailedError",
    "Allocation",
    "SealedTrial",
    "TrialSettings",
    "Trial",
    "assign",
    "setup_trial",
]

METHODS = ("blocks", "minimisation")
DEFAULT_TRIAL = "main"
DEFAULT_CAPACITY = 1000
GENESIS = "0" * 64
"""The ``prev_sha256`` of the first line of a log."""

TRIAL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


@dataclass(frozen=True)
class TrialSettings:
    """How a trial allocates; checked when made. ``factors`` are the stratifying factors (blocks;
    the strata are every combination of their levels) or the minimisation factors."""

    method: str
    arms: tuple[str, ...]
    ratio: tuple[int, ...]
    factors: tuple[Factor, ...] = ()
    block_sizes: tuple[int, ...] = ()
    p: float = DEFAULT_P
    capacity: int = DEFAULT_CAPACITY

    def __post_init__(self) -> None:
        check_arms(self.arms)
        check_ratio(self.arms, self.ratio)
        check_factors(self.factors)
        if self.method == "blocks":
            object.__setattr__(self, "block_sizes", check_block_sizes(self.block_sizes, self.ratio))
            if self.capacity < 1:
                raise RandomisationSettingsError("the capacity must be at least 1 per stratum")
        elif self.method == "minimisation":
            check_minimisation(self)
        else:
            raise RandomisationSettingsError(
                f"method {self.method!r}: choose {' or '.join(METHODS)}"
            )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TrialSettings:
        return cls(
            method=data["method"],
            arms=tuple(data["arms"]),
            ratio=tuple(data["ratio"]),
            factors=tuple(
                Factor(f["name"], tuple(f["levels"]), float(f["weight"])) for f in data["factors"]
            ),
            block_sizes=tuple(data["block_sizes"]),
            p=float(data["p"]),
            capacity=int(data["capacity"]),
        )


def check_arms(arms: Sequence[str]) -> None:
    """Refuse fewer than two arms, an empty arm name or a repeated one."""
    if len(arms) < 2 or any(not arm for arm in arms):
        raise RandomisationSettingsError("give at least two arms, e.g. intervention,control")
    if len(set(arms)) != len(arms):
        raise RandomisationSettingsError(f"an arm is named twice: {', '.join(arms)}")


def check_minimisation(settings: TrialSettings) -> None:
    """Minimisation here needs equal allocation, at least one factor and 1/arms ≤ p ≤ 1.

    With an unequal ratio, minimising the imbalance of counts scaled by the ratio lets the chance
    of each arm drift from the ratio from one allocation to the next, which needs a scheme of its
    own (see PMC5415754); below 1/arms the least-imbalanced arm would be less likely than any
    other."""
    if len(set(settings.ratio)) != 1:
        raise RandomisationSettingsError(
            "minimisation allocates the arms in equal proportions; for an unequal ratio use "
            "--method blocks"
        )
    if not settings.factors:
        raise RandomisationSettingsError("minimisation needs at least one --factor")
    low = 1 / len(settings.arms)
    if not low <= settings.p <= 1:
        raise RandomisationSettingsError(
            f"p = {settings.p}: the chance of the least-imbalanced arm must be between "
            f"{low:.2f} (no minimisation) and 1"
        )


@dataclass(frozen=True)
class Allocation:
    """One participant's allocation as the sealed file records it."""

    n: int
    participant: str
    values: dict[str, str]
    arm: str
    time: str
    by: str
    stratum: str | None = None
    slot: int | None = None
    line_sha256: str = ""

    @property
    def date(self) -> str:
        return self.time[:10]

    def log_entry(self, prev_sha256: str) -> dict[str, Any]:
        """The audit-log line for this allocation, before its hash is known."""
        entry: dict[str, Any] = {
            "n": self.n,
            "time": self.time,
            "by": self.by,
            "participant": self.participant,
            "values": self.values,
        }
        if self.stratum is not None:
            entry |= {"stratum": self.stratum, "slot": self.slot}
        return entry | {"arm": self.arm, "prev_sha256": prev_sha256}


@dataclass
class SealedTrial:
    """What the sealed file holds once opened with the project key."""

    settings: TrialSettings
    seed: int
    sequences: list[list[int]] = field(default_factory=list)
    allocations: list[Allocation] = field(default_factory=list)

    def sequence(self, stratum: int) -> list[int]:
        """A stratum's sequence of arm numbers."""
        return self.sequences[stratum]

    def last_sha256(self) -> str:
        return self.allocations[-1].line_sha256 if self.allocations else GENESIS

    def to_json(self) -> dict[str, Any]:
        return {
            "settings": self.settings.to_json(),
            "seed": self.seed,
            "sequences": self.sequences,
            "allocations": [asdict(a) for a in self.allocations],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SealedTrial:
        return cls(
            settings=TrialSettings.from_json(data["settings"]),
            seed=int(data["seed"]),
            sequences=data["sequences"],
            allocations=[Allocation(**a) for a in data["allocations"]],
        )


@dataclass(frozen=True)
class Trial:
    """The folder of one trial in a workspace: ``WS/randomisation/<name>/``."""

    workspace: Workspace
    name: str = DEFAULT_TRIAL

    def __post_init__(self) -> None:
        if not TRIAL_NAME.fullmatch(self.name):
            raise RandomisationSettingsError(
                f"trial name {self.name!r}: use letters, digits, '-', '_' or '.', at most 64"
            )

    @property
    def folder(self) -> Path:
        return self.workspace.root / "randomisation" / self.name

    @property
    def sealed_path(self) -> Path:
        return self.folder / "sealed.json"

    @property
    def log_path(self) -> Path:
        return self.folder / "audit.jsonl"

    def exists(self) -> bool:
        return self.sealed_path.exists() or self.log_path.exists()


def open_trial(trial: Trial, project_key: bytes) -> SealedTrial:
    """The trial's sealed record, opened with the project key."""
    require_trial(trial)
    content = trial.sealed_path.read_bytes()
    return SealedTrial.from_json(unseal(content, project_key, trial.name, trial.sealed_path))


def require_trial(trial: Trial) -> None:
    """Refuse a trial that has not been set up."""
    if not trial.sealed_path.exists():
        raise AllocationRefusedError(
            f"there is no trial {trial.name} in {trial.workspace.root}: set one up with "
            f"`daeval randomise setup --workspace {trial.workspace.root} --trial {trial.name} ...`"
        )


def _save(trial: Trial, sealed: SealedTrial, project_key: bytes) -> None:
    write_atomically(trial.sealed_path, seal(sealed.to_json(), project_key, trial.name))


@contextmanager
def _locked(trial: Trial) -> Iterator[None]:
    """Hold the trial's lock, so two allocations cannot take the same slot. Uses ``fcntl``
    where the system has it (released even if the process dies)."""
    trial.folder.mkdir(parents=True, exist_ok=True)
    with open(trial.folder / ".lock", "a") as handle:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - systems without fcntl
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --- Set-up and assignment --------------------------------------------------------------------


def setup_trial(
    workspace: Workspace,
    project_key: bytes,
    settings: TrialSettings,
    *,
    trial: str = DEFAULT_TRIAL,
    seed: int | None = None,
) -> SealedTrial:
    """Set up a trial once: draw a seed from ``secrets`` unless one is given, generate the block
    sequences (blocks), seal them with the settings, and start an empty audit log. A trial that
    exists already is refused, so a sequence is never drawn twice."""
    place = Trial(workspace, trial)
    if seed is None:
        seed = secrets.randbits(128)
    if seed < 0:
        raise RandomisationSettingsError("the seed must be a whole number ≥ 0")
    with _locked(place):
        if place.exists():
            raise AllocationRefusedError(
                f"trial {trial} already exists in {place.folder}; a trial is set up once "
                "(choose another name with --trial)"
            )
        sealed = SealedTrial(settings, seed, sequences_for(settings, seed))
        _save(place, sealed, project_key)
        place.log_path.touch()
    return sealed


def sequences_for(settings: TrialSettings, seed: int) -> list[list[int]]:
    """The sequence of arm numbers the seed gives each stratum (none for minimisation): its
    blocks one after another, cut at exactly the capacity, so the sealed file's size depends on
    the capacity alone and says nothing about the blocks (the last block may be cut short)."""
    if settings.method != "blocks":
        return []
    rng = generator(seed)
    blocks = stratified_blocks(
        settings.factors, settings.ratio, settings.block_sizes, settings.capacity, rng
    )
    return [[arm for block in stratum for arm in block][: settings.capacity] for stratum in blocks]


def now_utc() -> str:
    """The time now, in UTC, ISO 8601 to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def _already_randomised(sealed: SealedTrial, participant: str) -> Allocation | None:
    return next((a for a in sealed.allocations if a.participant == participant), None)


def _next_block_slot(sealed: SealedTrial, levels: tuple[str, ...]) -> tuple[str, int, str]:
    """The stratum's label, the next unused slot (from 1) and the arm in it."""
    settings = sealed.settings
    index = strata(settings.factors).index(levels)
    label = stratum_label(settings.factors, levels)
    used = sum(1 for a in sealed.allocations if a.stratum == label)
    sequence = sealed.sequence(index)
    if used >= len(sequence):
        raise AllocationRefusedError(
            f"stratum {label} has used all {len(sequence)} places of its sequence; no more "
            "participants can be allocated in it (set up a new trial with a larger --capacity)"
        )
    return label, used + 1, settings.arms[sequence[used]]


def _replayed_minimiser(sealed: SealedTrial) -> tuple[Minimiser, np.random.Generator]:
    """The minimiser and random stream as they stand after the sealed allocations, replayed
    from the seed; refuses to go on if a replayed arm differs from the recorded one."""
    settings = sealed.settings
    minimiser = Minimiser(len(settings.arms), settings.factors, settings.p)
    rng = generator(sealed.seed)
    for allocation in sealed.allocations:
        arm = minimiser.allocate(levels_of(settings.factors, allocation.values), rng)
        if settings.arms[arm] != allocation.arm:
            raise AuditFailedError(
                f"allocation {allocation.n} does not replay from the seed; run "
                "`daeval randomise verify` and stop allocating until it is explained"
            )
    return minimiser, rng


def assign(
    workspace: Workspace,
    project_key: bytes,
    participant: str,
    values: Mapping[str, str],
    by: str,
    *,
    trial: str = DEFAULT_TRIAL,
    time: str | None = None,
) -> Allocation:
    """Reveal and record one participant's arm: the next unused slot of their stratum's sequence
    (blocks) or the minimisation decision after all earlier ones, replayed from the seed.

    Refused: a participant already randomised (naming their arm and date; nobody is randomised
    twice), a factor or level the trial does not have, a stratum whose sequence is used up.
    The sealed record is written first, then the log line is appended."""
    place = Trial(workspace, trial)
    participant, by = participant.strip(), by.strip()
    if not participant or not by:
        raise AllocationRefusedError("give the participant's id and who is allocating (--by)")
    require_trial(place)
    with _locked(place):
        sealed = open_trial(place, project_key)
        earlier = _already_randomised(sealed, participant)
        if earlier is not None:
            raise AllocationRefusedError(
                f"participant {participant} was randomised on {earlier.date} to {earlier.arm} "
                f"(allocation {earlier.n}); a participant is randomised once only"
            )
        settings = sealed.settings
        levels = levels_of(settings.factors, values)
        stratum: str | None = None
        slot: int | None = None
        if settings.method == "blocks":
            stratum, slot, arm = _next_block_slot(sealed, levels)
        else:
            minimiser, rng = _replayed_minimiser(sealed)
            arm = settings.arms[minimiser.allocate(levels, rng)]
        allocation = Allocation(
            n=len(sealed.allocations) + 1,
            participant=participant,
            values={f.name: values[f.name] for f in settings.factors},
            arm=arm,
            time=time or now_utc(),
            by=by,
            stratum=stratum,
            slot=slot,
        )
        line = log_line(allocation, sealed.last_sha256())
        allocation = replace(allocation, line_sha256=sha256_text(line))
        sealed.allocations.append(allocation)
        _save(place, sealed, project_key)
        _append_line(place.log_path, line)
    return allocation


def log_line(allocation: Allocation, prev_sha256: str) -> str:
    """The allocation's audit-log line: compact JSON, keys in a fixed order, no newline."""
    return json.dumps(allocation.log_entry(prev_sha256), ensure_ascii=False, separators=(",", ":"))


def sha256_text(line: str) -> str:
    """The SHA-256, in hex, of a log line's UTF-8 bytes (without its newline)."""
    return hashlib.sha256(line.encode("utf-8")).hexdigest()


def _append_line(path: Path, line: str) -> None:
    with open(path, "a", encoding="utf-8", newline="\n") as handle:
        handle.write(line + "\n")
        handle.flush()
        os.fsync(handle.fileno())
