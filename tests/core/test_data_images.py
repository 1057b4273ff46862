"""Decoding and converting image files, and the tensor helpers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageFile

from nectar_gui.core.data.errors import ImageReadError
from nectar_gui.core.data.images import (
    convert_channels,
    inspect_image,
    load_image,
    to_tensor,
    to_uint8,
)


def save(img: Image.Image, path: Path, **kwargs: object) -> Path:
    img.save(path, **kwargs)
    return path


def test_grey_to_rgb_and_back(tmp_path: Path) -> None:
    grey = save(Image.new("L", (5, 4), 77), tmp_path / "g.png")
    rgb = load_image(grey, 3)
    assert rgb.mode == "RGB" and rgb.getpixel((0, 0)) == (77, 77, 77)
    colour = save(Image.new("RGB", (5, 4), (255, 0, 0)), tmp_path / "c.bmp")
    assert load_image(colour, 1).mode == "L"


def test_16_bit_png_is_scaled_not_clipped(tmp_path: Path) -> None:
    pixels = np.array([[0, 257, 32896, 65535]], dtype=np.uint16)
    path = save(Image.fromarray(pixels), tmp_path / "deep.png")
    assert Image.open(path).mode.startswith("I")
    loaded = np.asarray(load_image(path, 1))
    assert loaded.tolist() == [[0, 1, 128, 255]]
    assert np.asarray(load_image(path, 3))[0, 3].tolist() == [255, 255, 255]


def test_other_high_depth_modes() -> None:
    big_endian = Image.frombytes("I;16B", (2, 1), bytes([0xFF, 0xFF, 0x00, 0x00]))
    assert np.asarray(convert_channels(big_endian, 1)).tolist() == [[255, 0]]
    int32 = Image.fromarray(np.array([[65535, 0]], dtype=np.int32))
    assert int32.mode == "I"
    assert np.asarray(convert_channels(int32, 1)).tolist() == [[255, 0]]
    floats = Image.fromarray(np.array([[1.0, 0.5]], dtype=np.float32))
    assert np.asarray(convert_channels(floats, 1)).tolist() == [[255, 128]]


def test_palette_with_transparency(tmp_path: Path) -> None:
    img = Image.new("P", (2, 1))
    img.putpalette([0, 0, 0, 200, 10, 10] + [0] * 762)
    img.putpixel((1, 0), 1)
    path = save(img, tmp_path / "p.png", transparency=0)
    rgba = np.asarray(load_image(path, 4))
    assert rgba[0, 0, 3] == 0 and rgba[0, 1].tolist() == [200, 10, 10, 255]
    rgb = np.asarray(load_image(path, 3))
    assert rgb[0, 0].tolist() == [255, 255, 255]  # transparent → white
    assert rgb[0, 1].tolist() == [200, 10, 10]


def test_rgba_la_and_cmyk(tmp_path: Path) -> None:
    rgba = save(Image.new("RGBA", (3, 3), (10, 20, 30, 0)), tmp_path / "a.png")
    assert load_image(rgba, 3).getpixel((0, 0)) == (255, 255, 255)
    assert load_image(rgba, 4).getpixel((0, 0)) == (10, 20, 30, 0)
    la = save(Image.new("LA", (3, 3), (90, 255)), tmp_path / "la.png")
    assert load_image(la, 1).getpixel((0, 0)) == 90
    cmyk = save(Image.new("CMYK", (8, 8), (0, 255, 255, 0)), tmp_path / "c.jpg")
    red = load_image(cmyk, 3).getpixel((4, 4))
    assert red[0] > 200 and red[1] < 60 and red[2] < 60


def test_exif_rotation_is_honoured(tmp_path: Path) -> None:
    img = Image.new("RGB", (20, 10), (0, 128, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    path = save(img, tmp_path / "phone.jpg", exif=exif)
    assert Image.open(path).size == (20, 10)
    assert load_image(path, 3).size == (10, 20)
    info = inspect_image(path)
    assert (info.width, info.height, info.mode) == (10, 20, "RGB")


def test_truncated_jpeg_raises(tmp_path: Path) -> None:
    noise = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    path = save(Image.fromarray(noise), tmp_path / "t.jpg", quality=90)
    path.write_bytes(path.read_bytes()[:1500])
    with pytest.raises(ImageReadError) as info:
        load_image(path, 3)
    assert str(info.value).startswith(f"cannot read {path}: ")
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    with pytest.raises(ImageReadError):
        inspect_image(path)


def test_garbage_and_missing_files(tmp_path: Path) -> None:
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"\x89PNG but not really")
    with pytest.raises(ImageReadError, match=r"junk\.png"):
        load_image(junk, 3)
    with pytest.raises(ImageReadError, match=r"missing\.png"):
        load_image(tmp_path / "missing.png", 3)
    with pytest.raises(ValueError, match="channels = 2"):
        load_image(junk, 2)


def test_image_read_error_pickles() -> None:
    import pickle

    err = pickle.loads(pickle.dumps(ImageReadError("/x/y.png", "truncated")))
    assert str(err) == "cannot read /x/y.png: truncated" and err.path == "/x/y.png"


def test_tensor_round_trip() -> None:
    pixels = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3) * 14
    t = to_tensor(Image.fromarray(pixels))
    assert t.shape == (3, 2, 3) and t.dtype == torch.float32
    assert t.min() >= -1 and t.max() <= 1
    back = to_uint8(t)
    assert back.shape == (2, 3, 3) and back.flags.c_contiguous and back.flags.owndata
    np.testing.assert_array_equal(back, pixels)
    t.fill_(1.0)
    np.testing.assert_array_equal(back, pixels)  # owned copy, not a view
    grey = to_tensor(Image.new("L", (4, 2), 255))
    assert grey.shape == (1, 2, 4) and to_uint8(grey).shape == (2, 4, 1)
    with pytest.raises(ValueError, match="shape"):
        to_uint8(torch.zeros(1, 3, 4, 4))
