"""The engine: config, data, networks, training, run directories. No Qt here."""
