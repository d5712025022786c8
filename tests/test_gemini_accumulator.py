"""The Gemini engine rule by rule: merging parts, streamed arguments, candidate and response
fields, completeness, errors, strict mode, the state machine and its bounds."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sseproto import (
    ChatUpdate,
    ChoiceFinished,
    ContentDelta,
    EventTooLargeError,
    GeminiAccumulator,
    GeminiResponse,
    GroundingUpdate,
    IncompleteStreamError,
    InvalidChunkError,
    ProviderError,
    ReasoningDelta,
    ServerSentEvent,
    StreamDone,
    StreamError,
    StreamState,
    ToolCallArgumentsDelta,
    ToolCallDone,
    ToolCallPartialArg,
    ToolCallStarted,
    UsageUpdate,
)
from sseproto.dialects.gemini.accumulator import MAX_CANDIDATES
from sseproto.dialects.gemini.arguments import MAX_ARRAY_GAP, MAX_PATH_DEPTH
from sseproto.dialects.gemini.candidate import MAX_PARTS

Json = dict[str, Any]


def chunk(*parts: Json, index: int | None = None, **fields: Any) -> Json:
    candidate: Json = {"content": {"parts": list(parts), "role": "model"}, **fields}
    if index is not None:
        candidate["index"] = index
    return {"candidates": [candidate]}


def wire(*payloads: Json | str) -> bytes:
    lines = (p if isinstance(p, str) else json.dumps(p) for p in payloads)
    return b"".join(f"data: {line}\r\n\r\n".encode() for line in lines)


def feed_all(
    *payloads: Json | str, strict: bool = False
) -> tuple[list[ChatUpdate], GeminiAccumulator]:
    accumulator = GeminiAccumulator(strict=strict)
    updates = accumulator.feed(wire(*payloads))
    return updates, accumulator


def rebuilt(*payloads: Json | str, strict: bool = False) -> Json:
    """The response of a stream that ends with a finishReason."""
    _, accumulator = feed_all(*payloads, chunk(finishReason="STOP"), strict=strict)
    return accumulator.result().to_dict()


def parts_of(*payloads: Json | str, strict: bool = False) -> list[Json]:
    parts: list[Json] = rebuilt(*payloads, strict=strict)["candidates"][0]["content"]["parts"]
    return parts


def call(name: Any = None, **fields: Any) -> Json:
    body: Json = {} if name is None else {"name": name}
    body.update(fields)
    return {"functionCall": body}


def partial(*args: Any, more: bool = True) -> Json:
    body: Json = {"partialArgs": list(args)}
    if more:
        body["willContinue"] = True
    return {"functionCall": body}


# -- merging parts --------------------------------------------------------------------------


def test_text_runs_merge_by_thought_ness() -> None:
    parts = parts_of(
        chunk({"text": "a", "thought": True}),
        chunk({"text": "b", "thought": True}),
        chunk({"text": "c"}, {"text": "d", "thought": False}),
        chunk({"text": "e"}),
    )
    assert parts == [{"text": "ab", "thought": True}, {"text": "cde"}]


def test_thought_false_is_kept_as_sent_when_it_opens_a_run() -> None:
    assert parts_of(chunk({"text": "a", "thought": False}), chunk({"text": "b"})) == [
        {"text": "ab", "thought": False}
    ]


def test_a_signature_attaches_to_the_run_wherever_it_arrives() -> None:
    for signed in range(3):
        pieces = [{"text": t} for t in ("x", "y", "z")]
        pieces[signed]["thoughtSignature"] = "S"
        assert parts_of(*(chunk(p) for p in pieces)) == [{"text": "xyz", "thoughtSignature": "S"}]
    # The Gemini 3 form: an empty signed part after the text.
    assert parts_of(chunk({"text": "xy"}), chunk({"text": "", "thoughtSignature": "S"})) == [
        {"text": "xy", "thoughtSignature": "S"}
    ]


def test_two_signed_parts_of_one_thought_ness_stay_apart() -> None:
    parts = parts_of(
        chunk({"text": "a", "thoughtSignature": "S1"}),
        chunk({"text": "b", "thoughtSignature": "S2"}),
        chunk({"text": "c"}),
    )
    assert parts == [
        {"text": "a", "thoughtSignature": "S1"},
        {"text": "bc", "thoughtSignature": "S2"},
    ]


def test_empty_text_parts_carry_nothing() -> None:
    parts = parts_of(
        chunk({"text": ""}),
        chunk({"text": "a"}),
        chunk({"text": "", "thought": True}, {}),
        chunk({"text": "b"}),
    )
    assert parts == [{"text": "ab"}]
    assert parts_of(chunk({"text": ""})) == []


def test_an_empty_signed_part_after_a_non_text_part_is_kept() -> None:
    parts = parts_of(chunk(call("f")), chunk({"text": "", "thoughtSignature": "S"}))
    assert parts == [{"functionCall": {"name": "f"}}, {"text": "", "thoughtSignature": "S"}]


def test_non_text_parts_never_merge_and_keep_runs_apart() -> None:
    image = {"inlineData": {"mimeType": "image/png", "data": "AA=="}}
    parts = parts_of(chunk({"text": "a"}), chunk(image), chunk(image, {"text": "b"}))
    assert parts == [{"text": "a"}, image, image, {"text": "b"}]


def test_a_text_part_with_another_key_is_kept_as_sent() -> None:
    odd = {"text": "b", "partMetadata": {"k": 1}}
    assert parts_of(chunk({"text": "a"}), chunk(odd), chunk({"text": "c"})) == [
        {"text": "a"},
        odd,
        {"text": "c"},
    ]
    # Its text is still text to show, as the result's text has it.
    updates, accumulator = feed_all(chunk(odd, {**odd, "thought": True}, finishReason="STOP"))
    assert updates[:2] == [ContentDelta(0, "b"), ReasoningDelta(0, "b")]
    assert (accumulator.result().text, accumulator.result().reasoning) == ("b", "b")


def test_a_surrogate_pair_split_across_chunks_is_rejoined() -> None:
    # The JSON escapes each half of U+1F600 on its own; a lone half becomes U+FFFD.
    first, second = '{"text": "a\\ud83d"}', '{"text": "\\ude00b\\ud83d"}'
    _, accumulator = feed_all(
        f'{{"candidates": [{{"content": {{"parts": [{first}]}}}}]}}',
        f'{{"candidates": [{{"content": {{"parts": [{second}]}}, "finishReason": "STOP"}}]}}',
    )
    assert accumulator.result().text == "a\U0001f600b\ufffd"
    args = [
        {"jsonPath": "$.s", "stringValue": "\ud83d"},
        {"jsonPath": "$.s", "stringValue": "\ude00"},
    ]
    assert parts_of(chunk(call("f", partialArgs=args)))[0]["functionCall"]["args"] == {
        "s": "\U0001f600"
    }


def test_text_and_thought_updates() -> None:
    updates, _ = feed_all(chunk({"text": "t", "thought": True}, {"text": ""}, {"text": "a"}))
    assert updates == [ReasoningDelta(0, "t"), ContentDelta(0, "a")]


# -- function calls -------------------------------------------------------------------------


def test_a_whole_call_gives_started_arguments_done() -> None:
    updates, _ = feed_all(chunk(call("f", id="c1", args={"b": [1, "é"]}), call("g"), index=2))
    assert updates == [
        ToolCallStarted(2, 0, "c1", "f"),
        ToolCallArgumentsDelta(2, 0, '{"b":[1,"é"]}'),
        ToolCallDone(2, 0, "c1", "f", '{"b":[1,"é"]}'),
        ToolCallStarted(2, 1, "", "g"),
        ToolCallArgumentsDelta(2, 1, "{}"),
        ToolCallDone(2, 1, "", "g", "{}"),
    ]


def test_streamed_call_updates_and_result() -> None:
    updates, accumulator = feed_all(
        chunk({**call("f", id="x", willContinue=True), "thoughtSignature": "S"}),
        chunk(
            partial({"jsonPath": "$.a", "stringValue": "he"}, {"jsonPath": "$.n", "numberValue": 2})
        ),
        chunk(partial({"jsonPath": "$.a", "stringValue": "llo"})),
        chunk(call(), finishReason="STOP"),
    )
    done = '{"a":"hello","n":2}'
    assert [u for u in updates if not isinstance(u, UsageUpdate)] == [
        ToolCallStarted(0, 0, "x", "f"),
        ToolCallPartialArg(0, 0, "$.a", "he"),
        ToolCallPartialArg(0, 0, "$.n", 2),
        ToolCallPartialArg(0, 0, "$.a", "llo"),
        ToolCallArgumentsDelta(0, 0, done),
        ToolCallDone(0, 0, "x", "f", done),
    ]
    response = accumulator.result()
    assert response.to_dict()["candidates"][0]["content"]["parts"] == [
        {
            "functionCall": {"id": "x", "name": "f", "args": {"a": "hello", "n": 2}},
            "thoughtSignature": "S",
        }
    ]
    assert [(c.id, c.name, c.arguments) for c in response.tool_calls] == [("x", "f", done)]


def test_a_call_opened_with_partial_args_and_no_will_continue_closes_at_once() -> None:
    parts = parts_of(chunk(call("f", partialArgs=[{"jsonPath": "$.a", "boolValue": True}])))
    assert parts == [{"functionCall": {"name": "f", "args": {"a": True}}}]


def test_a_new_named_call_closes_the_open_one() -> None:
    updates, accumulator = feed_all(
        chunk(call("f", willContinue=True)),
        chunk(partial({"jsonPath": "$.a", "stringValue": "1"})),
        chunk(call("g", willContinue=True)),
    )
    assert [type(u).__name__ for u in updates] == [
        "ToolCallStarted",
        "ToolCallPartialArg",
        "ToolCallArgumentsDelta",
        "ToolCallDone",
        "ToolCallStarted",
    ]
    with pytest.raises(IncompleteStreamError, match="'g' is still open"):
        accumulator.close()


def test_a_streamed_call_keeps_its_place_when_other_parts_arrive_while_it_is_open() -> None:
    parts = parts_of(
        chunk(call("f", willContinue=True)),
        chunk({"text": "meanwhile"}),
        chunk(partial({"jsonPath": "$.a", "nullValue": None}, more=False)),
    )
    assert parts == [{"functionCall": {"name": "f", "args": {"a": None}}}, {"text": "meanwhile"}]


def test_json_paths() -> None:
    args = [
        {"jsonPath": "$.a[0].b", "stringValue": "x"},
        {"jsonPath": "$['k.e y'][1]", "numberValue": 1.5},
        {"jsonPath": '$["q\\"t"]', "boolValue": False},
        {"jsonPath": "$.a[0].c", "nullValue": "NULL_VALUE"},
        {"jsonPath": "$.z", "stringValue": ""},
    ]
    parts = parts_of(chunk(call("f", partialArgs=args)))
    assert parts[0]["functionCall"]["args"] == {
        "a": [{"b": "x", "c": None}],
        "k.e y": [None, 1.5],
        'q"t': False,
        "z": "",
    }


BAD_PARTIAL_ARGS = [
    {"jsonPath": "a", "stringValue": "x"},
    {"jsonPath": "$", "stringValue": "x"},
    {"jsonPath": "$.", "stringValue": "x"},
    {"jsonPath": "$x", "stringValue": "x"},
    {"jsonPath": "$[x]", "stringValue": "x"},
    {"jsonPath": "$['open", "stringValue": "x"},
    {"jsonPath": "$.n.deeper", "stringValue": "x"},
    {"jsonPath": "$.n[0]", "stringValue": "x"},
    {"jsonPath": "$.n", "stringValue": "x"},
    {"jsonPath": "$.s[0]", "numberValue": 1},
    {"jsonPath": "$.l.key", "numberValue": 1},
    {"jsonPath": f"$.l[{MAX_ARRAY_GAP + 2}]", "numberValue": 1},
    {"jsonPath": "$" + ".a" * (MAX_PATH_DEPTH + 1), "numberValue": 1},
    {"jsonPath": "$.v", "stringValue": "x", "numberValue": 1},
    {"jsonPath": "$.v"},
    {"jsonPath": "$.v", "stringValue": 1},
    {"jsonPath": "$.v", "numberValue": "1"},
    {"jsonPath": "$.v", "numberValue": True},
    {"jsonPath": "$.v", "boolValue": 0},
    {"jsonPath": 3, "numberValue": 1},
    "not an object",
]
SEED: list[Json] = [
    {"jsonPath": "$.n", "numberValue": 1},
    {"jsonPath": "$.s", "stringValue": "s"},
    {"jsonPath": "$.l[0]", "numberValue": 0},
]


@pytest.mark.parametrize("bad", BAD_PARTIAL_ARGS, ids=range(len(BAD_PARTIAL_ARGS)))
def test_a_bad_partial_arg_is_skipped_leniently_and_rejected_strictly(bad: Any) -> None:
    stream = [
        chunk(call("f", willContinue=True)),
        chunk(partial(*SEED)),
        chunk(partial(bad, {"jsonPath": "$.after", "boolValue": True}, more=False)),
    ]
    parts = parts_of(*stream)
    assert parts[0]["functionCall"]["args"] == {"n": 1, "s": "s", "l": [0], "after": True}
    with pytest.raises(InvalidChunkError) as caught:
        feed_all(*stream, strict=True)
    assert caught.value.path == "$.candidates[0].content.parts[0].functionCall.partialArgs[0]"
    assert caught.value.event_index == 2


def test_an_array_slot_left_unset_may_still_receive_a_string() -> None:
    args = [{"jsonPath": "$.l[1]", "numberValue": 1}, {"jsonPath": "$.l[0]", "stringValue": "a"}]
    assert parts_of(chunk(call("f", partialArgs=args)))[0]["functionCall"]["args"] == {
        "l": ["a", 1]
    }
    args = [{"jsonPath": "$.l[0]", "nullValue": None}, {"jsonPath": "$.l[0]", "stringValue": "a"}]
    with pytest.raises(InvalidChunkError, match="non-string"):
        feed_all(chunk(call("f", partialArgs=args)), strict=True)


def test_a_nameless_call_with_none_open() -> None:
    orphan = partial({"jsonPath": "$.a", "stringValue": "x"})
    # The terminator alone carries nothing; anything else is kept as sent.
    assert parts_of(chunk(call()), chunk(orphan)) == [orphan]
    _, accumulator = feed_all(chunk(orphan), chunk(finishReason="STOP"))
    assert accumulator.result().tool_calls == ()
    with pytest.raises(InvalidChunkError, match="only while a streamed call is open"):
        feed_all(chunk(orphan), strict=True)
    feed_all(chunk(call()), strict=True)


# -- candidate and response fields ----------------------------------------------------------


def test_candidates_by_index_in_order_of_first_appearance() -> None:
    _, accumulator = feed_all(
        {
            "candidates": [
                {"index": 3, "content": {"parts": [{"text": "c"}]}},
                {"content": {"parts": [{"text": "a"}]}},
            ]
        },
        {
            "candidates": [
                {"index": 0, "finishReason": "STOP"},
                {"index": 3, "finishReason": "SAFETY"},
            ]
        },
    )
    updates = accumulator.close()
    assert updates[:2] == [ChoiceFinished(3, "SAFETY"), ChoiceFinished(0, "STOP")]
    response = accumulator.result()
    assert [c.index for c in response.candidates] == [3, 0]
    assert response.text == "a"
    assert [c["content"]["role"] for c in response.to_dict()["candidates"]] == ["model", "model"]


def test_candidate_fields_take_their_last_non_null_value() -> None:
    response = rebuilt(
        chunk({"text": "a"}, finishReason="STOP", avgLogprobs=-0.5, custom={"v": 1}),
        chunk({"text": "b"}, finishReason=None, avgLogprobs=None, custom={"v": 2}),
        chunk(finishReason="MAX_TOKENS", citationMetadata={"citations": [1]}),
    )
    candidate = response["candidates"][0]
    # The helper's last chunk sends STOP again: finishReason is never terminal.
    assert candidate["finishReason"] == "STOP"
    assert (candidate["avgLogprobs"], candidate["custom"]) == (-0.5, {"v": 2})
    assert candidate["citationMetadata"] == {"citations": [1]}
    assert "index" not in candidate


def test_role_is_the_last_non_empty_value() -> None:
    _, accumulator = feed_all(
        {"candidates": [{"content": {"role": "assistant", "parts": []}}]},
        {"candidates": [{"content": {"role": "", "parts": []}}]},
    )
    assert accumulator.snapshot().candidates[0].role == "assistant"


def test_grounding_metadata_is_the_last_non_empty_value() -> None:
    updates, accumulator = feed_all(
        chunk(groundingMetadata={}),
        chunk(groundingMetadata={"webSearchQueries": ["a"]}),
        chunk(groundingMetadata={}),
        chunk(groundingMetadata={"webSearchQueries": ["b"]}, finishReason="STOP"),
        chunk(groundingMetadata={}),
    )
    assert accumulator.result().candidates[0].grounding_metadata == {"webSearchQueries": ["b"]}
    assert [u.grounding_metadata for u in updates if isinstance(u, GroundingUpdate)] == [
        {"webSearchQueries": ["a"]},
        {"webSearchQueries": ["b"]},
    ]
    only_empty = rebuilt(chunk(groundingMetadata={}))
    assert only_empty["candidates"][0]["groundingMetadata"] == {}


def test_usage_is_the_last_object_whole() -> None:
    first = {"promptTokenCount": 15, "candidatesTokenCount": 2, "totalTokenCount": 17}
    last = {"promptTokenCount": 13, "totalTokenCount": 21}
    updates, accumulator = feed_all(
        {**chunk({"text": "a"}), "usageMetadata": first},
        {**chunk({"text": "b"}, finishReason="STOP"), "usageMetadata": last},
        {"usageMetadata": None},
    )
    assert accumulator.result().usage == last
    assert [u for u in updates if isinstance(u, UsageUpdate)] == [
        UsageUpdate(first),
        UsageUpdate(last),
    ]


def test_metadata_takes_the_first_value_and_other_keys_the_last() -> None:
    _, accumulator = feed_all(
        {
            **chunk({"text": "a"}),
            "modelVersion": "m1",
            "responseId": "r1",
            "createTime": "t1",
            "x": 1,
        },
        {
            **chunk(finishReason="STOP"),
            "modelVersion": "m2",
            "responseId": "r2",
            "createTime": "t2",
            "x": 2,
        },
        {"x": None, "promptFeedback": {"safetyRatings": []}},
    )
    assert accumulator.result().to_dict() == {
        "candidates": [
            {"content": {"parts": [{"text": "a"}], "role": "model"}, "finishReason": "STOP"}
        ],
        "promptFeedback": {"safetyRatings": []},
        "modelVersion": "m1",
        "responseId": "r1",
        "createTime": "t1",
        "x": 2,
    }


# -- completeness ---------------------------------------------------------------------------


def test_complete_when_every_candidate_finished() -> None:
    _, accumulator = feed_all(
        chunk({"text": "a"}, index=0), chunk({"text": "b"}, index=1, finishReason="STOP")
    )
    with pytest.raises(IncompleteStreamError, match="candidate 0 has no finishReason") as caught:
        accumulator.close()
    assert isinstance(caught.value.partial, GeminiResponse)
    assert caught.value.partial.candidates[1].finish_reason == "STOP"


def test_no_candidate_is_incomplete() -> None:
    _, accumulator = feed_all({"usageMetadata": {"trafficType": "ON_DEMAND"}})
    with pytest.raises(IncompleteStreamError, match="no candidate"):
        accumulator.close()
    with pytest.raises(IncompleteStreamError):
        GeminiAccumulator().close()


def test_a_blocked_prompt_is_complete() -> None:
    feedback = {"blockReason": "PROHIBITED_CONTENT"}
    _, accumulator = feed_all({"promptFeedback": feedback})
    final = accumulator.close()
    assert [type(u) for u in final] == [StreamDone]
    assert accumulator.result().block_reason == "PROHIBITED_CONTENT"
    assert accumulator.result().text is None and accumulator.result().finish_reason is None
    assert accumulator.state is StreamState.CLOSED


def test_choice_finished_only_at_the_end() -> None:
    updates, accumulator = feed_all(chunk({"text": "a"}, finishReason="STOP"), chunk({"text": "b"}))
    assert not [u for u in updates if isinstance(u, ChoiceFinished)]
    final = accumulator.close()
    assert final[0] == ChoiceFinished(0, "STOP")
    assert isinstance(final[-1], StreamDone)
    assert final[-1].completion.to_dict() == accumulator.result().to_dict()
    assert accumulator.close() == []


# -- errors ---------------------------------------------------------------------------------


def test_a_provider_error_chunk() -> None:
    error = {"code": 500, "message": "Internal error", "status": "INTERNAL"}
    body = wire(chunk({"text": "a"}), {"error": error, **chunk({"text": "never"})})
    accumulator = GeminiAccumulator()
    with pytest.raises(ProviderError) as caught:
        accumulator.feed(body)
    raised = caught.value
    assert raised.error == error
    assert (raised.offset, raised.event_index) == (len(wire(chunk({"text": "a"}))), 1)
    assert isinstance(raised.partial, GeminiResponse) and raised.partial.text == "a"
    assert accumulator.state is StreamState.FAILED
    for again in (lambda: accumulator.feed(b""), accumulator.close, accumulator.result):
        with pytest.raises(ProviderError) as repeated:
            again()
        assert repeated.value is raised


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        ("{nope", "$"),
        ({"candidates": {}}, "$.candidates"),
        ({"candidates": [1]}, "$.candidates[0]"),
        ({"candidates": [{"index": "0"}]}, "$.candidates[0].index"),
        ({"candidates": [{"index": 1.0}]}, "$.candidates[0].index"),
        ({"candidates": [{"content": []}]}, "$.candidates[0].content"),
        ({"candidates": [{"content": {"parts": {}}}]}, "$.candidates[0].content.parts"),
        ({"candidates": [{"content": {"parts": [1]}}]}, "$.candidates[0].content.parts[0]"),
        ({"candidates": [{"content": {"role": 1}}]}, "$.candidates[0].content.role"),
        (
            chunk({"text": "a"}, {"text": "b", "thought": "yes"}),
            "$.candidates[0].content.parts[1].thought",
        ),
        (
            chunk({"text": "a", "thoughtSignature": 1}),
            "$.candidates[0].content.parts[0].thoughtSignature",
        ),
        (chunk({"functionCall": []}), "$.candidates[0].content.parts[0].functionCall"),
        (chunk(call(1)), "$.candidates[0].content.parts[0].functionCall.name"),
        (chunk(call("f", args=[])), "$.candidates[0].content.parts[0].functionCall.args"),
        (
            chunk(call("f", willContinue="y")),
            "$.candidates[0].content.parts[0].functionCall.willContinue",
        ),
        (
            chunk(call("f", partialArgs={})),
            "$.candidates[0].content.parts[0].functionCall.partialArgs",
        ),
        (chunk(finishReason=1), "$.candidates[0].finishReason"),
        (chunk(groundingMetadata=[]), "$.candidates[0].groundingMetadata"),
        ({"usageMetadata": 3}, "$.usageMetadata"),
        ({"promptFeedback": "x"}, "$.promptFeedback"),
        ({"modelVersion": 1}, "$.modelVersion"),
    ],
)
def test_a_value_of_the_wrong_type_is_an_invalid_chunk(payload: Json | str, path: str) -> None:
    accumulator = GeminiAccumulator()
    good = wire(chunk({"text": "ok"}))
    with pytest.raises(InvalidChunkError) as caught:
        accumulator.feed(good + wire(payload))
    assert caught.value.path == path
    assert (caught.value.offset, caught.value.event_index) == (len(good), 1)
    assert isinstance(caught.value.partial, GeminiResponse)


def test_lenient_mode_skips_data_that_is_not_an_object_and_done() -> None:
    _, accumulator = feed_all(
        "[1, 2]", "3", " [DONE] ", "[DONE]", chunk({"text": "a"}, finishReason="STOP")
    )
    assert accumulator.result().text == "a"


def test_the_event_name_is_never_used() -> None:
    accumulator = GeminiAccumulator()
    payload = json.dumps(chunk({"text": "a"}, finishReason="STOP"))
    accumulator.feed(f"event: weird\r\ndata:  {payload}  \r\n\r\n".encode())
    assert accumulator.result().text == "a"


def test_an_oversized_event_carries_the_partial() -> None:
    accumulator = GeminiAccumulator(max_event_size=200)
    accumulator.feed(wire(chunk({"text": "a"})))
    with pytest.raises(EventTooLargeError) as caught:
        accumulator.feed(b"data: " + b"x" * 300)
    assert isinstance(caught.value.partial, GeminiResponse) and caught.value.partial.text == "a"


def test_a_negative_index_is_read_leniently() -> None:
    response = rebuilt(
        {
            "candidates": [
                {"index": -1, "content": {"parts": [{"text": "a"}]}, "finishReason": "STOP"}
            ]
        }
    )
    assert response["candidates"][0]["index"] == -1


# -- strict mode ----------------------------------------------------------------------------


STRICT_ONLY: list[tuple[list[Json | str], str, str]] = [
    (["[1]"], "$", "JSON object"),
    ([{**chunk({"text": "a"}), "object": "x"}], "$.object", "no 'object'"),
    ([{**chunk({"text": "a"}), "type": "x"}], "$.type", "no 'type'"),
    ([{"modelVersion": "a"}, {"modelVersion": "b"}], "$.modelVersion", "changed"),
    ([{"responseId": "a"}, {"responseId": "b"}], "$.responseId", "changed"),
    ([{"createTime": "a"}, {"createTime": "b"}], "$.createTime", "changed"),
    ([chunk({"text": "a"}, index=-1)], "$.candidates[0].index", "negative"),
    (
        [chunk(partial({"jsonPath": "$.a", "stringValue": "x"}))],
        "$.candidates[0].content.parts[0].functionCall",
        "open",
    ),
]


@pytest.mark.parametrize(("payloads", "path", "words"), STRICT_ONLY)
def test_strict_rules(payloads: list[Json | str], path: str, words: str) -> None:
    feed_all(*payloads)
    with pytest.raises(InvalidChunkError, match=words) as caught:
        feed_all(*payloads, strict=True)
    assert caught.value.path == path
    assert caught.value.event_index == len(payloads) - 1


def test_strict_mode_reads_a_real_shaped_stream() -> None:
    _, accumulator = feed_all(
        {**chunk({"text": "a"}), "modelVersion": "m", "responseId": "r"},
        {**chunk({"text": "b"}, finishReason="STOP"), "modelVersion": "m", "responseId": "r"},
        strict=True,
    )
    assert accumulator.result().text == "ab"


# -- input forms, state and bounds ----------------------------------------------------------


def test_feed_event_and_feed_chunk_read_like_feed() -> None:
    payloads = [chunk({"text": "a"}), chunk({"text": "b"}, finishReason="STOP")]
    by_event = GeminiAccumulator()
    by_chunk = GeminiAccumulator()
    for payload in payloads:
        by_event.feed_event(ServerSentEvent(data=json.dumps(payload)))
        by_chunk.feed_chunk(payload)
    _, by_bytes = feed_all(*payloads)
    assert by_event.result() == by_chunk.result() == by_bytes.result()
    assert by_chunk.events_received == 2


def test_a_stream_fed_as_chunks_ends_without_a_byte_offset() -> None:
    accumulator = GeminiAccumulator()
    accumulator.feed_chunk(chunk({"text": "a"}))
    with pytest.raises(IncompleteStreamError) as caught:
        accumulator.close()
    assert (caught.value.offset, caught.value.event_index) == (None, 1)


def test_feed_chunk_copies_the_payload() -> None:
    payload = chunk({"inlineData": {"data": "AA"}}, finishReason="STOP")
    accumulator = GeminiAccumulator()
    accumulator.feed_chunk(payload)
    payload["candidates"][0]["content"]["parts"][0]["inlineData"]["data"] = "changed"
    assert accumulator.result().candidates[0].parts[0].inline_data == {"data": "AA"}


def test_feed_chunk_refuses_what_is_not_json() -> None:
    accumulator = GeminiAccumulator()
    with pytest.raises(InvalidChunkError) as caught:
        accumulator.feed_chunk({"candidates": [{"avgLogprobs": float("nan")}]})
    assert (caught.value.event_index, caught.value.offset) == (0, None)
    with pytest.raises(InvalidChunkError):
        GeminiAccumulator().feed_chunk({"x": object()})


def test_to_dict_never_aliases_the_state() -> None:
    _, accumulator = feed_all(chunk({"text": "a"}, finishReason="STOP", safetyRatings=[{"p": 1}]))
    response = accumulator.result()
    out = response.to_dict()
    out["candidates"][0]["safetyRatings"][0]["p"] = 2
    out["candidates"][0]["content"]["parts"].append({})
    assert response.to_dict()["candidates"][0]["safetyRatings"] == [{"p": 1}]
    assert accumulator.snapshot().to_dict() == response.to_dict()


def test_the_state_machine() -> None:
    accumulator = GeminiAccumulator()
    assert (accumulator.state, accumulator.strict) == (StreamState.STREAMING, False)
    accumulator.feed(wire(chunk({"text": "a"}, finishReason="STOP")))
    accumulator.close()
    assert accumulator.state is StreamState.CLOSED
    with pytest.raises(StreamError, match="not allowed once the stream is closed"):
        accumulator.feed(b"data: {}\r\n\r\n")
    not_a_bool: Any = 1
    with pytest.raises(ValueError):
        GeminiAccumulator(strict=not_a_bool)


def test_updates_are_built_only_when_read() -> None:
    body = wire(
        chunk({"text": "a", "thought": True}), chunk(call("f"), {"text": "b"}, finishReason="STOP")
    )
    quiet = GeminiAccumulator()
    quiet._feed_into(body, None)
    loud = GeminiAccumulator()
    loud.feed(body)
    assert quiet.result() == loud.result()


def test_a_hostile_index_allocates_nothing_and_candidates_are_bounded() -> None:
    response = rebuilt(chunk({"text": "a"}, index=10**12, finishReason="STOP"))
    assert response["candidates"][0]["index"] == 10**12
    many = {"candidates": [{"index": i} for i in range(MAX_CANDIDATES + 1)]}
    with pytest.raises(InvalidChunkError, match="at most"):
        feed_all(many)


def test_parts_are_bounded() -> None:
    image = {"inlineData": {"data": ""}}
    with pytest.raises(InvalidChunkError, match="at most") as caught:
        feed_all(chunk(*[image] * (MAX_PARTS + 1)))
    assert caught.value.path == f"$.candidates[0].content.parts[{MAX_PARTS}]"


def test_the_result_attributes() -> None:
    code = {"language": "PYTHON", "code": "print(1)"}
    result = {"outcome": "OUTCOME_OK", "output": "1\n"}
    image = {"mimeType": "image/png", "data": "AA=="}
    _, accumulator = feed_all(
        {
            "candidates": [
                {
                    "content": {
                        "parts": [
                            {"text": "t", "thought": True},
                            {"executableCode": code, "thoughtSignature": "S"},
                            {"codeExecutionResult": result},
                            {"inlineData": image},
                            call("f", id="i", args={"a": 1}),
                            {"text": "a"},
                        ],
                        "extra": 1,
                    },
                    "finishReason": "STOP",
                    "finishMessage": "done",
                },
                {
                    "index": 1,
                    "content": {"parts": [{"thoughtSignature": "only"}]},
                    "finishReason": "OTHER",
                },
            ]
        }
    )
    response = accumulator.result()
    first = response.candidates[0]
    assert response.first is first
    assert [part.kind for part in first.parts] == [
        "text",
        "executableCode",
        "codeExecutionResult",
        "inlineData",
        "functionCall",
        "text",
    ]
    assert response.candidates[1].parts[0].kind == ""
    assert [part.thought for part in first.parts] == [True, False, False, False, False, False]
    assert first.parts[1].thought_signature == "S" and first.parts[0].thought_signature is None
    assert (first.parts[1].executable_code, first.parts[2].code_execution_result) == (code, result)
    assert first.parts[3].inline_data == image and first.parts[0].inline_data is None
    assert first.parts[0].function_call is None and first.parts[3].text is None
    assert first.parts[4].function_call is not None and first.parts[4].function_call.args == {
        "a": 1
    }
    assert (first.text, first.reasoning, first.finish_message) == ("a", "t", "done")
    assert first.content_fields == {"extra": 1}
    assert first.to_dict()["content"]["extra"] == 1
    assert first.grounding_metadata is None
    assert response.block_reason is None
    # Without candidate 0, the first candidate answers the view.
    _, accumulator = feed_all(chunk({"text": "x"}, index=4, finishReason="STOP"))
    assert accumulator.result().text == "x"
    assert GeminiResponse().first is None and GeminiResponse().tool_calls == ()
