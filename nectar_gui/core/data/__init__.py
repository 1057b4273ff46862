"""Datasets: finding, checking, loading and augmenting the images a run trains on.

Everything imported here is torch-free, so the UI can detect layouts, scan folders and
write the demo data without loading torch. The torch datasets and the sampler live in
:mod:`nectar_gui.core.data.datasets` (``build_dataset``, ``EpochSampler``).
"""

from nectar_gui.core.data.demo import write_demo_dataset
from nectar_gui.core.data.errors import DatasetError, ImageReadError
from nectar_gui.core.data.images import IMAGE_SUFFIXES, list_images, load_image
from nectar_gui.core.data.layouts import DatasetLayout, detect_layout, split_names
from nectar_gui.core.data.scan import Problem, ScanCancelled, ScanResult, scan_dataset
from nectar_gui.core.data.transforms import TransformParams, preprocess

__all__ = [
    "IMAGE_SUFFIXES",
    "DatasetError",
    "DatasetLayout",
    "ImageReadError",
    "Problem",
    "ScanCancelled",
    "ScanResult",
    "TransformParams",
    "detect_layout",
    "list_images",
    "load_image",
    "preprocess",
    "scan_dataset",
    "split_names",
    "write_demo_dataset",
]
