"""Reprs a person can read in a REPL: updates list their fields in ``__match_args__`` order, long
strings are cut with their length told, and results leave out the fields that say nothing."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from conftest import PROJECT_FIXTURES
from hypothesis import given
from hypothesis import strategies as st

import sseproto
from sseproto import (
    ChatAudio,
    ChatCompletion,
    ChatMessage,
    ChatUpdate,
    Choice,
    FunctionCall,
    GeminiResponse,
    ServerSentEvent,
    SSEDecoder,
    TextBlock,
    ToolCall,
    ToolCallDone,
    ToolUseBlock,
)
from sseproto.wire.display import MAX_DEPTH, MAX_ITEMS, MAX_STRING, STRING_HEAD, short

UPDATE_CLASSES = [
    value
    for name in sseproto.__all__
    if inspect.isclass(value := getattr(sseproto, name))
    and issubclass(value, ChatUpdate)
    and value is not ChatUpdate
]


@pytest.mark.parametrize("kind", UPDATE_CLASSES, ids=[kind.__name__ for kind in UPDATE_CLASSES])
def test_an_update_shows_its_fields_in_match_order(kind: type[ChatUpdate]) -> None:
    # Every field is shown (none hidden behind __slots__ alone), in the order a match reads them,
    # each value distinct so that a reordering shows. A slot named with an underscore is the
    # update's machinery (a live parser), not a field.
    order: tuple[str, ...] = getattr(kind, "__match_args__", ())
    assert order and set(order) == {slot for slot in kind.__slots__ if not slot.startswith("_")}
    values = [f"value-{number}" for number in range(len(order))]
    update = kind(*values)
    pairs = zip(order, values, strict=True)
    shown = ", ".join(f"{field}={value!r}" for field, value in pairs)
    assert repr(update) == f"{kind.__name__}({shown})"


def test_a_megabyte_of_arguments_is_cut_in_the_repr() -> None:
    arguments = '{"text": "' + "x" * 1_000_000 + '"}'
    update = ToolCallDone(0, 0, "call_1", "write", arguments)
    shown = repr(update)
    assert len(shown) < 300
    assert shown.startswith("ToolCallDone(choice=0, index=0, id='call_1', name='write', arguments=")
    assert shown.endswith(f"{arguments[:STRING_HEAD]!r}... (1,000,012 characters), parsed=None)")


@given(st.text(max_size=MAX_STRING + 50))
def test_a_string_is_shown_whole_up_to_the_limit_else_its_start_and_length(text: str) -> None:
    if len(text) <= MAX_STRING:
        assert short(text) == repr(text)
    else:
        assert short(text) == f"{text[:STRING_HEAD]!r}... ({len(text):,} characters)"


def test_containers_keep_their_order_and_are_bounded() -> None:
    usage = {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
    assert short(usage) == repr(usage)  # the provider's order, not sorted
    long_list = list(range(MAX_ITEMS + 5))
    assert short(long_list) == repr(long_list[:MAX_ITEMS])[:-1] + ", ...]"
    many_keys = {f"k{number}": number for number in range(MAX_ITEMS + 1)}
    assert short(many_keys).endswith(f"'k{MAX_ITEMS - 1}': {MAX_ITEMS - 1}, ...}}")
    nested: object = "deepest"
    for _ in range(300):  # as deep as a payload may be, and deeper than the repr goes
        nested = {"a": [nested]}
    shown = short(nested)
    assert "deepest" not in shown
    assert "[...]" in shown or "{...}" in shown
    assert shown.count("{") <= MAX_DEPTH
    assert short({"text": "y" * 1000}) == "{'text': " + short("y" * 1000) + "}"


def test_an_event_cuts_its_data() -> None:
    assert repr(ServerSentEvent(data="hi", event="note", id="7", retry=5)) == (
        "ServerSentEvent(event='note', data='hi', id='7', retry=5)"
    )
    shown = repr(ServerSentEvent(data="z" * 5000))
    assert shown == f"ServerSentEvent(event='message', data={short('z' * 5000)}, id='', retry=None)"


def test_a_decoder_shows_where_the_stream_is() -> None:
    decoder = SSEDecoder()
    assert repr(decoder) == "SSEDecoder(offset=0, events_dispatched=0)"
    decoder.feed(b"retry: 3000\nid: 7\ndata: a\n\ndata: b\n\ndata: unfin")
    assert repr(decoder) == (
        "SSEDecoder(offset=47, events_dispatched=2, last_event_id='7', retry=3000, buffered=11)"
    )
    decoder.close()  # the unfinished event is discarded
    assert repr(decoder) == (
        "SSEDecoder(offset=47, events_dispatched=2, last_event_id='7', retry=3000, "
        "state='closed')"
    )
    # Settings only when not the defaults; a decoder past an oversized event has failed.
    assert repr(SSEDecoder(max_event_size=None)) == (
        "SSEDecoder(offset=0, events_dispatched=0, max_event_size=None)"
    )
    small = SSEDecoder(max_event_size=10)
    with pytest.raises(sseproto.EventTooLargeError):
        small.feed(b"data: 0123456789\n")
    assert repr(small).endswith(", max_event_size=10, state='failed')")


def test_a_replay_shows_its_fixture_and_how_far_it_went() -> None:
    path = PROJECT_FIXTURES / "transport-error.sse"
    replay = sseproto.replay(path)
    ending = "ends_with='httpx.RemoteProtocolError: peer closed connection without sending"
    assert repr(replay).startswith(
        f"Replay(path='{path}', size=771, reads=3, delivered=0, {ending}"
    )
    next(replay)
    assert f"reads=3, delivered=1, {ending}" in repr(replay)
    byte = sseproto.replay(PROJECT_FIXTURES / "chat-text.sse", chunking="byte")
    size = len(b"".join(byte))
    assert repr(byte) == (
        f"Replay(path='{PROJECT_FIXTURES / 'chat-text.sse'}', size={size}, reads={size}, "
        f"delivered={size})"
    )
    timed = sseproto.areplay(path, realtime=True)
    assert repr(timed).startswith(
        f"AsyncReplay(path='{path}', size=771, reads=3, delivered=0, realtime=True, {ending}"
    )


def test_a_chat_completion_leaves_out_what_says_nothing() -> None:
    assert repr(ChatCompletion()) == "ChatCompletion()"
    assert repr(ChatMessage()) == "ChatMessage()"  # the role at its default, assistant
    call = ToolCall("call_1", "function", FunctionCall("get_weather", '{"city":"Paris"}'))
    completion = ChatCompletion(
        id="chatcmpl-1",
        model="gpt-4o",
        choices=(Choice(0, ChatMessage(content="Hi", tool_calls=(call,)), "tool_calls"),),
        extras={"citations": ["https://example.org"]},
    )
    assert repr(completion) == (
        "ChatCompletion(id='chatcmpl-1', model='gpt-4o', choices=(Choice(index=0, "
        "message=ChatMessage(content='Hi', tool_calls=(ToolCall(id='call_1', type='function', "
        "function=FunctionCall(name='get_weather', arguments='{\"city\":\"Paris\"}')),)), "
        "finish_reason='tool_calls'),), extras={'citations': ['https://example.org']})"
    )
    # A field that differs from its default is shown, even when empty-looking.
    assert repr(ChatMessage(role="tool", content="")) == "ChatMessage(role='tool')"
    assert repr(ChatAudio(transcript="t" * 300)) == f"ChatAudio(transcript={short('t' * 300)})"


def test_anthropic_blocks_and_message_show_their_fields() -> None:
    message = sseproto.accumulate(
        sseproto.replay(PROJECT_FIXTURES / "anthropic" / "tool-use.sse"), dialect="anthropic"
    )
    shown = repr(message)
    assert shown.startswith("AnthropicMessage(id='msg_01Fixture0000000000000001', role=")
    assert "stop_reason='tool_use'" in shown and "stop_sequence" not in shown  # null: left out
    assert "content=(TextBlock(text='Let me check.'), ToolUseBlock(id='toolu_01A'," in shown
    assert repr(TextBlock({"type": "text", "text": "Hi", "citations": None})) == (
        "TextBlock(text='Hi')"
    )
    block = ToolUseBlock(
        {"type": "tool_use", "id": "t", "name": "n", "input": "{" * 500}, "{" * 500
    )
    assert repr(block) == f"ToolUseBlock(id='t', name='n', input={short('{' * 500)})"


def test_a_response_summarises_its_output() -> None:
    response = sseproto.accumulate(
        sseproto.replay(PROJECT_FIXTURES / "responses" / "function-calls-parallel.sse"),
        dialect="responses",
    )
    shown = repr(response)
    assert shown.startswith(
        "Response(id='resp_0fixture000000000000000000000001', model='gpt-5-mini-2025-08-07', "
        "status='completed', output=('function_call', 'function_call'), usage={'input_tokens': 42"
    )


def test_a_gemini_response_shows_its_parts_by_their_keys() -> None:
    response = sseproto.accumulate(
        sseproto.replay(PROJECT_FIXTURES / "gemini" / "function-calls-whole.sse"), dialect="gemini"
    )
    assert isinstance(response, GeminiResponse)
    shown = repr(response)
    assert shown.startswith(
        "GeminiResponse(candidates=(GeminiCandidate(index=0, role='model', "
        "parts=(GeminiPart(text='Let me check.'), GeminiPart(functionCall={'name': 'get_weather'"
    )
    assert "create_time" not in shown and "prompt_feedback" not in shown


RESULT_FIXTURES = sorted(PROJECT_FIXTURES.rglob("*.sse"))


@pytest.mark.parametrize(
    "path",
    RESULT_FIXTURES,
    ids=[str(path.relative_to(PROJECT_FIXTURES)) for path in RESULT_FIXTURES],
)
def test_no_result_repr_prints_empty_fields(path: Path) -> None:
    try:
        result: object = sseproto.accumulate(sseproto.replay(path))
    except sseproto.StreamError as error:
        result = error.partial
    shown = repr(result)
    for empty in ("=None", "={}", "=()", "=''", "=[]"):
        assert empty not in shown, (empty, shown)


def test_a_partial_json_parser_shows_where_the_text_stands_not_its_value() -> None:
    parser = sseproto.PartialJSONParser()
    assert repr(parser) == "PartialJSONParser(offset=0, depth=0)"
    parser.feed('{"text": "' + "x" * 1_000_000)
    assert repr(parser) == "PartialJSONParser(offset=1000010, depth=1)"
    parser.feed('", "n": [1, [2')
    assert repr(parser) == "PartialJSONParser(offset=1000024, depth=3)"
    parser.feed("]]} ")
    assert repr(parser) == "PartialJSONParser(offset=1000028, depth=0, state='complete')"
    parser.close()
    assert repr(parser) == "PartialJSONParser(offset=1000028, depth=0, state='closed')"
    failed = sseproto.PartialJSONParser()
    with pytest.raises(sseproto.InvalidJSONError):
        failed.feed("[1,]")
    assert repr(failed) == "PartialJSONParser(offset=0, depth=1, state='failed')"


def test_live_arguments_show_how_many_calls_and_answers_they_follow() -> None:
    live = sseproto.LiveArguments()
    assert repr(live) == "LiveArguments(calls=0, answers=0)"
    for update in sseproto.iter_updates(
        sseproto.replay(PROJECT_FIXTURES / "reasoning-text-tool-call.sse")
    ):
        live.annotate(update)
    assert repr(live) == "LiveArguments(calls=1, answers=1)"
    # A call the provider runs and a legacy function call are calls it follows too.
    for name, shown in [
        ("anthropic/server-tool-web-search.sse", "LiveArguments(calls=1, answers=1)"),
        ("function-call-legacy.sse", "LiveArguments(calls=1, answers=0)"),
    ]:
        live = sseproto.LiveArguments()
        for update in sseproto.iter_updates(sseproto.replay(PROJECT_FIXTURES / name)):
            live.annotate(update)
        assert repr(live) == shown


@pytest.mark.parametrize(
    ("kind", "path"),
    [
        (sseproto.ChatAccumulator, "chat-text.sse"),
        (sseproto.AnthropicAccumulator, "anthropic/tool-use.sse"),
        (sseproto.ResponsesAccumulator, "responses/text.sse"),
        (sseproto.GeminiAccumulator, "gemini/function-calls-whole.sse"),
    ],
)
def test_an_accumulator_shows_where_its_stream_is(kind: type, path: str) -> None:
    name = kind.__name__
    accumulator = kind()
    assert repr(accumulator) == f"{name}(state='streaming', offset=0, events_received=0)"
    body = (PROJECT_FIXTURES / path).read_bytes()
    accumulator.feed(body[:200])
    events = accumulator.events_received
    assert repr(accumulator) == f"{name}(state='streaming', offset=200, events_received={events})"
    accumulator.feed(body[200:])
    accumulator.close()
    events = accumulator.events_received
    assert repr(accumulator) == (
        f"{name}(state='closed', offset={len(body)}, events_received={events})"
    )
    # Options only when not the defaults.
    assert repr(kind(strict=True, partial_json=True)) == (
        f"{name}(state='streaming', offset=0, events_received=0, strict=True, partial_json=True)"
    )


def test_an_auto_accumulator_shows_the_dialect_once_decided() -> None:
    auto = sseproto.AutoAccumulator()
    assert repr(auto) == "AutoAccumulator(state='streaming', offset=0, events_received=0)"
    body = (PROJECT_FIXTURES / "anthropic" / "tool-use.sse").read_bytes()
    auto.feed(body)
    assert repr(auto) == (
        f"AutoAccumulator(dialect='anthropic', state='done', offset={len(body)}, "
        f"events_received={auto.events_received})"
    )
    assert repr(sseproto.AutoAccumulator(expect="gemini", strict=True)) == (
        "AutoAccumulator(expect='gemini', state='streaming', offset=0, events_received=0, "
        "strict=True)"
    )
