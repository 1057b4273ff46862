"""pyqtgraph helpers shared by every plot: theme colours, curve items, range following."""
