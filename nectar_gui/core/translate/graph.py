"""A generator as a graph of local operations and instance norms, for streaming.

Streaming a network over an image in tiles needs two facts about each layer that a
``nn.Module`` does not expose: which input rows and columns an output region depends on,
and how to compute that region from exactly those inputs, padding only where the whole
image would be padded. :func:`trace_graph` turns a generator into a list of such
operations with ``torch.fx`` (so any depth of ResNet or U-Net, and any network built from
the same layers, is covered); anything else raises :class:`NotStreamable` and the caller
falls back to independent tiles.

Every operation's input is handed over zero-filled outside the map: a convolution then
runs without padding and gets the zeros the whole image's padding would give, a
transposed convolution's missing inputs contribute nothing, as in the whole image, and a
reflection pad only ever asks for rows inside the map.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, fx, nn

Span = tuple[int, int]
"""[start, end) along one axis."""
Region = tuple[int, int, int, int]
"""(y0, y1, x0, x1), half-open, in a node's own pixel coordinates."""
Shape = tuple[int, int, int]
"""(channels, height, width) of a node's whole map."""


class NotStreamable(Exception):
    """The network holds a layer the streaming engine cannot reproduce exactly."""


class Op:
    """One operation: its output size, the input span an output span needs, the math."""

    convs = 0  # 1 for layers with weights over a neighbourhood (cost of recomputing)

    def out_shape(self, shapes: list[Shape]) -> Shape:
        """Whole-map shape of the output, from the inputs' shapes."""
        return shapes[0]

    def span(self, axis: int, a: int, b: int, n_in: int) -> Span:
        """Input span (may reach outside [0, n_in)) that output span [a, b) needs."""
        return a, b

    def compute(self, xs: list[Tensor], region: Region, in_hw: tuple[int, int]) -> Tensor:
        """The output over ``region``; ``xs`` cover the spans :meth:`span` asked for."""
        raise NotImplementedError

    def extent(self, axis: int, a: int, b: int, n_in: int) -> int:
        """Length along ``axis`` of the tensor :meth:`compute` allocates for [a, b)."""
        return b - a


class Source(Op):
    """The padded input image (read by the engine, never computed)."""


@dataclass(eq=False)
class Pointwise(Op):
    """Per-pixel function: activations, dropout in eval mode, batch norm in eval mode."""

    fn: Callable[[Tensor], Tensor]

    def compute(self, xs: list[Tensor], region: Region, in_hw: tuple[int, int]) -> Tensor:
        return self.fn(xs[0])


@dataclass(eq=False)
class Norm(Op):
    """Affine-free instance norm with whole-image statistics set by the engine."""

    eps: float
    mean: Tensor | None = None  # (1, C, 1, 1)
    inv_std: Tensor | None = None  # (1, C, 1, 1)

    def compute(self, xs: list[Tensor], region: Region, in_hw: tuple[int, int]) -> Tensor:
        if self.mean is None or self.inv_std is None:
            raise RuntimeError("instance-norm statistics used before they were measured")
        return torch.addcmul(-self.mean * self.inv_std, xs[0], self.inv_std)  # (1, C, h, w)


class Add(Op):
    """A residual connection."""

    def compute(self, xs: list[Tensor], region: Region, in_hw: tuple[int, int]) -> Tensor:
        return xs[0] + xs[1]


class Cat(Op):
    """Channel concatenation (U-Net skips)."""

    def out_shape(self, shapes: list[Shape]) -> Shape:
        return sum(s[0] for s in shapes), shapes[0][1], shapes[0][2]

    def compute(self, xs: list[Tensor], region: Region, in_hw: tuple[int, int]) -> Tensor:
        return torch.cat(xs, dim=1)


@dataclass(eq=False)
class Conv(Op):
    """``nn.Conv2d`` with zero padding, run unpadded on zero-filled input."""

    module: nn.Conv2d
    convs: int = 1

    def _geometry(self, axis: int) -> tuple[int, int, int, int]:
        m = self.module
        padding = m.padding
        assert not isinstance(padding, str)  # checked in trace_graph
        return m.kernel_size[axis], m.stride[axis], padding[axis], m.dilation[axis]

    def out_shape(self, shapes: list[Shape]) -> Shape:
        sides = []
        for axis in (0, 1):
            k, s, p, d = self._geometry(axis)
            sides.append((shapes[0][axis + 1] + 2 * p - d * (k - 1) - 1) // s + 1)
        return self.module.out_channels, sides[0], sides[1]

    def span(self, axis: int, a: int, b: int, n_in: int) -> Span:
        k, s, p, d = self._geometry(axis)
        return a * s - p, (b - 1) * s - p + d * (k - 1) + 1

    def compute(self, xs: list[Tensor], region: Region, in_hw: tuple[int, int]) -> Tensor:
        m = self.module
        return F.conv2d(xs[0], m.weight, m.bias, stride=m.stride, dilation=m.dilation,
                        groups=m.groups)


@dataclass(eq=False)
class ConvTranspose(Op):
    """``nn.ConvTranspose2d``, run unpadded on the inputs that reach the region, cropped."""

    module: nn.ConvTranspose2d
    convs: int = 1

    def _geometry(self, axis: int) -> tuple[int, int, int, int, int]:
        m = self.module
        return (m.kernel_size[axis], m.stride[axis], int(m.padding[axis]), m.dilation[axis],
                m.output_padding[axis])

    def out_shape(self, shapes: list[Shape]) -> Shape:
        sides = []
        for axis in (0, 1):
            k, s, p, d, extra = self._geometry(axis)
            sides.append((shapes[0][axis + 1] - 1) * s - 2 * p + d * (k - 1) + extra + 1)
        return self.module.out_channels, sides[0], sides[1]

    def span(self, axis: int, a: int, b: int, n_in: int) -> Span:
        k, s, p, d, _ = self._geometry(axis)
        # Input x reaches outputs x·s − p … x·s − p + d(k − 1).
        return math.ceil((a + p - d * (k - 1)) / s), (b - 1 + p) // s + 1

    def extent(self, axis: int, a: int, b: int, n_in: int) -> int:
        k, s, _, d, _ = self._geometry(axis)
        lo, hi = self.span(axis, a, b, n_in)
        return (hi - lo - 1) * s + d * (k - 1) + 1  # before the crop to [a, b)

    def compute(self, xs: list[Tensor], region: Region, in_hw: tuple[int, int]) -> Tensor:
        m = self.module
        y = F.conv_transpose2d(xs[0], m.weight, m.bias, stride=m.stride, groups=m.groups,
                               dilation=m.dilation)  # (1, C, h', w'): first at lo·s − p
        starts = []
        for axis in (0, 1):
            a = region[2 * axis]
            lo = self.span(axis, a, region[2 * axis + 1], in_hw[axis])[0]
            starts.append(a - (lo * self.module.stride[axis] - self._geometry(axis)[2]))
        h, w = region[1] - region[0], region[3] - region[2]
        return y[:, :, starts[0]: starts[0] + h, starts[1]: starts[1] + w]


@dataclass(eq=False)
class ReflectPad(Op):
    """``nn.ReflectionPad2d``: mirrored indices, always inside the input map."""

    before: tuple[int, int]  # top, left
    after: tuple[int, int]  # bottom, right

    def out_shape(self, shapes: list[Shape]) -> Shape:
        c, h, w = shapes[0]
        return c, h + self.before[0] + self.after[0], w + self.before[1] + self.after[1]

    def _reflect(self, i: int, n_in: int) -> int:
        i = -i if i < 0 else i
        return 2 * (n_in - 1) - i if i >= n_in else i

    def span(self, axis: int, a: int, b: int, n_in: int) -> Span:
        # Mirrored indices are piecewise linear in the output index: their extremes lie
        # at the ends of the span or at the mirrors' axes (0 and n_in - 1).
        first, last = a - self.before[axis], b - 1 - self.before[axis]
        points = [first, last] + [k for k in (0, n_in - 1) if first <= k <= last]
        found = [self._reflect(k, n_in) for k in points]
        return min(found), max(found) + 1

    def compute(self, xs: list[Tensor], region: Region, in_hw: tuple[int, int]) -> Tensor:
        x = xs[0]
        for axis in (0, 1):
            x = self._axis(x, axis, region[2 * axis], region[2 * axis + 1], in_hw[axis])
        return x

    def _axis(self, x: Tensor, axis: int, a: int, b: int, n: int) -> Tensor:
        """Output rows [a, b) along ``axis`` from ``x``, which holds the rows :meth:`span`
        asked for.

        Fastest first: no mirrored row (a slice); ``x`` is exactly the rows taken as they
        are and holds every mirrored row's source (PyTorch's own reflection, about the
        map's edge rows); anything else, such as a strip thinner than the padding, gathers
        the mirrored indices one by one.
        """
        lo = self.span(axis, a, b, n)[0]
        first, last = a - self.before[axis], b - 1 - self.before[axis]
        low, high = max(0, -first), max(0, last - (n - 1))  # mirrored rows before, after
        direct = min(last, n - 1) + 1 - max(first, 0)  # rows taken as they are
        dim = axis + 2
        if low == high == 0:
            return x.narrow(dim, first - lo, direct)
        if x.shape[dim] == direct and max(low, high) < direct:
            pads = [0, 0, 0, 0]
            pads[2 - 2 * axis: 4 - 2 * axis] = [low, high]
            return F.pad(x, tuple(pads), mode="reflect")
        idx = torch.tensor([self._reflect(k, n) - lo for k in range(first, last + 1)])
        return x.index_select(dim, idx.to(x.device))


@dataclass(eq=False)
class Node:
    """One operation of the graph and the indices of its inputs (earlier nodes)."""

    index: int
    op: Op
    inputs: tuple[int, ...]
    consumers: list[int] = field(default_factory=list)


@dataclass(eq=False)
class Graph:
    """Nodes in topological order; node 0 is the image, ``output`` the generator's result."""

    nodes: list[Node]
    output: int

    def shapes(self, source: Shape) -> list[Shape]:
        """Every node's whole-map shape for an input of shape ``source``."""
        found: list[Shape] = []
        for node in self.nodes:
            found.append(source if isinstance(node.op, Source) else
                         node.op.out_shape([found[i] for i in node.inputs]))
        return found

    def norms(self) -> list[Node]:
        """The instance-norm nodes, in order."""
        return [n for n in self.nodes if isinstance(n.op, Norm)]


_LEAVES = (nn.Conv2d, nn.ConvTranspose2d, nn.ReflectionPad2d, nn.InstanceNorm2d,
           nn.BatchNorm2d, nn.ReLU, nn.LeakyReLU, nn.Tanh, nn.Sigmoid, nn.Dropout,
           nn.Identity)


class _Tracer(fx.Tracer):
    """Keeps our layers (and their faster subclasses in ``fast_ops``) as leaves."""

    def is_leaf_module(self, m: nn.Module, module_qualified_name: str) -> bool:
        return isinstance(m, _LEAVES) or super().is_leaf_module(m, module_qualified_name)


def trace_graph(net: nn.Module) -> Graph:
    """The generator as a :class:`Graph` (eval-mode semantics: dropout is the identity).

    Raises:
        NotStreamable: a layer or function the engine does not know.
    """
    try:
        traced = _Tracer().trace(net)
    except Exception as exc:  # fx raises many types on dynamic control flow
        raise NotStreamable(f"the network cannot be traced ({exc})") from None
    modules = dict(net.named_modules())
    nodes: list[Node] = []
    index: dict[fx.Node, int] = {}
    output = -1
    for fx_node in traced.nodes:
        if fx_node.op == "output":
            output = index[fx_node.args[0]]  # type: ignore[index]
            continue
        op, inputs = _convert(fx_node, modules)
        node = Node(len(nodes), op, tuple(index[i] for i in inputs))
        for i in node.inputs:
            nodes[i].consumers.append(node.index)
        index[fx_node] = node.index
        nodes.append(node)
    if not nodes or not isinstance(nodes[0].op, Source) or output < 0:
        raise NotStreamable("the network does not take exactly one image")
    return Graph(nodes, output)


def _convert(n: fx.Node, modules: dict[str, nn.Module]) -> tuple[Op, list[fx.Node]]:
    if n.op == "placeholder":
        return Source(), []
    if n.op == "call_module":
        return _module_op(modules[str(n.target)]), [_arg(n, 0)]
    if n.op == "call_function":
        return _function_op(n)
    raise NotStreamable(f"unsupported operation {n.op} {n.target}")


def _arg(n: fx.Node, i: int) -> fx.Node:
    value = n.args[i]
    if not isinstance(value, fx.Node):
        raise NotStreamable(f"{n.target}: argument {i} is not a tensor")
    return value


def _module_op(m: nn.Module) -> Op:
    if isinstance(m, nn.Conv2d):
        if isinstance(m.padding, str) or m.padding_mode != "zeros":
            raise NotStreamable(f"convolution with padding {m.padding!r}/{m.padding_mode}")
        return Conv(m)
    if isinstance(m, nn.ConvTranspose2d):
        if any(k < s for k, s in zip(m.kernel_size, m.stride, strict=True)):
            raise NotStreamable("transposed convolution with a kernel smaller than its stride")
        return ConvTranspose(m)
    if isinstance(m, nn.ReflectionPad2d):
        left, right, top, bottom = m.padding
        return ReflectPad((top, left), (bottom, right))
    if isinstance(m, nn.InstanceNorm2d):
        if m.affine or m.track_running_stats:
            raise NotStreamable("instance norm with affine parameters or running statistics")
        return Norm(m.eps)
    if isinstance(m, nn.BatchNorm2d):
        return Pointwise(_eval_batch_norm(m))
    if isinstance(m, nn.ReLU):
        return Pointwise(torch.relu)
    if isinstance(m, nn.LeakyReLU):
        slope = m.negative_slope
        return Pointwise(lambda x: F.leaky_relu(x, slope))
    if isinstance(m, nn.Tanh):
        return Pointwise(torch.tanh)
    if isinstance(m, nn.Sigmoid):
        return Pointwise(torch.sigmoid)
    if isinstance(m, nn.Dropout | nn.Identity):
        return Pointwise(lambda x: x)
    raise NotStreamable(f"unsupported layer {type(m).__name__}")


def _eval_batch_norm(m: nn.BatchNorm2d) -> Callable[[Tensor], Tensor]:
    def run(x: Tensor) -> Tensor:
        return F.batch_norm(x, m.running_mean, m.running_var, m.weight, m.bias,
                            training=False, eps=m.eps)
    return run


def _function_op(n: fx.Node) -> tuple[Op, list[fx.Node]]:
    if n.target in (operator.add, torch.add):
        return Add(), [_arg(n, 0), _arg(n, 1)]
    if n.target is torch.cat:
        parts = n.args[0]
        dim = n.kwargs.get("dim", n.args[1] if len(n.args) > 1 else 0)
        if dim != 1 or not isinstance(parts, list | tuple) or len(parts) == 0 or not all(
                isinstance(p, fx.Node) for p in parts):
            raise NotStreamable("concatenation other than along channels")
        return Cat(), [p for p in parts if isinstance(p, fx.Node)]
    if n.target is F.leaky_relu:
        slope = n.kwargs.get("negative_slope", n.args[1] if len(n.args) > 1 else 0.01)
        return Pointwise(lambda x: F.leaky_relu(x, float(slope))), [_arg(n, 0)]  # type: ignore[arg-type]
    if n.target in (F.relu, torch.relu):
        return Pointwise(torch.relu), [_arg(n, 0)]
    if n.target is torch.tanh:
        return Pointwise(torch.tanh), [_arg(n, 0)]
    raise NotStreamable(f"unsupported function {getattr(n.target, '__name__', n.target)}")
