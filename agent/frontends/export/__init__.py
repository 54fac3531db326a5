"""Exports of a session: Markdown/HTML transcripts, the context section, the timeline SVG."""
