"""An incremental JSON parser: text in pieces of any size, the value parsed so far after each.

Strategy: every character is consumed once. The parsing loop is a generator, sent each piece:
between pieces its state stays in its frame's locals, and where it stands in the grammar (in a
key, a string, after a value) is where it stands in its code, so a piece costs no state loaded,
dispatched on and stored back. A run of plain string text is found by one regex match and kept as
a slice; an object key is read by one match, whole with its colon (a short key cut by the end of
the piece is matched once more with the next piece); a string whole in the piece is one slice;
the rest of the structure is read a character at a time; only a token cut by the end of a piece
(a number, a literal, an escape, a long key) is held until a later piece decides it. The value is
built in place, one container at a time, so a piece costs the same whether the text so far is
20 KB or 1 MB. The string being read is kept as a list of slices and joined only when
:attr:`PartialJSONParser.value` is read (and once more when it ends); the changes a piece made
can be had instead, as the text appended, so following a long string costs nothing per piece
either. A piece wholly inside a string does not resume the loop: plain text is one slice more,
and text with escapes is decoded in one call of the C string reader of ``json.loads``; a
backslash that ends the piece is held and read with the next piece (a ``\\u`` escape, which may
be half of a surrogate pair, is left to the loop). :meth:`PartialJSONParser.feed_changes` reads
such a piece itself, its change built at once.

The rules are those of every JSON payload sseproto reads (``parse_json`` in the dialect kit): the
value equals ``json.loads`` of the whole text, except that ``NaN``, ``Infinity``, floats that
overflow and nesting deeper than :data:`MAX_DEPTH` are refused, as are integers longer than the
interpreter converts (as ``json.loads`` refuses them).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Generator
from typing import Any, NamedTuple, cast

from .errors import InvalidJSONError

__all__ = [
    "MAX_DEPTH",
    "JSONChange",
    "JSONPath",
    "JSONTextAppended",
    "JSONValueAdded",
    "PartialJSONParser",
]

MAX_DEPTH = 256
"""The deepest nesting of arrays and objects a JSON value may have (the top-level value is depth
1), for every JSON text sseproto reads.

Real payloads nest a dozen levels at most. The bound keeps every writer far from Python's default
recursion limit of 1000, wherever it runs: ``json.dumps`` (either encoder) and comparisons spend
one frame per level, ``copy.deepcopy`` two, and a rebuilt result nests a payload a few levels
deeper than it came. It is also the most a payload of 513 characters can nest, so the usual chunk
(200 to 400 characters) is known to be within it from its length alone."""

JSONPath = tuple[str | int, ...]
"""Where a value sits in the whole value: object keys and array indices, outermost first (``()``
is the whole value)."""


class JSONValueAdded(NamedTuple):
    """A value appeared at ``path``: a number or literal (final), a string (``""``: its text
    comes in :class:`JSONTextAppended` changes), or an array or object (empty: its
    members come in later changes). An object key given twice replaces the earlier value, as in
    the value."""

    path: JSONPath
    value: Any


class JSONTextAppended(NamedTuple):
    """``text`` was appended to the string at ``path``."""

    path: JSONPath
    text: str


JSONChange = JSONValueAdded | JSONTextAppended
"""One change a piece of text made to the value."""

_WHITESPACE = " \t\n\r"
# What ends a string's plain text: a quote, a backslash, or a control character (which JSON
# strings must escape).
_string_special = re.compile(r'["\\\x00-\x1f]').search
# An object key read in one match from its opening quote (and, after a value, from the comma
# before it): group 1 is its text up to a quote, a backslash, a control character or the end of
# the piece; group 2, when the key ends there whole, its closing quote and colon. Without group 2
# the key goes on as a string (cut by the end of the piece, or holding an escape).
# (Never None from an opening quote: that alone matches.)
_key = cast(
    Callable[[str, int], "re.Match[str]"],
    re.compile(r'"([^"\\\x00-\x1f]*)(?:("[ \t\n\r]*:[ \t\n\r]*)|)').match,
)
_next_key = re.compile(r',[ \t\n\r]*"([^"\\\x00-\x1f]*)(?:("[ \t\n\r]*:[ \t\n\r]*)|)').match
# A whole number (RFC 8259 section 6); groups 1 and 2 say it is a float.
_number = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?").match
_NUMBER_CHARS = frozenset("-+0123456789.eE")

# The same grammar as a state machine, for a number cut by the end of a piece: state -> character
# -> state. States: 0 start, 1 after "-", 2 after a leading 0, 3 in the integer part, 4 after
# ".", 5 in the fraction, 6 after "e", 7 after the exponent's sign, 8 in the exponent.
_NUMBER_MOVES: list[dict[str, int]] = [
    {"-": 1, "0": 2, **dict.fromkeys("123456789", 3)},
    {"0": 2, **dict.fromkeys("123456789", 3)},
    {".": 4, "e": 6, "E": 6},
    {".": 4, "e": 6, "E": 6, **dict.fromkeys("0123456789", 3)},
    dict.fromkeys("0123456789", 5),
    {"e": 6, "E": 6, **dict.fromkeys("0123456789", 5)},
    {"+": 7, "-": 7, **dict.fromkeys("0123456789", 8)},
    dict.fromkeys("0123456789", 8),
    dict.fromkeys("0123456789", 8),
]
_NUMBER_ENDS = frozenset((2, 3, 5, 8))  # the states where a number may end

_LITERALS = {"t": "true", "f": "false", "n": "null"}
_LITERAL_VALUES = {"true": True, "false": False, "null": None}

_SIMPLE_ESCAPES = {
    '"': '"',
    "\\": "\\",
    "/": "/",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
}
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
# The longest key cut by the end of a piece that is held and matched again with the next piece
# (a longer one is read on as a string: no text is matched more than twice).
_HELD_KEY = 64
# The longest escape: a surrogate pair, two \uXXXX escapes.
_LONGEST_ESCAPE = 12

# How many slices of the string being read are kept before the newest are joined into one run:
# the slices of a long string cost memory (about 50 bytes each), the joins a copy of each
# character once per level.
_FOLD = 256


def _not_text(value: object) -> TypeError:
    """The error for a piece that is not text (a piece of bytes would be read as ints), naming
    its type; bytes are told to be decoded first."""
    hint = ": decode bytes first" if isinstance(value, bytes | bytearray | memoryview) else ""
    return TypeError(f"a piece of JSON text must be a str, not {type(value).__name__}{hint}")


class _EndOfText(Exception):
    """Thrown into the parsing generator by :meth:`PartialJSONParser.close`: the text ended."""


# What a helper of the parsing generator hands back: the result, then where reading stands
# (the piece, the index in it, its length, the offset of its first character).
_Read = Generator[None, str, tuple[Any, str, int, int, int]]


class _State:
    """What the parser and its parsing generator share. (The generator holds this, not the
    parser: a generator holding its parser would make each parser a reference cycle, freed only
    by the cyclic garbage collector, value and all.)"""

    __slots__ = (
        "_changes",
        "_closed",
        "_complete",
        "_error",
        "_folded",
        "_held",
        "_in_object",
        "_in_string",
        "_key",
        "_keys",
        "_length",
        "_pieces",
        "_root",
        "_stack",
        "_stale",
        "_string_path",
        "_top",
    )

    def __init__(self) -> None:
        self._root: Any = None
        # The open arrays and objects, outermost first; _keys[k] is the key under which _stack[k]
        # sits in its parent object (None in an array, or for the whole value).
        self._stack: list[Any] = []
        self._keys: list[str | None] = []
        # The value string being read, as slices (the first _folded of them runs already
        # joined), and where it sits: the innermost open container (None at the top level),
        # whether that is an object, and the string's key there.
        self._pieces: list[str] = []
        self._folded = 0
        self._top: Any = None
        self._in_object = False
        self._key: str | None = None
        self._stale = False  # whether the value holds less of that string than _pieces
        self._in_string = False  # whether the loop waits inside that string, no escape held
        self._held = False  # whether a backslash ended the last piece read in it, unread yet
        self._string_path: JSONPath | None = None  # its path, once the changes needed it
        self._complete = False  # whether the whole value has ended
        self._length = 0  # how many characters were fed
        self._error: InvalidJSONError | None = None  # the error raised: every call raises it
        self._closed = False
        self._changes: list[JSONChange] | None = None  # where feed_changes collects them


class PartialJSONParser:
    """Parses one JSON text fed in pieces, keeping the value parsed so far.

    :attr:`value` after a piece is the value of the text so far, and never shows what a later
    piece could change: a number only once the character after it has come (a digit could still
    follow), ``true``, ``false`` and ``null`` once whole, an escape once whole (a surrogate pair
    once both halves are), an object member only once its value has started. A string shows the
    text so far and only grows; arrays and objects only gain members. The value after a given text
    is the same however that text was split. (One exception, the only change ever made to a value
    shown: an object key given twice takes the later value, as ``json.loads`` does.)

    Each character is consumed once and the value is updated in place, so a piece costs the same
    at any length of text. :meth:`feed_changes` says what a piece changed, so a long string can be
    followed by the text appended to it instead of re-reading it.

    Invalid JSON raises :class:`InvalidJSONError` at the feed that brings the first bad character
    (the one no valid JSON text could have there); after that, every call raises it again.
    """

    def __init__(self) -> None:
        self._state = state = _State()
        # The parsing loop is a generator: its state stays in its frame's locals between
        # pieces, and where it stands in the grammar is where it stands in its code.
        self._parsing = _parse(state)
        next(self._parsing)
        self._send = self._parsing.send

    def __repr__(self) -> str:
        # Where the text stands, never the value (which may be megabytes): the characters
        # consumed, the open arrays and objects, and whether the value or the text has ended.
        state = self._state
        fields = f"offset={state._length}, depth={len(state._stack)}"
        if state._error is not None:
            fields += ", state='failed'"
        elif state._closed:
            fields += ", state='closed'"
        elif state._complete:
            fields += ", state='complete'"
        return f"PartialJSONParser({fields})"

    @property
    def value(self) -> Any:
        """The value parsed so far: ``None`` before any value has started.

        This is the parser's own value, updated in place by later feeds (copy it to keep it as it
        is now; do not change it). Read it again after each feed: the string being read is brought
        up to date when ``value`` is read (a cost in the length of that string, so a long string
        is better followed with :meth:`feed_changes`).
        """
        state = self._state
        if state._stale:
            pieces = state._pieces
            text = "".join(pieces)
            pieces[:] = [text]
            state._folded = 1
            top = state._top
            if top is None:
                state._root = text
            elif state._in_object:
                top[state._key] = text
            else:
                top[-1] = text
            state._stale = False
        return state._root

    def feed(self, text: str) -> None:
        """Parse the next piece of the text.

        Raises:
            InvalidJSONError: the text so far is not the start of a valid JSON text, or breaks
                one of the rules (see the module); or the parser was closed.
            TypeError: ``text`` is not a ``str`` (bytes are decoded first); the parser is
                unchanged.
        """
        state = self._state
        # The usual piece of a long string is read without resuming the parsing loop.
        if state._in_string and type(text) is str and _read_inside(state, text) is not None:
            return
        self._resume(text)

    def feed_changes(self, text: str) -> list[JSONChange]:
        """Parse the next piece of the text (as :meth:`feed`) and say what it changed, in order:
        each value that appeared and the text appended to each string, the whole value given as
        ``()``. Applied in order to a copy of the value before the piece, they give the value
        after it. (A number that is the whole value ends only with the text: unless whitespace
        follows it, :meth:`close_changes` reports it.)"""
        state = self._state
        if state._in_string and type(text) is str:
            run = _read_inside(state, text)
            if run is not None:
                if not run:
                    return []
                # The path is the same for every piece of a string.
                path = state._string_path
                if path is None:
                    path = state._string_path = _path(state._stack, state._keys, state._key)
                return [_tuple_new(JSONTextAppended, (path, run))]
        changes: list[JSONChange] = []
        state._changes = changes
        try:
            self._resume(text)
        finally:
            state._changes = None
        return changes

    def _resume(self, text: str) -> None:
        """Send the piece to the parsing loop (after a backslash held by :func:`_read_inside`)."""
        state = self._state
        if state._error is not None:  # nothing is read after an error, not even a held backslash
            raise state._error
        if not isinstance(text, str):
            raise _not_text(text)
        held = state._held
        if held:
            # The loop reads the held backslash as the start of an escape, at its own offset.
            text = "\\" + text
            state._held = False
            state._length -= 1
        try:
            self._send(text)
        except StopIteration:  # the parsing generator has ended: close() ended the text
            state._error = InvalidJSONError("text fed after close()", offset=state._length)
            raise state._error from None
        except InvalidJSONError as exc:
            state._error = exc
            state._in_string = False  # the loop has ended: later pieces go to it, to be refused
            if held:  # counted with the piece that brought it, which was read
                state._length += 1
            raise
        state._length += len(text)

    def close_changes(self) -> list[JSONChange]:
        """End the text (as :meth:`close`) and say what its end changed: a number that is the
        whole value and that only the end of the text ended (``[JSONValueAdded((), 12)]``),
        else nothing. With :meth:`feed_changes`, the changes then give the whole value.

        Raises:
            InvalidJSONError: as :meth:`close`.
        """
        state = self._state
        changes: list[JSONChange] = []
        state._changes = changes
        try:
            self.close()
        finally:
            state._changes = None
        return changes

    def close(self) -> Any:
        """The whole value, once the text has ended.

        Raises:
            InvalidJSONError: the text ended before its value did (or held no value).
        """
        state = self._state
        if state._error is not None:
            raise state._error
        if not state._closed:
            try:
                self._parsing.throw(_EndOfText())
            except _EndOfText:
                if not state._complete:
                    state._error = InvalidJSONError(
                        "the text ended before its value did", offset=state._length
                    )
                    raise state._error from None
            except InvalidJSONError as exc:  # a number that is the whole value, refused
                state._error = exc
                raise
            finally:
                state._in_string = False  # the loop has ended: later pieces go to it, refused
            state._closed = True
        return self.value


def _fold(state: _State) -> None:
    """Join the newest slices of the string being read into one run."""
    pieces = state._pieces
    pieces[state._folded :] = ["".join(pieces[state._folded :])]
    state._folded += 1


def _read_inside(state: _State, piece: str) -> str | None:
    """Read ``piece``, wholly inside the value string the loop waits in, without resuming the
    loop, and give the text it appended to the string (``""`` for none); or None, having read
    nothing, for the loop to read it: a quote that ends the string, a control character, a
    ``\\u`` escape (which may be half of a surrogate pair), an invalid escape.

    Text without a backslash is appended as it is; text with escapes is decoded by one call of
    json's C string reader. A backslash that ends the piece (an escape cut in two) is held, and
    read with the next piece."""
    text = "\\" + piece if state._held else piece
    held = False
    if "\\" not in text:
        if '"' in text or (not text.isprintable() and _string_special(text) is not None):
            return None
        run = text
    else:
        if text[-1] == "\\" and (len(text) - len(text.rstrip("\\"))) & 1:
            held = True
            text = text[:-1]
        if "\\u" in text:
            return None
        try:
            run, end = _scanstring(text + '"', 0)
        except ValueError:
            return None
        if end <= len(text):  # a quote ended the string
            return None
    state._held = held
    pieces = state._pieces
    pieces.append(run)
    state._stale = True
    if len(pieces) > state._folded + _FOLD:
        _fold(state)
    state._length += len(piece)
    return run


def _parse(state: _State) -> Generator[None, str, None]:
    """The parsing loop: sent each piece, it reads it and waits for the next. It ends only
    by raising: an error in the text, or the end of the text (_EndOfText thrown in by
    close()).

    One pass of the outer loop reads a value: first its key when one is expected, then its
    start, then the rest of a string, then what follows it (commas and closing brackets).
    """
    text = yield
    stack = state._stack
    keys = state._keys
    pieces = state._pieces
    top: Any = None
    in_object = False
    key: str | None = None
    base = 0  # the offset of text[0]
    i = 0
    n = len(text)
    expect_key = False  # an object key comes next, not read yet
    reading = False  # a string is being read, from i on
    in_key = False  # that string is a key
    mark = 0  # the slices of that string the changes of this piece start from
    # An escape held until it is whole (a high surrogate until what follows it is known),
    # across pieces if need be: whether there is one, its text so far and its offset.
    escaping = False
    escape = ""
    start = 0
    while True:
        if expect_key:
            expect_key = False
            while i == n or text[i] in _WHITESPACE:
                if i < n:
                    i += 1
                else:
                    base += n
                    text = yield
                    i = 0
                    n = len(text)
            if text[i] != '"':
                raise InvalidJSONError(f"expected an object key, got {text[i]!r}", offset=base + i)
            keyed = _key(text, i)
            if keyed.lastindex != 2 and keyed.end() == n and n - i <= _HELD_KEY:
                # A short key cut by the end of the piece: matched again with the next
                # piece (as one text, its offsets from the key's own).
                held = text[i:]
                text = yield
                base += n - len(held)
                text = held + text
                i = 0
                n = len(text)
                keyed = _key(text, 0)
            if keyed.lastindex == 2:
                key = keyed[1]
                i = keyed.end()
            else:
                # Long, or holding an escape: read on as a string.
                reading = True
                in_key = True
                mark = 0
                i += 1
        if not reading:
            while i == n or text[i] in _WHITESPACE:
                if i < n:
                    i += 1
                else:
                    base += n
                    text = yield
                    i = 0
                    n = len(text)
            c = text[i]
            if c == '"':
                special = _string_special(text, i + 1)
                if special is not None and special[0] == '"':
                    # A string whole in the piece, with nothing to decode.
                    end = special.start()
                    string = text[i + 1 : end]
                    i = end + 1
                    if top is None:
                        state._root = string
                    elif in_object:
                        top[key] = string
                    else:
                        top.append(string)
                    changes = state._changes
                    if changes is not None:
                        path = _path(stack, keys, key)
                        changes.append(_tuple_new(JSONValueAdded, (path, "")))
                        if string:
                            changes.append(_tuple_new(JSONTextAppended, (path, string)))
                else:
                    if top is None:
                        state._root = ""
                    elif in_object:
                        top[key] = ""
                    else:
                        top.append("")
                    changes = state._changes
                    if changes is not None:
                        changes.append(_tuple_new(JSONValueAdded, (_path(stack, keys, key), "")))
                    state._string_path = None
                    # Where the value shows the string's text so far.
                    state._top = top
                    state._in_object = in_object
                    state._key = key
                    reading = True
                    mark = 0
                    i += 1
            else:
                opened = c == "{" or c == "["
                if opened:
                    if len(stack) == MAX_DEPTH:
                        raise InvalidJSONError(
                            f"nested too deeply: more than {MAX_DEPTH} levels of arrays and"
                            " objects",
                            offset=base + i,
                        )
                    new: Any = {} if c == "{" else []
                    i += 1
                elif c in _NUMBER_CHARS:
                    match = _number(text, i)
                    if match is None or (end := match.end()) == n or text[end] in _NUMBER_CHARS:
                        # Cut by the end of the piece, or malformed: the state machine decides.
                        new, text, i, n, base = yield from _number_rest(
                            state, text, i, n, base, top is None
                        )
                    else:
                        new = _number_value(match[0], match.lastindex is not None, base + i)
                        i = end
                elif c in _LITERALS:
                    word = _LITERALS[c]
                    new = _LITERAL_VALUES[word]
                    if text.startswith(word, i):
                        i += len(word)
                    else:
                        # Cut by the end of the piece, or misspelt: a character at a time.
                        matched = 0
                        while True:
                            while matched < len(word) and i < n:
                                if text[i] != word[matched]:
                                    raise InvalidJSONError(
                                        f"expected {word!r}, got {text[i]!r}", offset=base + i
                                    )
                                matched += 1
                                i += 1
                            if matched == len(word):
                                break
                            base += n
                            text = yield
                            i = 0
                            n = len(text)
                else:
                    raise InvalidJSONError(_unexpected(c, top, in_object), offset=base + i)
                if top is None:
                    state._root = new
                elif in_object:
                    top[key] = new
                else:
                    top.append(new)
                changes = state._changes
                if changes is not None:
                    # A container as it is now (empty): its members come as changes too.
                    added = type(new)() if opened else new
                    changes.append(_tuple_new(JSONValueAdded, (_path(stack, keys, key), added)))
                if opened:
                    stack.append(new)
                    keys.append(key if in_object else None)
                    top = new
                    in_object = c == "{"
                    key = None
                    while i == n or text[i] in _WHITESPACE:
                        if i < n:
                            i += 1
                        else:
                            base += n
                            text = yield
                            i = 0
                            n = len(text)
                    if text[i] != ("}" if in_object else "]"):
                        expect_key = in_object
                        continue
                    # An empty array or object: closed below, as after a value.
        if reading:
            # The rest of a string, from i on.
            while True:
                if escaping:
                    whole = escape + text[i : i + _LONGEST_ESCAPE - len(escape)]
                    decoded = _decode_escape(whole, start)
                    if decoded is None:
                        escape = whole
                        i = n
                    else:
                        pieces.append(decoded[0])
                        consumed = decoded[1] - len(escape)
                        if consumed >= 0:
                            i += consumed
                            escaping = False
                        else:
                            # A lone high surrogate, then a backslash already held: the
                            # start of the next escape.
                            escape = escape[decoded[1] :]
                            start += decoded[1]
                        continue
                elif (special := _string_special(text, i)) is None:
                    if i < n:
                        pieces.append(text[i:])
                        i = n
                else:
                    j = special.start()
                    if j > i:
                        pieces.append(text[i:j])
                    c = special[0]
                    if c == '"':
                        i = j + 1
                        break
                    if c != "\\":
                        raise InvalidJSONError(
                            f"control character {c!r} in a string", offset=base + j
                        )
                    simple = _SIMPLE_ESCAPES.get(text[j + 1]) if j + 1 < n else None
                    if simple is not None:
                        pieces.append(simple)
                        i = j + 2
                    else:
                        escaping = True
                        escape = ""
                        start = base + j
                        i = j
                    continue
                # The end of the piece, inside the string.
                if not in_key and len(pieces) > mark:
                    state._stale = True
                    changes = state._changes
                    if changes is not None:
                        string_path = state._string_path
                        if string_path is None:
                            string_path = state._string_path = _path(stack, keys, key)
                        appended = pieces[-1] if len(pieces) == mark + 1 else "".join(pieces[mark:])
                        changes.append(_tuple_new(JSONTextAppended, (string_path, appended)))
                if len(pieces) > state._folded + _FOLD:  # a key's slices too
                    _fold(state)
                # _read_inside() reads the pieces wholly inside a value string, until one
                # is not: the next piece the loop reads starts where it stopped (with the
                # backslash it held, if any; state._length is then that backslash's offset).
                state._in_string = not in_key and not escaping
                text = yield
                base = state._length
                i = 0
                n = len(text)
                mark = len(pieces)
            string = "".join(pieces)
            state._in_string = False
            reading = False
            if in_key:
                in_key = False
                key = string
                pieces.clear()
                state._folded = 0
                while i == n or text[i] != ":":
                    if i == n:
                        base += n
                        text = yield
                        i = 0
                        n = len(text)
                    elif text[i] in _WHITESPACE:
                        i += 1
                    else:
                        raise InvalidJSONError(
                            f"expected ':' after an object key, got {text[i]!r}",
                            offset=base + i,
                        )
                i += 1
                continue
            state._stale = False
            changes = state._changes
            if changes is not None and len(pieces) > mark:
                string_path = state._string_path
                if string_path is None:
                    string_path = _path(stack, keys, key)
                changes.append(_tuple_new(JSONTextAppended, (string_path, "".join(pieces[mark:]))))
            pieces.clear()
            state._folded = 0
            if top is None:
                state._root = string
            elif in_object:
                top[key] = string
            else:
                top[-1] = string
        # After a value: a comma or a closing bracket (only whitespace after the whole
        # value).
        while True:
            if i == n:
                if top is None:
                    state._complete = True
                base += n
                text = yield
                i = 0
                n = len(text)
                continue
            c = text[i]
            if c == ",":
                if in_object:
                    # The next key whole with its colon, in one match.
                    match = _next_key(text, i)
                    if match is not None and match.lastindex == 2:
                        key = match[1]
                        i = match.end()
                    else:
                        expect_key = True
                        i += 1
                    break
                if top is None:
                    raise InvalidJSONError("a comma after the whole value", offset=base + i)
                i += 1
                break
            if c in _WHITESPACE:
                i += 1
            elif (c == "}" and in_object) or (c == "]" and top is not None and not in_object):
                stack.pop()
                key = keys.pop()
                top = stack[-1] if stack else None
                in_object = type(top) is dict
                i += 1
            else:
                raise InvalidJSONError(_unexpected(c, top, in_object), offset=base + i)


def _number_rest(state: _State, text: str, i: int, n: int, base: int, whole_value: bool) -> _Read:
    """A number from ``text[i]`` on, cut by the end of the piece or malformed, read a
    character at a time by the grammar's state machine. One that is the whole value
    (``whole_value``) ends with the text: at :meth:`close`."""
    start = base + i
    token: list[str] = []
    number_state = 0
    moves = _NUMBER_MOVES
    while True:
        j = i
        while j < n:
            next_state = moves[number_state].get(text[j])
            if next_state is None:
                break
            number_state = next_state
            j += 1
        token.append(text[i:j])
        if j < n:
            if text[j] in _NUMBER_CHARS or number_state not in _NUMBER_ENDS:
                raise InvalidJSONError(
                    f"{text[j]!r} cannot come there in a number", offset=base + j
                )
            return _number_value("".join(token), number_state >= 5, start), text, j, n, base
        base += n
        try:
            text = yield
        except _EndOfText:
            if whole_value and number_state in _NUMBER_ENDS:
                state._root = number = _number_value("".join(token), number_state >= 5, start)
                state._complete = True
                if state._changes is not None:
                    state._changes.append(_tuple_new(JSONValueAdded, ((), number)))
            raise
        i = 0
        n = len(text)


def _path(stack: list[Any], keys: list[str | None], key: str | None) -> JSONPath:
    """The path of the value being read: the last member of the innermost open container."""
    path: list[str | int] = []
    for depth in range(1, len(stack) + 1):
        parent = stack[depth - 1]
        if type(parent) is dict:
            member = keys[depth] if depth < len(stack) else key
            assert member is not None
            path.append(member)
        else:
            path.append(len(parent) - 1)
    return tuple(path)


# The changes are built by tuple's own constructor, called directly: a named tuple's ``__new__`` is
# Python code, costing more than the rest of a piece of a long string, and binding the class with
# ``functools.partial`` costs a call more.
_tuple_new = tuple.__new__


# The C reader of json.loads's strings: ``_scanstring(text, index)`` is the string whose opening
# quote is just before ``text[index]`` and the index past its closing quote.
_scanstring: Callable[[str, int], tuple[str, int]] = vars(json.JSONDecoder())["parse_string"]


def _unexpected(char: str, top: Any, in_object: bool) -> str:
    """Why ``char`` cannot come where it came."""
    if top is None:
        return f"{char!r} cannot start or follow a JSON value"
    closing = "'}'" if in_object else "']'"
    return f"expected a value, ',' or {closing}, got {char!r}"


def _number_value(token: str, is_float: bool, start: int) -> int | float:
    """The number ``token`` (valid JSON) means, refused if it cannot be written back as JSON."""
    if is_float:
        number = float(token)
        if math.isinf(number):
            raise InvalidJSONError(
                f"{_shorten(token)} is out of the range of a float", offset=start
            )
        return number
    try:
        return int(token)
    except ValueError as exc:  # more digits than the interpreter converts
        raise InvalidJSONError(str(exc), offset=start) from None


def _shorten(token: str) -> str:
    return token if len(token) <= 40 else f"{token[:37]}..."


def _decode_escape(escape: str, start: int) -> tuple[str, int] | None:
    """The character(s) the escape at the start of ``escape`` (which starts with a backslash, at
    offset ``start``) stands for, and its length; None if ``escape`` is too short to tell.

    A high surrogate followed by a low one (both as escapes) is one character, as ``json.loads``
    reads it; so a high surrogate is decided only once what follows it is known.
    """
    if len(escape) < 2:
        return None
    simple = _SIMPLE_ESCAPES.get(escape[1])
    if simple is not None:
        return simple, 2
    if escape[1] != "u":
        raise InvalidJSONError(f"invalid escape {escape[:2]!r}", offset=start + 1)
    code = _hex4(escape, 2, start)
    if code is None:
        return None
    if not 0xD800 <= code <= 0xDBFF:
        return chr(code), 6
    if len(escape) < 8:
        if len(escape) == 7 and escape[6] != "\\":
            return chr(code), 6
        return None
    if escape[6:8] != "\\u":
        return chr(code), 6
    low = _hex4(escape, 8, start)
    if low is None:
        return None
    if 0xDC00 <= low <= 0xDFFF:
        return chr(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)), 12
    return chr(code), 6


def _hex4(escape: str, at: int, start: int) -> int | None:
    """The four hex digits at ``escape[at:]`` as a number; None if fewer have come."""
    digits = escape[at : at + 4]
    for index, char in enumerate(digits):
        if char not in _HEX_DIGITS:
            raise InvalidJSONError(
                f"{char!r} in a \\u escape, which takes four hex digits", offset=start + at + index
            )
    return int(digits, 16) if len(digits) == 4 else None
