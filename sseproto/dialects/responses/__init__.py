"""OpenAI Responses API streams (``POST /v1/responses`` with ``stream: true``, and every vendor
serving it)."""
