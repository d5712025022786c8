"""Anthropic Messages streams (``POST /v1/messages`` with ``stream: true``, also on Vertex AI)."""
