"""The typed updates a chat stream produces while it runs.

One small value object per thing a caller acts on: a piece of text, a tool call that starts, grows
and completes, a choice that finishes, usage, the end of the stream. Every update that belongs to a
choice names it (``choice``, the choice's ``index``), so ``n > 1`` streams need no guesswork.
They are built on the accumulator's hot path (about one per chunk), hence plain slotted classes.
They compare by value, and support ``match`` statements through ``__match_args__``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from ...wire.display import call_repr

if TYPE_CHECKING:
    from .live import Live, LiveArguments
    from .result import StreamResult

__all__ = [
    "ChatUpdate",
    "ChoiceFinished",
    "ContentDelta",
    "HostedToolArgumentsDelta",
    "HostedToolCallStarted",
    "LiveUpdate",
    "ReasoningDelta",
    "RefusalDelta",
    "StreamDone",
    "ToolCallArgumentsDelta",
    "ToolCallDone",
    "ToolCallStarted",
    "UsageUpdate",
]


class ChatUpdate:
    """Base class of every update :class:`ChatAccumulator` returns."""

    __slots__: tuple[str, ...] = ()

    def _follow(self, live: LiveArguments) -> None:
        """Take this update's live value from ``live`` (live partial JSON), if it has one: the
        updates that do say which of its rules applies."""

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, field) for field in self._fields())

    def _fields(self) -> tuple[str, ...]:
        # A slot named with an underscore is the update's machinery, not its value.
        return tuple(field for field in self.__slots__ if field[0] != "_")

    # Defining __eq__ leaves the class unhashable: updates may hold dicts (usage).
    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, ChatUpdate)
        return self._values() == other._values()

    def __repr__(self) -> str:
        # Positional order, as a match statement reads them (a class without it: its slots);
        # long text cut (arguments can be a megabyte).
        order: tuple[str, ...] = getattr(type(self), "__match_args__", self.__slots__)
        fields = [(field, getattr(self, field)) for field in order]
        return call_repr(self.__class__.__name__, fields, omit_empty=False)


class LiveUpdate(ChatUpdate):
    """An update whose ``parsed`` is a live value (live partial JSON): its stream's
    :class:`~sseproto.dialects.kit.live.Live` (set by ``_follow`` when the option is on) brought
    up to the update's position when read. Each subclass says what its value is."""

    __slots__ = ("_live", "_position")

    # Each subclass's fields, in the order its constructor takes them.
    __match_args__: ClassVar[tuple[str, ...]]
    _live: Live[Any] | None
    _position: int

    @property
    def parsed(self) -> Any:
        """The value parsed so far (see the class); None when live partial JSON is off."""
        live = self._live
        return None if live is None else live.value_at(self._position)

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled or copied, an update keeps the value it shows now: the live parser behind it
        # is its stream's (and holds a generator, which neither pickles nor copies).
        fields = tuple(getattr(self, field) for field in self.__match_args__)
        return _settled, (type(self), fields, self._live is not None, self.parsed)


def _settled(kind: type[LiveUpdate], fields: tuple[Any, ...], live: bool, parsed: Any) -> Any:
    """An unpickled or copied :class:`LiveUpdate`: ``parsed`` held, no longer live."""
    update = kind(*fields)
    if live:
        # Imported here: live imports this module.
        from .live import settled

        update._live = settled(parsed)
        update._position = -1  # before any piece: the held value as it is
    return update


class ContentDelta(LiveUpdate):
    """More assistant text for choice ``choice``; ``text`` is never empty.

    ``parsed`` is the answer so far parsed as JSON (structured output), when live partial JSON is
    on and the answer is JSON so far: live, as :attr:`ToolCallArgumentsDelta.parsed` is. None
    when it is off, before a value has started, and from the first delta that shows the answer
    is not JSON.
    """

    __slots__ = ("choice", "text")
    __match_args__ = ("choice", "text")

    def __init__(self, choice: int, text: str) -> None:
        self.choice = choice
        self.text = text
        self._live = None
        self._position = 0

    def _follow(self, live: LiveArguments) -> None:
        live.answer(self)

    @property
    def parsed(self) -> Any:
        """The answer so far parsed as JSON (see the class); None when live partial JSON is
        off."""
        live = self._live
        if live is None:
            return None
        value = live.value_at(self._position)
        refused = live.refused
        return value if refused is None or refused > self._position else None


class RefusalDelta(ChatUpdate):
    """More refusal text for choice ``choice``; ``text`` is never empty."""

    __slots__ = ("choice", "text")
    __match_args__ = ("choice", "text")

    def __init__(self, choice: int, text: str) -> None:
        self.choice = choice
        self.text = text


class ReasoningDelta(ChatUpdate):
    """More reasoning text for choice ``choice`` (whichever vendor shape carried it)."""

    __slots__ = ("choice", "text")
    __match_args__ = ("choice", "text")

    def __init__(self, choice: int, text: str) -> None:
        self.choice = choice
        self.text = text


class ToolCallStarted(ChatUpdate):
    """A new tool call appeared in choice ``choice``.

    ``index`` is its position in the message's ``tool_calls`` (compact: a stream numbering its
    first call 1 still gives index 0). ``id`` and ``name`` are as far as the first delta told
    (``""`` if it did not say).
    """

    __slots__ = ("choice", "id", "index", "name")
    __match_args__ = ("choice", "index", "id", "name")

    def __init__(self, choice: int, index: int, id: str, name: str) -> None:
        self.choice = choice
        self.index = index
        self.id = id
        self.name = name

    def _follow(self, live: LiveArguments) -> None:
        live.started(self.choice, self.index)


class ToolCallArgumentsDelta(LiveUpdate):
    """More argument text for tool call ``index`` of choice ``choice``.

    ``parsed`` is the arguments parsed so far, when live partial JSON is on
    (``iter_updates(..., partial_json=True)``, or a :class:`~sseproto.LiveArguments`): the live
    value of a :class:`~sseproto.PartialJSONParser`, the same object for every delta of a call,
    brought up to date when read (so read it when the update arrives; copy it to keep it). None
    when it is off or before a value has started; arguments that turn out not to be JSON keep the
    value of their valid beginning.
    """

    __slots__ = ("choice", "index", "text")
    __match_args__ = ("choice", "index", "text")

    def __init__(self, choice: int, index: int, text: str) -> None:
        self.choice = choice
        self.index = index
        self.text = text
        self._live = None
        self._position = 0

    def _follow(self, live: LiveArguments) -> None:
        live.arguments(self)


class ToolCallDone(ChatUpdate):
    """Tool call ``index`` of choice ``choice`` is complete: act on it.

    Sent once per call, once its arguments are final, never for a stream cut short. In a chat
    stream that is when the stream completes (``[DONE]``, or the end of a complete stream), not
    at the choice's finish_reason, which vendors follow with more argument deltas; chunks arriving
    after ``[DONE]`` that change a call make the end of input send it again.
    ``arguments`` is the whole argument text; ``parsed``, when live partial JSON is on, its value
    when it is valid JSON (under the rules of every payload), else None.
    """

    __slots__ = ("arguments", "choice", "id", "index", "name", "parsed")
    __match_args__ = ("choice", "index", "id", "name", "arguments", "parsed")

    def __init__(
        self, choice: int, index: int, id: str, name: str, arguments: str, parsed: Any = None
    ) -> None:
        self.choice = choice
        self.index = index
        self.id = id
        self.name = name
        self.arguments = arguments
        self.parsed = parsed

    def _follow(self, live: LiveArguments) -> None:
        self.parsed = live.done(self.arguments)


class HostedToolCallStarted(ChatUpdate):
    """A call the provider runs itself opened at ``index`` of choice ``choice``: an Anthropic
    ``server_tool_use`` block (web search, web fetch, code execution, ...) or ``mcp_tool_use``
    block (``index`` is the block's position in ``content``), a Responses ``mcp_call`` item
    (``index`` is its ``output_index``).

    ``type`` is the block's or item's type, ``id`` its ``id``, ``name`` the tool's name and
    ``server`` the MCP server's (Anthropic's ``server_name``, Responses' ``server_label``; ``""``
    for a server tool), each ``""`` when the stream did not say. Its arguments then stream as
    :class:`HostedToolArgumentsDelta` updates of the same ``choice`` and ``index``. Never a tool
    call update: the caller does not run such a call. ``ServerToolCallStarted`` is another name
    for this class.
    """

    __slots__ = ("choice", "id", "index", "name", "server", "type")
    __match_args__ = ("choice", "index", "type", "id", "name", "server")

    def __init__(
        self, choice: int, index: int, type: str, id: str, name: str, server: str = ""
    ) -> None:
        self.choice = choice
        self.index = index
        self.type = type
        self.id = id
        self.name = name
        self.server = server

    def _follow(self, live: LiveArguments) -> None:
        # A call opened again at the same place starts its value afresh.
        live.hosted_started(self.choice, self.index)


class HostedToolArgumentsDelta(LiveUpdate):
    """More argument text of a call the provider runs itself, at ``index`` of choice ``choice``:
    an Anthropic ``server_tool_use`` or ``mcp_tool_use`` block's input (``index`` is the block's
    position in ``content``), a Responses ``mcp_call`` item's arguments (``index`` is its
    ``output_index``), as the :class:`HostedToolCallStarted` that opened the call gave them.

    Never a tool call update: such a call is not the caller's to run (no ``ToolCallDone``), so
    it has updates of its own, for a UI showing the search query or the MCP call being written.
    ``parsed`` is the arguments parsed so far when live partial JSON is on, exactly as
    :attr:`ToolCallArgumentsDelta.parsed` is (the same object for every delta of a call, brought
    up to date when read); None when it is off.
    """

    __slots__ = ("choice", "index", "text")
    __match_args__ = ("choice", "index", "text")

    def __init__(self, choice: int, index: int, text: str) -> None:
        self.choice = choice
        self.index = index
        self.text = text
        self._live = None
        self._position = 0

    def _follow(self, live: LiveArguments) -> None:
        live.hosted(self)


class ChoiceFinished(ChatUpdate):
    """Choice ``choice`` finished with ``finish_reason`` (sent again only if a later chunk
    changes the reason)."""

    __slots__ = ("choice", "finish_reason")
    __match_args__ = ("choice", "finish_reason")

    def __init__(self, choice: int, finish_reason: str) -> None:
        self.choice = choice
        self.finish_reason = finish_reason


class UsageUpdate(ChatUpdate):
    """A chunk carried token usage for the whole request (verbatim). Vendors that send
    cumulative usage produce one per chunk; the last one is the total."""

    __slots__ = ("usage",)
    __match_args__ = ("usage",)

    def __init__(self, usage: Mapping[str, Any]) -> None:
        self.usage = usage


class StreamDone(ChatUpdate):
    """The stream ended normally (``data: [DONE]``, or the end of input with every choice
    finished). ``completion`` is the completion rebuilt at that point.

    It comes once, as the last update of a complete stream, and its ``completion`` equals the
    final result: what arrives after the terminal event is ignored (strict mode rejects it)."""

    __slots__ = ("completion",)
    __match_args__ = ("completion",)

    def __init__(self, completion: StreamResult) -> None:
        self.completion = completion
