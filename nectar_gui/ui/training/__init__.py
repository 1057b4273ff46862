"""The Training tab: loss plots, live samples and the progress strip."""
