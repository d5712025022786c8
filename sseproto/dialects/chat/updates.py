"""The updates only chat streams give, beside the common ones of the kit: the legacy
``function_call``.

OpenAI's deprecated ``functions`` parameter makes the model call one function per choice, sent as
``function_call`` deltas and rebuilt as the message's ``function_call``, beside its
``tool_calls``, never among them. It is a call the caller runs, so it is reported as the tool
calls are, started, growing and done, by updates of its own: a tool call update names a call by
its place in ``tool_calls``, which this one has none of, and is answered by a ``tool`` message
with its id, which this one has none of either (its answer is a ``function`` message naming it).
"""

from __future__ import annotations

from typing import Any

from ..kit.live import LiveArguments
from ..kit.updates import ChatUpdate, LiveUpdate

__all__ = ["FunctionCallArgumentsDelta", "FunctionCallDone", "FunctionCallStarted"]


class FunctionCallStarted(ChatUpdate):
    """Choice ``choice`` started its legacy ``function_call``; ``name`` is as far as the first
    delta told (``""`` if it did not say). Once per choice."""

    __slots__ = ("choice", "name")
    __match_args__ = ("choice", "name")

    def __init__(self, choice: int, name: str) -> None:
        self.choice = choice
        self.name = name


class FunctionCallArgumentsDelta(LiveUpdate):
    """More argument text of the legacy ``function_call`` of choice ``choice``.

    ``parsed`` is the arguments parsed so far when live partial JSON is on, exactly as
    :attr:`~sseproto.ToolCallArgumentsDelta.parsed` is (the same object for every delta of the
    call, brought up to date when read); None when it is off.
    """

    __slots__ = ("choice", "text")
    __match_args__ = ("choice", "text")

    def __init__(self, choice: int, text: str) -> None:
        self.choice = choice
        self.text = text
        self._live = None
        self._position = 0

    def _follow(self, live: LiveArguments) -> None:
        self._live, self._position = live.function(self.choice, self.text)


class FunctionCallDone(ChatUpdate):
    """The legacy ``function_call`` of choice ``choice`` is complete: run it.

    Sent when a tool call's :class:`~sseproto.ToolCallDone` would be: once, when the stream
    completes, never for a stream cut short. ``arguments`` is the whole argument text;
    ``parsed``, when live partial JSON is on, its value when it is valid JSON (under the rules
    of every payload), else None.
    """

    __slots__ = ("arguments", "choice", "name", "parsed")
    __match_args__ = ("choice", "name", "arguments", "parsed")

    def __init__(self, choice: int, name: str, arguments: str, parsed: Any = None) -> None:
        self.choice = choice
        self.name = name
        self.arguments = arguments
        self.parsed = parsed

    def _follow(self, live: LiveArguments) -> None:
        self.parsed = live.done(self.arguments)
