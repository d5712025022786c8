"""Strict mode's check of one chunk against OpenAI's documented ``chat.completion.chunk`` schema.

Only ``ChatAccumulator(strict=True)`` runs this, before the chunk is applied. It checks what can be
judged from the chunk alone (shapes, types, required keys, documented values); rules that need the
stream's history (tool call numbering, a finish_reason sent twice, data after ``[DONE]``) live in
the accumulator. Fields the schema does not name (``obfuscation``, vendor extras) are allowed: the
schema is open to additions, and OpenAI itself adds fields over time.
"""

from __future__ import annotations

from typing import Any

from ..kit.errors import InvalidChunkError

__all__ = ["check_chunk"]

# The values OpenAI documents for these fields (``function_call`` is the deprecated legacy one).
_FINISH_REASONS = frozenset({"stop", "length", "tool_calls", "content_filter", "function_call"})
_ROLES = frozenset({"developer", "system", "user", "assistant", "tool"})


def _fail(rule: str, path: str) -> InvalidChunkError:
    return InvalidChunkError(rule, path=path)


def _is_index(value: object) -> bool:
    return type(value) is int and value >= 0


def _optional_str(obj: dict[str, Any], key: str, path: str) -> None:
    value = obj.get(key)
    if value is not None and type(value) is not str:
        raise _fail(f"{key} must be a string or null", f"{path}.{key}")


def check_chunk(chunk: dict[str, Any]) -> None:
    """Raise :class:`InvalidChunkError` (naming the JSON path and the rule) unless ``chunk`` is a
    chunk as OpenAI documents it."""
    if chunk.get("object") != "chat.completion.chunk":
        raise _fail('object must be "chat.completion.chunk"', "$.object")
    chunk_id = chunk.get("id")
    if type(chunk_id) is not str or not chunk_id:
        raise _fail("id must be a non-empty string", "$.id")
    if type(chunk.get("created")) is not int:
        raise _fail("created must be an integer", "$.created")
    if type(chunk.get("model")) is not str:
        raise _fail("model must be a string", "$.model")
    _optional_str(chunk, "system_fingerprint", "$")
    _optional_str(chunk, "service_tier", "$")
    choices = chunk.get("choices")
    if type(choices) is not list:
        raise _fail("choices must be a list", "$.choices")
    usage = chunk.get("usage")
    if usage is not None:
        if type(usage) is not dict:
            raise _fail("usage must be an object or null", "$.usage")
        # Documented: usage is null on every chunk but the extra last one, whose choices are empty.
        if choices:
            raise _fail("usage comes in its own final chunk, with empty choices", "$.usage")
    for position, choice in enumerate(choices):
        _check_choice(choice, f"$.choices[{position}]")


def _check_choice(choice: object, path: str) -> None:
    if type(choice) is not dict:
        raise _fail("a choice must be an object", path)
    index = choice.get("index")
    if not _is_index(index):
        raise _fail("index must be a non-negative integer", f"{path}.index")
    if "finish_reason" not in choice:
        raise _fail("finish_reason is required (null until the choice ends)", path)
    finish = choice["finish_reason"]
    # Type first: a list or object is unhashable, so a bare membership test would raise TypeError.
    if finish is not None and (type(finish) is not str or finish not in _FINISH_REASONS):
        raise _fail(
            f"finish_reason must be one of {sorted(_FINISH_REASONS)}", f"{path}.finish_reason"
        )
    logprobs = choice.get("logprobs")
    if logprobs is not None:
        if type(logprobs) is not dict:
            raise _fail("logprobs must be an object or null", f"{path}.logprobs")
        for key in ("content", "refusal"):
            tokens = logprobs.get(key)
            if tokens is not None and type(tokens) is not list:
                raise _fail(f"{key} must be a list or null", f"{path}.logprobs.{key}")
    delta = choice.get("delta")
    if type(delta) is not dict:
        raise _fail("delta must be an object", f"{path}.delta")
    _check_delta(delta, f"{path}.delta")


def _check_delta(delta: dict[str, Any], path: str) -> None:
    role = delta.get("role")
    if role is not None and (type(role) is not str or role not in _ROLES):
        raise _fail(f"role must be one of {sorted(_ROLES)}", f"{path}.role")
    # Content arrays (Mistral Magistral) are outside the documented schema: content is a string.
    _optional_str(delta, "content", path)
    _optional_str(delta, "refusal", path)
    function_call = delta.get("function_call")
    if function_call is not None:
        _check_function(function_call, f"{path}.function_call")
    tool_calls = delta.get("tool_calls")
    if tool_calls is None:
        return
    if type(tool_calls) is not list:
        raise _fail("tool_calls must be a list or null", f"{path}.tool_calls")
    for position, call in enumerate(tool_calls):
        call_path = f"{path}.tool_calls[{position}]"
        if type(call) is not dict:
            raise _fail("a tool call delta must be an object", call_path)
        index = call.get("index")
        if not _is_index(index):
            raise _fail("index is required: a non-negative integer", f"{call_path}.index")
        call_id = call.get("id")
        if call_id is not None and (type(call_id) is not str or not call_id):
            raise _fail("id must be a non-empty string when present", f"{call_path}.id")
        kind = call.get("type")
        if kind is not None and kind != "function":
            raise _fail('type must be "function"', f"{call_path}.type")
        function = call.get("function")
        if function is not None:
            _check_function(function, f"{call_path}.function")


def _check_function(function: object, path: str) -> None:
    if type(function) is not dict:
        raise _fail("function must be an object", path)
    _optional_str(function, "name", path)
    # A JSON object here (some vendors send one) is a deviation: arguments are JSON *text*.
    _optional_str(function, "arguments", path)
