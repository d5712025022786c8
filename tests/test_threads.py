"""Streams read in threads at once give what each gives alone: the engines keep no state between
streams but caches that any thread may fill (the documented rule: one accumulator, decoder or
reader per stream, fed from one thread at a time; distinct streams in any threads)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import PROJECT_FIXTURES

import sseproto

FIXTURES = sorted(PROJECT_FIXTURES.glob("**/*.sse"))


def updates(path: str, chunking: int) -> list[str]:
    """Every update of the fixture read in reads of ``chunking`` bytes, then its error, as text."""
    shown = []
    try:
        chunks = sseproto.replay(path, chunking=chunking)
        shown = [repr(update) for update in sseproto.iter_updates(chunks, partial_json=True)]
    except sseproto.StreamError as error:
        shown.append(f"{type(error).__name__}: {error}")
    return shown


@pytest.fixture
def often_switching() -> Iterator[None]:
    # Threads switch every microsecond instead of every 5 ms, so that they interleave inside
    # the engines rather than one stream at a time.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


@pytest.mark.usefixtures("often_switching")
def test_streams_read_in_threads_at_once_give_what_each_gives_alone() -> None:
    jobs = [(str(path), chunking) for path in FIXTURES for chunking in (7, 64, 4096)]
    alone = [updates(*job) for job in jobs]
    with ThreadPoolExecutor(max_workers=8) as pool:
        together = list(pool.map(lambda job: updates(*job), jobs * 2))
    assert together == alone * 2
