"""pith's model-facing tools: pure functions of a workspace, no imports from agent/."""
