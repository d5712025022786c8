"""The relay on plain ASGI callables, where the server's side can be made to fail on cue: a
client gone or frozen while the shutdown event is sent, an upstream OSError under
``errors="raise"``, and a source that is an async iterator with ``aclose`` of its own."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

import sseproto._relay as relay_module
from sseproto._relay import Message, relay
from sseproto.server import StreamItem


class Client:
    """An ASGI client whose sends succeed until ``frozen`` (never finish) or ``gone`` (raise)."""

    def __init__(self) -> None:
        self.sent: list[Message] = []
        self.frozen = False
        self.gone = False
        self.leaves = asyncio.Event()

    async def receive(self) -> Message:
        await self.leaves.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        if self.gone:
            raise OSError("the client went away")
        if self.frozen:
            await asyncio.Event().wait()
        self.sent.append(message)


@pytest.fixture
def shutdown(monkeypatch: pytest.MonkeyPatch) -> asyncio.Event:
    """The event the relay watches for the server's shutdown, set by the test."""
    event = asyncio.Event()

    @contextlib.contextmanager
    def watching() -> Iterator[asyncio.Event]:
        yield event

    monkeypatch.setattr(relay_module, "watching_shutdown", watching)
    return event


def run(source: Any, client: Client, **options: Any) -> None:
    settings: dict[str, Any] = {
        "status": 200,
        "headers": [],
        "keepalive": None,
        "done": False,
        "errors": "event",
        "send_timeout": 0.05,
    }
    settings.update(options)
    asyncio.run(
        asyncio.wait_for(
            relay(source, **settings, receive=client.receive, send=client.send), 10
        )
    )


async def first_then_shutdown(
    client: Client, shutdown: asyncio.Event, *, frozen: bool, gone: bool
) -> AsyncIterator[StreamItem]:
    yield "first"
    client.frozen = frozen
    client.gone = gone
    shutdown.set()
    await asyncio.Event().wait()
    yield "never"


@pytest.mark.parametrize(("frozen", "gone"), [(True, False), (False, True)])
def test_a_client_frozen_or_gone_at_shutdown_ends_the_relay_quietly(
    shutdown: asyncio.Event, frozen: bool, gone: bool
) -> None:
    client = Client()
    run(first_then_shutdown(client, shutdown, frozen=frozen, gone=gone), client)
    assert [message["type"] for message in client.sent] == [
        "http.response.start",
        "http.response.body",
    ]


def test_an_upstream_oserror_propagates_when_errors_raise(shutdown: asyncio.Event) -> None:
    async def source() -> AsyncIterator[StreamItem]:
        yield "first"
        raise ConnectionResetError("the upstream cut the connection")

    with pytest.raises(ConnectionResetError):
        run(source(), Client(), errors="raise")


def test_an_upstream_oserror_before_the_first_item_propagates_when_errors_raise(
    shutdown: asyncio.Event,
) -> None:
    async def source() -> AsyncIterator[StreamItem]:
        raise ConnectionRefusedError("the upstream refused the connection")
        yield "never"

    with pytest.raises(ConnectionRefusedError):
        run(source(), Client(), errors="raise")


class ClosableSource:
    """An async iterator that is no generator but has ``aclose``, as a streamed response has."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.closed = False

    def __aiter__(self) -> ClosableSource:
        return self

    async def __anext__(self) -> StreamItem:
        if not self.client.leaves.is_set():
            self.client.leaves.set()
            return "first"
        await asyncio.Event().wait()
        raise StopAsyncIteration

    async def aclose(self) -> None:
        self.closed = True


def test_a_source_with_aclose_is_closed_when_the_client_leaves(shutdown: asyncio.Event) -> None:
    client = Client()
    source = ClosableSource(client)
    run(source, client)
    assert source.closed


def test_the_client_leaving_as_the_first_item_is_sent_ends_the_relay_and_closes_the_source(
    shutdown: asyncio.Event,
) -> None:
    # The disconnect lands as the send of the first item completes: the cancellation that ends
    # the stream must not be lost there (asyncio.wait_for loses it before Python 3.12).
    client = Client()
    closed: list[bool] = []

    async def source() -> AsyncIterator[StreamItem]:
        try:
            client.leaves.set()
            yield "first"
            await asyncio.Event().wait()
        finally:
            closed.append(True)

    run(source(), client)
    assert closed == [True]


def test_a_shutdown_as_the_last_message_is_sent_sends_nothing_after_it(
    shutdown: asyncio.Event,
) -> None:
    class ShutDownAsItEnds(Client):
        async def send(self, message: Message) -> None:
            await super().send(message)
            if message.get("more_body") is False:
                shutdown.set()
                for _ in range(5):  # the server's write still under way
                    await asyncio.sleep(0)

    async def source() -> AsyncIterator[StreamItem]:
        yield "only"

    client = ShutDownAsItEnds()
    run(source(), client)
    assert client.sent[-1] == {"type": "http.response.body", "body": b"", "more_body": False}
