"""Every dialect sseproto reads, by name: the one place that maps a dialect to its accumulator."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal, get_args

from .anthropic.accumulator import AnthropicAccumulator
from .chat.accumulator import ChatAccumulator
from .gemini.accumulator import GeminiAccumulator
from .kit.drive import Accumulator
from .kit.result import Dialect, StreamResult
from .responses.accumulator import ResponsesAccumulator

__all__ = ["ACCUMULATORS", "DialectChoice", "accumulator_class"]

DialectChoice = Literal["auto", "chat", "anthropic", "responses", "gemini"]
"""What a reader may be told the stream is: one dialect, or ``"auto"`` to decide from the
stream's first data event."""

AccumulatorClass = Callable[..., Accumulator[StreamResult]]

ACCUMULATORS: Mapping[Dialect, AccumulatorClass] = {
    "chat": ChatAccumulator,
    "anthropic": AnthropicAccumulator,
    "responses": ResponsesAccumulator,
    "gemini": GeminiAccumulator,
}
"""The accumulator of each dialect."""


def accumulator_class(dialect: Any, *, option: str = "dialect") -> AccumulatorClass:
    """The accumulator class of ``dialect``, given as ``option``: a reader's ``dialect`` (which
    also takes ``"auto"``, told apart before) or an :class:`AutoAccumulator`'s ``expect``.

    Raises:
        ValueError: ``dialect`` is no dialect, said in the words of ``option``.
    """
    found = ACCUMULATORS.get(dialect)
    if found is not None:
        return found
    meant = _MEANT.get(dialect.lower()) if isinstance(dialect, str) else None
    hint = f" ({meant})" if meant is not None and dialect != "auto" else ""
    if option == "expect":
        *first, last = ACCUMULATORS
        wanted = (
            f"expect names one dialect: {', '.join(first)} or {last} (None, the default, "
            "reads any)"
        )
    else:
        wanted = f"{option} must be one of {', '.join(get_args(DialectChoice))}"
    raise ValueError(f"{wanted}, not {dialect!r}{hint}")


# The names a dialect is likely to be asked for by, and what to say instead: the dialects are
# named after the wire format, not the provider (OpenAI has two).
_MEANT = {
    **{name: f"names are lower case: {name!r}" for name in get_args(DialectChoice)},
    "openai": "OpenAI's chat completions, as every compatible vendor's, are 'chat'; its "
    "Responses API is 'responses'",
    "claude": "Anthropic's Messages API is 'anthropic'",
    "google": "Google's streamGenerateContent is 'gemini'",
    "vertex": "Google's streamGenerateContent is 'gemini'",
}
