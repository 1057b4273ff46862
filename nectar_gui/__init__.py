"""Nectar GUI: train pix2pix and CycleGAN, and see what their discriminators see."""

__version__ = "0.1.0"
