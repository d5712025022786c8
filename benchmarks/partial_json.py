"""Partial JSON after every delta: sseproto's incremental parser beside jiter's re-parse.

Usage: ``python benchmarks/partial_json.py [--repeats N] [--only nested|engine|string]``

Hot paths: tool arguments streamed in 10-character deltas, the parsed value read after every delta.

- ``nested``: nested arguments (an object holding an array of objects with strings full of escapes
  and non-ASCII text, numbers of every form, literals, arrays and objects) of 20 KB, 100 KB and
  1 MB. sseproto feeds each delta and reads ``value``; jiter (what the openai and anthropic SDKs
  call on every delta) parses the whole text so far, ``from_json(text, partial_mode=
  "trailing-strings")``. jiter at 1 MB costs about a millisecond per delta (two minutes for the
  whole text), so there it is timed on an evenly spaced sample of 200 of the deltas, whose mean is
  the mean over all of them (a re-parse costs in proportion to the text so far). Its input is the
  UTF-8 text so far, sliced from the encoded whole (the SDKs encode the text on every delta, which
  costs more). Every size runs in every round, the smaller ones several times over (50 passes at
  20 KB, 10 at 100 KB) so that each case lasts as long as the 1 MB one; the flatness (cost per
  delta at 1 MB over that at 20 KB) and the ratios to jiter are medians of per-round ratios,
  printed with the lowest and highest round.
- ``engine``: a chat stream of one tool call with 100 KB and 1 MB of arguments in 10-character
  deltas, in network reads: ``accumulate``, ``iter_updates`` and ``iter_updates(...,
  partial_json=True)`` reading ``parsed`` on every argument delta, beside the parser alone fed
  the same deltas: what the option adds per delta, as a multiple of the parser's own cost.
- ``string``: one 1 MB string argument, followed through ``feed_changes`` (the text appended on
  every delta), beside the same feed reading ``value`` (a fresh 1 MB string per delta).

Every case is checked before it is timed: the final value equals ``json.loads`` of the whole text,
and jiter's value on the sample agrees with sseproto's where both show whole values. Times are the
medians of interleaved repeats of CPU time (see ``timing.py``). Each cost per delta is also given
as a number of trivial method calls (a floor timed in the same rounds: the call made for every
delta, to a method that does nothing), which load moves far less than it moves microseconds; the
targets of about 1 µs per delta are absolute, to be read on a quiet machine. Every target is
printed at the end, met or MISSED; the status is 1 when one is missed.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
from collections.abc import Callable, Sequence
from typing import Any

from timing import Ratio, Rounds, interleaved, rounds
from workloads import split_reads, tool_arguments_stream

import sseproto
from sseproto import PartialJSONParser, ToolCallArgumentsDelta

SEED = 20261130
DELTA = 10
SIZES = (20_000, 100_000, 1_000_000)
PASSES = {size: SIZES[-1] // size for size in SIZES}  # so that every size parses about 1 MB
FLOOR_PASSES = 20  # the floor's passes over the deltas, so that it lasts a good part of a case
JITER_SAMPLE = 200  # deltas timed at 1 MB, evenly spaced
# Targets: per-delta cost at 1 MB / at 20 KB; jiter's per-delta cost / sseproto's.
FLAT_TARGET = 1.1
JITER_TARGETS = {20_000: 10.0, 1_000_000: 1_000.0}
# About 1 µs per delta, nested or one long string: absolute, so to be read on a quiet machine.
# Each cost is also given in trivial method calls timed in the same rounds (the floor: the call
# made for every delta and nothing else), a figure that load moves far less.
TARGET_US = 1.0
WORDS = ["def", "return", "self", "value", "None", "naïve", "東京", "—", "x", "for", "in", "🙂"]


def nested_arguments(size: int, rng: random.Random) -> str:
    """A JSON object of about ``size`` characters, shaped like a coding tool's arguments."""
    edits: list[dict[str, Any]] = []
    document = {"task": "refactor", "dry_run": False, "edits": edits}
    length = 0
    while length < size:
        lines = [
            " ".join(rng.choices(WORDS, k=rng.randint(2, 9))) for _ in range(rng.randint(1, 5))
        ]
        edit = {
            "path": f"src/module_{rng.randrange(100)}.py",
            "line": rng.randint(1, 5000),
            "old": '"' + rng.choice(WORDS) + '"\t\\',
            "new": "\n".join(lines),
            "score": rng.choice((round(rng.random(), 4), -rng.randint(1, 99), 1.5e-7, 2e21)),
            "flags": [rng.random() < 0.5, None, rng.randint(0, 9)],
            "meta": {"author": rng.choice(WORDS), "tags": [], "review": {}},
        }
        edits.append(edit)
        length += len(json.dumps(edit, ensure_ascii=False)) + 1
    return json.dumps(document, ensure_ascii=False)


def deltas_of(text: str) -> list[str]:
    return [text[start : start + DELTA] for start in range(0, len(text), DELTA)]


class Floor:
    """A parser that does nothing: the cost of the call made for every delta."""

    def feed(self, text: str) -> None:
        """Take the piece, and do nothing with it."""


def call_floor(deltas: list[str]) -> None:
    """One trivial method call per delta, made as the cases make theirs.

    The deltas themselves are not touched: after the other sections have run they lie scattered
    in memory, and reaching each one would make the floor a measure of the cache, not of calls
    (which once doubled it in a full run).
    """
    parser = Floor()
    piece = deltas[0]
    for _ in range(len(deltas)):
        parser.feed(piece)


def check_cost(name: str, seconds: float, calls: Ratio, checks: list[tuple[str, bool]]) -> None:
    """Print a per-delta cost, in µs and in trivial calls, and record its verdict."""
    print(f"  {name}: {seconds * 1e6:.2f} µs per delta, the cost of {calls} trivial calls")
    verdict = f"{name}: {seconds * 1e6:.2f} µs per delta, target about {TARGET_US:.0f} µs"
    checks.append((verdict, seconds * 1e6 <= TARGET_US))


def sseproto_values(deltas: list[str]) -> Any:
    """Feed every delta and read the value after each; the final value."""
    parser = PartialJSONParser()
    for delta in deltas:
        parser.feed(delta)
        parser.value  # noqa: B018 (reading the value is the work measured)
    return parser.close()


def sseproto_changes(deltas: list[str]) -> Any:
    """Feed every delta through feed_changes; the final value."""
    parser = PartialJSONParser()
    for delta in deltas:
        parser.feed_changes(delta)
    return parser.close()


def jiter_values(data: bytes, ends: list[int]) -> Any:
    """jiter's value of every prefix of ``data`` ending at one of ``ends``; the last one."""
    import jiter

    value = None
    for end in ends:
        value = jiter.from_json(data[:end], partial_mode="trailing-strings")
    return value


def byte_ends(text: str, sample: int | None) -> list[int]:
    """The UTF-8 length of the text after each delta (every ``sample``-th evenly spaced one)."""
    ends: list[int] = []
    total = 0
    for delta in deltas_of(text):
        total += len(delta.encode())
        ends.append(total)
    if sample is not None and sample < len(ends):
        step = len(ends) / sample
        ends = [ends[int(index * step)] for index in range(sample)]
    return ends


def per_delta(timed: Rounds, case: str, baseline: str, scale: float) -> Ratio:
    """``case``'s time over ``baseline``'s, times ``scale``, round by round: with ``scale`` the
    ratio of their numbers of deltas, the ratio of their costs per delta."""
    ratios = [
        ours / theirs * scale
        for ours, theirs in zip(timed.times[case], timed.times[baseline], strict=False)
    ]
    return Ratio(statistics.median(ratios), min(ratios), max(ratios))


def nested_section(repeats: int, checks: list[tuple[str, bool]]) -> None:
    """Every size in every round: the flatness and the ratios to jiter are per-round ratios.

    A smaller size is parsed several times per round (50 times at 20 KB), so that every case
    parses about as many deltas, over about as long, as the 1 MB one: a case of a few
    milliseconds would meet bursts of load that the others miss.
    """
    rng = random.Random(SEED)
    print("Nested arguments in 10-character deltas, the value read after every delta (per delta)\n")
    try:
        import jiter  # noqa: F401
    except ImportError:
        has_jiter = False
    else:
        has_jiter = True
    deltas: dict[int, list[str]] = {}
    ends: dict[int, list[int]] = {}
    cases: dict[str, Callable[[], object]] = {}
    for size in SIZES:
        text = nested_arguments(size, rng)
        deltas[size] = deltas_of(text)
        if sseproto_values(deltas[size]) != json.loads(text):
            raise SystemExit(f"sseproto's value differs from json.loads at {size}")

        def ours(pieces: list[str] = deltas[size], passes: int = PASSES[size]) -> None:
            for _ in range(passes):
                sseproto_values(pieces)

        cases[f"sseproto {size}"] = ours
        if has_jiter and size in JITER_TARGETS:
            data = text.encode()
            ends[size] = byte_ends(text, JITER_SAMPLE if size > 100_000 else None)
            if jiter_values(data, [len(data)]) != json.loads(text):
                raise SystemExit(f"jiter's value differs from json.loads at {size}")
            cases[f"jiter {size}"] = lambda data=data, size=size: jiter_values(data, ends[size])

    def floor(pieces: list[str] = deltas[SIZES[-1]]) -> None:
        for _ in range(FLOOR_PASSES):
            call_floor(pieces)

    cases["floor"] = floor
    timed = rounds(cases, repeats)

    def parsed(size: int) -> int:
        """How many deltas the case of ``size`` parses in a round."""
        return len(deltas[size]) * PASSES[size]

    header = f"{'arguments':>10} {'deltas':>8} {'sseproto µs':>12} {'jiter µs':>10}"
    print(f"{header}  jiter/sseproto (lowest-highest round)")
    for size in SIZES:
        count = parsed(size)
        ours = timed.median(f"sseproto {size}") / count
        row = f"{sum(map(len, deltas[size])) / 1000:>8,.0f}KB {len(deltas[size]):>8,} "
        row += f"{ours * 1e6:>12.2f}"
        if size in ends:
            theirs = timed.median(f"jiter {size}") / len(ends[size])
            ratio = per_delta(timed, f"jiter {size}", f"sseproto {size}", count / len(ends[size]))
            sampled = " (sample)" if len(ends[size]) < len(deltas[size]) else ""
            row += f" {theirs * 1e6:>10.1f}  {ratio}{sampled}"
            target = JITER_TARGETS[size]
            verdict = f"jiter/sseproto at {size / 1000:,.0f} KB: {ratio}, target {target:,.0f}x"
            checks.append((verdict, ratio.median >= target))
        print(row)
    print("\nper-delta cost over that at 20 KB, median of per-round ratios (lowest-highest round):")
    first = SIZES[0]
    for size in SIZES[1:]:
        scale = parsed(first) / parsed(size)
        flat = per_delta(timed, f"sseproto {size}", f"sseproto {first}", scale)
        print(f"  {size / 1000:>5,.0f} KB: {flat}")
    print(f"  target at 1 MB: at most {FLAT_TARGET}")
    checks.append((f"flatness at 1 MB: {flat}, target {FLAT_TARGET}", flat.median <= FLAT_TARGET))
    print("\nper delta, against one trivial method call per delta in the same rounds:")
    floor_deltas = len(deltas[SIZES[-1]]) * FLOOR_PASSES
    for size in SIZES:
        calls = per_delta(timed, f"sseproto {size}", "floor", floor_deltas / parsed(size))
        seconds = timed.median(f"sseproto {size}") / parsed(size)
        check_cost(f"nested, {size / 1000:,.0f} KB", seconds, calls, checks)
    print()


def engine_section(repeats: int) -> None:
    print("A chat tool call in 10-character argument deltas, network reads (whole stream)\n")
    print(
        f"{'arguments':>10} {'accumulate ms':>14} {'iter_updates ms':>16} {'partial_json ms':>16}"
        f" {'option µs/delta':>16} {'parser µs/delta':>16} {'option/parser':>14}"
    )
    for size in (100_000, 1_000_000):
        workload = tool_arguments_stream(size)
        reads = split_reads(workload.data, "network")
        deltas = [
            update.text
            for update in sseproto.iter_updates(reads)
            if type(update) is ToolCallArgumentsDelta
        ]
        last = None
        for update in sseproto.iter_updates(reads, partial_json=True):
            if type(update) is ToolCallArgumentsDelta:
                last = update
        if last is None or last.parsed != json.loads(workload.tool_arguments[0]):
            raise SystemExit(f"the last parsed arguments differ from json.loads at {size}")

        def updates(reads: list[bytes] = reads) -> None:
            for _ in sseproto.iter_updates(reads):
                pass

        def parsed(reads: list[bytes] = reads) -> None:
            for update in sseproto.iter_updates(reads, partial_json=True):
                if type(update) is ToolCallArgumentsDelta:
                    update.parsed  # noqa: B018 (reading the value is the work measured)

        medians = interleaved(
            {
                "accumulate": lambda reads=reads: sseproto.accumulate(reads),
                "iter_updates": updates,
                "partial_json=True": parsed,
                # The floor of the option: the same deltas parsed, the value read after each.
                "parser": lambda deltas=deltas: sseproto_values(deltas),
            },
            repeats,
        )
        option = (medians["partial_json=True"] - medians["iter_updates"]) / len(deltas)
        parser = medians["parser"] / len(deltas)
        print(
            f"{size / 1000:>8,.0f}KB {medians['accumulate'] * 1e3:>14.1f}"
            f" {medians['iter_updates'] * 1e3:>16.1f} {medians['partial_json=True'] * 1e3:>16.1f}"
            f" {option * 1e6:>16.2f} {parser * 1e6:>16.2f} {option / parser:>13.2f}x"
        )
    print(
        "\noption µs/delta: what partial_json=True adds to iter_updates per argument delta "
        "(parsing, the live values, the parse of the whole arguments at ToolCallDone); "
        "parser: PartialJSONParser alone on the same deltas, value read after each.\n"
    )


def string_section(repeats: int, checks: list[tuple[str, bool]]) -> None:
    rng = random.Random(SEED + 1)
    # A source file: lines of words, some quoted (every line end and quote is an escape).
    lines: list[str] = []
    length = 0
    while length < 1_000_000:
        words = rng.choices([*WORDS, '"quoted"'], k=rng.randint(4, 14))
        lines.append(" " * rng.choice((0, 4, 8)) + " ".join(words))
        length += len(lines[-1]) + 1
    content = "\n".join(lines)
    text = json.dumps({"path": "big.txt", "content": content}, ensure_ascii=False)
    deltas = deltas_of(text)
    if sseproto_changes(deltas) != json.loads(text):
        raise SystemExit("sseproto's value differs from json.loads on the string case")

    def floor() -> None:
        for _ in range(FLOOR_PASSES):
            call_floor(deltas)

    timed = rounds(
        {
            "feed_changes": lambda: sseproto_changes(deltas),
            "feed + value": lambda: sseproto_values(deltas),
            "floor": floor,
        },
        repeats,
        limits={"feed + value": 1},
    )
    print(f"One string argument of {len(content) / 1e6:.1f} M characters, 10-character deltas")
    print(f"  feed + value: {timed.median('feed + value') / len(deltas) * 1e6:.2f} µs per delta")
    calls = per_delta(timed, "feed_changes", "floor", FLOOR_PASSES)
    seconds = timed.median("feed_changes") / len(deltas)
    check_cost("string, feed_changes", seconds, calls, checks)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeats", type=int, default=5, help="interleaved repeats per case")
    parser.add_argument("--only", choices=("nested", "engine", "string"), help="one section")
    args = parser.parse_args(argv)
    print(f"Python {sys.version.split()[0]}, {args.repeats} repeats\n")
    checks: list[tuple[str, bool]] = []
    if args.only in (None, "nested"):
        nested_section(args.repeats, checks)
    if args.only in (None, "engine"):
        engine_section(args.repeats)
    if args.only in (None, "string"):
        string_section(args.repeats, checks)
    print("\nTargets:")
    for verdict, met in checks:
        print(f"  {'met' if met else 'MISSED'}: {verdict}")
    return 0 if all(met for _, met in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
