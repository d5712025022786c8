"""An incremental JSON parser: text in pieces of any size, the value parsed so far after each.

Strategy: every character is consumed once. A run of plain string text is found by one regex
match and kept as a slice; an object key is read by one match, whole with its colon or as far as
the piece goes; the rest of the structure is read a character at a time; only a token cut by the
end of a piece (a number, a literal, an escape, a key) is held, in a small buffer, until a later
piece decides it. The value is built in place, one container at a time, so a piece costs the same
whether the text so far is 20 KB or 1 MB. The string being read is kept as a list of slices and
joined only when :attr:`PartialJSONParser.value` is read (and once more when it ends); the changes
a piece made can be had instead, as the text appended, so following a long string costs nothing
per piece either. A piece wholly inside a string skips the parsing loop: plain text is one slice
more, and text with escapes is decoded in one call of the C string reader of ``json.loads`` (a
backslash that ends the piece is held for the next one; a ``\\u`` escape, which may be half of a
surrogate pair, is left to the loop).

The rules are those of every JSON payload sseproto reads (``parse_json`` in the dialect kit): the
value equals ``json.loads`` of the whole text, except that ``NaN``, ``Infinity``, floats that
overflow and nesting deeper than :data:`MAX_DEPTH` are refused, as are integers longer than the
interpreter converts (as ``json.loads`` refuses them).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from functools import partial
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

# What the parser expects next.
_VALUE = 0  # a value (the whole value, an array item after a comma, an object member's value)
_FIRST_ITEM = 1  # an array's first item, or the end of an empty array
_FIRST_KEY = 2  # an object's first key, or the end of an empty object
_KEY = 3  # an object key after a comma
_COLON = 4  # the colon after a key
_AFTER = 5  # a comma or a closing bracket after a value; only whitespace after the whole value
_STRING = 6  # the rest of a string (a value, or a key when _in_key)
_ESCAPE = 7  # the rest of an escape cut by the end of a piece
_NUMBER = 8  # the rest of a number cut by the end of a piece (or malformed)
_LITERAL = 9  # the rest of true, false or null cut by the end of a piece
_CLOSED = 10  # close() has returned
_FAILED = 11  # an error was raised: every call raises it again

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
# The longest escape: a surrogate pair, two \uXXXX escapes.
_LONGEST_ESCAPE = 12

# How many slices of the string being read are kept before the newest are joined into one run:
# the slices of a long string cost memory (about 50 bytes each), the joins a copy of each
# character once per level.
_FOLD = 256


def _not_text(value: object) -> TypeError:
    """The error for a piece that is not text (a piece of bytes would be read as ints)."""
    return TypeError(
        f"a piece of JSON text must be a str, not {type(value).__name__}: decode bytes first"
    )


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
        self._state = _VALUE
        self._root: Any = None
        # The open arrays and objects, outermost first; _keys[k] is the key under which _stack[k]
        # sits in its parent object (None in an array, or for the whole value).
        self._stack: list[Any] = []
        self._keys: list[str | None] = []
        self._top: Any = None  # the innermost open container, None at the top level
        self._in_object = False  # whether _top is an object
        self._key: str | None = None  # the key of the member being read in _top
        # The string being read, as slices; the first _folded of them are runs already joined.
        self._pieces: list[str] = []
        self._folded = 0
        self._in_key = False  # whether that string is a key
        self._string_path: JSONPath | None = None  # its path, once feed_changes needed it
        self._stale = False  # whether the value holds less of that string than _pieces
        self._token: list[str] = []  # the text of a number cut by the end of a piece
        self._number_state = 0
        self._token_start = 0  # the offset where that number, literal or escape started
        self._literal = ""  # the literal cut by the end of a piece, and how much of it came
        self._matched = 0
        self._escape = ""  # the escape cut by the end of a piece
        self._offset = 0  # how many characters were fed before this piece
        self._error: InvalidJSONError | None = None  # the error raised, in state _FAILED
        self._changes: list[JSONChange] | None = None  # where feed_changes collects them

    @property
    def value(self) -> Any:
        """The value parsed so far: ``None`` before any value has started.

        This is the parser's own value, updated in place by later feeds (copy it to keep it as it
        is now; do not change it). Read it again after each feed: the string being read is brought
        up to date when ``value`` is read (a cost in the length of that string, so a long string
        is better followed with :meth:`feed_changes`).
        """
        if self._stale:
            pieces = self._pieces
            text = "".join(pieces)
            pieces[:] = [text]
            self._folded = 1
            top = self._top
            if top is None:
                self._root = text
            elif self._in_object:
                top[self._key] = text
            else:
                top[-1] = text
            self._stale = False
        return self._root

    def feed(self, text: str) -> None:
        """Parse the next piece of the text.

        Raises:
            InvalidJSONError: the text so far is not the start of a valid JSON text, or breaks
                one of the rules (see the module); or the parser was closed.
            TypeError: ``text`` is not a ``str`` (bytes are decoded first); the parser is
                unchanged.
        """
        if not isinstance(text, str):
            raise _not_text(text)
        changes = self._changes
        state = self._state
        if (state == _STRING or (state == _ESCAPE and self._escape == "\\")) and not self._in_key:
            # The usual piece of a long string, nothing in it but more of the string: one slice
            # more, without the parsing loop. (A backslash that ended the piece before, and one
            # that ends this one, are read here too: the usual escapes are two characters, and
            # one in five pieces of escaped text cuts one.)
            whole = text if state == _STRING else "\\" + text
            special = _string_special(whole)
            cut = False
            if special is None:
                run: str | None = whole
            elif special[0] == "\\":
                trailing = len(whole) - len(whole.rstrip("\\"))
                cut = trailing % 2 == 1
                run = _string_run(whole[:-1] if cut else whole)
            else:  # the string ends (or a control character)
                run = None
            if run is not None:
                if cut:
                    self._state = _ESCAPE
                    self._escape = "\\"
                    self._token_start = self._offset + len(text) - 1
                elif state == _ESCAPE:
                    self._state = _STRING
                    self._escape = ""
                pieces = self._pieces
                pieces.append(run)
                self._offset += len(text)
                self._stale = True
                if len(pieces) > self._folded + _FOLD:
                    self._fold()
                if changes is not None and run:
                    # The path is the same for every piece of a string.
                    path = self._string_path
                    if path is None:
                        path = self._string_path = _path(self._stack, self._keys, self._key)
                    changes.append(_text_appended((path, run)))
                return
        # The parsing loop: state in locals, written back at the end.
        try:
            state = self._state
            if state >= _CLOSED:
                raise self._error or InvalidJSONError("text fed after close()", offset=self._offset)
            stack = self._stack
            keys = self._keys
            top = self._top
            in_object = self._in_object
            key = self._key
            pieces = self._pieces
            in_key = self._in_key
            base = self._offset
            mark = len(pieces)  # the string's slices before this piece, for changes
            n = len(text)
            i = 0
            while i < n:
                if state == _STRING:
                    special = _string_special(text, i)
                    if special is None:
                        pieces.append(text[i:])
                        break
                    j = special.start()
                    if j > i:
                        pieces.append(text[i:j])
                    c = special[0]
                    if c == '"':
                        i = j + 1
                        string = "".join(pieces)
                        if in_key:
                            key = string
                            in_key = False
                            state = _COLON
                        else:
                            if changes is not None and len(pieces) > mark:
                                appended = "".join(pieces[mark:])
                                changes.append(_text_appended((_path(stack, keys, key), appended)))
                            if top is None:
                                self._root = string
                            elif in_object:
                                top[key] = string
                            else:
                                top[-1] = string
                            state = _AFTER
                        pieces.clear()
                        self._folded = 0
                    elif c == "\\":
                        simple = _SIMPLE_ESCAPES.get(text[j + 1]) if j + 1 < n else None
                        if simple is not None:
                            pieces.append(simple)
                            i = j + 2
                        else:
                            escape = text[j : j + _LONGEST_ESCAPE]
                            decoded = _decode_escape(escape, base + j)
                            if decoded is None:
                                self._escape = escape
                                self._token_start = base + j
                                state = _ESCAPE
                                break
                            pieces.append(decoded[0])
                            i = j + decoded[1]
                    else:
                        raise InvalidJSONError(
                            f"control character {c!r} in a string", offset=base + j
                        )
                elif state == _AFTER:
                    c = text[i]
                    if c == ",":
                        if in_object:
                            # The next key whole with its colon, or its text so far, read on
                            # as a string: as from a key's quote in state _KEY.
                            match = _next_key(text, i)
                            if match is not None:
                                i = match.end()
                                if match.lastindex == 2:
                                    key = match[1]
                                    state = _VALUE
                                else:
                                    in_key = True
                                    state = _STRING
                                    if match[1]:
                                        pieces.append(match[1])
                                continue
                            state = _KEY
                        elif top is not None:
                            state = _VALUE
                        else:
                            raise InvalidJSONError("a comma after the whole value", offset=base + i)
                        i += 1
                    elif c in _WHITESPACE:
                        i += 1
                    elif (c == "}" and in_object) or (
                        c == "]" and top is not None and not in_object
                    ):
                        stack.pop()
                        key = keys.pop()
                        top = stack[-1] if stack else None
                        in_object = type(top) is dict
                        i += 1
                    else:
                        raise InvalidJSONError(_unexpected(c, top, in_object), offset=base + i)
                elif state <= _FIRST_ITEM:
                    c = text[i]
                    if c == '"':
                        new: Any = ""
                        following = _STRING
                        mark = 0
                        self._string_path = None
                        i += 1
                    elif c == "{" or c == "[":
                        if len(stack) == MAX_DEPTH:
                            raise InvalidJSONError(
                                f"nested too deeply: more than {MAX_DEPTH} levels of arrays and"
                                " objects",
                                offset=base + i,
                            )
                        new = {} if c == "{" else []
                        following = _FIRST_KEY if c == "{" else _FIRST_ITEM
                        i += 1
                    elif c in _WHITESPACE:
                        i += 1
                        continue
                    elif c == "]" and state == _FIRST_ITEM:
                        stack.pop()
                        key = keys.pop()
                        top = stack[-1] if stack else None
                        in_object = type(top) is dict
                        state = _AFTER
                        i += 1
                        continue
                    elif c in _NUMBER_CHARS:
                        match = _number(text, i)
                        if match is None or (end := match.end()) == n or text[end] in _NUMBER_CHARS:
                            # Cut by the end of the piece, or malformed: the state machine decides.
                            self._token_start = base + i
                            self._number_state = 0
                            state = _NUMBER
                            continue
                        new = _number_value(match[0], match.lastindex is not None, base + i)
                        following = _AFTER
                        i = end
                    elif c in _LITERALS:
                        word = _LITERALS[c]
                        if not text.startswith(word, i):
                            # Cut by the end of the piece, or misspelt: read a character at a time.
                            self._literal = word
                            self._matched = 0
                            state = _LITERAL
                            continue
                        new = _LITERAL_VALUES[word]
                        following = _AFTER
                        i += len(word)
                    else:
                        raise InvalidJSONError(_unexpected(c, top, in_object), offset=base + i)
                    if top is None:
                        self._root = new
                    elif in_object:
                        top[key] = new
                    else:
                        top.append(new)
                    if changes is not None:
                        # A container as it is now (empty): its members come as changes too.
                        added = type(new)() if following in (_FIRST_KEY, _FIRST_ITEM) else new
                        changes.append(_value_added((_path(stack, keys, key), added)))
                    if following in (_FIRST_KEY, _FIRST_ITEM):
                        stack.append(new)
                        keys.append(key if in_object else None)
                        top = new
                        in_object = following == _FIRST_KEY
                        key = None
                    state = following
                elif state in (_FIRST_KEY, _KEY):
                    c = text[i]
                    if c == '"':
                        match = _key(text, i)
                        i = match.end()
                        if match.lastindex == 2:
                            key = match[1]
                            state = _VALUE
                        else:
                            in_key = True
                            state = _STRING
                            if match[1]:
                                pieces.append(match[1])
                    elif c in _WHITESPACE:
                        i += 1
                    elif c == "}" and state == _FIRST_KEY:
                        stack.pop()
                        key = keys.pop()
                        top = stack[-1] if stack else None
                        in_object = type(top) is dict
                        state = _AFTER
                        i += 1
                    else:
                        raise InvalidJSONError(
                            f"expected an object key, got {c!r}", offset=base + i
                        )
                elif state == _COLON:
                    c = text[i]
                    if c == ":":
                        state = _VALUE
                    elif c not in _WHITESPACE:
                        raise InvalidJSONError(
                            f"expected ':' after an object key, got {c!r}", offset=base + i
                        )
                    i += 1
                elif state in (_NUMBER, _LITERAL):
                    if state == _LITERAL:
                        word = self._literal
                        matched = self._matched
                        while matched < len(word) and i < n:
                            if text[i] != word[matched]:
                                raise InvalidJSONError(
                                    f"expected {word!r}, got {text[i]!r}", offset=base + i
                                )
                            matched += 1
                            i += 1
                        if matched < len(word):
                            self._matched = matched
                            break
                        new = _LITERAL_VALUES[word]
                    else:
                        moves = _NUMBER_MOVES
                        number_state = self._number_state
                        j = i
                        while j < n:
                            next_state = moves[number_state].get(text[j])
                            if next_state is None:
                                break
                            number_state = next_state
                            j += 1
                        self._token.append(text[i:j])
                        self._number_state = number_state
                        if j == n:
                            break
                        if text[j] in _NUMBER_CHARS or number_state not in _NUMBER_ENDS:
                            raise InvalidJSONError(
                                f"{text[j]!r} cannot come there in a number", offset=base + j
                            )
                        new = self._held_number()
                        i = j
                    if top is None:
                        self._root = new
                    elif in_object:
                        top[key] = new
                    else:
                        top.append(new)
                    if changes is not None:
                        changes.append(_value_added((_path(stack, keys, key), new)))
                    state = _AFTER
                else:  # _ESCAPE
                    escape = self._escape + text[i : i + _LONGEST_ESCAPE - len(self._escape)]
                    decoded = _decode_escape(escape, self._token_start)
                    if decoded is None:
                        self._escape = escape
                        break
                    consumed = decoded[1] - len(self._escape)
                    pieces.append(decoded[0])
                    if consumed < 0:
                        # A lone high surrogate, then a backslash already held: the start of the
                        # next escape.
                        self._escape = self._escape[decoded[1] :]
                        self._token_start += decoded[1]
                    else:
                        state = _STRING
                        i += consumed
            if state in (_STRING, _ESCAPE):
                self._stale = not in_key
                if changes is not None and not in_key and len(pieces) > mark:
                    appended = "".join(pieces[mark:])
                    changes.append(_text_appended((_path(stack, keys, key), appended)))
                if len(pieces) > self._folded + _FOLD:
                    self._fold()
            else:
                self._stale = False
            self._state = state
            self._top = top
            self._in_object = in_object
            self._key = key
            self._in_key = in_key
            self._offset = base + n
        except InvalidJSONError as exc:
            self._error = exc
            self._state = _FAILED
            raise

    def feed_changes(self, text: str) -> list[JSONChange]:
        """Parse the next piece of the text (as :meth:`feed`) and say what it changed, in order:
        each value that appeared and the text appended to each string, the whole value given as
        ``()``. Applied in order to a copy of the value before the piece, they give the value
        after it. (A number that is the whole value ends only with the text: :meth:`close`
        returns it.)"""
        changes: list[JSONChange] = []
        self._changes = changes
        try:
            self.feed(text)
        finally:
            self._changes = None
        return changes

    def close(self) -> Any:
        """The whole value, once the text has ended.

        Raises:
            InvalidJSONError: the text ended before its value did (or held no value).
        """
        state = self._state
        if state == _FAILED and self._error is not None:
            raise self._error
        if state == _NUMBER and self._top is None and self._number_state in _NUMBER_ENDS:
            # A number is the whole value: the end of the text ends it.
            self._root = self._held_number()
            state = _AFTER
        if state == _CLOSED or (state == _AFTER and self._top is None):
            self._state = _CLOSED
            return self.value
        self._error = InvalidJSONError("the text ended before its value did", offset=self._offset)
        self._state = _FAILED
        raise self._error

    def _fold(self) -> None:
        """Join the newest slices of the string being read into one run."""
        pieces = self._pieces
        pieces[self._folded :] = ["".join(pieces[self._folded :])]
        self._folded += 1

    def _held_number(self) -> int | float:
        """The number held in _token, which has ended."""
        token = "".join(self._token)
        self._token.clear()
        return _number_value(token, self._number_state >= 5, self._token_start)


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


# The changes built without the Python-level ``__new__`` of a named tuple, which costs more than
# the rest of a piece of a long string.
_value_added: Callable[[tuple[JSONPath, Any]], JSONValueAdded] = partial(
    tuple.__new__, JSONValueAdded
)
_text_appended: Callable[[tuple[JSONPath, str]], JSONTextAppended] = partial(
    tuple.__new__, JSONTextAppended
)


# The C reader of json.loads's strings: ``_scanstring(text, index)`` is the string whose opening
# quote is just before ``text[index]`` and the index past its closing quote.
_scanstring: Callable[[str, int], tuple[str, int]] = vars(json.JSONDecoder())["parse_string"]


def _string_run(text: str) -> str | None:
    """``text`` decoded, when it is string text and whole escapes, but no ``\\u`` escape (which
    could be half of a surrogate pair); else None, for the parsing loop to read: a quote that ends
    the string, a control character, a ``\\u`` escape."""
    if "\\u" in text:
        return None
    try:
        run, end = _scanstring(text + '"', 0)
    except ValueError:
        return None
    return run if end > len(text) else None


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
