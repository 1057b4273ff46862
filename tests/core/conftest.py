"""Engine tests share the tiny configs of tests/tiny.py (re-exported for older imports)."""

from tests.tiny import TINY, tiny_config

__all__ = ["TINY", "tiny_config"]
