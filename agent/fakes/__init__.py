"""Fake model servers on 127.0.0.1 (OpenAI-compatible and Anthropic) for tests and demos."""
