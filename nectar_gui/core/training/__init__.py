"""Trainers (pix2pix, CycleGAN) and the loop that drives them as an iterator of reports."""
