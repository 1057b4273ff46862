"""Qt workers: the only place where Qt meets torch."""
