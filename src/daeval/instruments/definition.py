"""What one outcome instrument is, as data: the schema of the files in ``definitions/``.

Every figure in a definition (an item count, a band's lower bound, a cut-off, a reliability, a
norm, a reliable-change threshold) carries ``source``, a key of the file's ``sources``, so that
each figure can be traced to its publication. Where the published facts are missing or conflict,
the file records the choice made and why (``choice``) instead of a source, and a study can
override it (``daeval.instruments.settings``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from daeval.model.codes import INSTRUMENT


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Cited(_Strict):
    """Where a figure comes from: a source key, or a recorded choice with its reason."""

    source: str | None = None
    choice: str | None = None

    @model_validator(mode="after")
    def _sourced(self) -> Self:
        if not self.source and not self.choice:
            raise ValueError("give the figure's source (a key of sources) or a choice and reason")
        return self


class LicenceStatus(StrEnum):
    PUBLIC_DOMAIN = "public_domain"
    FREE_NO_DERIVATIVES = "free_no_derivatives"
    FREE_WITH_REGISTRATION = "free_with_registration"
    OPEN_ACCESS_ARTICLE = "open_access_article"
    UNCLEAR = "unclear"
    PROPRIETARY = "proprietary"


class Licence(Cited):
    status: LicenceStatus
    statement: str
    copyright: str | None = None
    item_wording: bool = Field(
        False,
        description="Whether daeval may ship the items' wording (only when the licence allows).",
    )


class Items(Cited):
    count: Annotated[int, Field(ge=1)]
    wording: dict[int, str] = Field(default_factory=dict)
    timeframe: str | None = None


class Responses(Cited):
    """The answers an item may take, each with its label where the licence allows it."""

    values: dict[float, str | None]

    @property
    def low(self) -> float:
        return min(self.values)

    @property
    def high(self) -> float:
        return max(self.values)


class Rule(StrEnum):
    SUM = "sum"
    MEAN = "mean"
    MEAN_TIMES = "mean_times"
    CONVERSION = "conversion"
    COUNT = "count"
    NONE = "none"


class Scoring(Cited):
    """How answers become a score. ``sum``: the total of the (reverse-keyed) answers, prorated
    to all items when some are missing and the missing-item rule allows it; ``mean``: their mean;
    ``mean_times``: the mean times ``multiplier``; ``conversion``: the complete sum looked up in
    ``conversion``; ``count``: the number of items answered 1 (a missing answer is not a yes);
    ``none``: no total (the subscales, or the items, are the result)."""

    rule: Rule
    multiplier: float | None = None
    conversion: dict[int, float] | None = None
    subscale_rule: Rule | None = Field(None, description="For subscales, when it differs.")
    range: tuple[float, float] | None = None

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if (self.rule is Rule.MEAN_TIMES) != (self.multiplier is not None):
            raise ValueError("multiplier is given with rule mean_times, and only then")
        if (self.rule is Rule.CONVERSION) != (self.conversion is not None):
            raise ValueError("conversion is given with rule conversion, and only then")
        if self.subscale_rule in (Rule.CONVERSION, Rule.MEAN_TIMES):
            raise ValueError("subscale_rule may be sum, mean, count or none")
        return self


class MissingMethod(StrEnum):
    PRORATE = "prorate"
    NOT_ALLOWED = "not_allowed"
    COUNT_AS_NO = "count_as_no"


class Missing(Cited):
    """How many items may be unanswered before a score is invalid, for the total and for each
    subscale; up to that many, the score is prorated (``prorate``). ``count_as_no`` (a checklist):
    an unanswered item is simply not counted and the score is always valid."""

    method: MissingMethod
    max_missing: Annotated[int, Field(ge=0)] = 0
    subscale_max_missing: Annotated[int, Field(ge=0)] = 0

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.method is MissingMethod.NOT_ALLOWED and (
            self.max_missing or self.subscale_max_missing
        ):
            raise ValueError("method not_allowed takes max_missing 0")
        return self


class Band(_Strict):
    label: str
    lower: float = Field(description="The band starts at this score (inclusive).")


class Bands(Cited):
    levels: tuple[Band, ...]

    @model_validator(mode="after")
    def _ascending(self) -> Self:
        lowers = [b.lower for b in self.levels]
        if lowers != sorted(lowers) or len(set(lowers)) != len(lowers):
            raise ValueError("bands go from the lowest score up, each starting higher")
        return self


class Cutoff(Cited):
    """The clinical (or risk) threshold: a score at or past ``value`` in the instrument's
    direction is in the clinical range (``above_cutoff``)."""

    value: float
    meaning: str


class Reliability(Cited):
    value: Annotated[float, Field(gt=0, lt=1)]
    kind: Literal["alpha", "test_retest"]


class Norm(Cited):
    mean: float
    sd: Annotated[float, Field(gt=0)]
    n: int | None = None
    sample: str


class Norms(_Strict):
    clinical: Norm | None = None
    general: Norm | None = None


class ReliableChange(Cited):
    """The smallest change, in score points, that is reliable: published (``points``), or
    computed by Jacobson & Truax (1991) from the reliability and the clinical SD at
    ``confidence`` when ``points`` is not given."""

    points: Annotated[float, Field(gt=0)] | None = None
    confidence: Annotated[float, Field(gt=0, lt=1)] | None = None
    basis: str


class AlternativeRule(Cited):
    """Another published set of change thresholds, e.g. NHS Talking Therapies'."""

    name: str
    reliable_change: Annotated[float, Field(gt=0)]
    caseness: float


class ScoreOnly(Cited):
    """A licensed instrument: only the scores its licensed tool produced are stored, as items
    named ``total`` or a subscale, each within ``ranges``."""

    ranges: dict[str, tuple[float, float | None]]


class Choice(_Strict):
    topic: str
    decision: str
    reason: str


class Instrument(_Strict):
    """One instrument's definition (one YAML file)."""

    code: str
    name: str
    version: str
    respondents: str
    sources: dict[str, str]
    licence: Licence
    direction: Literal["higher_is_worse", "higher_is_better"]
    direction_cited: Cited
    items: Items | None = None
    responses: Responses | None = None
    reverse: tuple[int, ...] = ()
    reverse_cited: Cited | None = None
    subscales: dict[str, tuple[int, ...]] = Field(default_factory=dict)
    subscales_cited: Cited | None = None
    recorded: dict[str, tuple[float, ...]] = Field(
        default_factory=dict,
        description="Named answers kept beside the score but not scored (DASH's professional judgement).",
    )
    scoring: Scoring | None = None
    missing: Missing | None = None
    bands: Bands | None = None
    cutoff: Cutoff | None = None
    reliability: Reliability | None = None
    norms: Norms = Norms()
    reliable_change: ReliableChange | None = None
    alternative_rules: tuple[AlternativeRule, ...] = ()
    score_only: ScoreOnly | None = None
    choices: tuple[Choice, ...] = ()

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        problems = []
        if self.code not in INSTRUMENT.codes:
            problems.append(f"code {self.code!r} is not in the instrument registry")
        for where, key in self._citations():
            if key not in self.sources:
                problems.append(f"{where}: source {key!r} is not a key of sources")
        if self.score_only is None:
            problems += self._scored_problems()
        else:
            problems += self._score_only_problems()
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def cited_parts(self) -> list[tuple[str, str, Cited]]:
        """(key, what it is in plain words, its citation) of every cited part present."""
        parts: list[tuple[str, str, Cited | None]] = [
            ("licence", "licence", self.licence),
            ("direction_cited", "direction", self.direction_cited),
            ("items", "items", self.items),
            ("responses", "answers", self.responses),
            ("reverse_cited", "reverse-keyed items", self.reverse_cited),
            ("subscales_cited", "subscales", self.subscales_cited),
            ("scoring", "scoring", self.scoring),
            ("missing", "missing items", self.missing),
            ("bands", "bands", self.bands),
            ("cutoff", "cut-off", self.cutoff),
            ("reliability", "reliability", self.reliability),
            ("norms.clinical", "clinical norms", self.norms.clinical),
            ("norms.general", "general-population norms", self.norms.general),
            ("reliable_change", "reliable change", self.reliable_change),
            ("score_only", "scores", self.score_only),
        ]
        parts += [
            (f"alternative_rules.{r.name}", f"alternative rule {r.name}", r)
            for r in self.alternative_rules
        ]
        return [(key, label, c) for key, label, c in parts if c is not None]

    def _citations(self) -> list[tuple[str, str]]:
        return [(key, c.source) for key, _, c in self.cited_parts() if c.source]

    def _scored_problems(self) -> list[str]:
        if self.items is None or self.responses is None or self.scoring is None:
            return ["items, responses and scoring are required unless score_only is given"]
        if self.missing is None:
            return ["missing (the missing-item rule) is required"]
        problems = []
        numbers = set(range(1, self.items.count + 1))
        if self.items.wording and not self.licence.item_wording:
            problems.append("items.wording is given but the licence does not allow shipping it")
        if set(self.items.wording) - numbers:
            problems.append("items.wording names items the instrument does not have")
        if set(self.reverse) - numbers:
            problems.append("reverse names items the instrument does not have")
        if self.reverse and self.reverse_cited is None:
            problems.append("reverse needs reverse_cited")
        if self.subscales and self.subscales_cited is None:
            problems.append("subscales need subscales_cited")
        for name, members in self.subscales.items():
            if not members or set(members) - numbers:
                problems.append(f"subscale {name}: items must be items of the instrument")
        if self.scoring.rule is Rule.CONVERSION:
            assert self.scoring.conversion is not None
            low = int(self.responses.low) * self.items.count
            high = int(self.responses.high) * self.items.count
            if set(self.scoring.conversion) != set(range(low, high + 1)):
                problems.append(f"conversion must give every raw sum from {low} to {high}")
            if self.missing.method is MissingMethod.PRORATE:
                problems.append("a conversion table needs the complete sum: missing not_allowed")
        if self.scoring.rule is Rule.COUNT and self.missing.method is not MissingMethod.COUNT_AS_NO:
            problems.append("rule count goes with missing method count_as_no")
        if self.missing.max_missing >= self.items.count:
            problems.append("missing.max_missing must leave at least one item answered")
        if self.reliable_change is not None and self.reliable_change.points is None:
            if self.reliable_change.confidence is None:
                problems.append("reliable_change needs points, or confidence to compute them")
            if self.reliability is None or self.norms.clinical is None:
                problems.append(
                    "reliable_change without points needs reliability and norms.clinical"
                )
        return problems

    def _score_only_problems(self) -> list[str]:
        problems = []
        if self.licence.item_wording:
            problems.append("a score-only (licensed) instrument never ships wording")
        if self.items is not None or self.scoring is not None or self.bands is not None:
            problems.append("a score-only instrument has no items, scoring or bands")
        return problems

    # --- derived facts -----------------------------------------------------------------------

    @property
    def item_names(self) -> tuple[str, ...]:
        """The values the ``item`` column may take for this instrument."""
        if self.score_only is not None:
            return tuple(self.score_only.ranges)
        assert self.items is not None
        return (*(str(i) for i in range(1, self.items.count + 1)), *self.recorded)

    def item_labels(self) -> dict[int, str]:
        """What a form shows for each item: its wording where the licence lets daeval ship it
        (or a licensed user added it in the study's settings), else its number."""
        if self.items is None:
            return {}
        wording = self.items.wording if self.licence.item_wording else {}
        return {n: wording.get(n, f"Item {n}") for n in range(1, self.items.count + 1)}

    @property
    def higher_is_worse(self) -> bool:
        return self.direction == "higher_is_worse"
