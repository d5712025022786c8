"""replay / areplay: every chunking, eager validation, timing, sidecar validation."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import sseproto
from sseproto._cli import main
from sseproto.fixtures.format import (
    MAX_SECONDS,
    Ending,
    Read,
    Recording,
    load_fixture,
    sidecar_lines,
    sidecar_path,
)
from sseproto.fixtures.replay import Piece, plan

BODY = b"data: caf\xc3\xa9\r\n\r\ndata: two\n\n"


def write_fixture(
    directory: Path,
    body: bytes,
    reads: list[tuple[int, float]] | None = None,
    ending: Ending | None = None,
) -> Path:
    """A fixture with ``body`` and, when ``reads`` (length, seconds) are given, a sidecar."""
    path = directory / "stream.sse"
    path.write_bytes(body)
    if reads is not None:
        offset = 0
        records = []
        for length, seconds in reads:
            records.append(Read(offset, length, seconds))
            offset += length
        recording = Recording(tuple(records), ending or Ending("eof", reads[-1][1] + 0.1))
        lines = sidecar_lines(
            recording, length=len(body), sha256=hashlib.sha256(body).hexdigest()
        )
        sidecar_path(path).write_text("".join(lines), encoding="utf-8")
    return path


def test_recorded_without_a_sidecar_is_the_whole_body(tmp_path: Path) -> None:
    path = write_fixture(tmp_path, BODY)
    assert list(sseproto.replay(path)) == [BODY]


def test_recorded_uses_the_sidecar_reads(tmp_path: Path) -> None:
    path = write_fixture(tmp_path, BODY, [(9, 0.2), (0, 0.25), (4, 0.3), (len(BODY) - 13, 0.5)])
    assert list(sseproto.replay(path)) == [BODY[:9], b"", BODY[9:13], BODY[13:]]


def test_whole_byte_and_fixed_sizes(tmp_path: Path) -> None:
    path = write_fixture(tmp_path, BODY, [(3, 0.1), (len(BODY) - 3, 0.2)])
    assert list(sseproto.replay(path, chunking="whole")) == [BODY]
    assert list(sseproto.replay(path, chunking="byte")) == [bytes([b]) for b in BODY]
    fives = list(sseproto.replay(path, chunking=5))
    assert [len(piece) for piece in fives[:-1]] == [5] * (len(fives) - 1)
    assert 1 <= len(fives[-1]) <= 5
    assert b"".join(fives) == BODY


def test_random_is_reproducible_with_a_seed_and_varied_across_seeds(tmp_path: Path) -> None:
    path = write_fixture(tmp_path, BODY * 400)
    first = list(sseproto.replay(path, chunking="random", seed=11))
    assert first == list(sseproto.replay(path, chunking="random", seed=11))
    assert first != list(sseproto.replay(path, chunking="random", seed=12))
    assert b"".join(first) == BODY * 400
    assert all(1 <= len(piece) <= 4096 for piece in first)
    # The reads mix single bytes with large ones.
    assert min(map(len, first)) < 8 < 512 < max(map(len, first))


def test_an_empty_body_replays_as_nothing_or_one_empty_read(tmp_path: Path) -> None:
    path = write_fixture(tmp_path, b"")
    assert list(sseproto.replay(path, chunking="byte")) == []
    assert list(sseproto.replay(path, chunking="random", seed=0)) == []
    assert b"".join(sseproto.replay(path)) == b""


@given(
    body=st.binary(max_size=300),
    chunking=st.one_of(
        st.sampled_from(["recorded", "whole", "byte", "random"]), st.integers(1, 50)
    ),
    seed=st.integers(0, 2**32),
)
def test_every_chunking_yields_the_body_exactly(
    tmp_path_factory: pytest.TempPathFactory, body: bytes, chunking: sseproto.Chunking, seed: int
) -> None:
    path = write_fixture(tmp_path_factory.mktemp("replay"), body)
    pieces = list(
        sseproto.replay(path, chunking=chunking, seed=seed if chunking == "random" else None)
    )
    assert b"".join(pieces) == body
    assert all(pieces) or pieces == [b""]


@pytest.mark.parametrize(
    "arguments",
    [
        {"chunking": "bytes"},
        {"chunking": 0},
        {"chunking": -3},
        {"chunking": True},
        {"chunking": 2.5},
        {"chunking": None},
        {"chunking": "byte", "seed": 1},
        {"chunking": "random", "seed": "1"},
        {"chunking": "random", "seed": False},
        {"realtime": True},
    ],
)
def test_bad_arguments_raise_at_the_call(tmp_path: Path, arguments: dict[str, Any]) -> None:
    path = write_fixture(tmp_path, BODY)
    with pytest.raises(ValueError):
        sseproto.replay(path, **arguments)
    with pytest.raises(ValueError):
        sseproto.areplay(path, **arguments)


def test_a_missing_fixture_fails_at_the_call(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        sseproto.replay(tmp_path / "absent.sse")
    with pytest.raises(FileNotFoundError):
        sseproto.areplay(tmp_path / "absent.sse")


def test_a_recorded_transport_error_is_raised_after_the_last_byte(tmp_path: Path) -> None:
    ending = Ending("error", 9.0, "httpx.ReadTimeout", "timed out")
    path = write_fixture(tmp_path, BODY, [(10, 0.1), (len(BODY) - 10, 0.2)], ending)
    received = []
    with pytest.raises(sseproto.RecordedTransportError) as caught:
        for piece in sseproto.replay(path, chunking="byte"):
            received.append(piece)
    assert b"".join(received) == BODY
    error = caught.value
    assert isinstance(error, sseproto.StreamError)
    assert (error.error_type, error.error_message, error.offset) == (
        "httpx.ReadTimeout",
        "timed out",
        len(BODY),
    )
    assert "httpx.ReadTimeout: timed out" in str(error)


def test_a_replay_ends_once_as_a_generator_does(tmp_path: Path) -> None:
    # The error is raised once; the replay is then exhausted, as a generator is after raising.
    ending = Ending("error", 9.0, "httpx.ReadTimeout", "timed out")
    replay = sseproto.replay(write_fixture(tmp_path, BODY, [(len(BODY), 0.1)], ending))
    assert next(replay) == BODY
    with pytest.raises(sseproto.RecordedTransportError):
        next(replay)
    assert list(replay) == []
    plain = sseproto.replay(write_fixture(tmp_path, BODY, [(len(BODY), 0.1)]))
    assert iter(plain) is plain and list(plain) == [BODY] and list(plain) == []
    # Closed, it is exhausted at once, its recorded error not raised, as a closed generator.
    closed = sseproto.replay(write_fixture(tmp_path, BODY, [(len(BODY), 0.1)], ending))
    closed.close()
    assert list(closed) == []

    async def aclosed() -> list[bytes]:
        replay = sseproto.areplay(tmp_path / "stream.sse")
        await replay.aclose()
        return [piece async for piece in replay]

    assert asyncio.run(aclosed()) == []


def test_areplay_yields_what_replay_yields_and_raises_the_same(tmp_path: Path) -> None:
    ending = Ending("error", 1.0, "OSError", "reset")
    path = write_fixture(tmp_path, BODY, [(4, 0.1), (len(BODY) - 4, 0.2)], ending)

    async def collect() -> list[bytes]:
        received = []
        with pytest.raises(sseproto.RecordedTransportError):
            async for piece in sseproto.areplay(path, chunking=3):
                received.append(piece)
        return received

    expected = []
    with pytest.raises(sseproto.RecordedTransportError):
        for piece in sseproto.replay(path, chunking=3):
            expected.append(piece)
    assert asyncio.run(collect()) == expected


def test_each_piece_is_due_when_its_last_byte_arrived(tmp_path: Path) -> None:
    path = write_fixture(tmp_path, b"0123456789", [(4, 0.5), (0, 0.6), (3, 0.9), (3, 1.5)])
    fixture = load_fixture(path)
    assert plan(fixture, chunking="whole") == [Piece(0, 10, 1.5)]
    assert plan(fixture, chunking=5) == [Piece(0, 5, 0.9), Piece(5, 10, 1.5)]
    assert [piece.seconds for piece in plan(fixture, chunking="byte")] == (
        [0.5] * 4 + [0.9] * 3 + [1.5] * 3
    )
    assert plan(fixture, chunking="recorded") == [
        Piece(0, 4, 0.5), Piece(4, 4, 0.6), Piece(4, 7, 0.9), Piece(7, 10, 1.5),
    ]  # fmt: skip
    # Without a sidecar there is no time at all.
    assert plan(load_fixture(write_fixture(tmp_path / "..", b"abc")), chunking="byte") == [
        Piece(0, 1, None), Piece(1, 2, None), Piece(2, 3, None),
    ]  # fmt: skip


class FakeClock:
    """A clock that only moves when slept on, recording every sleep."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


def test_realtime_sleeps_until_each_read_is_due(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock()
    # Replaces the replay module's view of the time module only.
    monkeypatch.setattr("sseproto.fixtures.replay.time", clock)
    path = write_fixture(tmp_path, BODY, [(9, 0.25), (4, 0.25), (len(BODY) - 13, 1.0)])
    assert b"".join(sseproto.replay(path, realtime=True)) == BODY
    assert clock.sleeps == [0.25, 0.75]
    clock.sleeps.clear()
    assert b"".join(sseproto.replay(path)) == BODY
    assert clock.sleeps == []


def test_async_realtime_sleeps_with_asyncio(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock()
    monkeypatch.setattr("sseproto.fixtures.replay.time", clock)
    # The replay module imports asyncio only when an async replay runs: patch the module itself.
    monkeypatch.setattr(asyncio, "sleep", clock.asleep)
    path = write_fixture(tmp_path, BODY, [(9, 0.5), (len(BODY) - 9, 2.0)])

    async def collect() -> bytes:
        return b"".join([piece async for piece in sseproto.areplay(path, realtime=True)])

    assert asyncio.run(collect()) == BODY
    assert clock.sleeps == [0.5, 1.5]


# -- sidecar validation ------------------------------------------------------------------------


def sidecar_records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in sidecar_path(path).read_text().splitlines()]


def rewrite(path: Path, records: list[dict[str, Any]]) -> None:
    sidecar_path(path).write_text("".join(json.dumps(record) + "\n" for record in records))


@pytest.mark.parametrize(
    "corrupt,complaint",
    [
        (lambda r: r[0].update(sha256="0" * 64), "sha256"),
        (lambda r: r[0].update(length=3), "body has"),
        (lambda r: r[0].update(version=2), "unsupported version"),
        (lambda r: r[0].update(version=True), "'version' must be int, not True"),
        (lambda r: r[0].update(format="other"), "not an sseproto-reads sidecar"),
        (lambda r: r[0].update(headers=[["only-a-name"]]), "headers"),
        (lambda r: r[0].update(status="200"), "'status'"),
        (lambda r: r[1].update(offset=1), "tile"),
        (lambda r: r[1].update(length=-1), "tile"),
        (lambda r: r[1].update(length=True), "'length'"),
        (lambda r: r[2].update(seconds=0.01), "backwards"),
        (lambda r: r[2].update(seconds=float("nan")), "finite"),
        (lambda r: r[2].update(seconds=-1), "finite"),
        (lambda r: r[2].update(seconds=10**400), "finite"),
        (lambda r: r[2].update(seconds=True), "finite"),
        (lambda r: r[2].update(seconds=1e10), "30 days"),
        (lambda r: r[-1].update(seconds=10**400), "finite"),
        (lambda r: r[0].update(length=10**400), "body has"),
        (lambda r: r[0].update(length=10.0), "'length'"),
        (lambda r: r[1].update(offset=10**400), "tile"),
        (lambda r: r[1].update(offset=0.0), "'offset'"),
        (lambda r: r[1].update(length=10**400), "tile"),
        (lambda r: r[2].update(length=10**400), "cover"),
        (lambda r: r.pop(2), "cover"),
        (lambda r: r.pop(), "end"),
        (lambda r: r[-1].update(end="error"), "'error'"),
        (lambda r: r[-1].update(seconds=0.0), "before the last read"),
        (lambda r: r[-1].update(end="finished"), "end"),
        (lambda r: r.__setitem__(slice(None), r[:1]), "header line and a closing line"),
        (lambda r: r.insert(1, []), "not a JSON object"),
    ],
)
def test_a_sidecar_that_does_not_fit_its_body_is_a_clear_error(
    tmp_path: Path, corrupt: Any, complaint: str
) -> None:
    path = write_fixture(tmp_path, BODY, [(10, 0.1), (len(BODY) - 10, 0.2)])
    records = sidecar_records(path)
    corrupt(records)
    rewrite(path, records)
    with pytest.raises(sseproto.FixtureError, match=complaint) as caught:
        sseproto.replay(path)
    assert isinstance(caught.value, sseproto.StreamError)
    assert caught.value.path == str(sidecar_path(path))
    assert str(sidecar_path(path)) in str(caught.value)


@pytest.mark.parametrize("text", ["{not json\n{}\n", "[" * 100_000 + "\n{}\n", "\xff\xfe"])
def test_a_sidecar_that_is_not_json_lines_is_a_clear_error(tmp_path: Path, text: str) -> None:
    path = write_fixture(tmp_path, BODY)
    sidecar_path(path).write_bytes(text.encode("latin-1"))
    with pytest.raises(sseproto.FixtureError):
        sseproto.replay(path)


def test_sidecar_text_may_hold_any_unicode_line_separator(tmp_path: Path) -> None:
    # ensure_ascii=False leaves U+2028 raw in the header; only LF separates lines.
    path = write_fixture(tmp_path, BODY, [(len(BODY), 0.1)])
    records = sidecar_records(path)
    records[0]["client"] = "probe\u2028\u0085line"
    sidecar_path(path).write_text(
        "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
    )
    recording = load_fixture(path).recording
    assert recording is not None and recording.client == "probe\u2028\u0085line"


def test_a_sidecar_that_is_a_directory_is_a_problem_with_the_sidecar(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_fixture(tmp_path, BODY)
    sidecar_path(path).mkdir()
    with pytest.raises(sseproto.FixtureError) as caught:
        sseproto.replay(path)
    assert caught.value.path == str(sidecar_path(path))
    # The command line names the sidecar, as for any other sidecar fault.
    assert main(["replay", str(path)]) == 1
    assert "stream.reads.jsonl" in capsys.readouterr().err
    assert main(["check", str(path)]) == 1
    assert "stream.reads.jsonl" in capsys.readouterr().out


# -- an absurd recorded time -------------------------------------------------------------------

ABSURD_SECONDS = 1e10  # about 317 years: beyond what time.sleep() accepts


def test_realtime_replay_of_an_absurd_recorded_time_is_a_fixture_error_not_an_overflow(
    tmp_path: Path,
) -> None:
    path = write_fixture(tmp_path, BODY, [(len(BODY), ABSURD_SECONDS)])
    with pytest.raises(sseproto.FixtureError, match=r"line 2.*30 days") as caught:
        list(sseproto.replay(path, realtime=True))
    assert caught.value.path == str(sidecar_path(path))

    async def areplay() -> list[bytes]:
        return [piece async for piece in sseproto.areplay(path, realtime=True)]

    with pytest.raises(sseproto.FixtureError, match="line 2"):
        asyncio.run(areplay())


def test_cli_realtime_replay_of_an_absurd_recorded_time_exits_1_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_fixture(tmp_path, BODY, [(len(BODY), ABSURD_SECONDS)])
    assert main(["replay", str(path), "--realtime"]) == 1
    output = capsys.readouterr()
    assert output.out == ""
    assert "stream.reads.jsonl" in output.err and "line 2" in output.err


def test_the_latest_time_a_sidecar_holds_still_replays(tmp_path: Path) -> None:
    latest = float(MAX_SECONDS)
    path = write_fixture(tmp_path, BODY, [(len(BODY), latest)], Ending("eof", latest))
    assert list(sseproto.replay(path)) == [BODY]


def test_replaying_a_sidecar_instead_of_its_body_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_fixture(tmp_path, BODY, reads=[(5, 0.1), (len(BODY) - 5, 0.2)])
    sidecar = sidecar_path(path)
    with pytest.raises(sseproto.FixtureError, match=r"the sidecar of stream\.sse") as caught:
        sseproto.replay(sidecar)
    assert caught.value.path == str(sidecar)
    assert main(["replay", str(sidecar)]) == 1
    assert "name stream.sse instead" in capsys.readouterr().err
    assert main(["check", str(sidecar)]) == 1
    assert "the sidecar of stream.sse" in capsys.readouterr().out
