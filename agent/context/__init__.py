"""The model's view: the context manager, compaction, the scratchpad, token counts, instructions."""
