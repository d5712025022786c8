"""The openai SDK as the client: its raw streamed bytes into ``accumulate``, its chunk objects into
``ChatAccumulator.feed_chunk``, against a local OpenAI-compatible server."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import openai
import pytest
from conftest import PROJECT_FIXTURES
from servers import (
    LoopbackServer,
    Outcome,
    Reply,
    aoutcome,
    chat_bodies,
    outcome,
    random_parts,
)

import sseproto

MESSAGES: list[openai.types.chat.ChatCompletionMessageParam] = [{"role": "user", "content": "Hi"}]



def serve_as_openai(server: LoopbackServer, bodies: dict[str, bytes]) -> None:
    """Each body becomes the chat completions endpoint of base URL ``<server>/<name>/v1``."""
    rng = random.Random(31)
    for name, body in bodies.items():
        server.replies[f"/{name}/v1/chat/completions"] = Reply(
            parts=random_parts(body, rng, max_part=2048)
        )


@pytest.fixture
def client() -> Iterator[openai.OpenAI]:
    with openai.OpenAI(api_key="test", base_url="http://127.0.0.1:9/v1", max_retries=0) as sdk:
        yield sdk


def pointed_at(client: openai.OpenAI, server: LoopbackServer, name: str) -> openai.OpenAI:
    """The client (same connection pool) with ``name``'s endpoint as its base URL."""
    return client.with_options(base_url=f"{server.url}/{name}/v1")


def test_raw_bytes_of_with_streaming_response_into_accumulate(
    server: LoopbackServer, client: openai.OpenAI
) -> None:
    bodies = chat_bodies()
    serve_as_openai(server, bodies)
    for name, body in bodies.items():
        completions = pointed_at(client, server, name).chat.completions
        with completions.with_streaming_response.create(
            model="gpt-4o", messages=MESSAGES, stream=True
        ) as response:
            got = outcome(partial(sseproto.accumulate, response.iter_bytes()))
        assert got == outcome(partial(sseproto.accumulate, [body])), name
    request = server.requests[0]
    assert request.method == "POST" and request.path.endswith("/v1/chat/completions")


def test_async_raw_bytes_into_aaccumulate(server: LoopbackServer) -> None:
    bodies = chat_bodies()
    serve_as_openai(server, bodies)

    async def read_all() -> list[Outcome]:
        async with openai.AsyncOpenAI(
            api_key="test", base_url="http://127.0.0.1:9/v1", max_retries=0
        ) as client:

            async def read(name: str) -> Outcome:
                completions = client.with_options(
                    base_url=f"{server.url}/{name}/v1"
                ).chat.completions
                async with completions.with_streaming_response.create(
                    model="gpt-4o", messages=MESSAGES, stream=True
                ) as response:
                    return await aoutcome(sseproto.aaccumulate(response.iter_bytes()))

            return await asyncio.gather(*(read(name) for name in bodies))

    results = asyncio.run(read_all())
    for (name, body), result in zip(bodies.items(), results, strict=True):
        assert result == outcome(partial(sseproto.accumulate, [body])), name


# The SDK's models type Magistral's content arrays as str, and pydantic warns when dumping them.
@pytest.mark.filterwarnings("ignore:Pydantic serializer warnings")
def test_sdk_chunk_objects_into_feed_chunk(server: LoopbackServer, client: openai.OpenAI) -> None:
    # The SDK parses each chunk into a model; feed_chunk reads those (via model_dump()) to the
    # same completion. Streams the SDK itself raises on (provider errors) are left out. The SDK
    # keeps data: [DONE] to itself (its loop just ends), so the caller says it with feed_done().
    bodies = {
        name: body
        for name, body in chat_bodies().items()
        if isinstance(outcome(partial(sseproto.accumulate, [body])), dict)
    }
    serve_as_openai(server, bodies)
    for name, body in bodies.items():
        accumulator = sseproto.ChatAccumulator()
        completions = pointed_at(client, server, name).chat.completions
        for chunk in completions.create(model="gpt-4o", messages=MESSAGES, stream=True):
            accumulator.feed_chunk(chunk)
        accumulator.feed_done()
        assert accumulator.result() == sseproto.accumulate([body]), name



SDK_OBJECTS = (
    r"not ChatCompletionChunk: pass the body's bytes, not the objects an SDK parsed from them "
    r"\(.*with_streaming_response.*iter_bytes\(\)"
)


def test_the_sdks_chunk_objects_given_for_the_bytes_say_where_the_bytes_are(
    server: LoopbackServer, client: openai.OpenAI
) -> None:
    # The streaming guides' loop is over the SDK's stream of chunk objects; handing that
    # stream to a reader is the likely first mistake.
    serve_as_openai(server, {"chat": (PROJECT_FIXTURES / "chat-text.sse").read_bytes()})
    completions = pointed_at(client, server, "chat").chat.completions
    readers: list[Callable[[Any], object]] = [
        sseproto.accumulate,
        lambda stream: list(sseproto.iter_updates(stream)),
        lambda stream: list(sseproto.iter_events(stream)),
    ]
    for read in readers:
        with (
            completions.create(model="gpt-4o", messages=MESSAGES, stream=True) as stream,
            pytest.raises(TypeError, match=SDK_OBJECTS),
        ):
            read(stream)

    async def read_async() -> None:
        async with openai.AsyncOpenAI(
            api_key="test", base_url=f"{server.url}/chat/v1", max_retries=0
        ) as sdk:
            stream = await sdk.chat.completions.create(
                model="gpt-4o", messages=MESSAGES, stream=True
            )
            objects: Any = stream
            async with stream:
                with pytest.raises(TypeError, match=SDK_OBJECTS):
                    await sseproto.aaccumulate(objects)

    asyncio.run(read_async())
