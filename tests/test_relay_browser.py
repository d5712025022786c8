"""The relay read by a real browser: headless Chromium (Debian's ``chromium`` package, which the
CI script installs when missing) loads a page from the relay under uvicorn that reads it both
ways, ``EventSource`` on a GET endpoint and ``fetch`` with a stream reader on a POST endpoint,
each from a stream that completes and one whose upstream fails, parses a stream sent one to three
bytes at a time, runs the usual streaming guide's reader beside the documented one on a stream cut
inside a line and a character, and posts what it got back.

The page's clients are the ones the relay documentation gives. The server counts the requests, so
a page that reconnected after the end (EventSource does unless it is closed; the relay asks it to
wait only 100 ms) would show it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT
from relay_app import CHAT, CUT_AT, LONG_TEXT, RAW
from servers import decode_whole, relay_process

import sseproto

TESTS = Path(__file__).resolve().parent
# Chromium's start is the slow part; the page itself takes well under a second.
BOUND = 60.0
# Without the background-networking flags, Chromium's own connections fail in a sandbox without
# network, and the page's with them.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def stats(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{url}/stats", timeout=BOUND) as response:
        result: dict[str, Any] = json.load(response)
        return result


def browse(url: str) -> dict[str, Any]:
    """Load the page in headless Chromium; what the server saw once the page reported."""
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("chromium is not installed (the CI script installs Debian's package)")
    with tempfile.TemporaryDirectory() as profile, open(f"{profile}.log", "w+") as log:
        browser = subprocess.Popen(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"{url}/"],
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,  # its renderer and helper processes stop with it
        )
        try:
            deadline = time.monotonic() + BOUND
            while not (seen := stats(url))["reports"]:
                if browser.poll() is not None and not seen["requests"]:
                    log.seek(0)
                    pytest.skip(f"chromium exited without loading the page: {log.read()[-500:]}")
                assert time.monotonic() < deadline, "the page reported nothing"
                time.sleep(0.1)
            return seen
        finally:
            if browser.poll() is None:
                os.killpg(browser.pid, signal.SIGTERM)
            browser.wait(BOUND)
            os.unlink(log.name)


def test_a_browser_reads_the_relay_with_event_source_and_with_fetch() -> None:
    with relay_process() as (_, url):
        seen = browse(url)
    answer = sseproto.accumulate([CHAT], dialect="chat").choices[0].message.content
    expected = f"{LONG_TEXT}{answer}"
    failure = {
        "type": "IncompleteStreamError",
        "message": f"the stream failed with ConnectionResetError after {CUT_AT} bytes (details "
        "in the server log)",
    }
    reports = seen["reports"]
    assert "exception" not in reports, reports
    for way in ("eventSource", "fetched"):
        # The whole text, the long update split across many reads included, and the end event.
        assert reports[way]["text"] == expected, way
        assert reports[way]["done"] == expected, way
        # The upstream failing once streaming is the relay's error event, with what came before.
        assert reports[f"{way}Failed"] == {"text": "Bonjour", "failure": failure}, way
    # A refusal reaches onFailure whatever answered: the relay's JSON error with the upstream's
    # status, or the plain-text 500 of an endpoint that failed before returning the relay.
    assert reports["refused"] == {
        "text": "",
        "failure": {
            "type": "BadResponseError",
            "status": 401,
            "message": "the upstream answered status 401 instead of an event stream "
            "(details in the server log)",
        },
    }
    assert reports["crashed"] == {
        "text": "",
        "failure": {"type": "status", "status": 500, "message": "Internal Server Error"},
    }
    # The fetch parser, given a stream in every line-end style one to three bytes at a time, gives
    # the events a decoder following the specification gives.
    assert reports["raw"] == [
        {"event": event.event, "data": event.data} for event in decode_whole(RAW)
    ]
    # The usual streaming guide's reader, given an event cut inside a line and inside a
    # character, throws on the half line; the documented parser reads the same stream whole.
    assert reports["guide"] == {
        "guide": {"contents": ["Bonjour"], "exception": "SyntaxError"},
        "documented": ["Bonjour", " ! Voilà"],
    }
    # One request each: the page did not reconnect after the end event or the error event.
    assert seen["requests"] == {
        "GET /events?": 1,
        "GET /events?fail=1": 1,
        "POST /chat fail=False stream=True": 1,
        "POST /chat fail=True stream=True": 1,
        "POST /refused": 1,
        "POST /crashed": 1,
    }


def test_the_documented_browser_clients_are_the_ones_the_browser_runs() -> None:
    page = (TESTS / "relay_page.html").read_text()
    documented = re.findall(r"```js\n(.*?)```", (ROOT / "docs" / "server.md").read_text(), re.S)
    assert len(documented) == 3
    for block in documented:
        assert block in page
