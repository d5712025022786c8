"""The rebuilt Response: the object ``GET /v1/responses/{id}`` returns, with the parts a caller
reads as attributes.

A :class:`Response` holds one JSON tree, the Response exactly as the rules rebuilt it (every key the
stream carried, vendor keys included), and reads its attributes from it on demand. It is built once
per snapshot, never per event; it copies the tree it is given and :meth:`Response.to_dict` returns
a fresh copy, so no caller can change it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ...wire.display import call_repr, dataclass_repr
from .tree import copy_tree

__all__ = ["Response", "ResponseToolCall"]

# The items the caller must run (the provider runs every other kind of call itself).
_CALL_ITEMS = {"function_call": "arguments", "custom_tool_call": "input"}


@dataclass(frozen=True)
class ResponseToolCall:
    """A call the caller must run: a ``function_call`` or ``custom_tool_call`` item.

    Attributes:
        id: the ``call_id`` the tool's output must answer (``""`` if the item had none).
        name: the tool's name.
        arguments: a function call's ``arguments`` (JSON text as the model wrote it); a custom
            tool call's free-form ``input``.
        type: ``"function_call"`` or ``"custom_tool_call"``.
        item_id: the item's own ``id`` (``""`` if none).
        status: the item's ``status`` (``"completed"``, ``"in_progress"``, ...) or None.
    """

    __repr__ = dataclass_repr

    id: str
    name: str
    arguments: str
    type: str
    item_id: str = ""
    status: str | None = None


def _string(value: Any) -> str:
    return value if type(value) is str else ""


class Response:
    """An OpenAI Response rebuilt from a stream (the provider's own name for the object).

    ``to_dict()`` is the Response as ``GET /v1/responses/{id}`` returns it: the terminal event's
    ``response`` verbatim when the stream completed (its ``output`` rebuilt only when the provider
    left it empty), else the last lifecycle ``response`` with ``output`` rebuilt from the items
    that arrived. The attributes read that tree; they are None (or empty) where it lacks the key.
    """

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data: dict[str, Any] = copy_tree(dict(data))

    @property
    def dialect(self) -> Literal["responses"]:
        """Always ``"responses"``."""
        return "responses"

    @property
    def id(self) -> str | None:
        """The response id (``resp_...``), None before any lifecycle event."""
        return self._get_str("id")

    @property
    def status(self) -> str | None:
        """``completed``, ``incomplete``, ``failed``, or while streaming ``in_progress`` /
        ``queued``; None without a lifecycle event."""
        return self._get_str("status")

    @property
    def model(self) -> str | None:
        """The model that answered."""
        return self._get_str("model")

    @property
    def created_at(self) -> float | None:
        """When the response was created (Unix seconds)."""
        value = self._data.get("created_at")
        return value if type(value) in (int, float) else None

    @property
    def output(self) -> tuple[dict[str, Any], ...]:
        """The output items in order, each a copy of the item's JSON object."""
        return tuple(copy_tree(item) for item in self._items())

    @property
    def error(self) -> Mapping[str, Any] | None:
        """The response's ``error`` object (``{code, message}``) when it failed."""
        return self._get_dict("error")

    @property
    def incomplete_details(self) -> Mapping[str, Any] | None:
        """Why an incomplete response stopped (``{"reason": ...}``), else None."""
        return self._get_dict("incomplete_details")

    @property
    def usage(self) -> Mapping[str, Any] | None:
        """The response's ``usage`` object, verbatim (None until the terminal event)."""
        return self._get_dict("usage")

    @property
    def text(self) -> str | None:
        """The ``output_text`` of every message item, joined in order (as the SDKs'
        ``output_text``); None if there is none."""
        return self._join("message", "content", "output_text", "text")

    @property
    def refusal(self) -> str | None:
        """The ``refusal`` parts of every message item, joined in order; None if there is none."""
        return self._join("message", "content", "refusal", "refusal")

    @property
    def reasoning(self) -> str | None:
        """The reasoning text of every reasoning item, joined in order: each item's summary
        texts, then its raw ``reasoning_text`` parts (what the ``ReasoningDelta`` updates carry);
        None if there is none."""
        pieces: list[str] = []
        found = False
        for item in self._items():
            if item.get("type") != "reasoning":
                continue
            for key in ("summary", "content"):
                for part in _parts(item, key):
                    text = part.get("text")
                    if type(text) is str:
                        found = True
                        pieces.append(text)
        return "".join(pieces) if found else None

    @property
    def tool_calls(self) -> tuple[ResponseToolCall, ...]:
        """The function and custom tool calls, in output order."""
        calls = []
        for item in self._items():
            kind = item.get("type")
            field = _CALL_ITEMS.get(kind) if type(kind) is str else None
            if field is None:
                continue
            status = item.get("status")
            calls.append(
                ResponseToolCall(
                    id=_string(item.get("call_id")),
                    name=_string(item.get("name")),
                    arguments=_string(item.get(field)),
                    type=str(kind),
                    item_id=_string(item.get("id")),
                    status=status if type(status) is str else None,
                )
            )
        return tuple(calls)

    @property
    def finish_reason(self) -> str | None:
        """``incomplete_details.reason`` when the response is incomplete, else ``status``."""
        details = self.incomplete_details
        reason = details.get("reason") if details is not None else None
        return reason if type(reason) is str else self.status

    def to_dict(self) -> dict[str, Any]:
        """The Response as ``GET /v1/responses/{id}`` returns it (a fresh copy)."""
        result: dict[str, Any] = copy_tree(self._data)
        return result

    # Defining __eq__ leaves the class unhashable, as it should be: it holds dicts.
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Response):
            return NotImplemented
        return self._data == other._data

    def __repr__(self) -> str:
        # The output as its items' types: the items themselves are to_dict()'s to show.
        output = tuple(item.get("type") for item in self._items())
        fields = [("id", self.id), ("model", self._data.get("model")), ("status", self.status),
                  ("output", output), ("usage", self.usage)]
        return call_repr("Response", fields, omit_empty=True)

    def _items(self) -> list[dict[str, Any]]:
        output = self._data.get("output")
        if type(output) is not list:
            return []
        return [item for item in output if type(item) is dict]

    def _join(self, item_type: str, key: str, part_type: str, field: str) -> str | None:
        pieces: list[str] = []
        found = False
        for item in self._items():
            if item.get("type") != item_type:
                continue
            for part in _parts(item, key):
                text = part.get(field)
                if part.get("type") == part_type and type(text) is str:
                    found = True
                    pieces.append(text)
        return "".join(pieces) if found else None

    def _get_str(self, key: str) -> str | None:
        value = self._data.get(key)
        return value if type(value) is str else None

    def _get_dict(self, key: str) -> Mapping[str, Any] | None:
        value = self._data.get(key)
        return copy_tree(value) if type(value) is dict else None


def _parts(item: Mapping[str, Any], key: str) -> Iterator[dict[str, Any]]:
    parts = item.get(key)
    if type(parts) is list:
        for part in parts:
            if type(part) is dict:
                yield part
