"""Derive a discriminator's receptive field from its actual layers.

Walking the real modules (instead of looking sizes up by ``n_layers``) keeps the overlay
honest for any depth or kernel, and fails loudly on layers whose geometry we cannot
reason about instead of drawing a wrong rectangle.
"""

from __future__ import annotations

from torch import nn

from nectar_gui.core.geometry import LayerGeometry, ReceptiveField

# Layers that act on each pixel independently (or only mix channels / statistics), so
# they leave the spatial geometry unchanged. Instance norm does mix all pixels through
# its statistics, but the field users care about is the convolutional one.
_POINTWISE = (
    nn.Identity,
    nn.ReLU,
    nn.LeakyReLU,
    nn.PReLU,
    nn.ELU,
    nn.GELU,
    nn.SiLU,
    nn.Sigmoid,
    nn.Tanh,
    nn.Dropout,
    nn.Dropout2d,
    nn.BatchNorm2d,
    nn.InstanceNorm2d,
    nn.GroupNorm,
    nn.LayerNorm,
)
_POOLS = (nn.MaxPool2d, nn.AvgPool2d)


def receptive_field(net: nn.Module) -> ReceptiveField:
    """Receptive field of one output cell of ``net``, computed from its conv and pool layers.

    ``nn.Sequential`` children run in registration order; any other module must wrap a
    single child (like ``PatchDiscriminator.model``), because with several children the
    forward order cannot be read off the module tree.

    Args:
        net: A discriminator (or any conv stack) built from square, zero-padded layers.

    Raises:
        ValueError: If a layer's geometry is unknown or not expressible as one square
            (kernel, stride, padding) triple.
    """
    return ReceptiveField.from_layers(_spatial_layers(net))


def _spatial_layers(module: nn.Module) -> list[LayerGeometry]:
    children = list(module.children())
    if isinstance(module, nn.Sequential) or len(children) == 1:
        return [layer for child in children for layer in _spatial_layers(child)]
    if isinstance(module, nn.Conv2d):
        return [_conv_geometry(module)]
    if isinstance(module, _POOLS):
        return [_pool_geometry(module)]
    if isinstance(module, _POINTWISE):
        return []
    raise ValueError(
        f"Cannot compute the receptive field through {type(module).__name__}: only "
        "Conv2d, MaxPool2d, AvgPool2d, pointwise activations/norms and Sequential "
        "stacks are understood."
    )


def _conv_geometry(conv: nn.Conv2d) -> LayerGeometry:
    name = type(conv).__name__
    if conv.padding_mode != "zeros":
        raise ValueError(
            f"{name} uses {conv.padding_mode!r} padding; only zero padding is supported."
        )
    if isinstance(conv.padding, str):
        raise ValueError(f"{name} uses padding={conv.padding!r}; give explicit integer padding.")
    kernel = _square(name, "kernel_size", conv.kernel_size)
    dilation = _square(name, "dilation", conv.dilation)
    stride = _square(name, "stride", conv.stride)
    padding = _square(name, "padding", conv.padding)
    # A dilated kernel spans dilation * (k - 1) + 1 pixels; the field is its bounding box.
    return LayerGeometry(dilation * (kernel - 1) + 1, stride, padding)


def _pool_geometry(pool: nn.MaxPool2d | nn.AvgPool2d) -> LayerGeometry:
    name = type(pool).__name__
    if pool.ceil_mode:
        raise ValueError(f"{name} uses ceil_mode=True, which the grid-size formula does not model.")
    kernel = _square(name, "kernel_size", pool.kernel_size)
    stride = _square(name, "stride", pool.stride if pool.stride is not None else kernel)
    padding = _square(name, "padding", pool.padding)
    dilation = _square(name, "dilation", getattr(pool, "dilation", 1))
    return LayerGeometry(dilation * (kernel - 1) + 1, stride, padding)


def _square(layer: str, attr: str, value: object) -> int:
    """One int from an int or a pair of equal ints; rectangular layers are rejected."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    if len(set(values)) != 1 or not isinstance(values[0], int):
        raise ValueError(
            f"{layer} has non-square {attr}={value!r}; only square layers are supported."
        )
    return values[0]
