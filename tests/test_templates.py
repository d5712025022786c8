"""Verified templates (the kit's): what a template reads, what it leaves to the full path, and
what it refuses to learn."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

import pytest

from sseproto import ContentDelta, ServerSentEvent
from sseproto.dialects.kit.template import Leaf, Template, learn

LEAF = ("choices", 0, "delta", "content")
PAD = ("obfuscation",)


def text_of(
    content: str, *, pad: str | None = None, fingerprint: str = "fp_1", last: bool | None = None
) -> str:
    chunk: dict[str, Any] = {
        "id": "c",
        "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": None}],
        "system_fingerprint": fingerprint,
    }
    if pad is not None:
        chunk["obfuscation"] = pad
    chunk["last"] = last
    return json.dumps(chunk)


def learned(
    text: str, *, pad: bool = False, extras: dict[str, Any] | None = None
) -> tuple[Template, list[str]]:
    pieces: list[str] = []
    into = Leaf(pieces, partial(ContentDelta, 0), True)
    template = learn("message", text, json.loads(text), LEAF, into, PAD if pad else None, extras)
    assert template is not None
    return template, pieces


def read_all(
    template: Template, texts: list[str], name: str = "message"
) -> tuple[list[str], ServerSentEvent | None, int]:
    updates: list[Any] = []
    events = iter([ServerSentEvent(name, text) for text in texts])
    stopped, count = template.read(events, updates)
    return [update.text for update in updates], stopped, count


@pytest.mark.parametrize(
    "content",
    [
        "plain",
        'a "quote"',
        "back\\slash",
        "line\nend",
        "é東",
        "😀",
        "\ud83d",
        "\udc00x",
        "",
        "\u2028",
    ],
)
@pytest.mark.parametrize("ascii", [True, False])
def test_a_leaf_is_what_the_json_scanner_reads(content: str, ascii: bool) -> None:
    if not ascii and any("\ud800" <= c <= "\udfff" for c in content):
        pytest.skip("a lone surrogate is only sent escaped")
    template, pieces = learned(text_of("first"))
    text = json.dumps(json.loads(text_of(content)), ensure_ascii=ascii)
    assert read_all(template, [text])[1:] == (None, 1)
    assert "".join(pieces) == json.loads(text)["choices"][0]["delta"]["content"]


def test_escaped_slash_and_unicode_escapes_are_decoded() -> None:
    template, pieces = learned(text_of("first"))
    text = text_of("x").replace('"x"', '"a\\/b\\u00e9\\ud83d\\ude00"')
    assert read_all(template, [text])[1:] == (None, 1)
    assert pieces == ["a/bé😀"]


@pytest.mark.parametrize(
    "leaf",
    [
        "raw\x01control",  # the scanner refuses raw control characters
        'early"end',  # an unescaped quote ends the string early: another structure
        "bad\\x escape",
        "unfinished\\u12",
    ],
)
def test_a_leaf_the_scanner_refuses_is_left_to_the_full_path(leaf: str) -> None:
    template, pieces = learned(text_of("first"))
    text = text_of("HOLE").replace("HOLE", leaf)
    _, stopped, count = read_all(template, [text])
    assert stopped is not None and stopped.data == text and count == 0
    assert pieces == []


@pytest.mark.parametrize("pad", [None, "p"])
def test_any_other_text_around_the_leaf_is_left_to_the_full_path(pad: str | None) -> None:
    template, _ = learned(text_of("first", pad=pad), pad=pad is not None)
    same_length = text_of("x", pad=pad, fingerprint="fp_2")
    same_length_last = text_of("x", pad=pad, last=True)
    reordered = json.dumps({"system_fingerprint": "fp_1", **json.loads(text_of("x", pad=pad))})
    spaced = text_of("x", pad=pad) + " "
    other_pad = text_of("x", pad="q" if pad is None else None)
    for text in (same_length, same_length_last, reordered, spaced, other_pad):
        assert read_all(template, [text])[1:] == (ServerSentEvent("message", text), 0)
    renamed = ServerSentEvent("delta", text_of("x", pad=pad))
    assert read_all(template, [renamed.data], name="delta")[1:] == (renamed, 0)


def test_a_run_is_read_up_to_the_first_event_that_does_not_fit() -> None:
    template, pieces = learned(text_of("first"))
    other = text_of("x", fingerprint="fp_2")
    texts, stopped, count = read_all(
        template, [text_of("a"), text_of(""), text_of("b"), other, text_of("c")]
    )
    assert (texts, count) == (["a", "b"], 3)
    assert stopped == ServerSentEvent("message", other)
    # The empty leaf is kept when the full path keeps it.
    assert pieces == ["a", "", "b"]


def test_a_pad_of_any_length_is_read_and_the_last_one_kept() -> None:
    extras: dict[str, Any] = {}
    template, _ = learned(text_of("first", pad="abc"), pad=True, extras=extras)
    texts, stopped, count = read_all(
        template, [text_of("a", pad="x"), text_of("b", pad="long\\pad")]
    )
    assert (texts, stopped, count) == (["a", "b"], None, 2)
    assert extras == {"obfuscation": "long\\pad"}


def test_a_template_is_not_learned_where_it_cannot_be_proved() -> None:
    into = Leaf([], None, True)
    # The key written with an escape: not found.
    escaped = text_of("a").replace('"content"', '"cont\\u0065nt"')
    assert learn("message", escaped, json.loads(escaped), LEAF, into) is None
    # Not a string.
    number = text_of("a").replace('"a"', "1")
    assert learn("message", number, json.loads(number), LEAF, into) is None
    # A pad before the leaf.
    first = json.dumps({"obfuscation": "p", **json.loads(text_of("a"))})
    assert learn("message", first, json.loads(first), LEAF, into, PAD) is None


def test_a_duplicated_key_is_cut_where_the_parser_reads_it() -> None:
    # The parser keeps the last value of a key given twice: the hole is there.
    text = text_of("a").replace('{"content": "a"}', '{"content": "a", "content": "a"}')
    template, pieces = learned(text)
    second = text.replace('"content": "a"}', '"content": "b"}')
    assert read_all(template, [second])[1:] == (None, 1)
    assert pieces == ["b"]
    first = text.replace('{"content": "a",', '{"content": "b",')
    assert read_all(template, [first])[2] == 0


def test_any_run_of_spaces_before_the_last_brace_fits() -> None:
    # Anthropic pads its events with spaces before the final brace, by a random length.
    padded = text_of("first")[:-1] + "   }"
    template, pieces = learned(padded)
    fits = [text_of("a"), text_of("b")[:-1] + " " * 15 + "}"]
    texts, stopped, count = read_all(template, fits)
    assert (texts, stopped, count) == (["a", "b"], None, 2)
    for other in (text_of("c")[:-1] + "\t}", text_of("c") + " ", text_of("c")[:-1] + " x}"):
        assert read_all(template, [other])[1:] == (ServerSentEvent("message", other), 0)
    assert pieces == ["a", "b"]
