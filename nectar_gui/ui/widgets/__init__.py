"""Widgets that several tabs share (zoom/pan and pyramid views, the sample scrubber, plots)."""
