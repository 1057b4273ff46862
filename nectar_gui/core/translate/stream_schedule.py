"""The passes of a streamed translation: what each computes, keeps, reads and frees.

Instance norm makes every output pixel depend on every pixel of the image, but only
through each norm's per-channel mean and variance. So the network is run as a sequence
of passes over the image, one per instance-norm input (its statistics are summed over
the whole map, tile by tile) and one for the output; every pass computes its target
tile by tile, with the halo its layers need, from maps that are already complete.

Which maps are kept whole between passes (spilled) is a trade of disk and memory for
recomputation, decided by :func:`choose_spilled`: a map is kept when it is consumed by
later passes (a norm input, or a map with several consumers such as a residual stream or
a U-Net skip), lies at a quarter of the image's resolution or less, and would otherwise
be recomputed through a convolution or from several kept maps. So a ResNet keeps its
bottleneck maps (1.5 GB each for 24 megapixels at ngf 64, three at a time) and
recomputes its two full- and half-resolution layers at each end from the image and the
bottleneck, which costs about a tenth of a forward more instead of 6 GB files; a U-Net
keeps its encoder's normalised inputs for the decoder's skips.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

from nectar_gui.core.translate.graph import Graph, Region, Shape, Source

_MIN_STRIP = 16
_ITEM = 4  # float32


@dataclass(frozen=True)
class StreamPass:
    """One pass over the image.

    Attributes:
        target: the node computed tile by tile.
        nodes: nodes evaluated per tile, in order (leaves included).
        leaves: nodes read (the image or kept maps), not computed.
        keep: the target is kept whole for later passes.
        norms: instance norms whose statistics this pass measures (the target feeds them).
        frees: kept maps no later pass reads, dropped after this one.
    """

    target: int
    nodes: tuple[int, ...]
    leaves: frozenset[int]
    keep: bool
    norms: tuple[int, ...]
    frees: tuple[int, ...]


@dataclass(frozen=True)
class Schedule:
    """Every pass, the nodes' shapes and the most bytes the kept maps hold at once."""

    shapes: tuple[Shape, ...]
    passes: tuple[StreamPass, ...]
    peak_spill_bytes: int


def choose_spilled(graph: Graph, shapes: list[Shape]) -> set[int]:
    """The maps kept whole between passes (see the module docstring for the rule)."""
    norm_inputs = {n.inputs[0] for n in graph.norms()}
    kept: set[int] = set()
    convs: dict[int, int] = {}
    reads: dict[int, frozenset[int]] = {}
    for node in graph.nodes:
        i = node.index
        if isinstance(node.op, Source):
            convs[i], reads[i] = 0, frozenset({i})
            continue
        convs[i] = node.op.convs + max(convs[j] for j in node.inputs)
        reads[i] = frozenset().union(*(reads[j] for j in node.inputs))
        shared = i in norm_inputs or len(node.consumers) > 1
        small = shapes[i][1] * 4 <= shapes[0][1] and shapes[i][2] * 4 <= shapes[0][2]
        if shared and small and i != graph.output and (convs[i] or len(reads[i]) > 1):
            kept.add(i)
            convs[i], reads[i] = 0, frozenset({i})
    return kept


def build_schedule(graph: Graph, source: Shape) -> Schedule:
    """The passes that translate an image of shape ``source`` (C, H, W), in order."""
    shapes = graph.shapes(source)
    kept = choose_spilled(graph, shapes)
    norm_of: dict[int, list[int]] = {}
    for norm in graph.norms():
        norm_of.setdefault(norm.inputs[0], []).append(norm.index)
    targets = [n.index for n in graph.nodes
               if n.index in kept or n.index in norm_of or n.index == graph.output]
    written: set[int] = set()
    drafts = []
    for target in targets:
        nodes, leaves = _subgraph(graph, target, written)
        drafts.append((target, nodes, leaves))
        if target in kept:
            written.add(target)
    last_use = {target: k for k, (target, _, _) in enumerate(drafts)}
    last_use.update({leaf: k for k, (_, _, leaves) in enumerate(drafts) for leaf in leaves})
    passes, live, peak = [], 0, 0
    for k, (target, nodes, leaves) in enumerate(drafts):
        frees = tuple(sorted(m for m in kept if last_use[m] == k))
        if target in kept:
            live += math.prod(shapes[target]) * _ITEM
            peak = max(peak, live)
        live -= sum(math.prod(shapes[m]) for m in frees) * _ITEM
        passes.append(StreamPass(target, nodes, leaves, target in kept,
                                 tuple(norm_of.get(target, ())), frees))
    return Schedule(tuple(shapes), tuple(passes), peak)


def _subgraph(graph: Graph, target: int, written: set[int]
              ) -> tuple[tuple[int, ...], frozenset[int]]:
    """Nodes a pass evaluates to get ``target``: back to the image or complete kept maps."""
    seen, leaves, stack = {target}, set(), [target]
    while stack:
        node = graph.nodes[stack.pop()]
        if node.index != target and (node.index in written or isinstance(node.op, Source)):
            leaves.add(node.index)
            continue
        for j in node.inputs:
            if j not in seen:
                seen.add(j)
                stack.append(j)
    return tuple(sorted(seen)), frozenset(leaves)


def need_regions(graph: Graph, shapes: tuple[Shape, ...], p: StreamPass, core: Region
                 ) -> dict[int, Region]:
    """The region of every node of pass ``p`` that computing ``core`` of its target needs.

    Each is the bounding box of what its consumers in the pass ask for, clipped to the
    map (never empty: a span wholly outside the map keeps its nearest row or column).
    """
    need = {p.target: core}
    for i in reversed(p.nodes):
        if i in p.leaves:
            continue
        node, (y0, y1, x0, x1) = graph.nodes[i], need[i]
        for j in node.inputs:
            _, h, w = shapes[j]
            ys = _clip(node.op.span(0, y0, y1, h), h)
            xs = _clip(node.op.span(1, x0, x1, w), w)
            old = need.get(j)
            need[j] = (ys + xs) if old is None else (
                min(old[0], ys[0]), max(old[1], ys[1]), min(old[2], xs[0]), max(old[3], xs[1]))
    return need


def _clip(span: tuple[int, int], n: int) -> tuple[int, int]:
    lo = min(max(span[0], 0), n - 1)
    return lo, max(min(span[1], n), lo + 1)


def region_bytes(shape: Shape, region: Region) -> int:
    """float32 bytes of ``region`` of a map with ``shape``."""
    return shape[0] * (region[1] - region[0]) * (region[3] - region[2]) * _ITEM


def working_bytes(graph: Graph, shapes: tuple[Shape, ...], p: StreamPass, core: Region
                  ) -> int:
    """Most bytes of tensors held at once while computing ``core`` of pass ``p``.

    Counts what the engine holds (see ``streaming``): every node's output until its last
    consumer in the pass has run, a zero-filled copy of an input that reaches past the
    map, and a read's buffer before it becomes a tensor.
    """
    need = need_regions(graph, shapes, p, core)
    remaining = {i: 0 for i in p.nodes}
    for i in p.nodes:
        if i not in p.leaves:
            for j in graph.nodes[i].inputs:
                remaining[j] += 1
    size = {i: region_bytes(shapes[i], need[i]) if i in p.leaves else
            _output_bytes(graph, shapes, i, need[i]) for i in p.nodes}
    live = peak = 0
    for i in p.nodes:
        extra = size[i] if i in p.leaves else _padded_bytes(graph, shapes, i, need)
        peak = max(peak, live + size[i] + extra)
        live += size[i]
        if i not in p.leaves:
            for j in graph.nodes[i].inputs:
                remaining[j] -= 1
                if remaining[j] == 0:
                    live -= size[j]
    return peak


def _output_bytes(graph: Graph, shapes: tuple[Shape, ...], i: int, region: Region) -> int:
    """Bytes node ``i`` allocates to compute ``region`` (a cropped result keeps its base)."""
    node = graph.nodes[i]
    _, h, w = shapes[node.inputs[0]]
    rows = node.op.extent(0, region[0], region[1], h)
    cols = node.op.extent(1, region[2], region[3], w)
    return shapes[i][0] * rows * cols * _ITEM


def _padded_bytes(graph: Graph, shapes: tuple[Shape, ...], i: int,
                  need: dict[int, Region]) -> int:
    """Bytes of the zero-filled input copies node ``i`` needs near the map's edges."""
    node, (y0, y1, x0, x1) = graph.nodes[i], need[i]
    total = 0
    for j in node.inputs:
        c, h, w = shapes[j]
        ys, xs = node.op.span(0, y0, y1, h), node.op.span(1, x0, x1, w)
        if ys[0] < 0 or xs[0] < 0 or ys[1] > h or xs[1] > w:
            total += c * (ys[1] - ys[0]) * (xs[1] - xs[0]) * _ITEM
    return total


def layout_tiles(height: int, width: int, cost: Callable[[Region], int], budget: int,
                 side: int | None = None) -> tuple[Region, ...]:
    """Cut a height × width map into tiles whose working memory fits ``budget``.

    Full-width strips when a strip of at least a few rows fits (each spilled row is then
    one contiguous read), otherwise squares; ``side`` forces squares of that side.

    Raises:
        ValueError: not even a one-pixel tile fits the budget.
    """
    if side is not None:
        return _grid(height, width, side, side)
    rows = _largest(height, lambda h: cost(_middle(height, width, h, width)) <= budget)
    strips = _shrink(lambda h: _grid(height, width, h, width), rows, cost, budget)
    if strips and strips[0][1] - strips[0][0] >= min(height, _MIN_STRIP):
        return strips
    side = _largest(max(height, width), lambda s: cost(_middle(height, width, s, s)) <= budget)
    squares = _shrink(lambda s: _grid(height, width, s, s), side, cost, budget)
    if not squares:
        raise ValueError("not even a one-pixel tile fits the budget")
    return squares


def _shrink(grid: Callable[[int], tuple[Region, ...]], size: int,
            cost: Callable[[Region], int], budget: int) -> tuple[Region, ...]:
    """``grid(size)``, shrinking size until every tile fits: tiles at the image's edges
    hold zero-filled copies that a tile in the middle does not. Empty when none fits."""
    while size >= 1:
        tiles = grid(size)
        if all(cost(t) <= budget for t in tiles):
            return tiles
        size = min(size - 1, int(size * 0.9))
    return ()


def _largest(limit: int, fits: Callable[[int], bool]) -> int:
    """Largest n in [1, limit] with fits(n) (fits shrinks as n grows); 0 when none."""
    lo, hi = 0, limit
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo


def _middle(height: int, width: int, h: int, w: int) -> Region:
    """A tile of h × w in the middle of the map, where halos are widest."""
    h, w = min(h, height), min(w, width)
    y0, x0 = (height - h) // 2, (width - w) // 2
    return y0, y0 + h, x0, x0 + w


def _grid(height: int, width: int, tile_h: int, tile_w: int) -> tuple[Region, ...]:
    """Even tiles of at most tile_h × tile_w covering the map."""
    ys = _cuts(height, tile_h)
    xs = _cuts(width, tile_w)
    return tuple((y0, y1, x0, x1) for y0, y1 in ys for x0, x1 in xs)


def _cuts(length: int, most: int) -> list[tuple[int, int]]:
    count = -(-length // max(most, 1))
    edges = [round(k * length / count) for k in range(count + 1)]
    return list(itertools.pairwise(edges))
