"""Partial JSON: one JSON text parsed as it arrives, in pieces, with the value so far after each.

Below the dialects (which use it for tool-call arguments and JSON answers); it knows nothing of
any stream.
"""
