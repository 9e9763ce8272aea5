"""A theory of change as a typed graph: what an intervention does and how that is meant to help.

.. code-block:: yaml

    theory_of_change:
      nodes:
        - {id: need, type: need, text: Children living with domestic abuse lack support}
        - {id: sessions, type: activity, text: Weekly sessions for each parent}
        - {id: insight, type: mechanism, text: Parents understand the harm to the child}
        - {id: calmer, type: short_term_outcome, text: Less parental anxiety, outcome: fbs-anxiety}
      links:
        - {from: sessions, to: insight, plausibility: medium, evidence: [howarth2016]}
        - {from: insight, to: calmer, plausibility: low, rationale: Untested in this population}

The node types follow the topics of the feasibility study's theory of change workshops (need,
population, outcomes, activities and mechanisms, unintended consequences, barriers and enablers,
context, sustainability) and the logic-model chain (inputs → activities → outputs → short-,
medium- and long-term outcomes; W.K. Kellogg Foundation, Logic Model Development Guide, 2004).
Links carry how plausible the evaluators judge them and the desk-research references behind them.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

NodeType = Literal[
    "need", "population", "input", "activity", "mechanism", "output", "short_term_outcome",
    "medium_term_outcome", "long_term_outcome", "assumption", "unintended_consequence", "barrier",
    "enabler", "context", "sustainability",
]  # fmt: skip

CHAIN: tuple[NodeType, ...] = (
    "input",
    "activity",
    "mechanism",
    "output",
    "short_term_outcome",
    "medium_term_outcome",
    "long_term_outcome",
)
"""The causal chain, left to right, as drawn."""

OUTCOME_TYPES: tuple[NodeType, ...] = (
    "short_term_outcome",
    "medium_term_outcome",
    "long_term_outcome",
)

SETTING: tuple[NodeType, ...] = ("need", "population")
"""Drawn above the chain: why the intervention exists and whom it is for."""

SURROUNDINGS: tuple[NodeType, ...] = (
    "assumption",
    "unintended_consequence",
    "barrier",
    "enabler",
    "context",
    "sustainability",
)
"""Drawn below the chain: what the chain rests on and what may get in its way."""

Plausibility = Literal["high", "medium", "low", "unknown"]

LABELS: dict[str, str] = {
    "need": "Need",
    "population": "Population",
    "input": "Inputs",
    "activity": "Activities",
    "mechanism": "Mechanisms",
    "output": "Outputs",
    "short_term_outcome": "Short-term outcomes",
    "medium_term_outcome": "Medium-term outcomes",
    "long_term_outcome": "Long-term outcomes",
    "assumption": "Assumptions",
    "unintended_consequence": "Unintended consequences",
    "barrier": "Barriers",
    "enabler": "Enablers",
    "context": "Context",
    "sustainability": "Sustainability",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, use_attribute_docstrings=True)


class Node(_Strict):
    """One box of the theory of change."""

    id: str = Field(min_length=1)
    """A short name the links use."""
    type: NodeType
    """need, population, input, activity, mechanism, output, short_term_outcome,
    medium_term_outcome, long_term_outcome, assumption, unintended_consequence, barrier, enabler,
    context or sustainability."""
    text: str = Field(min_length=1)
    """What the box says."""
    outcome: list[str] = Field(default_factory=list)
    """For an outcome node: the id of the study outcome (``outcomes:``) that measures it, or a
    list of them."""

    @field_validator("outcome", mode="before")
    @classmethod
    def _listed(cls, value: object) -> object:
        return [value] if isinstance(value, str) else [] if value is None else value


class Link(_Strict):
    """An arrow: ``source`` is meant to lead to ``target``."""

    source: str = Field(alias="from", min_length=1)
    """The id of the node the arrow starts from."""
    target: str = Field(alias="to", min_length=1)
    """The id of the node it leads to."""
    plausibility: Plausibility = "unknown"
    """How plausible the evaluators judge the link: high, medium, low or unknown."""
    evidence: list[str] = Field(default_factory=list)
    """Ids of the study's ``references`` (desk research) that support the link."""
    rationale: str | None = None
    """Why A is meant to lead to B."""


class TheoryOfChange(_Strict):
    nodes: list[Node] = Field(default_factory=list)
    """The boxes."""
    links: list[Link] = Field(default_factory=list)
    """The arrows."""

    def node(self, node_id: str) -> Node | None:
        return next((n for n in self.nodes if n.id == node_id), None)

    def of_type(self, *types: str) -> list[Node]:
        return [n for n in self.nodes if n.type in types]


def reachable(start: Iterable[str], links: Iterable[tuple[str, str]]) -> set[str]:
    """Every node reachable from ``start`` along the links (``start`` included)."""
    after: dict[str, list[str]] = defaultdict(list)
    for source, target in links:
        after[source].append(target)
    seen = set(start)
    queue = deque(seen)
    while queue:
        for nxt in after[queue.popleft()]:
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def unreached_outcomes(toc: TheoryOfChange) -> list[Node]:
    """Outcome nodes no activity leads to, following the links through any node."""
    edges = [(link.source, link.target) for link in toc.links]
    from_activities = reachable((n.id for n in toc.of_type("activity")), edges)
    return [n for n in toc.of_type(*OUTCOME_TYPES) if n.id not in from_activities]


def dead_end_activities(toc: TheoryOfChange) -> list[Node]:
    """Activities from which no path of links reaches an outcome."""
    edges = [(link.source, link.target) for link in toc.links]
    outcomes = {n.id for n in toc.of_type(*OUTCOME_TYPES)}
    return [a for a in toc.of_type("activity") if not (reachable([a.id], edges) & outcomes)]
