"""Allocation algorithms: stratified permuted blocks of random sizes, and minimisation.

Pure functions over a seeded ``numpy.random.Generator`` (PCG64). Every random choice is made from
the generator's uniform doubles (``Generator.random``) by the rules written here, so replaying an
allocation from its seed depends on the PCG64 bit stream alone, not on how numpy draws choices or
permutations.

Arms are numbered 0, 1, … in the order the trial lists them; the allocation ratio gives each arm a
whole number of places (1:1, 2:1, …).

Permuted blocks (Schulz KF, Grimes DA (2002). Generation of allocation sequences in randomised
trials: chance, not choice. Lancet 359:515–519): each block holds every arm in the ratio, in a
random order, so the arms are exactly in ratio at the end of every block. Block sizes drawn at
random make the end of a block, and with it the last allocations of the block, hard to foresee.
Stratified: one list of blocks per stratum (a combination of levels of the stratifying factors),
as in R's ``blockrand`` and ``carat::StrPBR``.

Minimisation (Pocock SJ, Simon R (1975). Sequential treatment assignment with balancing for
prognostic factors in the controlled clinical trial. Biometrics 31:103–115), as in
``carat::PocSimMIN``: see :class:`Minimiser`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from daeval.errors import AllocationRefusedError, DaevalError

if TYPE_CHECKING:
    import numpy as np

BLOCK_MULTIPLES = (2, 3, 4)
"""Default block sizes, as multiples of the ratio's sum: 4, 6, 8 for 1:1; 6, 9, 12 for 2:1."""

DEFAULT_P = 0.8
"""Minimisation's default chance of the least-imbalanced arm (RobinCar's default; carat's is 0.85)."""


class RandomisationSettingsError(DaevalError):
    """Allocation settings that cannot give a sequence: arms, ratio, block sizes, factors or p."""


def generator(seed: int) -> np.random.Generator:
    """The random stream of a trial: PCG64 seeded with the trial's seed."""
    import numpy as np

    return np.random.Generator(np.random.PCG64(seed))


def uniform_index(rng: np.random.Generator, n: int) -> int:
    """An index from 0 to n − 1, each equally likely, from one uniform draw u: ⌊u n⌋.

    u takes 2⁵³ evenly spaced values, so for the few options of an allocation the indices differ
    in probability by less than n / 2⁵³."""
    return min(int(rng.random() * n), n - 1)


def weighted_index(rng: np.random.Generator, weights: Sequence[int]) -> int:
    """An index chosen with probability proportional to its weight, from one uniform draw."""
    target = rng.random() * sum(weights)
    for index, cumulative in enumerate(itertools.accumulate(weights)):
        if target < cumulative:
            return index
    return len(weights) - 1


def shuffled(items: Sequence[int], rng: np.random.Generator) -> list[int]:
    """``items`` in a random order, every order equally likely: the Fisher–Yates shuffle as
    Durstenfeld wrote it (Durstenfeld R (1964). Algorithm 235: random permutation. Communications
    of the ACM 7(7):420): for i from the last place down to the second, swap place i with a place
    chosen at random from the first i + 1."""
    order = list(items)
    for i in range(len(order) - 1, 0, -1):
        j = uniform_index(rng, i + 1)
        order[i], order[j] = order[j], order[i]
    return order


def check_ratio(arms: Sequence[str], ratio: Sequence[int]) -> None:
    """Refuse a ratio that does not give every arm a positive whole number of places."""
    if len(ratio) != len(arms):
        raise RandomisationSettingsError(
            f"the ratio {':'.join(map(str, ratio))} has {len(ratio)} parts but there are "
            f"{len(arms)} arms ({', '.join(arms)})"
        )
    if any(part < 1 for part in ratio):
        raise RandomisationSettingsError("every part of the ratio must be a whole number ≥ 1")


def default_block_sizes(ratio: Sequence[int]) -> tuple[int, ...]:
    """Two, three and four times the ratio's sum: 4, 6, 8 for 1:1."""
    return tuple(multiple * sum(ratio) for multiple in BLOCK_MULTIPLES)


def check_block_sizes(sizes: Sequence[int], ratio: Sequence[int]) -> tuple[int, ...]:
    """The distinct block sizes, ascending; each must be a positive multiple of the ratio's sum,
    since a block holds every arm in the ratio."""
    unit = sum(ratio)
    if not sizes:
        raise RandomisationSettingsError("give at least one block size")
    wrong = [size for size in sizes if size < 1 or size % unit]
    if wrong:
        raise RandomisationSettingsError(
            f"block sizes {', '.join(map(str, wrong))}: with the ratio "
            f"{':'.join(map(str, ratio))} a block size must be a multiple of {unit} "
            f"(e.g. {', '.join(map(str, default_block_sizes(ratio)))})"
        )
    return tuple(sorted(set(sizes)))


def permuted_block(ratio: Sequence[int], size: int, rng: np.random.Generator) -> list[int]:
    """One block of ``size`` places: arm a appears size × ratio[a] / sum(ratio) times, in a
    random order."""
    copies = size // sum(ratio)
    places = [arm for arm, part in enumerate(ratio) for _ in range(part * copies)]
    return shuffled(places, rng)


def block_sequence(
    ratio: Sequence[int], sizes: Sequence[int], capacity: int, rng: np.random.Generator
) -> list[list[int]]:
    """Whole blocks, each of a size drawn at random (equally likely) from ``sizes``, until they
    hold at least ``capacity`` places."""
    blocks: list[list[int]] = []
    places = 0
    while places < capacity:
        size = sizes[uniform_index(rng, len(sizes))]
        blocks.append(permuted_block(ratio, size, rng))
        places += size
    return blocks


@dataclass(frozen=True)
class Factor:
    """A stratifying or minimisation factor: its name, its levels, and (minimisation) its weight."""

    name: str
    levels: tuple[str, ...]
    weight: float = 1.0


def strata(factors: Sequence[Factor]) -> list[tuple[str, ...]]:
    """Every combination of the factors' levels, in the order the factors and levels are listed;
    one stratum, ``()``, when there are no factors."""
    return list(itertools.product(*(factor.levels for factor in factors)))


def stratum_label(factors: Sequence[Factor], stratum: Sequence[str]) -> str:
    """``site=fbs, sex=F``, or ``all`` for the single stratum of an unstratified trial."""
    if not factors:
        return "all"
    return ", ".join(f"{f.name}={level}" for f, level in zip(factors, stratum, strict=True))


def stratified_blocks(
    factors: Sequence[Factor],
    ratio: Sequence[int],
    sizes: Sequence[int],
    capacity: int,
    rng: np.random.Generator,
) -> list[list[list[int]]]:
    """A block sequence of at least ``capacity`` places for each stratum, in the order of
    :func:`strata`, drawn one stratum after another from the same stream."""
    return [block_sequence(ratio, sizes, capacity, rng) for _ in strata(factors)]


def level_imbalance(counts: Sequence[int]) -> int:
    """The imbalance at one factor level: the range of the arms' counts (max − min)."""
    return max(counts) - min(counts)


def nearly_equal(a: float, b: float) -> bool:
    """Equal but for floating-point rounding of weighted sums."""
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


class Minimiser:
    """Pocock–Simon minimisation with a biased coin, for arms allocated in equal proportions.

    For a new participant with levels k₁…k_I of the factors, the total imbalance of arm t is
    G(t) = Σᵢ wᵢ · range over arms of the counts at level kᵢ, counted as if the participant were
    already in arm t (the range is max − min, which for two arms is the difference). The arm with
    the least G is chosen with probability p (the biased coin), otherwise one of the other arms at
    random; when several arms share the least G, one of them at random. The first participant,
    for whom every arm gives the same G, is therefore allocated at random.

    Draws, in order, for each participant: one uniform draw among tied arms; or one draw for the
    coin and, when it falls against the preferred arm and there are three or more arms, one draw
    among the others. Replaying the same participants from the same seed gives the same arms.
    """

    def __init__(self, n_arms: int, factors: Sequence[Factor], p: float = DEFAULT_P):
        self.n_arms = n_arms
        self.factors = tuple(factors)
        self.p = p
        self.counts: list[dict[str, list[int]]] = [
            {level: [0] * n_arms for level in factor.levels} for factor in self.factors
        ]

    def counts_at(self, factor: int, level: str) -> tuple[int, ...]:
        """The arms' counts among participants at ``level`` of factor number ``factor``."""
        return tuple(self.counts[factor][level])

    def totals(self, levels: Sequence[str]) -> list[float]:
        """G(t) for every arm t: the weighted sum, over the participant's levels, of the range of
        the counts at that level with the participant added to arm t."""
        totals = []
        for arm in range(self.n_arms):
            total = 0.0
            for index, (factor, level) in enumerate(zip(self.factors, levels, strict=True)):
                counts = list(self.counts[index][level])
                counts[arm] += 1
                total += factor.weight * level_imbalance(counts)
            totals.append(total)
        return totals

    def choose(self, levels: Sequence[str], rng: np.random.Generator) -> int:
        """The arm for a participant with ``levels`` (in factor order), by the rule above."""
        totals = self.totals(levels)
        least = min(totals)
        preferred = [arm for arm, total in enumerate(totals) if nearly_equal(total, least)]
        if len(preferred) > 1:
            return preferred[uniform_index(rng, len(preferred))]
        if rng.random() < self.p:
            return preferred[0]
        others = [arm for arm in range(self.n_arms) if arm != preferred[0]]
        return others[0] if len(others) == 1 else others[uniform_index(rng, len(others))]

    def record(self, levels: Sequence[str], arm: int) -> None:
        """Count a participant with ``levels`` in ``arm``."""
        for index, level in enumerate(levels):
            self.counts[index][level][arm] += 1

    def allocate(self, levels: Sequence[str], rng: np.random.Generator) -> int:
        """Choose the arm for a participant and count them in it."""
        arm = self.choose(levels, rng)
        self.record(levels, arm)
        return arm


def check_factors(factors: Sequence[Factor]) -> None:
    """Refuse factors without a name or levels, repeated names or levels, or a weight ≤ 0."""
    names = [factor.name for factor in factors]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise RandomisationSettingsError(f"factor {repeated[0]} is given more than once")
    for factor in factors:
        if not factor.name or not factor.levels or any(not level for level in factor.levels):
            raise RandomisationSettingsError(
                f"factor {factor.name or '(no name)'}: give a name and levels, e.g. site=fbs,sat"
            )
        if len(set(factor.levels)) != len(factor.levels):
            raise RandomisationSettingsError(f"factor {factor.name}: a level is repeated")
        if not factor.weight > 0:
            raise RandomisationSettingsError(f"factor {factor.name}: the weight must be above 0")


def levels_of(factors: Sequence[Factor], values: Mapping[str, str]) -> tuple[str, ...]:
    """A participant's levels in factor order, from their values by factor name. A factor not in
    the trial, a factor left out, or a level that is not one of the factor's is refused, naming
    what is allowed."""
    names = [factor.name for factor in factors]
    unknown = sorted(set(values) - set(names))
    if unknown:
        allowed = ", ".join(names) if names else "none (the trial is not stratified)"
        raise AllocationRefusedError(
            f"{unknown[0]} is not a factor of this trial; factors: {allowed}"
        )
    levels = []
    for factor in factors:
        if factor.name not in values:
            raise AllocationRefusedError(
                f"no value for {factor.name}: give --value {factor.name}=LEVEL, one of "
                f"{', '.join(factor.levels)}"
            )
        if values[factor.name] not in factor.levels:
            raise AllocationRefusedError(
                f"{factor.name}={values[factor.name]} is not a level of {factor.name}; "
                f"allowed: {', '.join(factor.levels)}"
            )
        levels.append(values[factor.name])
    return tuple(levels)
