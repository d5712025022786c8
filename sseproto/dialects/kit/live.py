"""Live partial JSON: the tool-call arguments (and a JSON answer) of one stream parsed as they
arrive, the same way for every dialect.

Strategy. Every engine reports a tool call's arguments as :class:`ToolCallArgumentsDelta` updates
and its end as :class:`ToolCallDone` (the argument text of a call the provider runs as
:class:`HostedToolArgumentsDelta`), so one watcher of the updates serves every dialect: an
engine made with ``partial_json=True`` shows it each update it produces, and each update that
carries a live value says which of the watcher's rules applies to it (``_follow``: one call, no
chain of type tests). The watcher keeps one :class:`Live` per call (and per answer), which queues
the delta's text and tells the delta its position; the engine pays nothing of this when the option
is off, beyond testing once per read that it is.

The parsing itself is lazy. A delta's ``parsed``, when read, gives its call's parser the texts
queued up to and including that delta, never past it, then reads the parser's value. So a delta
read when it is handed on shows the value up to itself, whether its read of the stream brought
one delta or a hundred (the engine produces a read's updates together, ahead of the caller), and
updates whose ``parsed`` is never read cost a list append each. A :class:`ToolCallDone` gets the
whole arguments parsed at once, by the scanner every payload is parsed with: a call's text is
final there, and parsing it whole is a C loop, where the live parser is a Python one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from ...partial_json.errors import InvalidJSONError
from ...partial_json.parser import PartialJSONParser
from ...wire.errors import StreamError
from .payload import parse_json

if TYPE_CHECKING:
    from .updates import ChatUpdate, ContentDelta, HostedToolArgumentsDelta, ToolCallArgumentsDelta

__all__ = ["Live", "LiveArguments", "Target", "check_partial_json", "settled"]

_Piece = TypeVar("_Piece")
_Key = TypeVar("_Key")
_Piece_contra = TypeVar("_Piece_contra", contravariant=True)


def check_partial_json(partial_json: object) -> bool:
    """``partial_json``, the option every accumulator and reader takes, once checked.

    Raises:
        ValueError: it is not a bool (``"yes"`` would otherwise read as true).
    """
    if not isinstance(partial_json, bool):
        raise ValueError(f"partial_json must be a bool, not {partial_json!r}")
    return partial_json


class Target(Protocol[_Piece_contra]):
    """What a :class:`Live` builds its value with: a :class:`~sseproto.PartialJSONParser` for
    text, a builder for Gemini's structured arguments."""

    def feed(self, piece: _Piece_contra, /) -> None:
        """Apply the next piece; raise the Live's ``refusal`` if it cannot be applied."""

    @property
    def value(self) -> Any:
        """The value of the pieces applied."""


class Live(Generic[_Piece]):
    """One value built from the pieces of a stream (a call's argument text, an answer, Gemini's
    structured arguments), applied lazily: :meth:`add` queues a piece and gives its position,
    and :meth:`value_at` applies the pieces up to a position, never past it, and gives the
    value. A piece that ``target`` refuses (raising ``refusal``) stops the value where it was
    (:attr:`refused` is its position); later pieces are skipped."""

    __slots__ = ("_base", "_next", "_pending", "_refusal", "_target", "refused")

    def __init__(self, target: Target[_Piece], refusal: type[Exception]) -> None:
        self._target = target
        self._refusal = refusal
        # The pieces added since the last time every piece was applied; _base is the position
        # of the first, _next the index of the first not applied yet.
        self._pending: list[_Piece] = []
        self._base = 0
        self._next = 0
        self.refused: int | None = None
        """The position of the piece that could not be applied, once one was met."""

    def add(self, piece: _Piece) -> int:
        """Queue ``piece``; return its position among the pieces (0 for the first)."""
        pending = self._pending
        pending.append(piece)
        return self._base + len(pending) - 1

    def value_at(self, position: int) -> Any:
        """The value once the pieces up to ``position`` are applied (a later position already
        reached shows that later value: it is live)."""
        last = position - self._base
        applying = self._next
        if last >= applying:
            # The usual read, each delta as it is handed on, applies one piece.
            pending = self._pending
            if self.refused is None:
                feed = self._target.feed
                try:
                    while applying <= last:
                        feed(pending[applying])
                        applying += 1
                except self._refusal:
                    self.refused = self._base + applying
            if last + 1 == len(pending):
                # Every piece is applied: the list starts afresh, so it holds one read's worth.
                pending.clear()
                self._base = position + 1
                self._next = 0
            else:
                self._next = last + 1
        return self._target.value


class _Held:
    """The :class:`Target` of a settled :class:`Live`: a value, given no piece."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def feed(self, piece: object, /) -> None:
        raise StreamError("a settled value takes no piece")


def settled(value: Any) -> Live[Any]:
    """A Live whose value is ``value`` before any piece: that of an update that left its stream
    (pickled or copied)."""
    return Live(_Held(value), StreamError)


def _text() -> Live[str]:
    """The Live of a JSON text: its pieces parsed as they are applied."""
    return Live(PartialJSONParser(), InvalidJSONError)


class _Texts(dict[_Key, Live[str]]):
    """The Live of each text of one kind, by key, made for the text's first piece (looking one
    up costs a dict lookup: a rule runs once per delta)."""

    def __missing__(self, key: _Key) -> Live[str]:
        live = self[key] = _text()
        return live


class LiveArguments:
    """Gives the tool-call updates of one stream their parsed arguments (and a JSON answer its
    parsed value): what an accumulator made with ``partial_json=True`` does to its own updates,
    for updates got otherwise (an accumulator made without it, updates rebuilt elsewhere).

    :meth:`annotate` takes the updates of one stream, in order (a whole read's at once is
    fine), and makes each :class:`ToolCallArgumentsDelta`'s (and
    :class:`HostedToolArgumentsDelta`'s) ``parsed`` the arguments parsed up to that delta, each
    :class:`ToolCallDone`'s ``parsed`` the whole arguments (when valid JSON), each
    :class:`ContentDelta`'s ``parsed`` the answer so far, the legacy chat function call's
    updates theirs as a tool call's, and each Gemini
    :class:`~sseproto.ToolCallPartialArg`'s ``parsed`` the arguments so far. Use one per
    stream::

        live = LiveArguments()
        for data in reads:
            for update in accumulator.feed(data):
                live.annotate(update)
                ...  # update.parsed is the value up to this update

    A delta's text is parsed when its ``parsed`` is first read, up to that delta and no further,
    so read the updates' values in the order of the updates (see :class:`Live`).
    """

    __slots__ = ("_answers", "_calls", "_functions", "_hosted", "_structured")

    def __init__(self) -> None:
        # The argument text of each call, by (choice, index).
        self._calls: _Texts[tuple[int, int]] = _Texts()
        # The argument text of each call the provider runs, by (choice, index): its own table,
        # since those indexes are block or output positions, not the calls' compact ones.
        self._hosted: _Texts[tuple[int, int]] = _Texts()
        # The argument text of each choice's legacy function call.
        self._functions: _Texts[int] = _Texts()
        # Gemini's streamed arguments, structured, by (choice, index).
        self._structured: dict[tuple[int, int], Live[Any]] = {}
        # The answer text of each choice.
        self._answers: _Texts[int] = _Texts()

    def __repr__(self) -> str:
        # How much it follows, never the values (which may be megabytes): the calls whose
        # arguments it parses (text or Gemini's structured pieces; calls the provider runs and
        # legacy function calls too) and the answers.
        calls = len(self._calls.keys() | self._structured.keys())
        calls += len(self._hosted) + len(self._functions)
        return f"LiveArguments(calls={calls}, answers={len(self._answers)})"

    def annotate(self, update: ChatUpdate) -> None:
        """Give ``update``, the next update of the stream, its live value if it has one.

        Raises:
            TypeError: ``update`` is not an update (text, a payload, bytes).
        """
        try:
            follow = update._follow
        except AttributeError:
            raise TypeError(
                "LiveArguments.annotate takes the updates of a stream, not "
                f"{type(update).__name__}: feed the stream to an accumulator first"
            ) from None
        follow(self)

    def annotate_from(self, updates: list[ChatUpdate], start: int) -> None:
        """:meth:`annotate` each of ``updates`` from index ``start`` on."""
        for update in updates[start:]:
            update._follow(self)

    # -- the rules, one per kind of update (called by the updates' ``_follow``) ---------------

    def arguments(self, update: ToolCallArgumentsDelta) -> None:
        """More argument text for a call."""
        live = update._live = self._calls[update.choice, update.index]
        update._position = live.add(update.text)

    def hosted(self, update: HostedToolArgumentsDelta) -> None:
        """More argument text for a call the provider runs."""
        live = update._live = self._hosted[update.choice, update.index]
        update._position = live.add(update.text)

    def function(self, choice: int, text: str) -> tuple[Live[str], int]:
        """More argument text for the legacy function call of choice ``choice``: its Live and
        the piece's position, which the update keeps itself (it is chat's, which the kit does
        not know)."""
        live = self._functions[choice]
        return live, live.add(text)

    def answer(self, update: ContentDelta) -> None:
        """More answer text for a choice."""
        live = update._live = self._answers[update.choice]
        update._position = live.add(update.text)

    def structured(
        self, choice: int, index: int, piece: Any, new: Callable[[], Live[Any]]
    ) -> tuple[Live[Any], int]:
        """A piece of structured arguments for call ``index`` of choice ``choice``, applied by
        a ``new()`` Live made for the call's first piece: that Live and the piece's position,
        which the update keeps itself (it is a dialect's, which the kit does not know)."""
        key = (choice, index)
        live = self._structured.get(key)
        if live is None:
            live = self._structured[key] = new()
        return live, live.add(piece)

    def started(self, choice: int, index: int) -> None:
        """Call ``index`` of choice ``choice`` started: its arguments are its own, whatever an
        earlier call at the same index had."""
        key = (choice, index)
        self._calls.pop(key, None)
        self._structured.pop(key, None)

    def hosted_started(self, choice: int, index: int) -> None:
        """A call the provider runs started at ``index`` of choice ``choice``: its arguments
        are its own, whatever an earlier call there had."""
        self._hosted.pop((choice, index), None)

    def done(self, arguments: str) -> Any:
        """The value of a call's whole argument text, or None if it is not JSON under the rules
        of every payload."""
        try:
            return parse_json(arguments)
        except StreamError:
            return None
