"""Recording a live stream into a fixture while it is being read.

:func:`record` wraps any iterator of byte reads (``response.iter_bytes()``, aiohttp's
``content.iter_any()``): it yields every read unchanged, appends it to ``NAME.sse`` as it arrives
(so the body survives a crash), and notes its length and arrival time. When the stream ends, by
EOF, by a transport error (recorded, then re-raised) or because the reader stopped, it writes the
sidecar ``NAME.reads.jsonl``, whose header needs the body's final length and sha256.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import AsyncGenerator, AsyncIterable, Generator, Iterable, Mapping
from pathlib import Path
from typing import BinaryIO, TypeVar

from ._fixture import (
    Ending,
    EndKind,
    Read,
    Recording,
    redact_headers,
    redact_url,
    sidecar_lines,
    sidecar_path,
)

__all__ = ["arecord", "record"]

Headers = Mapping[str, str] | Iterable[tuple[str, str]]
# Whatever the source yields is passed on as it is: bytes, or a client's bytearray or memoryview.
Data = TypeVar("Data", bound=bytes | bytearray | memoryview)


def record(
    chunks: Iterable[Data],
    path: str | Path,
    *,
    status: int | None = None,
    headers: Headers | None = None,
    method: str | None = None,
    url: str | None = None,
    client: str | None = None,
    started: float | None = None,
) -> Generator[Data, None, None]:
    """Yield every read of ``chunks`` unchanged while recording them into a fixture at ``path``.

    Args:
        chunks: the stream's reads, of any size.
        path: the fixture body to write (``NAME.sse``); the sidecar goes beside it.
        status, headers, method, url, client: the exchange, kept in the sidecar's header.
            Credentials in ``headers`` and ``url`` are redacted before anything is written.
        started: when the request was sent, as a ``time.monotonic()`` value, so that read times
            count from the request; by default they count from this call.

    Raises:
        ValueError: at the call, for a ``status`` that is not an int, a ``method``, ``url`` or
            ``client`` that is not a str, or a ``started`` that is not a past monotonic time.
        OSError: on the first read, when the body file cannot be created.

    Any exception raised by ``chunks`` is recorded as the stream's end and re-raised unchanged.
    Closing the generator before the end (``break``, ``close()``) records the end as
    ``"closed"``.
    """
    session = _Session(path, status, headers, method, url, client, started)
    return _record(session, chunks)


def arecord(
    chunks: AsyncIterable[Data],
    path: str | Path,
    *,
    status: int | None = None,
    headers: Headers | None = None,
    method: str | None = None,
    url: str | None = None,
    client: str | None = None,
    started: float | None = None,
) -> AsyncGenerator[Data, None]:
    """The async twin of :func:`record`.

    An async generator left early is only finalised later; wrap it in
    ``contextlib.aclosing(...)`` to have the sidecar written as soon as the loop ends.
    """
    session = _Session(path, status, headers, method, url, client, started)
    return _arecord(session, chunks)


def _record(session: _Session, chunks: Iterable[Data]) -> Generator[Data, None, None]:
    # Anything but EOF or an exception from the source (GeneratorExit, a cancelled task) means
    # the reader stopped first: "closed".
    ending: EndKind = "closed"
    error: Exception | None = None
    session.start()
    try:
        for chunk in chunks:
            session.take(chunk)
            yield chunk
        ending = "eof"
    except Exception as failure:
        ending, error = "error", failure
        raise
    finally:
        session.finish(ending, error)


async def _arecord(
    session: _Session, chunks: AsyncIterable[Data]
) -> AsyncGenerator[Data, None]:
    # Anything but EOF or an exception from the source (GeneratorExit, a cancelled task) means
    # the reader stopped first: "closed".
    ending: EndKind = "closed"
    error: Exception | None = None
    session.start()
    try:
        async for chunk in chunks:
            session.take(chunk)
            yield chunk
        ending = "eof"
    except Exception as failure:
        ending, error = "error", failure
        raise
    finally:
        session.finish(ending, error)


class _Session:
    """One recording in progress: the open body file, the reads so far, the exchange."""

    def __init__(
        self,
        path: str | Path,
        status: int | None,
        headers: Headers | None,
        method: str | None,
        url: str | None,
        client: str | None,
        started: float | None,
    ) -> None:
        if status is not None and (isinstance(status, bool) or not isinstance(status, int)):
            raise ValueError(f"status must be an int or None, not {status!r}")
        for name, text in (("method", method), ("url", url), ("client", client)):
            if text is not None and not isinstance(text, str):
                raise ValueError(f"{name} must be a str or None, not {text!r}")
        now = time.monotonic()
        if started is not None and (
            isinstance(started, bool) or not isinstance(started, int | float) or started > now
        ):
            raise ValueError(
                f"started must be a time.monotonic() value from the past, not {started!r}"
            )
        pairs = headers.items() if isinstance(headers, Mapping) else headers or ()
        self._meta = Recording(
            reads=(),
            ending=Ending("eof", 0.0),
            status=status,
            headers=redact_headers((str(name), str(value)) for name, value in pairs),
            method=method,
            url=None if url is None else redact_url(url),
            client=client,
        )
        self._path = Path(path)
        self._started = now if started is None else started
        self._reads: list[Read] = []
        self._length = 0
        self._sha256 = hashlib.sha256()
        self._body: BinaryIO | None = None

    def start(self) -> None:
        self._body = open(self._path, "wb")  # noqa: SIM115 (closed by finish())

    def take(self, chunk: bytes | bytearray | memoryview) -> None:
        assert self._body is not None, "start() opens the body before any read"
        seconds = round(time.monotonic() - self._started, 6)
        self._body.write(chunk)
        self._sha256.update(chunk)
        length = memoryview(chunk).nbytes
        self._reads.append(Read(self._length, length, seconds))
        self._length += length

    def finish(self, kind: EndKind, error: Exception | None) -> None:
        assert self._body is not None, "start() opens the body before finish()"
        seconds = round(time.monotonic() - self._started, 6)
        self._body.close()
        if error is None:
            ending = Ending(kind, seconds)
        else:
            error_type = type(error)
            name = f"{error_type.__module__}.{error_type.__qualname__}"
            if error_type.__module__ == "builtins":
                name = error_type.__qualname__
            ending = Ending(kind, seconds, name, str(error))
        recording = self._meta._replace(reads=tuple(self._reads), ending=ending)
        lines = sidecar_lines(recording, length=self._length, sha256=self._sha256.hexdigest())
        sidecar_path(self._path).write_text("".join(lines), encoding="utf-8")
