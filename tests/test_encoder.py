"""The server-side encoder: its output, its refusals, and decoding it back."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sseproto import MAX_RETRY, ServerSentEvent, SSEDecoder, encode_comment, encode_event


def decode(stream: bytes) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    return decoder.feed(stream) + decoder.close()


def test_single_line_data() -> None:
    assert encode_event("hello") == b"data: hello\n\n"


@pytest.mark.parametrize(
    ("data", "lines"),
    [
        ("a\nb", [b"data: a", b"data: b"]),
        ("a\r\nb", [b"data: a", b"data: b"]),
        ("a\rb", [b"data: a", b"data: b"]),
        ("a\r\rb", [b"data: a", b"data: ", b"data: b"]),
        ("a\n\rb", [b"data: a", b"data: ", b"data: b"]),
        ("a\n", [b"data: a", b"data: "]),
        ("\n", [b"data: ", b"data: "]),
        ("", [b"data: "]),
    ],
)
def test_multi_line_data_becomes_several_data_lines(data: str, lines: list[bytes]) -> None:
    encoded = encode_event(data)
    assert encoded == b"\n".join(lines) + b"\n\n"
    expected = data.replace("\r\n", "\n").replace("\r", "\n")
    assert decode(encoded) == [ServerSentEvent(data=expected)]


@pytest.mark.parametrize(
    "data",
    [
        " leading space",
        "  two spaces",
        "trailing space ",
        ": looks like a comment",
        "id: 5",
        "\ufeffbom",
        "line\u2028separator\x85nel\x0bvt\x0cff",
        "nul\x00inside",
        "é€😀",
        "data: nested",
        "\n\nblank\n\nlines\n\n",
    ],
)
def test_data_round_trips(data: str) -> None:
    assert decode(encode_event(data)) == [ServerSentEvent(data=data)]


def test_event_id_and_retry_are_written_and_round_trip() -> None:
    encoded = encode_event("x", event="update", id="42", retry=3000)
    assert set(encoded.split(b"\n")) == {
        b"event: update",
        b"id: 42",
        b"retry: 3000",
        b"data: x",
        b"",
    }
    assert encoded.endswith(b"\n\n")
    decoder = SSEDecoder()
    assert decoder.feed(encoded) == [ServerSentEvent(event="update", data="x", id="42", retry=3000)]
    assert (decoder.last_event_id, decoder.retry) == ("42", 3000)


def test_fields_with_leading_spaces_and_colons_round_trip() -> None:
    event = ServerSentEvent(event=" a:b ", data="x", id=" 1:2 ", retry=0)
    assert decode(encode_event("x", event=" a:b ", id=" 1:2 ", retry=0)) == [event]


def test_empty_event_type_decodes_as_message_and_empty_id_resets() -> None:
    stream = encode_event("a", id="7") + encode_event("b", event="", id="")
    assert decode(stream) == [ServerSentEvent(data="a", id="7"), ServerSentEvent(data="b")]


def test_omitted_fields_are_not_written() -> None:
    assert encode_event("x", event=None, id=None, retry=None) == b"data: x\n\n"


@pytest.mark.parametrize("bad", ["a\nb", "a\rb", "a\r\nb", "\n", "\r", "end\n"])
def test_event_with_line_end_is_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        encode_event("x", event=bad)


@pytest.mark.parametrize("bad", ["a\nb", "a\rb", "a\r\nb", "\n", "\r", "a\x00b", "\x00"])
def test_id_with_line_end_or_nul_is_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        encode_event("x", id=bad)


def test_negative_retry_is_refused() -> None:
    with pytest.raises(ValueError):
        encode_event("x", retry=-1)
    assert decode(encode_event("x", retry=0)) == [ServerSentEvent(data="x", retry=0)]


@pytest.mark.parametrize(
    ("value", "name"),
    [(1.5, "float"), (3000.0, "float"), ("3000", "str"), (True, "bool"), (False, "bool")],
)
def test_retry_that_is_not_an_int_is_a_type_error_naming_its_type(value: Any, name: str) -> None:
    """A bool is an int to Python, but True would be written as ``retry: True``: refused too."""
    with pytest.raises(TypeError, match=f"retry must be an int, not {name}$"):
        encode_event("x", retry=value)


def test_retry_over_max_retry_is_refused_at_the_call() -> None:
    """The decoder clamps a longer retry to MAX_RETRY: a larger one would not decode to itself."""
    expected = [ServerSentEvent(data="x", retry=MAX_RETRY)]
    assert decode(encode_event("x", retry=MAX_RETRY)) == expected
    for retry in (MAX_RETRY + 1, 10**4001):
        with pytest.raises(ValueError, match="retry must be from 0 to MAX_RETRY"):
            encode_event("x", retry=retry)


def test_huge_retry_is_refused_clearly_under_a_low_int_digit_limit() -> None:
    """Even where str() of the int itself would fail (sys.set_int_max_str_digits)."""
    previous = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(640)
    try:
        with pytest.raises(ValueError, match="retry must be from 0 to MAX_RETRY"):
            encode_event("x", retry=10**5000)
    finally:
        sys.set_int_max_str_digits(previous)


def test_comment_is_a_comment_block() -> None:
    assert encode_comment() == b":\n\n"
    assert encode_comment("keep-alive").startswith(b":")
    assert encode_comment("keep-alive").endswith(b"\n\n")
    assert decode(encode_comment("keep-alive")) == []


@pytest.mark.parametrize(
    "text",
    ["a\nb", "a\rdata: injected", "a\r\ndata: injected", "\ndata: injected\n\n", "id: 9\r\r"],
)
def test_multi_line_comment_cannot_inject_fields(text: str) -> None:
    encoded = encode_comment(text)
    lines = encoded.split(b"\n")
    assert lines[-2:] == [b"", b""]
    assert all(line.startswith(b":") for line in lines[:-2])
    assert b"\r" not in encoded
    decoder = SSEDecoder()
    assert decoder.feed(encoded + encode_event("after")) == [ServerSentEvent(data="after")]
    assert decoder.last_event_id == ""


def test_comments_between_events_change_nothing() -> None:
    stream = (
        encode_comment("start")
        + encode_event("a", event="e", id="1")
        + encode_comment()
        + encode_event("b")
    )
    assert decode(stream) == [
        ServerSentEvent(event="e", data="a", id="1"),
        ServerSentEvent(data="b", id="1"),
    ]


# Any encodable text, with the characters the encoder must watch for made common.
any_text = st.text(
    st.characters(codec="utf-8") | st.sampled_from(["\r", "\n", "\x00", " ", ":"]), max_size=20
)


@given(
    data=any_text,
    event=st.none() | any_text,
    id=st.none() | any_text,
    retry=st.none()
    | st.integers(min_value=-5, max_value=10**12)
    | st.integers(min_value=MAX_RETRY - 2, max_value=MAX_RETRY + 2)
    | st.integers(min_value=MAX_RETRY, max_value=10**30),
)
def test_encoder_refuses_exactly_what_cannot_round_trip(
    data: str, event: str | None, id: str | None, retry: int | None
) -> None:
    refused = (
        (event is not None and ("\r" in event or "\n" in event))
        or (id is not None and ("\r" in id or "\n" in id or "\x00" in id))
        or (retry is not None and not 0 <= retry <= MAX_RETRY)
    )
    if refused:
        with pytest.raises(ValueError):
            encode_event(data, event=event, id=id, retry=retry)
        return
    decoded = decode(encode_event(data, event=event, id=id, retry=retry))
    normalised = data.replace("\r\n", "\n").replace("\r", "\n")
    assert decoded == [ServerSentEvent(event or "message", normalised, id or "", retry)]


@pytest.mark.parametrize("value", [None, 1, b"x", ["x"]])
def test_text_fields_that_are_not_text_are_a_type_error(value: Any) -> None:
    with pytest.raises(TypeError, match="data must be a str"):
        encode_event(value)
    if value is not None:  # None leaves the field out
        with pytest.raises(TypeError, match="event must be a str"):
            encode_event("x", event=value)
        with pytest.raises(TypeError, match="id must be a str"):
            encode_event("x", id=value)
    with pytest.raises(TypeError, match="text must be a str"):
        encode_comment(value)
