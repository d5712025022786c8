"""Live partial JSON for tool-call arguments, the same way for every dialect.

Every engine reports a tool call's arguments as :class:`ToolCallArgumentsDelta` updates and its end
as :class:`ToolCallDone`, so one watcher of the updates gives every dialect (and every reader) the
parsed arguments: a :class:`~sseproto.PartialJSONParser` per call, fed each delta's text. The
engines themselves are untouched, so a stream read without it pays nothing.
"""

from __future__ import annotations

from ..partial_json.errors import InvalidJSONError
from ..partial_json.parser import PartialJSONParser
from .gemini.arguments import ArgumentsBuilder, BadPartialArg
from .gemini.updates import ToolCallPartialArg
from .kit.updates import (
    ChatUpdate,
    ContentDelta,
    ToolCallArgumentsDelta,
    ToolCallDone,
    ToolCallStarted,
)

__all__ = ["LiveArguments"]


class LiveArguments:
    """Gives the tool-call updates of one stream their parsed arguments (and a JSON answer its
    parsed value).

    :meth:`annotate` takes the updates an accumulator returned, one at a time and in order, as
    they are handled, and sets each :class:`ToolCallArgumentsDelta`'s ``parsed`` (the arguments
    parsed so far, up to that delta) and each :class:`ToolCallDone`'s ``parsed`` (the whole
    arguments, when valid JSON). Use one per stream::

        live = LiveArguments()
        for data in reads:
            for update in accumulator.feed(data):
                live.annotate(update)
                ...  # handle it: update.parsed is the value up to this update

    ``iter_updates(..., partial_json=True)`` does this for you. Each call's text is parsed once,
    as it arrives (see :class:`~sseproto.PartialJSONParser`); text that turns out not to be JSON
    stops the parsing of that call, which keeps the value of its valid beginning.

    The answer text is parsed the same way, for structured output (a JSON answer): each
    :class:`ContentDelta`'s ``parsed`` is the answer so far, until a delta shows it is not JSON
    (from that delta on, ``parsed`` is None; a prose answer costs a character or two).

    Gemini's streamed arguments (:class:`~sseproto.ToolCallPartialArg`) are already structured:
    each one's ``parsed`` is the arguments so far, built from the ``partialArgs`` up to it.
    """

    __slots__ = ("_answers", "_parsers", "_refused", "_structured")

    def __init__(self) -> None:
        self._parsers: dict[tuple[int, int], PartialJSONParser] = {}  # by (choice, index)
        # Gemini's streamed arguments, by (choice, index).
        self._structured: dict[tuple[int, int], ArgumentsBuilder] = {}
        self._refused: set[tuple[int, int]] = set()  # the calls whose arguments are not JSON
        # The answer of each choice; None once it is not JSON.
        self._answers: dict[int, PartialJSONParser | None] = {}

    def annotate(self, update: ChatUpdate) -> None:
        """Set ``parsed`` on ``update`` if it is a tool call's, the next update of the stream.

        The value a delta carries is live: annotating the next delta of the same call makes it
        grow, so annotate each update when it is handled, not a batch ahead.
        """
        if isinstance(update, ContentDelta):
            answers = self._answers
            answer = answers.get(update.choice, False)
            if answer is False:
                answer = answers[update.choice] = PartialJSONParser()
            if isinstance(answer, PartialJSONParser):
                try:
                    answer.feed(update.text)
                    update._parser = answer
                except InvalidJSONError:
                    answers[update.choice] = None
        elif isinstance(update, ToolCallArgumentsDelta):
            key = (update.choice, update.index)
            parser = self._parsers.get(key)
            if parser is None:
                parser = self._parsers[key] = PartialJSONParser()
            if key not in self._refused:
                try:
                    parser.feed(update.text)
                except InvalidJSONError:
                    self._refused.add(key)
            update._parser = parser
        elif isinstance(update, ToolCallPartialArg):
            # Gemini's streamed arguments come structured, by path: they are written into an
            # arguments object of this watcher's own, as the engine writes its own.
            key = (update.choice, update.index)
            arguments = self._structured.get(key)
            if arguments is None:
                arguments = self._structured[key] = ArgumentsBuilder()
            if key not in self._refused:
                try:
                    arguments.write(update.json_path, update.value)
                except BadPartialArg:
                    self._refused.add(key)
            update._arguments = arguments
        elif isinstance(update, ToolCallDone):
            update.parsed = _parsed(update.arguments)
        elif isinstance(update, ToolCallStarted):
            # A call that starts again (a new id at a used index) has arguments of its own.
            key = (update.choice, update.index)
            self._parsers.pop(key, None)
            self._structured.pop(key, None)
            self._refused.discard(key)


def _parsed(arguments: str) -> object:
    """The value of a whole argument text, or None if it is not JSON under the rules."""
    parser = PartialJSONParser()
    try:
        parser.feed(arguments)
        return parser.close()
    except InvalidJSONError:
        return None
