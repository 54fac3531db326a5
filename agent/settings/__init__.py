"""Settings: the typed object, config files, trust, and the one loading path."""
