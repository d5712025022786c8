"""PartialJSONParser: the final value is json.loads's under the engine's rules for any split, the
value after every piece only grows and never shows what a later piece could change, the value after
a text does not depend on how it was split, the changes rebuild the value, and invalid text is
refused with the offset of its first bad character, at the feed that brings it."""

from __future__ import annotations

import copy
import gc
import json
import re
import sys
import tracemalloc
import weakref
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sseproto import (
    InvalidJSONError,
    JSONChange,
    JSONTextAppended,
    JSONValueAdded,
    PartialJSONParser,
    StreamError,
)
from sseproto.dialects.kit.payload import MAX_DEPTH, parse_json

# --- JSON text of every form ---------------------------------------------------------------------

WHITESPACE = st.sampled_from(["", "", "", " ", "\n", "\t", "\r\n  ", "  "])
SIMPLE_ESCAPES = ['\\"', "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t"]


def _unicode_escape(char: str, upper: bool) -> str:
    """``char`` as \\uXXXX escapes (a surrogate pair beyond the BMP)."""
    code = ord(char)
    units = (
        [code] if code < 0x10000 else [0xD800 + ((code - 0x10000) >> 10), 0xDC00 + (code & 0x3FF)]
    )
    return "".join(f"\\u{unit:04X}" if upper else f"\\u{unit:04x}" for unit in units)


PLAIN_CHAR = st.characters(codec="utf-8", exclude_characters='"\\', min_codepoint=0x20)
STRING_PART = st.one_of(
    st.text(PLAIN_CHAR, min_size=1, max_size=12),
    st.sampled_from(SIMPLE_ESCAPES),
    st.builds(_unicode_escape, st.characters(codec="utf-8"), st.booleans()),
    # Lone surrogates, which json.loads keeps as they are.
    st.integers(0xD800, 0xDFFF).map(lambda code: f"\\u{code:04x}"),
    # Non-BMP text as it is, a raw lone surrogate, a long run.
    st.sampled_from(["\U0001f600", "\U00010348x", "\udc00x", "a" * 300]),
)
STRING = st.lists(STRING_PART, max_size=8).map(lambda parts: '"' + "".join(parts) + '"')

DIGITS = st.text("0123456789", min_size=1, max_size=6)
NUMBER = st.builds(
    lambda sign, whole, fraction, exponent: sign + whole + fraction + exponent,
    st.sampled_from(["", "-"]),
    st.one_of(
        st.just("0"),
        st.builds(
            lambda a, b: a + b, st.sampled_from("123456789"), st.text("0123456789", max_size=20)
        ),
    ),
    st.one_of(st.just(""), DIGITS.map(lambda digits: "." + digits)),
    st.one_of(
        st.just(""),
        st.builds(
            lambda e, sign, digits: e + sign + digits,
            st.sampled_from("eE"),
            st.sampled_from(["", "+", "-"]),
            st.text("0123456789", min_size=1, max_size=3),
        ),
    ),
)
LITERAL = st.sampled_from(["true", "false", "null"])


def _array(items: list[tuple[str, str, str]], inside: str) -> str:
    if not items:
        return "[" + inside + "]"
    return "[" + ",".join(before + item + after for before, item, after in items) + "]"


def _object(members: list[tuple[str, str, str, str, str, str]], inside: str) -> str:
    if not members:
        return "{" + inside + "}"
    return (
        "{"
        + ",".join(a + key + b + ":" + c + value + d for a, key, b, c, value, d in members)
        + "}"
    )


def _containers(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    item = st.tuples(WHITESPACE, children, WHITESPACE)
    member = st.tuples(WHITESPACE, STRING, WHITESPACE, WHITESPACE, children, WHITESPACE)
    return st.one_of(
        st.builds(_array, st.lists(item, max_size=5), WHITESPACE),
        st.builds(_object, st.lists(member, max_size=5), WHITESPACE),
    )


JSON_TEXT = st.builds(
    lambda before, value, after: before + value + after,
    WHITESPACE,
    st.recursive(st.one_of(STRING, NUMBER, LITERAL), _containers, max_leaves=25),
    WHITESPACE,
)


def reference(text: str) -> Any:
    """The value under the engine's rules, or the error they give."""
    return parse_json(text)


def same(a: Any, b: Any) -> bool:
    """Equal, with the same types and key order (1, 1.0 and True are not the same here)."""
    return json.dumps(a) == json.dumps(b)


def split(text: str, cuts: list[int]) -> list[str]:
    bounds = sorted({0, len(text), *(cut % (len(text) + 1) for cut in cuts)})
    return [text[start:end] for start, end in pairwise(bounds)]


# --- the prefix relation -------------------------------------------------------------------------


def is_prefix(shown: Any, final: Any) -> bool:
    """Whether ``shown`` is ``final`` cut where a stream of it could stand: strings cut, arrays and
    objects missing their last members, the last one shown itself cut; everything else whole."""
    if isinstance(final, str):
        return isinstance(shown, str) and final.startswith(shown)
    if isinstance(final, list):
        if not isinstance(shown, list) or len(shown) > len(final):
            return False
        whole = all(same(a, b) for a, b in zip(shown[:-1], final, strict=False))
        return whole and (not shown or is_prefix(shown[-1], final[len(shown) - 1]))
    if isinstance(final, dict):
        if not isinstance(shown, dict) or list(shown) != list(final)[: len(shown)]:
            return False
        keys = list(shown)
        whole = all(same(shown[key], final[key]) for key in keys[:-1])
        return whole and (not keys or is_prefix(shown[keys[-1]], final[keys[-1]]))
    return same(shown, final)


# --- properties ----------------------------------------------------------------------------------


@given(JSON_TEXT, st.lists(st.integers(min_value=0), max_size=30))
def test_the_final_value_is_json_loads_for_any_split(text: str, cuts: list[int]) -> None:
    try:
        expected = reference(text)
    except StreamError:
        return  # numbers out of range: see test_invalid_text_is_refused_at_its_first_bad_character
    parser = PartialJSONParser()
    for piece in split(text, cuts):
        parser.feed(piece)
    assert same(parser.close(), expected)
    assert same(parser.value, expected)


@given(JSON_TEXT, st.lists(st.integers(min_value=0), max_size=30))
def test_the_value_only_grows_toward_the_final_one(text: str, cuts: list[int]) -> None:
    try:
        final = reference(text)
    except StreamError:
        return
    if _has_duplicate_keys(text):
        return  # a key given twice takes its later value: the one change the value may show
    parser = PartialJSONParser()
    shown: list[Any] = []
    for piece in split(text, cuts):
        parser.feed(piece)
        shown.append(copy.deepcopy(parser.value))
    for before, after in pairwise([None, *shown]):
        assert before is None or is_prefix(before, after)
        assert after is None or is_prefix(after, final)


@given(JSON_TEXT, st.lists(st.integers(min_value=0), max_size=12))
def test_the_value_after_a_text_does_not_depend_on_its_split(text: str, cuts: list[int]) -> None:
    parser = PartialJSONParser()
    fed = 0
    try:
        for piece in split(text, cuts):
            parser.feed(piece)
            fed += len(piece)
            whole = PartialJSONParser()
            whole.feed(text[:fed])
            assert same(parser.value, whole.value)
    except InvalidJSONError:
        with pytest.raises(StreamError):
            reference(text)


NOTHING = object()  # no change has given the value yet

# A scalar that is the whole text (with whitespace around it or not): drawn on its own as well,
# since the recursive texts are mostly containers.
SCALAR_TEXT = st.builds(
    lambda before, value, after: before + value + after,
    WHITESPACE,
    st.one_of(STRING, NUMBER, LITERAL),
    WHITESPACE,
)


@given(st.one_of(JSON_TEXT, SCALAR_TEXT), st.lists(st.integers(min_value=0), max_size=30))
def test_the_changes_applied_in_order_rebuild_the_value(text: str, cuts: list[int]) -> None:
    parser = PartialJSONParser()
    # The value, under a root so a change at () can replace it; NOTHING until a change gives it.
    mirror: list[Any] = [NOTHING]
    try:
        for piece in split(text, cuts):
            for change in parser.feed_changes(piece):
                apply(mirror, change)
            assert same(None if mirror[0] is NOTHING else mirror[0], parser.value)
        # A number that is the whole value, ended by the text alone, is the end's change.
        for change in parser.close_changes():
            apply(mirror, change)
        final = parser.value
    except InvalidJSONError:
        with pytest.raises(StreamError):
            reference(text)
    else:
        assert mirror[0] is not NOTHING, "the whole value was never reported"
        assert same(mirror[0], final)
        assert same(final, reference(text))


@pytest.mark.parametrize(
    ("pieces", "reported"),
    [
        (["12"], [[], [JSONValueAdded((), 12)]]),
        (["-1", ".5e3"], [[], [], [JSONValueAdded((), -1500.0)]]),
        (["7", " "], [[], [JSONValueAdded((), 7)], []]),
        (["tr", "ue"], [[], [JSONValueAdded((), True)], []]),
        ([" null "], [[JSONValueAdded((), None)], []]),
        (
            ['"a', 'b"'],
            [[JSONValueAdded((), ""), JSONTextAppended((), "a")], [JSONTextAppended((), "b")], []],
        ),
    ],
)
def test_a_scalar_that_is_the_whole_value_is_a_change_at_the_root(
    pieces: list[str], reported: list[list[JSONChange]]
) -> None:
    parser = PartialJSONParser()
    changes = [parser.feed_changes(piece) for piece in pieces]
    changes.append(parser.close_changes())
    assert changes == reported
    assert parser.close_changes() == []  # closed once: nothing more ends


def apply(mirror: list[Any], change: JSONChange) -> None:
    parent: Any = mirror
    place: str | int = 0
    for step in change.path:
        parent = parent[place]
        place = step
    if isinstance(change, JSONTextAppended):
        parent[place] += change.text
    elif isinstance(parent, list) and place == len(parent):
        parent.append(change.value)
    else:
        parent[place] = change.value


def _has_duplicate_keys(text: str) -> bool:
    found = False

    def pairs(members: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal found
        keys = [key for key, _ in members]
        found = found or len(set(keys)) < len(keys)
        return dict(members)

    json.loads(text, object_pairs_hook=pairs)
    return found


# --- invalid text --------------------------------------------------------------------------------

CORRUPTION = st.sampled_from(
    [*'{}[]:,"\\ x-+.eE0123456789', "\x00", "\x1f", "tru", "nul", "NaN", "Infinity", "\ufeff"]
)


@given(JSON_TEXT, st.data())
def test_invalid_text_is_refused_at_its_first_bad_character(text: str, data: st.DataObject) -> None:
    at = data.draw(st.integers(0, len(text)))
    insert = data.draw(CORRUPTION)
    drop = data.draw(st.integers(0, 2))
    corrupt = text[:at] + insert + text[at + drop :]
    found = first_bad_offset(corrupt)
    cuts = data.draw(st.lists(st.integers(min_value=0), max_size=10))
    parser = PartialJSONParser()
    fed = 0
    try:
        for piece in split(corrupt, cuts):
            parser.feed(piece)
            fed += len(piece)
            # Not refused yet: what decides it has not come.
            assert found is None or found[1] >= fed
        value = parser.close()
    except InvalidJSONError as error:
        assert found is not None
        bad, decided = found
        assert error.offset == bad
        # Refused by the feed that brought the deciding character, or by close() at the end.
        assert fed <= decided < fed + len(piece) if decided < len(corrupt) else fed == decided
        with pytest.raises(StreamError):
            reference(corrupt)
        # Refused, the parser reads nothing more: every call raises that error again (a string
        # left open by the error, too, takes no more text).
        for again in (parser.feed, parser.feed_changes, lambda _: parser.close()):
            with pytest.raises(InvalidJSONError) as caught:
                again("more")
            assert caught.value is error
    else:
        assert found is None
        assert same(value, reference(corrupt))


_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
# Every prefix of a number, longest first.
_NUMBER_PREFIX = re.compile(
    r"-?(?:(?:0|[1-9][0-9]*)(?:\.(?:[0-9]+(?:[eE][-+]?[0-9]*)?)?|[eE][-+]?[0-9]*)?)?"
)


def first_bad_offset(text: str) -> tuple[int, int] | None:
    """A plain recursive reading of JSON: None for valid JSON, else the offset of the first
    character no JSON text could have there (the length for a text cut short) and the offset of
    the character that decides it (the same, except for a number too large for the rules: refused
    at its first character once the character after it has come)."""

    class Bad(Exception):
        def __init__(self, at: int, decided: int | None = None) -> None:
            self.at = at
            self.decided = at if decided is None else decided

    def skip(i: int) -> int:
        while i < len(text) and text[i] in " \t\n\r":
            i += 1
        return i

    def expect(i: int, char: str) -> int:
        if i >= len(text) or text[i] != char:
            raise Bad(min(i, len(text)))
        return i + 1

    def string(i: int) -> int:
        i = expect(i, '"')
        while True:
            if i >= len(text):
                raise Bad(i)
            c = text[i]
            if c == '"':
                return i + 1
            if c < " ":
                raise Bad(i)
            if c == "\\":
                i += 1
                if i >= len(text):
                    raise Bad(i)
                if text[i] == "u":
                    for k in range(i + 1, i + 5):
                        if k >= len(text) or text[k] not in "0123456789abcdefABCDEF":
                            raise Bad(k)
                    i += 5
                    continue
                if text[i] not in '"\\/bfnrt':
                    raise Bad(i)
            i += 1

    def value(i: int, depth: int) -> int:
        i = skip(i)
        if i >= len(text):
            raise Bad(i)
        c = text[i]
        if c == '"':
            return string(i)
        if c in "[{":
            if depth == MAX_DEPTH:
                raise Bad(i)
            close = "]" if c == "[" else "}"
            i = skip(i + 1)
            if i < len(text) and text[i] == close:
                return i + 1
            while True:
                if c == "{":
                    i = skip(string(skip(i)))
                    i = expect(i, ":")
                i = skip(value(i, depth + 1))
                if i < len(text) and text[i] == ",":
                    i += 1
                    continue
                return expect(i, close)
        for word in ("true", "false", "null"):
            if c == word[0]:
                for k, char in enumerate(word):
                    if i + k >= len(text) or text[i + k] != char:
                        raise Bad(i + k)
                return i + len(word)
        prefix = _NUMBER_PREFIX.match(text, i)
        end = i if prefix is None else prefix.end()
        match = _NUMBER.match(text, i)
        if match is None or match.end() != end:
            raise Bad(end)
        if end < len(text) and text[end] in "-+.eE0123456789":
            raise Bad(end)
        number = text[i:end]
        try:
            parse_json(number)
        except StreamError:
            if end == len(text) and depth > 0:
                raise Bad(end) from None  # cut short inside a container: that comes first
            raise Bad(i, end) from None
        return end

    try:
        end = skip(value(0, 0))
        if end < len(text):
            raise Bad(end)
    except Bad as bad:
        return bad.at, bad.decided
    return None


# --- what the value shows, case by case ----------------------------------------------------------

GRIN = "\U0001f600"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("", None),
        (" ", None),
        ("12", None),  # a digit could still follow
        ("12 ", 12),
        ("[12", []),
        ("[12,", [12]),
        ("[-", []),
        ("[1.5e", []),
        ("[1.5e3]", [1500.0]),
        ("tru", None),  # not True: "truth" is no JSON, but nothing is shown before it is whole
        ("true", True),
        ("[nul", []),
        ("[null", [None]),
        ("[[", [[]]),
        ('{"a"', {}),  # a key only once its value has started
        ('{"a":', {}),
        ('{"a": 1', {}),
        ('{"a": 1,', {"a": 1}),
        ('{"a": t', {}),
        ('{"a": "', {"a": ""}),
        ('{"a": {', {"a": {}}),
        ('{"a": [', {"a": []}),
        ('{"a": "x\\', {"a": "x"}),  # an escape only once whole
        ('{"a": "x\\n', {"a": "x\n"}),
        ('"\\u00', ""),
        ('"\\u00e9', "\u00e9"),
        ('"\\ud83d', ""),  # a high surrogate waits for what follows it
        ('"\\ud83d\\', ""),
        ('"\\ud83d\\ude0', ""),
        ('"\\ud83d\\ude00', GRIN),
        ('"\\ud83dx', "\ud83dx"),
        ('"\\ud83d\\n', "\ud83d\n"),
        ('"\\ud83d\\u0041', "\ud83dA"),
        ('"\\ud83d\\ud83d\\ude00', "\ud83d" + GRIN),
        ('["a", "b', ["a", "b"]),
        ('{"a": "x", "b": [1, {"c": nul', {"a": "x", "b": [1, {}]}),
    ],
)
def test_the_value_shows_only_what_no_later_text_changes(text: str, shown: Any) -> None:
    whole = PartialJSONParser()
    whole.feed(text)
    assert same(whole.value, shown)
    by_character = PartialJSONParser()
    for char in text:
        by_character.feed(char)
    assert same(by_character.value, shown)


def test_the_value_is_the_live_value_brought_up_to_date_when_read() -> None:
    parser = PartialJSONParser()
    parser.feed('{"files": [{"text": "ab')
    value = parser.value
    assert value == {"files": [{"text": "ab"}]}
    parser.feed("cd")
    assert parser.value is value
    assert value == {"files": [{"text": "abcd"}]}
    parser.feed('"}, 1]}')
    assert parser.close() is value
    assert value == {"files": [{"text": "abcd"}, 1]}


def test_the_changes_say_which_path_grew_and_the_text_appended() -> None:
    parser = PartialJSONParser()
    assert parser.feed_changes('{"edits": [{"path": "a.py", "new": "de') == [
        JSONValueAdded((), {}),
        JSONValueAdded(("edits",), []),
        JSONValueAdded(("edits", 0), {}),
        JSONValueAdded(("edits", 0, "path"), ""),
        JSONTextAppended(("edits", 0, "path"), "a.py"),
        JSONValueAdded(("edits", 0, "new"), ""),
        JSONTextAppended(("edits", 0, "new"), "de"),
    ]
    assert parser.feed_changes("f ") == [JSONTextAppended(("edits", 0, "new"), "f ")]
    assert parser.feed_changes("g\\") == [JSONTextAppended(("edits", 0, "new"), "g")]
    assert parser.feed_changes('n", "n": 12') == [JSONTextAppended(("edits", 0, "new"), "\n")]
    assert parser.feed_changes("}, true]}") == [
        JSONValueAdded(("edits", 0, "n"), 12),
        JSONValueAdded(("edits", 1), True),
    ]
    assert parser.feed_changes(" ") == []
    assert parser.close() == {"edits": [{"path": "a.py", "new": "def g\n", "n": 12}, True]}


def test_a_long_string_is_followed_without_joining_it() -> None:
    parser = PartialJSONParser()
    parser.feed('{"content": "')
    pieces = [
        f"line {number}\\n" if number % 7 == 0 else f"line {number} " for number in range(5000)
    ]
    appended = []
    for piece in pieces:
        for change in parser.feed_changes(piece):
            assert isinstance(change, JSONTextAppended) and change.path == ("content",)
            appended.append(change.text)
    parser.feed('"}')
    assert "".join(appended) == parser.close()["content"] == json.loads('"' + "".join(pieces) + '"')


# --- refusals, case by case ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "offset"),
    [
        ("[1,]", 3),
        ('{"a" 1}', 5),
        ("01", 1),
        ("1.x", 2),
        ("1.", 2),  # cut short: refused by close()
        ("-", 1),
        ("[", 1),
        ("", 0),
        ('"\x01"', 1),
        ('"\\x"', 2),
        ('"\\u12G4"', 5),
        ('"\\ud800\\uDZ00"', 10),
        ("NaN", 0),
        ("-Infinity", 1),
        ("[1] 2", 4),
        ("1e400", 0),  # out of the range of a float, refused whole
        ("[-1e400]", 1),
        ('"a",', 3),
        ("{,}", 1),
        ('{"a":1,}', 7),
        ("[true false]", 6),
        ("\ufeff[]", 0),
        ("[" * MAX_DEPTH + "[", MAX_DEPTH),
    ],
)
def test_invalid_text_names_the_offset_of_its_first_bad_character(text: str, offset: int) -> None:
    for pieces in ([text], list(text)):
        parser = PartialJSONParser()
        with pytest.raises(InvalidJSONError) as caught:
            for piece in pieces:
                parser.feed(piece)
            parser.close()
        assert caught.value.offset == offset
        assert f"(at character {offset})" in str(caught.value)
        assert first_bad_offset(text) is not None
        with pytest.raises(StreamError):
            reference(text)


def test_nesting_to_the_bound_is_read_and_beyond_it_refused() -> None:
    parser = PartialJSONParser()
    parser.feed("[" * MAX_DEPTH + "]" * MAX_DEPTH)
    value = parser.close()
    for _ in range(MAX_DEPTH - 1):
        value = value[0]
    assert value == []


@pytest.mark.skipif(sys.get_int_max_str_digits() == 0, reason="no limit on int digits")
def test_an_integer_longer_than_the_interpreter_converts_is_refused() -> None:
    text = "[" + "7" * (sys.get_int_max_str_digits() + 1) + "]"
    parser = PartialJSONParser()
    with pytest.raises(InvalidJSONError) as caught:
        parser.feed(text)
    assert caught.value.offset == 1
    with pytest.raises(StreamError):
        reference(text)


def test_after_an_error_every_call_raises_it_again() -> None:
    parser = PartialJSONParser()
    parser.feed("[1")
    with pytest.raises(InvalidJSONError) as first:
        parser.feed("x")
    with pytest.raises(InvalidJSONError) as again:
        parser.feed("]")
    assert again.value is first.value
    with pytest.raises(InvalidJSONError) as closing:
        parser.close()
    assert closing.value is first.value


@pytest.mark.parametrize(
    "pieces", [['["ab', "\x01"], ['["ab', "\\", "x"], ['"ab'], ['"ab\\'], ['"ab', "\\"]]
)
def test_a_string_left_open_by_an_error_takes_no_more_text(pieces: list[str]) -> None:
    # Refused inside a string (by a feed, or by close() for a text cut short there): the pieces
    # after it are refused too, not read as more of that string.
    for feed in ("feed", "feed_changes"):
        parser = PartialJSONParser()
        with pytest.raises(InvalidJSONError) as first:
            for piece in pieces:
                parser.feed(piece)
            parser.close()
        failed = repr(parser)
        for _ in range(2):
            with pytest.raises(InvalidJSONError) as again:
                getattr(parser, feed)("more")
            assert again.value is first.value
            assert repr(parser) == failed


def test_close_returns_the_value_again_and_refuses_more_text() -> None:
    parser = PartialJSONParser()
    parser.feed("[1] ")
    assert parser.close() == [1]
    assert parser.close() == [1]
    with pytest.raises(InvalidJSONError) as caught:
        parser.feed(" ")
    assert caught.value.offset == 4


# --- the fast paths ------------------------------------------------------------------------------
# A piece wholly inside a string (plain text and whole escapes) is read without the parsing loop;
# these texts hold long strings fed in small pieces, so that most pieces take that path, and the
# pieces that do not (a quote, a control character, an escape cut or beginning a surrogate pair)
# fall back. A parser fed the text so far in one piece reads it all with the loop: the oracle.

LONG_STRING = st.lists(STRING_PART, min_size=1, max_size=40).map("".join)
STRING_CORRUPTION = st.sampled_from(["\x00", "\x1f", "\\", '"', "\\x", "\\\\\\x", "\\u12", "\n"])


@given(
    st.lists(LONG_STRING, min_size=1, max_size=3),
    st.lists(st.one_of(st.integers(1, 3), st.integers(1, 12)), min_size=1, max_size=50),
    st.data(),
)
def test_pieces_inside_a_string_read_as_the_loop_reads_them(
    strings: list[str], sizes: list[int], data: st.DataObject
) -> None:
    text = (
        '{"first": "'
        + strings[0]
        + '", "rest": ['
        + ", ".join('"' + string + '"' for string in strings[1:])
        + "]}"
    )
    if data.draw(st.booleans()):  # something the loop must refuse, inside the first string
        at = data.draw(st.integers(len('{"first": "'), len('{"first": "') + len(strings[0])))
        text = text[:at] + data.draw(STRING_CORRUPTION) + text[at:]
    bounds = [0]
    while bounds[-1] < len(text):
        bounds.append(min(len(text), bounds[-1] + sizes[len(bounds) % len(sizes)]))
    parser = PartialJSONParser()
    watcher = PartialJSONParser()
    mirror: list[Any] = [None]
    for start, end in pairwise(bounds):
        whole = PartialJSONParser()
        try:
            whole.feed(text[:end])
        except InvalidJSONError as refused:
            for fed in (parser.feed, watcher.feed_changes):
                with pytest.raises(InvalidJSONError) as caught:
                    fed(text[start:end])
                assert caught.value.offset == refused.offset
            return
        parser.feed(text[start:end])
        for change in watcher.feed_changes(text[start:end]):
            apply(mirror, change)
        assert same(parser.value, whole.value)
        assert same(mirror[0], whole.value)
    try:
        expected = reference(text)
    except StreamError:  # cut short by a quote too many
        with pytest.raises(InvalidJSONError) as caught:
            parser.close()
        assert caught.value.offset == len(text)
    else:
        assert same(parser.close(), expected)


def test_a_piece_of_escaped_string_text_is_one_change() -> None:
    parser = PartialJSONParser()
    parser.feed('{"code": "x')
    assert parser.feed_changes('\\tif a \\\\ b: \\"c\\"\\n') == [
        JSONTextAppended(("code",), '\tif a \\ b: "c"\n')
    ]
    # Half of a surrogate pair, or an escape cut by the end of the piece, waits for the next one.
    assert parser.feed_changes("y\\ud83d") == [JSONTextAppended(("code",), "y")]
    assert parser.feed_changes("\\ude00z\\") == [JSONTextAppended(("code",), GRIN + "z")]
    assert parser.feed_changes('n"}') == [JSONTextAppended(("code",), "\n")]
    assert parser.close() == {"code": 'x\tif a \\ b: "c"\ny' + GRIN + "z\n"}
    # An escape cut by the end of a piece, refused by the next one: at its second character.
    for cut in ("ab\\", "ab\\\\\\"):
        parser = PartialJSONParser()
        parser.feed('["')
        parser.feed(cut)
        with pytest.raises(InvalidJSONError) as caught:
            parser.feed("x")
        assert caught.value.offset == 2 + len(cut)


# Pieces of a long string are read without the loop, a backslash that ends one held for the next:
# strings dense in escapes and runs of backslashes, cut just after backslashes and inside escapes,
# and corrupted there, so that the bad character comes in the piece after a held backslash.
ESCAPED_PART = st.one_of(
    st.sampled_from([*SIMPLE_ESCAPES, "\\\\\\\\", "\\\\\\n", "\\u0041", "\\ud83d\\ude00", "x"]),
    st.text(PLAIN_CHAR, min_size=1, max_size=4),
)
ESCAPED_STRING = st.lists(ESCAPED_PART, min_size=1, max_size=40).map("".join)
AFTER_BACKSLASH = st.sampled_from(["x", "\x01", "\n", "u12", "uZ", "\\x", '"', "", "'"])


@given(st.lists(ESCAPED_STRING, min_size=1, max_size=3), st.data())
def test_pieces_cut_after_backslashes_read_as_the_whole_text_reads(
    strings: list[str], data: st.DataObject
) -> None:
    text = '{"a": "' + strings[0] + '", "b": [' + ", ".join(f'"{s}"' for s in strings[1:]) + "]}"
    backslashes = [at + 1 for at, char in enumerate(text) if char == "\\"]
    corrupt = data.draw(st.booleans())
    if corrupt and backslashes:
        # Something after a backslash, which that backslash makes bad (or not: "\\x" after an
        # escaped backslash is an invalid escape one character later).
        at = data.draw(st.sampled_from(backslashes))
        text = text[:at] + data.draw(AFTER_BACKSLASH) + text[at:]
        backslashes = [at + 1 for at, char in enumerate(text) if char == "\\"]
    cuts = data.draw(st.lists(st.sampled_from(backslashes or [0]), max_size=20))
    cuts += data.draw(st.lists(st.integers(0, len(text)), max_size=10))
    found = first_bad_offset(text)
    bounds = sorted({0, len(text), *cuts})
    parser = PartialJSONParser()
    watcher = PartialJSONParser()
    mirror: list[Any] = [None]
    for start, end in pairwise(bounds):
        piece = text[start:end]
        if found is not None and start <= found[1] < end:
            # The piece that brings the bad character is refused, by both, at its offset.
            for feed in (parser.feed, watcher.feed_changes):
                with pytest.raises(InvalidJSONError) as caught:
                    feed(piece)
                assert caught.value.offset == found[0]
            # What was read stays counted: the pieces before this one, a held backslash too.
            assert repr(parser) == repr(watcher)
            assert repr(parser).startswith(f"PartialJSONParser(offset={start}, ")
            return
        parser.feed(piece)
        for change in watcher.feed_changes(piece):
            apply(mirror, change)
        whole = PartialJSONParser()
        whole.feed(text[:end])
        assert same(parser.value, whole.value)
        assert same(mirror[0], whole.value)
        assert repr(parser) == repr(watcher) == repr(whole)
    if found is None:
        assert same(parser.close(), reference(text))
        assert watcher.close_changes() == []  # the end of an object changes nothing
        return
    for ending in (parser.close, watcher.close_changes):  # cut short: refused at the end
        with pytest.raises(InvalidJSONError) as caught:
            ending()
        assert caught.value.offset == found[0] == len(text)


@pytest.mark.parametrize("piece", [b'"ab"', bytearray(b"1"), ["[", "]"], None, 1])
def test_a_piece_that_is_not_text_is_a_type_error_and_changes_nothing(piece: Any) -> None:
    # Named by its type; only bytes are told to be decoded.
    told = f"must be a str, not {type(piece).__name__}"
    told += ": decode bytes first$" if isinstance(piece, bytes | bytearray) else "$"
    for feed in ("feed", "feed_changes"):
        parser = PartialJSONParser()
        parser.feed('{"a": "b')
        with pytest.raises(TypeError, match=told):
            getattr(parser, feed)(piece)
        parser.feed('c"}')
        assert parser.close() == {"a": "bc"}


# An object key is read in one match, whole with its colon or, cut by the end of the piece or
# holding an escape, as far as it goes; these texts are objects of many members, fed in small
# pieces, so that the pieces cut keys everywhere.
MEMBERS = st.lists(
    st.tuples(WHITESPACE, STRING, WHITESPACE, WHITESPACE, st.one_of(STRING, NUMBER, LITERAL)),
    min_size=1,
    max_size=12,
)


@given(MEMBERS, st.lists(st.integers(1, 6), min_size=1, max_size=20), st.data())
def test_keys_cut_anywhere_read_as_whole_keys_are(
    members: list[tuple[str, str, str, str, str]], sizes: list[int], data: st.DataObject
) -> None:
    text = "{" + ",".join(a + key + b + ":" + c + value for a, key, b, c, value in members) + "}"
    if data.draw(st.booleans()):
        at = data.draw(st.integers(0, len(text)))
        text = text[:at] + data.draw(CORRUPTION) + text[at:]
    bounds = [0]
    while bounds[-1] < len(text):
        bounds.append(min(len(text), bounds[-1] + sizes[len(bounds) % len(sizes)]))
    parser = PartialJSONParser()
    for start, end in pairwise(bounds):
        whole = PartialJSONParser()
        try:
            whole.feed(text[:end])
        except InvalidJSONError as refused:
            with pytest.raises(InvalidJSONError) as caught:
                parser.feed(text[start:end])
            assert caught.value.offset == refused.offset
            return
        parser.feed(text[start:end])
        assert same(parser.value, whole.value)


# A short key cut by the end of a piece is held and matched again with the next piece (one
# retry: a longer key, one cut again, or one holding an escape is read on as a string). These
# keys run from empty to past the longest held, and every piece boundary falls inside one.
HELD_KEY_LENGTHS = st.sampled_from([0, 1, 2, 9, 62, 63, 64, 65, 66, 80])


@given(
    st.lists(st.tuples(HELD_KEY_LENGTHS, st.sampled_from(["", "\\n", "\\u00e9"])), min_size=1),
    st.data(),
)
def test_keys_held_across_a_piece_read_as_whole_keys_are(
    keys: list[tuple[int, str]], data: st.DataObject
) -> None:
    members = []
    for length, escape in keys[:6]:
        name = "k" * length
        at = data.draw(st.integers(0, length))
        members.append('"' + name[:at] + escape + name[at:] + '"' + data.draw(WHITESPACE) + ": 1")
    text = "{" + ", ".join(members) + "}"
    if data.draw(st.booleans()):  # something to refuse, maybe inside a key or its colon
        at = data.draw(st.integers(0, len(text)))
        text = text[:at] + data.draw(CORRUPTION) + text[at:]
    found = first_bad_offset(text)
    # A boundary inside every key (each quote starts one), and a few more.
    cuts = {
        text.index('"', start) + data.draw(st.integers(1, 70))
        for start in range(len(text))
        if text.startswith('"', start)
    }
    cuts.update(data.draw(st.lists(st.integers(0, len(text)), max_size=5)))
    bounds = [0, *sorted(cut for cut in cuts if 0 < cut < len(text)), len(text)]
    parser = PartialJSONParser()
    fed = 0
    try:
        for start, end in pairwise(bounds):
            parser.feed(text[start:end])
            fed = end
            # Not refused yet: what decides it has not come.
            assert found is None or found[1] >= end
            whole = PartialJSONParser()
            whole.feed(text[:end])
            assert same(parser.value, whole.value)
        value = parser.close()
    except InvalidJSONError as error:
        assert found is not None
        bad, decided = found
        assert error.offset == bad
        # Refused by the feed that brought the deciding character, or by close() at the end.
        assert fed <= decided < end if decided < len(text) else fed == decided
    else:
        assert found is None
        assert same(value, reference(text))


def test_a_long_key_in_small_pieces_is_kept_in_runs() -> None:
    # A key's text waits in slices until its closing quote, as a string's does; they are joined
    # into runs as they come, so a long key costs about its length, not a small object per piece.
    size = 200_000
    parser = PartialJSONParser()
    parser.feed('{"')
    tracemalloc.start()
    try:
        for index in range(size // 10):
            parser.feed(f"{index:010d}")  # a new piece each time, as a stream's are
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    parser.feed('": 1}')
    assert parser.close() == {"".join(f"{index:010d}" for index in range(size // 10)): 1}
    assert peak < 3 * size


def test_a_parser_let_go_mid_text_is_freed_at_once() -> None:
    # No reference cycle (the parsing generator does not hold its parser): a parser dropped
    # before its text ends, as a stream cut short leaves one, goes with its value when the last
    # reference to it goes, without waiting for the cyclic garbage collector.
    gc.disable()
    try:
        for piece in ('{"a": [1, "b', '{"key', "[tru", '"x\\', "-1"):
            parser = PartialJSONParser()
            parser.feed(piece)
            dropped = weakref.ref(parser)
            del parser
            assert dropped() is None, piece
    finally:
        gc.enable()


def test_a_text_that_ends_after_a_held_backslash_is_cut_short_at_its_length() -> None:
    for feed in ("feed", "feed_changes"):
        parser = PartialJSONParser()
        getattr(parser, feed)('["ab')
        getattr(parser, feed)("c\\")  # read inside the string, its backslash held
        assert parser.value == ["abc"]
        assert repr(parser) == "PartialJSONParser(offset=6, depth=1)"
        with pytest.raises(InvalidJSONError) as caught:
            parser.close()
        assert caught.value.offset == 6
