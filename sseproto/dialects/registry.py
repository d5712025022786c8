"""Every dialect sseproto reads, by name: the one place that maps a dialect to its accumulator."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal, get_args

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
    "responses": ResponsesAccumulator,
    "gemini": GeminiAccumulator,
}
"""The accumulator of each dialect this version reads."""


def accumulator_class(dialect: Any) -> AccumulatorClass:
    """The accumulator class of ``dialect``.

    Raises:
        NotImplementedError: ``dialect`` is a dialect this version cannot read yet.
        ValueError: ``dialect`` is no dialect at all.
    """
    found = ACCUMULATORS.get(dialect)
    if found is not None:
        return found
    if dialect in get_args(Dialect):
        raise NotImplementedError(
            f"this version of sseproto cannot read the {dialect} dialect yet; it reads "
            f"{', '.join(ACCUMULATORS)}"
        )
    raise ValueError(
        f"dialect must be one of {', '.join(get_args(DialectChoice))}, not {dialect!r}"
    )
