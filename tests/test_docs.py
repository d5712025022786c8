"""Every example of the documentation runs as written: the Python blocks and the command lines of
README.md and docs/*.md.

The conventions, which the README's "About the examples" states for readers:

- A page's blocks run in order, each in a fresh namespace as an imported module (so an
  ``if __name__ == "__main__":`` part, which starts a server, is left out), from one folder per
  page where ``fixtures/`` is the project's fixtures and files a block writes are there for the
  next block of the page.
- Examples that reach an API read ``OPENAI_BASE_URL`` and ``OPENAI_API_KEY``, the openai SDK's own
  variables; here they point at a loopback server answering with a project fixture. An example
  of a resumable feed reads ``SSE_FEED_URL``, here a loopback feed that ends with a 204.
- An HTML comment on the line before a block says how else to run it:
  ``<!-- pytest: PATH -->`` saves the block as PATH in the page's folder and runs pytest on it;
  ``<!-- check: NAME -->`` then drives what the block built (``relay``: serves its ``app`` and
  reads the events it relays); ``<!-- not run: REASON -->`` leaves it out, saying why;
  ``<!-- not typed: REASON -->`` runs it but leaves it out of the type check
  (test_docs_types.py), since the mistake it shows is one a type checker reports.
- In shell blocks each ``sseproto`` command (alone or after ``&&``) runs as
  ``python -m sseproto`` with its globs expanded, and must exit 0 unless it ends with the comment
  ``# exit status N``; other commands (installs, benchmarks) are not run.
"""

from __future__ import annotations

import asyncio
import glob
import importlib
import json
import os
import pkgutil
import pydoc
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import PROJECT_FIXTURES
from docblocks import ALL_BLOCKS, PAGES, PYTHON_BLOCKS, Block, blocks_of
from fastapi import FastAPI
from openai import AsyncOpenAI
from servers import MAX_REPLY_SECONDS, LoopbackServer, Received, Reply, serving, serving_app
from starlette.applications import Starlette
from starlette.types import ASGIApp

import sseproto
from sseproto import SSEDecoder, encode_event, replay

# The examples are what users copy: one that leaves a file or a socket open fails.
pytestmark = [
    pytest.mark.filterwarnings("error::ResourceWarning"),
    pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning"),
]

_MARKERS = {"pytest", "check", "not run", "not typed"}
_EXIT_STATUS = re.compile(r"\s+# exit status (\d+)$")

# What the loopback API answers for a chat completion request: the front page's fixture.
CHAT_FIXTURE = PROJECT_FIXTURES / "reasoning-text-tool-call.sse"


def sseproto_commands(block: Block) -> list[tuple[list[str], int]]:
    """The ``sseproto`` commands of a shell block, as ``python -m sseproto`` argument lists with
    globs expanded (from the folder they run in), each with the exit status it must give."""
    commands = []
    for line in block.code.splitlines():
        expected = 0
        if status := _EXIT_STATUS.search(line):
            expected = int(status[1])
            line = line[: status.start()]
        for command in line.split("&&"):
            words = shlex.split(command, comments=True)
            if words and Path(words[0]).name == "sseproto":
                commands.append((words[1:], expected))
    return commands


def test_the_pages_are_read() -> None:
    # The parser finds what a page holds, so a broken pattern cannot pass for pages without code.
    assert {page.name for page in PAGES} >= {"README.md", "decoder.md", "adapters.md"}
    assert len(PYTHON_BLOCKS) >= 15
    assert any(block.marker == "pytest" for block in PYTHON_BLOCKS)
    assert any(sseproto_commands(block) for block in ALL_BLOCKS if block.language == "sh")


def test_the_parser_reads_markers_and_exit_statuses(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "Text.\n\n```python\nprint(1)\n```\n\n<!-- not run: needs a key -->\n```python\nx\n```\n"
        "\n```sh\npython3 -m venv .venv && .venv/bin/sseproto replay 'a b.sse'  # note\n"
        "sseproto check bad.sse  # exit status 1\npip install sseproto\n```\n",
        encoding="utf-8",
    )
    first, second, shell = blocks_of(page)
    assert (first.line, first.code, first.marker) == (3, "print(1)\n", None)
    assert (second.marker, second.argument, second.code) == ("not run", "needs a key", "x\n")
    assert sseproto_commands(shell) == [(["replay", "a b.sse"], 0), (["check", "bad.sse"], 1)]


@pytest.mark.parametrize("block", ALL_BLOCKS, ids=[block.name for block in ALL_BLOCKS])
def test_markers_are_known_and_explained(block: Block) -> None:
    if block.marker is None:
        return
    assert block.marker in _MARKERS, f"unknown marker {block.marker!r}"
    assert block.argument, f"{block.marker!r} needs an argument"
    if block.marker == "check":
        assert block.argument in CHECKS, f"no check named {block.argument!r}"


_LINK = re.compile(r"\]\(([^)\s#:]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_links_between_pages_resolve(page: Path) -> None:
    # A page moved or renamed must not leave a link to nothing.
    targets = _LINK.findall(page.read_text(encoding="utf-8"))
    missing = [target for target in targets if not (page.parent / target).exists()]
    assert not missing, missing


MODULES = sorted(
    module.name
    for module in pkgutil.walk_packages(sseproto.__path__, "sseproto.")
    if module.name != "sseproto.__main__"
)


@pytest.mark.parametrize("module", ["sseproto", *MODULES])
def test_help_never_sends_the_reader_to_the_readme(module: str) -> None:
    # help() is read where the README is not at hand: it says the thing, or names the page.
    # A module's help holds every class and function it defines or exports.
    assert "readme" not in pydoc.render_doc(importlib.import_module(module)).lower()


# -- the loopback services the examples reach ------------------------------------------------

FEED_EVENTS = [("1", "first"), ("2", "second"), ("3", "third")]


def _feed(request: Received) -> Reply:
    """A resumable feed: its events after the ``Last-Event-ID`` sent, then, with none left, a
    204 that ends the stream as it ends an EventSource."""
    last = request.headers.get("Last-Event-ID") or "0"
    events = [(id, data) for id, data in FEED_EVENTS if int(id) > int(last)]
    if not events:
        return Reply(status=204, headers={})
    # A short retry so the reconnection to the 204 comes at once; the connection is cut after
    # the first event, so the example reconnects and resumes.
    parts = [encode_event(data, id=id, retry=10) for id, data in events]
    return Reply(parts=parts[:1], cut=len(parts) > 1) if len(parts) > 1 else Reply(parts=parts)


@pytest.fixture(scope="module")
def api() -> Iterator[LoopbackServer]:
    """The loopback API and feed every example may reach."""
    with serving() as server:
        chat = Reply(parts=list(replay(CHAT_FIXTURE)))
        server.replies["/v1/chat/completions"] = chat
        server.replies["/feed"] = _feed
        yield server


@pytest.fixture(scope="module")
def page_folder(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Path], Path]:
    """The folder a page's blocks run from: one per page, shared by its blocks in order."""
    folders: dict[Path, Path] = {}

    def folder(page: Path) -> Path:
        if page not in folders:
            made = tmp_path_factory.mktemp(page.stem)
            (made / "fixtures").symlink_to(PROJECT_FIXTURES, target_is_directory=True)
            folders[page] = made
        return folders[page]

    return folder


@pytest.fixture
def environment(api: LoopbackServer, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The variables the examples read, pointing at the loopback services."""
    variables = {
        "OPENAI_BASE_URL": f"{api.url}/v1",
        "OPENAI_API_KEY": "sk-docs-example",
        "SSE_FEED_URL": f"{api.url}/feed",
    }
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return variables


# -- checks that drive what a block built ----------------------------------------------------


def check_relay(namespace: dict[str, object]) -> None:
    """The relay app serves the upstream stream's updates as named events, ending with done: to
    fetch's POST of an OpenAI-shaped body ("stream": true included) and to EventSource's GET."""
    app = namespace["app"]
    assert isinstance(app, Starlette)
    request = {
        "model": "deepseek-reasoner",
        "messages": [{"role": "user", "content": "Hi"}],
        "stream": True,
    }
    with serving_app(app) as base, httpx.Client() as client:
        responses = [
            client.post(f"{base}/chat", json=request),
            client.get(f"{base}/ask", params={"q": "Hi"}),
        ]
    for response in responses:
        decoder = SSEDecoder()
        names = [event.event for event in decoder.feed(response.content) + decoder.close()]
        assert response.status_code == 200
        assert names[0] == "reasoning" and "content" in names and "tool_call_done" in names
        assert names[-1] == "done"


# What the simulated upstream of the relay checks answers to a request for each model.
REFUSING_MODEL = "refuse"  # a 401, as OpenAI answers a wrong key
ENDLESS_MODEL = "endless"  # one chunk, then keep-alives until the client goes away
_REFUSAL = (
    b'{"error": {"message": "Incorrect API key provided: sk-...mple", '
    b'"type": "invalid_request_error", "code": "invalid_api_key"}}'
)
_FIRST_CHUNK = encode_event(
    '{"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m", '
    '"choices": [{"index": 0, "delta": {"content": "Hi"}}]}'
)


def _upstream(request: Received) -> Reply:
    model = json.loads(request.body).get("model")
    if model == REFUSING_MODEL:
        return Reply(status=401, headers={"Content-Type": "application/json"}, parts=[_REFUSAL])
    if model == ENDLESS_MODEL:
        return Reply(parts=[_FIRST_CHUNK], endless=True)
    return Reply(parts=list(replay(CHAT_FIXTURE)))


def check_upstream_handling(
    app: ASGIApp, path: str, request: Mapping[str, object], upstream: LoopbackServer
) -> httpx.Response:
    """Drive a relay app whose upstream is ``upstream``: a stream relayed to its end, an upstream
    refusal answered with a status before any event, and a client leaving mid-stream closing
    the upstream request; the refusal is returned for the caller's own checks."""
    upstream.replies["/v1/chat/completions"] = _upstream
    with serving_app(app) as base, httpx.Client(timeout=MAX_REPLY_SECONDS) as client:
        relayed = client.post(f"{base}{path}", json=request)
        assert relayed.status_code == 200
        decoder = SSEDecoder()
        names = [event.event for event in decoder.feed(relayed.content) + decoder.close()]
        assert "content" in names and names[-1] == "done"
        refused = client.post(f"{base}{path}", json={**request, "model": REFUSING_MODEL})
        assert refused.headers["content-type"] == "application/json"
        endless = {**request, "model": ENDLESS_MODEL}
        with client.stream("POST", f"{base}{path}", json=endless) as left:
            assert left.status_code == 200
            first = next(sseproto.iter_events(left.iter_bytes()))
            assert first.event == "content"
        # The client is gone: the relay closed its source, and with it the upstream request.
        assert upstream.disconnected.wait(MAX_REPLY_SECONDS)
    return refused


def check_fastapi(namespace: dict[str, object]) -> None:
    """The FastAPI recipe over loopback: the upstream's 401 is the relay's status, and a client
    leaving closes the upstream request (the source's ``async with``)."""
    app = namespace["app"]
    assert isinstance(app, FastAPI)
    with serving() as upstream:
        namespace["client"] = AsyncOpenAI(
            base_url=f"{upstream.url}/v1", api_key="sk-docs-example", max_retries=0
        )
        refused = check_upstream_handling(app, "/ask", {"question": "Hi"}, upstream)
    assert refused.status_code == 401
    assert refused.json()["error"]["type"] == "AuthenticationError"


class _RecordingClient(httpx.AsyncClient):
    """An httpx client that keeps every response it sends for, to see that each was closed."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.responses: list[httpx.Response] = []

    async def send(self, request: httpx.Request, **options: Any) -> httpx.Response:
        response = await super().send(request, **options)
        self.responses.append(response)
        return response


def check_own_upstream(namespace: dict[str, object]) -> None:
    """The endpoint that opens its upstream answers a refusal its own way, and closes every
    upstream response it opened however the relay ended: at the stream's end, on the refusal,
    and when the client left."""
    client = namespace["client"]
    assert isinstance(client, httpx.AsyncClient)
    recording = namespace["client"] = _RecordingClient(headers=client.headers)
    with serving() as upstream:
        namespace["base_url"] = f"{upstream.url}/v1"
        request = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]}
        app = namespace["app"]
        assert isinstance(app, Starlette)
        refused = check_upstream_handling(app, "/chat", request, upstream)
        # The background task runs once each relay is over: wait for the last one, boundedly.
        deadline = time.monotonic() + MAX_REPLY_SECONDS
        while not all(response.is_closed for response in recording.responses):
            assert time.monotonic() < deadline, "an upstream response was left open"
            time.sleep(0.01)
    assert len(recording.responses) == 3
    assert refused.status_code == 401
    assert refused.json() == {"error": {"type": "upstream_refused"}}


CHECKS: dict[str, Callable[[dict[str, object]], None]] = {
    "relay": check_relay,
    "fastapi": check_fastapi,
    "upstream": check_own_upstream,
}


# -- the runs --------------------------------------------------------------------------------


@pytest.mark.parametrize("block", PYTHON_BLOCKS, ids=[block.name for block in PYTHON_BLOCKS])
def test_python_block_runs_as_written(
    block: Block,
    page_folder: Callable[[Path], Path],
    environment: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if block.marker == "not run":
        pytest.skip(f"marked not run: {block.argument}")
    folder = page_folder(block.page)
    monkeypatch.chdir(folder)
    if block.marker == "pytest":
        path = folder / str(block.argument)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(block.code, encoding="utf-8")
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path)],
            cwd=folder, capture_output=True, text=True, timeout=120,
            env={**os.environ, **environment},
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return
    namespace: dict[str, object] = {"__name__": "docs_example"}
    exec(compile(block.code, block.name, "exec"), namespace)
    if block.marker == "check":
        CHECKS[str(block.argument)](namespace)
    # No example may leave an event loop set for the next one.
    assert not _running_loop()


def _running_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


SHELL_BLOCKS = [
    block for block in ALL_BLOCKS if block.language == "sh" and sseproto_commands(block)
]


@pytest.mark.parametrize("block", SHELL_BLOCKS, ids=[block.name for block in SHELL_BLOCKS])
def test_command_lines_run_as_written(block: Block, page_folder: Callable[[Path], Path]) -> None:
    if block.marker == "not run":
        pytest.skip(f"marked not run: {block.argument}")
    folder = page_folder(block.page)
    for arguments, expected in sseproto_commands(block):
        expanded = [
            match
            for argument in arguments
            for match in (
                sorted(glob.glob(argument, root_dir=folder)) if set(argument) & set("*?[")
                else [argument]
            )
        ]
        result = subprocess.run(
            [sys.executable, "-m", "sseproto", *expanded],
            cwd=folder, capture_output=True, text=True, timeout=120,
        )
        assert result.returncode == expected, (arguments, result.stdout, result.stderr)
