"""Every error sseproto raises survives pickling and copying with its type, message and
attributes, so it can cross a process boundary (a ``ProcessPoolExecutor``, multiprocessing) or be
copied by a logging or test framework."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable

import pytest
from conftest import PROJECT_FIXTURES

import sseproto


def raised(action: Callable[[], object]) -> sseproto.StreamError:
    try:
        made = action()
    except sseproto.StreamError as error:
        return error
    assert isinstance(made, sseproto.StreamError)
    return made


def rejected() -> object:
    raise sseproto.BadResponseError(
        status=429,
        content_type="application/json",
        body=b'{"error": {"message": "Slow down", "type": "requests"}}',
        headers=[("Retry-After", "20"), ("x-request-id", "req_42"), ("set-cookie", "s=1")],
    )


def idle() -> object:
    raise sseproto.IdleTimeoutError("no byte for 5 s", timeout=5.0, offset=12, event_index=1)


def fixture(name: str) -> Callable[[], object]:
    return lambda: sseproto.accumulate(sseproto.replay(PROJECT_FIXTURES / name))


ERRORS: dict[str, Callable[[], object]] = {
    "incomplete": fixture("truncated.sse"),
    "provider": fixture("provider-error-event.sse"),
    "recorded-transport": fixture("transport-error.sse"),
    "unexpected": lambda: sseproto.accumulate(
        sseproto.replay(PROJECT_FIXTURES / "anthropic" / "thinking-signature.sse"), dialect="chat"
    ),
    "invalid-chunk": lambda: sseproto.accumulate(
        b'data: {"object": "chat.completion.chunk", "choices": [{"index": "x"}]}\n\n'
    ),
    "too-large": lambda: sseproto.accumulate(b"data: " + b"x" * 100 + b"\n\n", max_event_size=10),
    "invalid-json": lambda: sseproto.PartialJSONParser().feed("[}"),
    "fixture": lambda: sseproto.FixtureError("the sidecar is not JSON", path="x.reads.jsonl"),
    "bad-response": rejected,
    "idle-timeout": idle,
}


@pytest.mark.parametrize("make", ERRORS.values(), ids=ERRORS.keys())
@pytest.mark.parametrize(
    "duplicate",
    [lambda error: pickle.loads(pickle.dumps(error)), copy.copy, copy.deepcopy],
    ids=["pickle", "copy", "deepcopy"],
)
def test_an_error_survives_pickling_and_copying(
    make: Callable[[], object], duplicate: Callable[[sseproto.StreamError], sseproto.StreamError]
) -> None:
    error = raised(make)
    again = duplicate(error)
    assert type(again) is type(error)
    assert str(again) == str(error)
    assert repr(again) == repr(error)
    assert again.args == error.args
    attributes = {k: v for k, v in vars(error).items() if k != "partial"}
    assert {k: v for k, v in vars(again).items() if k != "partial"} == attributes
    assert repr(again.partial) == repr(error.partial)
