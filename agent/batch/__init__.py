"""`pith batch`: many headless tasks, each in its own worktree and process, on one machine or a Ray cluster."""
