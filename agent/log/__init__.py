"""Session logs: the writer, the catalog, resume, redaction, and readers (inspector, timeline, stats)."""
