"""Vendor extras: fields a vendor adds beyond OpenAI's schema, kept where a user can read them.

At the top level of a chunk the accumulator keeps each extra's last non-null value (vendors
resend whole values there: ``citations``, ``x_groq``). Inside a choice, a delta or a tool call
delta, extras follow :func:`merge_extra`. They are never merged into text.
"""

from __future__ import annotations

from typing import Any

__all__ = ["copy_extras", "merge_extra"]


def merge_extra(extras: dict[str, Any], key: str, value: Any) -> None:
    """A vendor field inside a choice, delta or tool call delta: lists are per-chunk items
    (``annotations``, ``reasoning_details``, ``token_ids``) and are concatenated; any other
    value replaces the previous one."""
    if type(value) is list:
        held = extras.get(key)
        if type(held) is list:
            held.extend(value)
            return
        value = list(value)
    extras[key] = value


def copy_extras(extras: dict[str, Any]) -> dict[str, Any]:
    """A snapshot of ``extras``: lists keep growing in the live state, a snapshot must not."""
    return {key: list(value) if type(value) is list else value for key, value in extras.items()}
