"""Rebuilding the tool calls of one choice from ``tool_calls`` deltas.

The rules: deltas are grouped by the stream's ``index`` and written out compactly in order of
first appearance; a delta without ``index`` continues the latest call unless it brings a new
non-empty ``id``, and a call opened without ``index`` takes the first new ``index`` a later delta
without a new ``id`` brings; a new ``id`` at a used index opens a new call; ``id``, ``type``
and ``function.name`` are set once; ``arguments`` are concatenated (kept as a list of pieces, joined
once, so a megabyte of 10-character deltas stays linear). The legacy ``function_call`` delta
follows the same per-field rules through :func:`apply_function`.
"""

from __future__ import annotations

import json
from typing import Any

from ..kit.errors import InvalidChunkError
from ..kit.text import join_text
from ..kit.updates import ChatUpdate, ToolCallArgumentsDelta, ToolCallDone, ToolCallStarted
from .completion import FunctionCall, ToolCall
from .extras import copy_extras, merge_extra

__all__ = ["MAX_TOOL_CALLS", "CallState", "ToolCalls", "apply_function"]

_TOOL_CALL_FIELDS = frozenset({"index", "id", "type", "function"})
# How many tool calls one choice may open. Parallel tool calls number a handful in real streams
# (OpenAI's API accepts at most 128 tools to call); the bound is far above that, so only a
# hostile stream meets it, and it cannot make one choice hold, and every snapshot rebuild,
# an unbounded number of calls.
MAX_TOOL_CALLS = 1024


class CallState:
    """One tool call (or the legacy ``function_call``) being rebuilt."""

    __slots__ = ("arguments", "extras", "id", "name", "position", "type")

    def __init__(self, position: int) -> None:
        self.position = position
        self.id = ""
        self.type = ""
        self.name = ""
        self.arguments: list[str] = []
        self.extras: dict[str, Any] = {}

    def function(self) -> FunctionCall:
        return FunctionCall(name=self.name, arguments=join_text(self.arguments))

    def build(self) -> ToolCall:
        return ToolCall(
            id=self.id,
            # A missing type means "function".
            type=self.type or "function",
            function=self.function(),
            extras=copy_extras(self.extras),
        )


def apply_function(call: CallState, function: Any) -> str:
    """Apply a ``function`` (or legacy ``function_call``) delta to ``call``; return the argument
    text it added (``""`` if none).

    Raises:
        InvalidChunkError: with a path relative to the function object (``""``, ``".name"``,
            ``".arguments"``); the caller prefixes where the object was.
    """
    if type(function) is not dict:
        raise InvalidChunkError("function must be an object or null", path="")
    name = function.get("name")
    if name is not None:
        if type(name) is not str:
            raise InvalidChunkError("name must be a string or null", path=".name")
        # Set once: vendors resend the name on continuation deltas.
        if name and not call.name:
            call.name = name
    arguments = function.get("arguments")
    if arguments is None:
        return ""
    if type(arguments) is dict:
        # Some vendors send the arguments as a JSON object: serialised once, here.
        try:
            arguments = json.dumps(arguments, ensure_ascii=False)
        except RecursionError:
            raise InvalidChunkError("arguments are nested too deeply", path=".arguments") from None
    elif type(arguments) is not str:
        raise InvalidChunkError("arguments must be a string, an object or null", path=".arguments")
    if arguments:
        call.arguments.append(arguments)
    return arguments


def _path(number: int) -> str:
    """Where tool call delta ``number`` is, relative to its choice (the caller prefixes it)."""
    return f".delta.tool_calls[{number}]"


class ToolCalls:
    """The tool calls of one choice, as the deltas build them.

    Args:
        choice: the choice's index (named by the updates).
        strict: reject what OpenAI's documented stream never does (no index, numbering that does
            not start at 0 or skips, a reused index, a first delta without id, type and name).
    """

    __slots__ = ("_by_wire_index", "_calls", "_choice", "_strict", "_unindexed")

    def __init__(self, choice: int, strict: bool) -> None:
        self._choice = choice
        self._strict = strict
        self._calls: list[CallState] = []
        # The stream's own index -> position in _calls of the call it addresses now. A dict: a
        # hostile index of 10**9 allocates nothing.
        self._by_wire_index: dict[int, int] = {}
        # The latest call opened by a delta without index and not yet given one, if any.
        self._unindexed: CallState | None = None

    def build(self) -> tuple[ToolCall, ...]:
        return tuple(call.build() for call in self._calls)

    def continued(self, wire: int) -> tuple[list[str], int] | None:
        """The argument pieces and position of the call the stream's index ``wire`` addresses
        now, or None when it addresses none: where a delta of only arguments for ``wire`` goes."""
        at = self._by_wire_index.get(wire)
        if at is None:
            return None
        return self._calls[at].arguments, at

    def apply(self, deltas: Any, updates: list[ChatUpdate] | None) -> None:
        """Apply the ``tool_calls`` list of one delta.

        Raises:
            InvalidChunkError: with a path relative to the choice (``.delta.tool_calls[0].id``).
        """
        if type(deltas) is not list:
            raise InvalidChunkError("tool_calls must be a list or null", path=".delta.tool_calls")
        if len(deltas) == 1:
            # The most common delta of all, more arguments for a known call, on its own path:
            # {"index": i, "function": {"arguments": "..."}} and nothing else.
            delta = deltas[0]
            if type(delta) is dict and len(delta) == 2:
                wire = delta.get("index")
                function = delta.get("function")
                if type(wire) is int and type(function) is dict and len(function) == 1:
                    at = self._by_wire_index.get(wire)
                    text = function.get("arguments")
                    if at is not None and type(text) is str:
                        if text:
                            self._calls[at].arguments.append(text)
                            if updates is not None:
                                updates.append(ToolCallArgumentsDelta(self._choice, at, text))
                        return
        calls = self._calls
        choice = self._choice
        by_wire_index = self._by_wire_index
        for number, delta in enumerate(deltas):
            if type(delta) is not dict:
                raise InvalidChunkError("a tool call delta must be an object", path=_path(number))
            call_id = delta.get("id")
            if call_id is not None and type(call_id) is not str:
                raise InvalidChunkError("id must be a string or null", path=f"{_path(number)}.id")
            wire = delta.get("index")
            # The common continuation: a known index, and no new id ("" or the same one).
            call = None
            if type(wire) is int:
                at = by_wire_index.get(wire)
                if at is not None:
                    call = calls[at]
                    if call_id and call.id and call_id != call.id:
                        call = None
            if call is None:
                call, started = self._open(wire, call_id, number)
            else:
                started = False
                if call_id and not call.id:
                    call.id = call_id
            kind = delta.get("type")
            if kind is not None:
                if type(kind) is not str:
                    raise InvalidChunkError(
                        "type must be a string or null", path=f"{_path(number)}.type"
                    )
                if kind and not call.type:
                    call.type = kind
            function = delta.get("function")
            # The common continuation, {"arguments": "..."}: apply_function's rule, inlined.
            text = (
                function.get("arguments") if type(function) is dict and len(function) == 1 else None
            )
            if type(text) is str:
                if text:
                    call.arguments.append(text)
            elif function is not None:
                try:
                    text = apply_function(call, function)
                except InvalidChunkError as exc:
                    where = f"{_path(number)}.function{exc.path}"
                    raise InvalidChunkError(exc.rule, path=where) from None
            else:
                text = ""
            if started:
                if self._strict and not (call.id and call.type and call.name):
                    raise InvalidChunkError(
                        "a tool call's first delta carries id, type and function.name",
                        path=_path(number),
                    )
                if updates is not None:
                    updates.append(ToolCallStarted(choice, call.position, call.id, call.name))
            if text and updates is not None:
                updates.append(ToolCallArgumentsDelta(choice, call.position, text))
            if not _TOOL_CALL_FIELDS.issuperset(delta):
                for key in delta.keys() - _TOOL_CALL_FIELDS:
                    value = delta[key]
                    if value is not None:
                        merge_extra(call.extras, key, value)

    def _open(self, wire: Any, call_id: str | None, number: int) -> tuple[CallState, bool]:
        """The call a delta addresses when it is not the plain continuation of a known index
        (maybe the latest call, for a delta without index, else a new one), and whether the
        delta opens it."""
        calls = self._calls
        if wire is None:
            if self._strict:
                raise InvalidChunkError("index is required", path=f"{_path(number)}.index")
            # No index (Mistral): the delta continues the latest call unless it brings a new id.
            if calls:
                latest = calls[-1]
                if not (call_id and latest.id and call_id != latest.id):
                    if call_id and not latest.id:
                        latest.id = call_id
                    return latest, False
        elif type(wire) is not int or wire < 0:
            raise InvalidChunkError(
                "index must be a non-negative integer", path=f"{_path(number)}.index"
            )
        elif (unindexed := self._unindexed) is not None and wire not in self._by_wire_index:
            # A call opened without index whose later deltas bring one: a first-seen index
            # without a new id names that call rather than opening a second.
            if not (call_id and unindexed.id and call_id != unindexed.id):
                self._unindexed = None
                self._by_wire_index[wire] = unindexed.position
                if call_id and not unindexed.id:
                    unindexed.id = call_id
                return unindexed, False
        elif self._strict:
            if wire in self._by_wire_index:
                rule = "a tool call index is not reused for a new id"
            elif wire != len(calls):
                rule = "tool call indexes start at 0 and grow by one"
            else:
                rule = ""
            if rule:
                raise InvalidChunkError(rule, path=f"{_path(number)}.index")
        if len(calls) >= MAX_TOOL_CALLS:
            raise InvalidChunkError(
                f"a choice has at most {MAX_TOOL_CALLS} tool calls", path=_path(number)
            )
        # Calls are written out compactly, in order of first appearance: a first call numbered
        # 1 by the stream (Anthropic's gateway) is tool_calls[0].
        call = CallState(len(calls))
        calls.append(call)
        if wire is None:
            self._unindexed = call
        else:
            self._by_wire_index[wire] = call.position
        if call_id:
            call.id = call_id
        return call, True

    def complete(self, updates: list[ChatUpdate]) -> None:
        """Report every call done (once, when the stream completes)."""
        choice = self._choice
        for call in self._calls:
            arguments = join_text(call.arguments)
            updates.append(ToolCallDone(choice, call.position, call.id, call.name, arguments))
