"""The updates only Gemini streams produce, beside the shared ones of ``kit.updates``: code the
model ran, grounding, and the progress of a streamed function call's arguments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..kit.live import Live, LiveArguments
from ..kit.updates import ChatUpdate, LiveUpdate
from .arguments import ArgumentsBuilder, BadPartialArg

__all__ = [
    "CodeExecutionResultUpdate",
    "ExecutableCodeUpdate",
    "GroundingUpdate",
    "ToolCallPartialArg",
]


class ExecutableCodeUpdate(ChatUpdate):
    """Candidate ``choice`` wrote code that the code-execution tool runs on the provider's side:
    ``executable_code`` is the part's ``executableCode`` object (``language``, ``code``, and on
    Gemini 3 an ``id``). Nothing for the caller to run."""

    __slots__ = ("choice", "executable_code")
    __match_args__ = ("choice", "executable_code")

    def __init__(self, choice: int, executable_code: Mapping[str, Any]) -> None:
        self.choice = choice
        self.executable_code = executable_code


class CodeExecutionResultUpdate(ChatUpdate):
    """The provider ran code for candidate ``choice``: ``code_execution_result`` is the part's
    ``codeExecutionResult`` object (``outcome``, ``output``)."""

    __slots__ = ("choice", "code_execution_result")
    __match_args__ = ("choice", "code_execution_result")

    def __init__(self, choice: int, code_execution_result: Mapping[str, Any]) -> None:
        self.choice = choice
        self.code_execution_result = code_execution_result


class GroundingUpdate(ChatUpdate):
    """Candidate ``choice`` carried non-empty ``groundingMetadata`` (search queries, sources,
    supports); the last one is the candidate's."""

    __slots__ = ("choice", "grounding_metadata")
    __match_args__ = ("choice", "grounding_metadata")

    def __init__(self, choice: int, grounding_metadata: Mapping[str, Any]) -> None:
        self.choice = choice
        self.grounding_metadata = grounding_metadata


class ToolCallPartialArg(LiveUpdate):
    """One ``partialArg`` of streamed tool call ``index`` of candidate ``choice`` was applied.

    A streamed call's arguments arrive by JSON path, not as text, so their progress has no text
    form: a ``str`` ``value`` is a piece appended to the string at ``json_path``; any other value
    (number, boolean, None) was set there. The whole arguments follow as one
    :class:`ToolCallArgumentsDelta` when the call closes.

    ``parsed`` is the arguments so far, when live partial JSON is on (``iter_updates(...,
    partial_json=True)``, or a :class:`~sseproto.LiveArguments`), as
    :attr:`ToolCallArgumentsDelta.parsed` is for the other dialects: built from the
    ``partialArgs`` applied up to this update when read (so read it when the update arrives),
    a fresh object each read, costing the size of the arguments. None when it is off.
    """

    __slots__ = ("choice", "index", "json_path", "value")
    __match_args__ = ("choice", "index", "json_path", "value")

    def __init__(self, choice: int, index: int, json_path: str, value: Any) -> None:
        self.choice = choice
        self.index = index
        self.json_path = json_path
        self.value = value
        self._live = None
        self._position = 0

    def _follow(self, live: LiveArguments) -> None:
        piece = (self.json_path, self.value)
        self._live, self._position = live.structured(self.choice, self.index, piece, _live_writes)


def _live_writes() -> Live[tuple[str, Any]]:
    """The Live of a streamed call's arguments (see :class:`ToolCallPartialArg`)."""
    return Live(_Writes(), BadPartialArg)


class _Writes:
    """A streamed call's arguments, from the ``(json_path, value)`` of its
    :class:`ToolCallPartialArg` updates, written by the engine's own builder of Gemini arguments
    (the same paths, the same rules). Its value is built when read, a fresh object each time
    (the builder keeps strings as pieces, so that appending stays linear)."""

    __slots__ = ("_builder",)

    def __init__(self) -> None:
        self._builder = ArgumentsBuilder()

    def feed(self, piece: tuple[str, Any]) -> None:
        self._builder.write(*piece)

    @property
    def value(self) -> dict[str, Any]:
        return self._builder.build()
