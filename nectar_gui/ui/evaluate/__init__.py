"""The Evaluate tab: measure a run's checkpoints, find the worst images, pick the best."""
