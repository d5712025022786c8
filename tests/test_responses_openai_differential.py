"""Differential test: sseproto's Responses engine against openai-python's ``ResponseStreamState``.

openai-python reads a stream with its ``SSEDecoder``, its ``Stream`` loop (stop at ``[DONE]``, raise
``APIError`` at any payload with an ``error`` key), its event models and
``ResponseStreamState.handle_event``; ``get_final_response()`` is its ``_completed_response``.
Every real recording and every project fixture is read both ways. Where both complete, the
output text, the items, the tool calls, the status and the usage agree. Where they do not, the
disagreement is one of those listed in :data:`DISAGREEMENTS`, each a case where DIALECTS.md
rules openai-python wrong:

- ``response.incomplete``: openai-python's ``get_final_response()`` raises ("Didn't receive a
  `response.completed` event"); the stream is complete, its status says why it stopped.
- a resumed stream (no ``response.created``): openai-python raises at the first event ("Expected
  to have received `response.created`").
- ids rotated per event: openai-python raises ("Lifecycle response identity changed."); ids are
  informational.
- an ``error`` event: openai-python raises ``APIError`` at once and never reads the
  ``response.failed`` that follows; sseproto raises ``ProviderError`` with the failed response.
- items never closed by ``output_item.done`` with an empty terminal output: openai-python raises
  ("Cannot complete response with unfinished output items"); sseproto rebuilds them.
- a recording holding a second response after the terminal event: openai-python reads on and
  raises ("Lifecycle response identity changed.", or "Duplicate response output index" when the
  ids repeat); the stream ended at its terminal event.
- an event for an item never added (a resumed stream starts mid-item) or for a part past the end
  of its list: openai-python raises (``RuntimeError``, or a bare ``IndexError``); sseproto ignores
  the event, or pads the list with null for a part added past its end.
- a stream cut before its terminal event, or failed: openai-python raises with nothing rebuilt;
  sseproto raises with the partial Response.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import PROJECT_FIXTURES, real_fixture_files, require_real_fixtures

from sseproto import Response, ResponsesAccumulator, StreamError

openai_streaming = pytest.importorskip("openai._streaming")
openai_models = pytest.importorskip("openai._models")
openai_responses = pytest.importorskip("openai.lib.streaming.responses._responses")
openai_types = pytest.importorskip("openai.types.responses")
openai_omit = pytest.importorskip("openai._types").omit

PATHS = [
    *real_fixture_files("openai-responses"),
    *sorted((PROJECT_FIXTURES / "responses").glob("*.sse")),
]

# Where openai-python fails and sseproto does not (or fails differently): the file, and the words
# openai-python's error says.
INCOMPLETE = "Didn't receive a `response.completed` event"
DISAGREEMENTS: dict[str, str] = {
    "gpt4o-incomplete-max-output-tokens.sse": INCOMPLETE,
    "incomplete.sse": INCOMPLETE,
    "resumed.sse": "Expected to have received `response.created`",
    "strict-created-not-first.sse": "Expected to have received `response.created`",
    "rotated-ids.sse": "Lifecycle response identity changed",
    "gpt5nano-error-insufficient-quota.sse": "APIError: You exceeded your current quota",
    "error-then-failed.sse": "APIError: You exceeded your current quota",
    "error-flat-no-terminal.sse": INCOMPLETE,
    "text-open-items.sse": "Cannot complete response with unfinished output items",
    "reasoning-summary.sse": "Cannot complete response with unfinished output items",
    "hosted-tools-open.sse": "Cannot complete response with unfinished output items",
    "gpt51codex-reasoning-function-calls.sse": "Lifecycle response identity changed",
    "second-response-after-terminal.sse": "Duplicate response output index 0",
    "cut-mid-message.sse": INCOMPLETE,
    "cut-mid-arguments-done-marker.sse": INCOMPLETE,
    "background-cut-while-queued.sse": INCOMPLETE,
    "failed.sse": INCOMPLETE,
    "strict-output-index-reused.sse": "Duplicate response output index",
    "strict-content-index-gap.sse": "IndexError: list index out of range",
    "strict-delta-for-missing-part.sse": "IndexError: list index out of range",
    "strict-delta-for-missing-item.sse": "before receiving its output item",
}


def _openai(data: bytes) -> Any:
    """openai-python's final response for the stream, or the text of the error it raises."""
    state = openai_responses.ResponseStreamState(input_tools=openai_omit, text_format=openai_omit)
    try:
        for sse in openai_streaming.SSEDecoder().iter_bytes(iter([data])):
            if sse.data.startswith("[DONE]"):
                break
            payload = sse.json()
            if isinstance(payload, dict) and payload.get("error"):
                error = payload["error"]
                message = error.get("message") if isinstance(error, dict) else None
                return f"APIError: {message}"
            event = openai_models.construct_type(
                type_=openai_types.ResponseStreamEvent, value=payload
            )
            state.handle_event(event)
    except (RuntimeError, AssertionError, IndexError, KeyError) as error:
        return f"{type(error).__name__}: {error}"
    if state._completed_response is None:
        return f"RuntimeError: {INCOMPLETE}."
    return state._completed_response


def _ours(data: bytes) -> tuple[Response, StreamError | None]:
    accumulator = ResponsesAccumulator()
    try:
        accumulator.feed(data)
        return accumulator.result(), None
    except StreamError as error:
        assert isinstance(error.partial, Response)
        return error.partial, error


def _view(response: Any) -> dict[str, Any]:
    """What both sides must agree on, read from an sseproto Response or an openai one."""
    if isinstance(response, Response):
        data = response.to_dict()
        text = response.text or ""
    else:
        data = response.to_dict(mode="json", exclude_unset=True, warnings=False)
        text = response.output_text
    calls = [
        (item.get("call_id"), item.get("name"), item.get("arguments", item.get("input")))
        for item in data.get("output", [])
        if item.get("type") in ("function_call", "custom_tool_call")
    ]
    return {
        "text": text,
        "items": [(item.get("type"), item.get("id")) for item in data.get("output", [])],
        "calls": calls,
        "status": data.get("status"),
        "usage": data.get("usage"),
    }


# pydantic warns when openai-python's models meet item and part types they do not know.
@pytest.mark.filterwarnings("ignore:Pydantic serializer warnings")
@pytest.mark.parametrize("path", PATHS, ids=[f"{p.parent.name}/{p.name}" for p in PATHS])
def test_sseproto_agrees_with_openai_python_or_the_disagreement_is_documented(
    path: Path,
) -> None:
    data = path.read_bytes()
    theirs = _openai(data)
    ours, error = _ours(data)
    documented = DISAGREEMENTS.get(path.name)
    if isinstance(theirs, str):
        assert documented is not None, f"undocumented: openai-python says {theirs}"
        assert documented in theirs
    else:
        assert documented is None, "documented as a disagreement, but openai-python agrees"
        assert error is None
        assert _view(ours) == _view(theirs)


def test_every_documented_disagreement_is_exercised() -> None:
    # Some disagreements are shown by real recordings, which are not everywhere the suite runs.
    require_real_fixtures()
    assert set(DISAGREEMENTS) <= {path.name for path in PATHS}
