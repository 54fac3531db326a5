"""The session engine: events and ops, the turn loop, tool calls, approvals, checkpoints."""
