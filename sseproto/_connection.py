"""What every adapter's ``connect_sse`` returns: a context manager that sends the request when
its block is entered, holds the event source for the block and closes the response at its end.

Strategy. ``contextlib.contextmanager`` alone gives a bare ``_GeneratorContextManager``: a caller
who forgets the ``with`` (``for event in connect_sse(...).iter_sse()``) meets an
``AttributeError`` about that class, and a REPL shows nothing of the request. The decorators here
wrap the same generator function in :class:`SSEConnection` (or :class:`AsyncSSEConnection`),
which enters and exits exactly as the plain context manager would, shows the request in its repr,
and turns each such mistake (reading it, iterating it, awaiting it, the wrong kind of ``with``)
into a ``TypeError`` that shows the ``with`` to write.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import (
    AbstractAsyncContextManager,
    AbstractContextManager,
    asynccontextmanager,
    contextmanager,
)
from types import TracebackType
from typing import TYPE_CHECKING, Generic, NoReturn, ParamSpec, TypeVar

from ._adapter import AsyncEventSourceBase, SyncEventSourceBase
from .fixtures.redact import redact
from .wire.display import call_repr

__all__ = ["AsyncSSEConnection", "SSEConnection", "async_sse_connection", "sse_connection"]

_P = ParamSpec("_P")
_S = TypeVar("_S", bound=SyncEventSourceBase)
_A = TypeVar("_A", bound=AsyncEventSourceBase)

# What a caller may try to read from the connection, thinking it the event source.
_SOURCE_NAMES = frozenset(
    name
    for kind in (SyncEventSourceBase, AsyncEventSourceBase)
    for name in dir(kind)
    if not name.startswith("_")
) | {"response"}


class _Request:
    """What the two connections share: the name of the function that made them, the request's
    method and URL, and the words of their errors."""

    __slots__ = ("_function", "_method", "_url")

    _with = "with"

    def __init__(self, function: str, method: str, url: str) -> None:
        self._function = function
        self._method = method
        self._url = url

    def __repr__(self) -> str:
        # The URL redacted: a Gemini key travels in the query.
        fields = [("method", self._method), ("url", redact(self._url))]
        return call_repr(type(self).__name__, fields, omit_empty=False)

    def _usage(self, mistake: str) -> TypeError:
        call = f"{self._function}(...)"
        return TypeError(
            f"{call} {mistake}: write `{self._with} {call} as event_source:` and read "
            "event_source inside the block, which closes the response at its end"
        )

    if not TYPE_CHECKING:  # at run time only: a type checker tells these mistakes itself

        def __getattr__(self, name: str) -> NoReturn:
            if name in _SOURCE_NAMES:
                raise self._usage(
                    f"returns a context manager, not the event source (which has .{name})"
                )
            raise AttributeError(
                f"{type(self).__name__!r} object has no attribute {name!r}", name=name, obj=self
            )


class SSEConnection(_Request, AbstractContextManager[_S], Generic[_S]):
    """What ``connect_sse`` returns: ``with connect_sse(...) as event_source:`` sends the request,
    gives its event source for the block and closes the response when the block ends.

    Anything else done with it (reading from it, iterating it, ``async with``, ``await``) raises
    a ``TypeError`` showing the ``with`` to write. Its repr shows the request's method and URL
    (credentials redacted).
    """

    __slots__ = ("_manager", "_source")

    def __init__(
        self, manager: AbstractContextManager[_S], function: str, method: str, url: str
    ) -> None:
        super().__init__(function, method, url)
        self._manager = manager

    def __enter__(self) -> _S:
        self._source: _S = self._manager.__enter__()
        return self._source

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool | None:
        self._source._end_block()
        return self._manager.__exit__(kind, error, traceback)

    if not TYPE_CHECKING:

        def __iter__(self) -> NoReturn:
            raise self._usage("returns a context manager, not events")

        def __aiter__(self) -> NoReturn:
            raise self._usage("is synchronous and returns a context manager, not events")

        async def __aenter__(self) -> NoReturn:
            raise self._usage("is synchronous, not an async context manager")

        async def __aexit__(self, *exc_info: object) -> None:
            return None

        def __await__(self) -> NoReturn:
            raise self._usage("is synchronous and not awaited")


class AsyncSSEConnection(_Request, AbstractAsyncContextManager[_A], Generic[_A]):
    """What an asynchronous ``connect_sse`` (``aconnect_sse``) returns: ``async with ... as
    event_source:`` sends the request, gives its event source for the block and closes the
    response when the block ends; the asynchronous twin of :class:`SSEConnection`, with the
    same errors for anything else done with it."""

    __slots__ = ("_manager", "_source")

    _with = "async with"

    def __init__(
        self, manager: AbstractAsyncContextManager[_A], function: str, method: str, url: str
    ) -> None:
        super().__init__(function, method, url)
        self._manager = manager

    async def __aenter__(self) -> _A:
        self._source: _A = await self._manager.__aenter__()
        return self._source

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool | None:
        self._source._end_block()
        return await self._manager.__aexit__(kind, error, traceback)

    if not TYPE_CHECKING:

        def __aiter__(self) -> NoReturn:
            raise self._usage("returns an async context manager, not events")

        def __iter__(self) -> NoReturn:
            raise self._usage("is asynchronous and returns an async context manager, not events")

        def __enter__(self) -> NoReturn:
            raise self._usage("is an async context manager")

        def __exit__(self, *exc_info: object) -> None:
            return None

        def __await__(self) -> NoReturn:
            raise self._usage("is not awaited")


def sse_connection(
    function: Callable[_P, Iterator[_S]],
) -> Callable[_P, SSEConnection[_S]]:
    """Make a ``connect_sse`` of the generator ``function`` (whose parameters include ``method``
    and ``url``), as ``contextlib.contextmanager`` would, returning an :class:`SSEConnection`."""
    manager = contextmanager(function)
    signature = inspect.signature(function)

    @functools.wraps(function)
    def connect(*args: _P.args, **kwargs: _P.kwargs) -> SSEConnection[_S]:
        request = signature.bind(*args, **kwargs).arguments
        return SSEConnection(
            manager(*args, **kwargs), function.__name__, str(request["method"]), str(request["url"])
        )

    return connect


def async_sse_connection(
    function: Callable[_P, AsyncIterator[_A]],
) -> Callable[_P, AsyncSSEConnection[_A]]:
    """The asynchronous twin of :func:`sse_connection`, as ``contextlib.asynccontextmanager``."""
    manager = asynccontextmanager(function)
    signature = inspect.signature(function)

    @functools.wraps(function)
    def connect(*args: _P.args, **kwargs: _P.kwargs) -> AsyncSSEConnection[_A]:
        request = signature.bind(*args, **kwargs).arguments
        return AsyncSSEConnection(
            manager(*args, **kwargs), function.__name__, str(request["method"]), str(request["url"])
        )

    return connect
