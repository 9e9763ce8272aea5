"""Where the nodes and bands of a two-column Sankey (alluvial) diagram go: pure geometry.

Flows run from left nodes to right nodes. The two columns are separate even when names repeat
(``"high"`` at the first notification and ``"high"`` at the next are different nodes). Nodes keep
the order in which they first appear in the flows. Every band's thickness is its count times one
scale shared by the whole diagram, so thicknesses are proportional to counts; the scale is chosen
so the fuller column fills the height less the gaps between its nodes. A suppressed flow (count
``None``) has no thickness and adds nothing to its nodes' totals: it is drawn as a thin line
between the middles of its two nodes.

Coordinates are in units of the diagram height, measured down from the top (as a page reads).
"""

from __future__ import annotations

from dataclasses import dataclass

LEFT, RIGHT = 0, 1


@dataclass(frozen=True)
class SankeyNode:
    """A node: its column (0 left, 1 right), name, top edge, height and total of known flows."""

    column: int
    name: str
    top: float
    height: float
    total: int
    suppressed: int
    """How many of the node's flows are suppressed (its true total is at least ``total``)."""

    @property
    def middle(self) -> float:
        return self.top + self.height / 2


@dataclass(frozen=True)
class SankeyBand:
    """A flow: where its upper edge leaves the source node and reaches the target node."""

    source: str
    target: str
    count: int | None
    thickness: float
    source_top: float
    target_top: float


@dataclass(frozen=True)
class SankeyLayout:
    nodes: tuple[SankeyNode, ...]
    bands: tuple[SankeyBand, ...]
    scale: float
    """Height per count."""

    def node(self, column: int, name: str) -> SankeyNode:
        return next(n for n in self.nodes if n.column == column and n.name == name)


def _check(flows: list[tuple[str, str, int | None]]) -> None:
    seen: set[tuple[str, str]] = set()
    for source, target, count in flows:
        if (source, target) in seen:
            raise ValueError(f"flow {source!r} → {target!r} is given more than once")
        seen.add((source, target))
        if count is not None and count < 0:
            raise ValueError(f"flow {source!r} → {target!r} has a negative count ({count})")


def sankey_layout(
    flows: list[tuple[str, str, int | None]], height: float = 1.0, gap: float = 0.04
) -> SankeyLayout:
    """Place the nodes and bands of ``flows`` (source, target, count or ``None`` if suppressed)."""
    _check(flows)
    names: list[list[str]] = [[], []]
    totals: list[dict[str, int]] = [{}, {}]
    hidden: list[dict[str, int]] = [{}, {}]
    for source, target, count in flows:
        for column, name in ((LEFT, source), (RIGHT, target)):
            if name not in totals[column]:
                names[column].append(name)
                totals[column][name], hidden[column][name] = 0, 0
            if count is None:
                hidden[column][name] += 1
            else:
                totals[column][name] += count
    busiest = max((sum(t.values()) for t in totals), default=0)
    room = height - gap * max(max(len(n) for n in names) - 1, 0)
    scale = room / busiest if busiest else 0.0
    nodes: dict[tuple[int, str], SankeyNode] = {}
    for column in (LEFT, RIGHT):
        span = scale * sum(totals[column].values()) + gap * max(len(names[column]) - 1, 0)
        top = (height - span) / 2
        for name in names[column]:
            size = scale * totals[column][name]
            nodes[column, name] = SankeyNode(
                column, name, top, size, totals[column][name], hidden[column][name]
            )
            top += size + gap
    # Bands leave a source in the order of their targets and reach a target in the order of
    # their sources, so they do not cross within a node.
    rank = [{name: i for i, name in enumerate(column)} for column in names]
    out_top = {name: nodes[LEFT, name].top for name in names[LEFT]}
    in_top = {name: nodes[RIGHT, name].top for name in names[RIGHT]}
    starts: dict[tuple[str, str], float] = {}
    for source, target, count in sorted(flows, key=lambda f: (rank[0][f[0]], rank[1][f[1]])):
        if count is not None:
            starts[source, target] = out_top[source]
            out_top[source] += scale * count
    ends: dict[tuple[str, str], float] = {}
    for source, target, count in sorted(flows, key=lambda f: (rank[1][f[1]], rank[0][f[0]])):
        if count is not None:
            ends[source, target] = in_top[target]
            in_top[target] += scale * count
    bands = tuple(
        SankeyBand(
            source, target, None, 0.0, nodes[LEFT, source].middle, nodes[RIGHT, target].middle
        )  # fmt: skip
        if count is None
        else SankeyBand(
            source, target, count, scale * count, starts[source, target], ends[source, target]
        )
        for source, target, count in flows
    )
    return SankeyLayout(tuple(nodes.values()), bands, scale)
