"""What a rejected response's error tells: the provider's message first, the parsed body, the
headers (credentials hidden when printed), the request id and the wait asked for."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from sseproto import BadResponseError, IdleTimeoutError, IncompleteStreamError, accumulate
from sseproto._adapter import MAX_ERROR_BODY


def rejection(body: bytes, *headers: tuple[str, str], status: int = 400) -> BadResponseError:
    return BadResponseError(
        status=status, content_type="application/json", body=body, headers=headers
    )


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            {"error": {"message": "Bad model", "type": "invalid_request_error", "code": None}},
            "Bad model (type: invalid_request_error)",
        ),
        (
            {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
            "Overloaded (type: overloaded_error)",
        ),
        (
            [{"error": {"code": 400, "message": "Key not valid", "status": "INVALID_ARGUMENT"}}],
            "Key not valid (code: 400, status: INVALID_ARGUMENT)",
        ),
        ({"error": "model not found"}, "model not found"),
        ({"message": "Forbidden"}, "Forbidden"),
    ],
    ids=["openai", "anthropic", "gemini", "bare-error", "bare-message"],
)
def test_the_providers_message_comes_first(document: object, message: str) -> None:
    error = rejection(json.dumps(document).encode())
    assert str(error).startswith(f"{message}; status 400, content type 'application/json'")
    assert error.json() == document


@pytest.mark.parametrize(
    "body",
    [b"<html>Bad gateway</html>", b'{"error": {"message": "cut', b"\xff\xfe{}", b"", b"[1, NaN]"],
    ids=["html", "cut-json", "not-utf8", "empty", "nan"],
)
def test_a_body_that_is_not_json_parses_to_none_and_is_quoted(body: bytes) -> None:
    error = rejection(body, status=502)
    assert error.json() is None
    assert str(error).startswith("expected a 2xx text/event-stream response, got status 502")
    quoted = repr(body[:200].decode("utf-8", "replace")) if body else "an empty body"
    assert quoted in str(error)


def test_a_json_body_without_an_error_is_quoted() -> None:
    error = BadResponseError(
        status=200, content_type="application/json", body=b'{"object": "chat.completion"}'
    )
    assert error.json() == {"object": "chat.completion"}
    assert "chat.completion" in str(error) and str(error).startswith("expected")


def test_headers_are_looked_up_in_any_case_and_repeated_ones_joined() -> None:
    error = rejection(b"{}", ("Via", "a"), ("X-Thing", "1"), ("via", "b"))
    assert error.headers["VIA"] == "a, b"
    assert "x-thing" in error.headers and "Nope" not in error.headers
    assert list(error.headers) == ["Via", "X-Thing"]
    assert len(error.headers) == 2


def test_printed_headers_hide_credentials_that_lookups_keep() -> None:
    error = rejection(
        b"{}",
        ("Set-Cookie", "session=abc"),
        ("Authorization", "Bearer sk-x"),
        ("Content-Length", "2"),
    )
    shown = repr(error.headers)
    assert "abc" not in shown and "sk-x" not in shown and "'Content-Length': '2'" in shown
    assert str(error.headers) == shown
    assert error.headers["set-cookie"] == "session=abc"


@pytest.mark.parametrize(
    ("headers", "request_id"),
    [
        ((("X-Request-Id", "req_1"),), "req_1"),
        ((("request-id", "req_2"),), "req_2"),
        ((("x-amzn-RequestId", "req_3"),), "req_3"),
        ((), None),
    ],
)
def test_the_request_id(headers: tuple[tuple[str, str], ...], request_id: str | None) -> None:
    error = rejection(b"{}", *headers)
    assert error.request_id == request_id
    assert (f"request id {request_id}" in str(error)) == (request_id is not None)


def test_retry_after_in_seconds_milliseconds_or_a_date() -> None:
    assert rejection(b"", ("Retry-After", "7")).retry_after == 7.0
    assert rejection(b"", ("retry-after-ms", "1500"), ("Retry-After", "2")).retry_after == 1.5
    later = datetime.now(timezone.utc) + timedelta(seconds=120)
    waited = rejection(b"", ("Retry-After", format_datetime(later, usegmt=True))).retry_after
    assert waited is not None and 100 < waited <= 120
    past = datetime(2000, 1, 1, tzinfo=timezone.utc)
    assert rejection(b"", ("Retry-After", format_datetime(past, usegmt=True))).retry_after == 0
    assert rejection(b"", ("Retry-After", "soon")).retry_after is None
    assert rejection(b"", ("Retry-After", "-3")).retry_after is None
    assert rejection(b"").retry_after is None
    assert "Retry-After 7" in str(rejection(b"", ("Retry-After", "7")))


def test_an_idle_timeout_is_an_incomplete_stream_that_names_its_timeout() -> None:
    partial = accumulate(b'data: {"choices": [{"index": 0, "delta": {"content": "Hi"}}]}\n\n'
                         b"data: [DONE]\n\n")
    error = IdleTimeoutError("silent", timeout=2.5, offset=3, event_index=1, partial=partial)
    assert isinstance(error, IncompleteStreamError)
    assert (error.timeout, error.offset, error.event_index) == (2.5, 3, 1)
    assert error.partial is partial


@pytest.mark.parametrize(
    ("status", "body", "hinted"),
    [
        (200, b"data: {}\n\n", True),
        (200, b"\n: ping\n\n", True),
        (200, b'{"data": 1}', False),
        (500, b"data: {}\n\n", False),
    ],
)
def test_a_stream_under_another_content_type_is_told_how_to_read_it(
    status: int, body: bytes, hinted: bool
) -> None:
    error = BadResponseError(status=status, content_type="text/plain", body=body)
    assert ("check_content_type=False" in str(error)) == hinted


@pytest.mark.parametrize(
    "status,body,hint",
    [
        (200, b'{"object": "chat.completion", "choices": []}', "without stream: true?"),
        (200, b'  {"candidates": []}', "without stream: true?"),
        (200, b'[{"candidates": []}]', "a Gemini request without ?alt=sse?"),
        (400, b'{"detail": "bad"}', None),
        (200, b"<html></html>", None),
        (200, b'{"cut', None),
    ],
)
def test_a_whole_json_answer_asks_whether_streaming_was_requested(
    status: int, body: bytes, hint: str | None
) -> None:
    error = BadResponseError(status=status, content_type="application/json", body=body)
    if hint is None:
        assert "stream: true" not in str(error)
    else:
        assert str(error).endswith(hint + ")")


@pytest.mark.parametrize(
    ("start", "hint"),
    [
        (b'[{\n  "candidates": [', "without ?alt=sse?)"),
        (b'{"id": "chatcmpl-1", ', "stream: true?)"),
    ],
    ids=["gemini-array", "object"],
)
def test_a_whole_json_answer_longer_than_the_body_kept_is_hinted_too(
    start: bytes, hint: str
) -> None:
    # Gemini's answer to a request without ?alt=sse is usually longer than the 4 KiB an adapter
    # keeps: the start it keeps is no whole JSON document, but says as much as one.
    kept = (start + b'"text": "' + b"x" * MAX_ERROR_BODY)[:MAX_ERROR_BODY]
    error = BadResponseError(status=200, content_type="application/json", body=kept)
    assert str(error).endswith(hint)


def test_a_204_says_it_has_no_content() -> None:
    error = BadResponseError(status=204, content_type=None, body=b"")
    assert str(error) == (
        "expected a 2xx text/event-stream response, got status 204 (No Content), "
        "content type None and an empty body"
    )
