"""The configuration panel: an editor generated from the config schema, and what it builds."""
