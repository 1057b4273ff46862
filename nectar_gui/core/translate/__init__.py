"""Translating images with a trained generator: loading any supported model file,
full-resolution tiled inference, and ONNX export.

``info`` is torch-free (the UI imports it); the other modules import torch.
"""
