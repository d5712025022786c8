"""ProviderError: the provider's error is always a dict, the payload is kept as it arrived, and
the message shows the provider's own words."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sseproto import ChatAccumulator, ProviderError, ServerSentEvent


def _error_of_chunk(error: Any) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        ChatAccumulator().feed(f"data: {json.dumps({'error': error})}\n\n".encode())
    return caught.value


def _error_of_event(data: str) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        ChatAccumulator().feed_event(ServerSentEvent(event="error", data=data))
    return caught.value


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        ("a string", {"message": "a string"}),
        (["a", 1], {"message": '["a", 1]'}),
        (True, {"message": "true"}),
        (False, {"message": "false"}),
        (0, {"message": "0"}),
        ({"message": "m", "code": 5}, {"message": "m", "code": 5}),
    ],
)
def test_the_error_of_an_error_chunk_is_always_a_dict_and_the_payload_is_kept(
    error: Any, expected: dict[str, Any]
) -> None:
    failure = _error_of_chunk(error)
    assert failure.error == expected
    assert failure.payload == error


@pytest.mark.parametrize(
    ("data", "expected", "payload"),
    [
        ("boom", {"message": "boom"}, "boom"),
        ("[1, 2]", {"message": "[1, 2]"}, [1, 2]),
        ("null", {"message": "null"}, None),
        ('"quoted"', {"message": "quoted"}, "quoted"),
        ('{"message": "m"}', {"message": "m"}, {"message": "m"}),
    ],
)
def test_the_error_of_an_error_event_is_always_a_dict_and_the_payload_is_kept(
    data: str, expected: dict[str, Any], payload: Any
) -> None:
    failure = _error_of_event(data)
    assert failure.error == expected
    assert failure.payload == payload


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (
            {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"},
            "provider error: Rate limit reached (type: requests, code: rate_limit_exceeded)",
        ),
        (
            {"message": "Token limit reached", "code": 400},
            "provider error: Token limit reached (code: 400)",
        ),
        (
            {"code": 401, "message": "API key not valid.", "status": "UNAUTHENTICATED"},
            "provider error: API key not valid. (code: 401, status: UNAUTHENTICATED)",
        ),
        ({"message": "plain"}, "provider error: plain"),
        ({"message": ["two", "parts"]}, 'provider error: ["two", "parts"]'),
        ({"detail": "no message"}, 'provider error: {"detail": "no message"}'),
        ("a string", "provider error: a string"),
        ("héllo", "provider error: héllo"),
    ],
)
def test_the_message_shows_the_providers_message_unquoted_with_its_type_and_code(
    error: Any, message: str
) -> None:
    assert _error_of_chunk(error).message == message


def test_an_error_built_by_a_caller_from_any_value_has_a_dict_and_a_message() -> None:
    class Opaque:
        def __repr__(self) -> str:
            return "Opaque()"

    failure = ProviderError(Opaque())
    assert failure.error == {"message": "Opaque()"}
    assert failure.payload.__class__ is Opaque
