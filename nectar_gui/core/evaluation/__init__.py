"""Measuring how good a generator is: metrics, the evaluation engine, validation records.

Torch-free modules the UI may import directly: ``records`` (result dataclasses and the
``val.jsonl`` format), ``best`` (``checkpoints/BEST``), ``probes`` (the probe set and its
translations) and ``items`` (which images an evaluation uses). ``metrics`` and
``engine`` / ``evaluate`` need torch.
"""
