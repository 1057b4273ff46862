"""Widgets and windows. Never imports torch."""
