"""Verified templates: the delta events of a stream, read without parsing them.

Most events of a stream are one JSON text with one string changing: the text of a delta (and, in
OpenAI's streams, an ``obfuscation`` pad of random characters beside it). Once an event has been
parsed and applied the usual way, :func:`learn` cuts its text around those strings (the *holes*);
a later event whose text is the same around its holes is read by :meth:`Template.read` (a run
of them in one call) with a prefix check, the JSON scanner's own string reader for each hole, and
a suffix check; the tail fits any run of spaces before its final brace, as whitespace between two
tokens changes no parse. Any other text (a key moved, a field added, other whitespace, another
pad length where the pad is not a hole) does not fit, and its engine takes the full path.

Why a match is exact. The JSON scanner reads a text from left to right, and what it does after a
string depends only on where the string ends, never on what the string holds. So once the text
around the holes is known to put them at the right places, every text that differs only inside
the holes parses to the template's payload with the holes' values replaced: the holes are read
with :data:`~.payload.scan_string`, the very function the scanner reads strings with (same
escapes, same surrogate pairing, same refusal of raw control characters), and a hole must end
exactly where the text after it begins. That the holes are at the right places is proved once,
when the template is learned: the text is parsed again with sentinel strings in the holes, and
the result must hold each sentinel at its path and equal the event's payload everywhere else.
The nesting depth of a text does not depend on what its strings hold, so a match is within
:data:`~.payload.MAX_DEPTH` as the learned payload was.

What reading a leaf does is the engine's (:class:`Leaf`, :class:`Plan`): it may only skip the full
path for events whose every field but the holes has no effect left to have, and it drops its
template (:class:`FastPath`) whenever anything else happens (see each dialect's ``fast`` module).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from operator import length_hint
from typing import Any, NamedTuple

from .errors import InvalidChunkError
from .payload import parse_json, scan_string
from .updates import ChatUpdate

__all__ = ["FastPath", "Leaf", "Path", "Plan", "Template", "learn"]

Path = tuple[str | int, ...]
"""Where a string is in a payload: the keys and list indexes leading to it."""

# Strings no stream sends, written with escapes so that locating them exercises the escape path
# of the scanner; one per hole.
_SENTINELS = (r"\u0000\ud83d\ude00\"leaf", r"\u0001\u00e9\\pad")
_SENTINEL_VALUES = ('\x00\U0001f600"leaf', "\x01\u00e9\\pad")
# How many places in a text that could hold a hole are tried; a payload repeating the key more
# than this is not worth a template.
_MAX_CANDIDATES = 4
# The pattern that finds each key a hole may be the value of (see _places).
_KEYS: dict[tuple[str, str], re.Pattern[str]] = {}
# What learning costs, in units of what reading one event with a template saves (most of a
# parse): asking whether an event could give a template (its plan) costs one, learning one
# (a parse, a comparison and finding the holes) five more. A template is learned from the second
# of two events planned alike in a row, never from the first of a run, which may be its only one.
# After the first few units, learning goes on only while templates have read at least one event
# per unit spent: a stream where no template applies (logprobs on every chunk) or none is ever
# used (n > 1 chat choices taking turns) soon stops paying for it. It still tries again after 8,
# 16, 32, ... events, since a stream may change its shape (Mistral's reasoning arrives as content
# arrays, its answer as strings), until the wait passes _LAST_WAIT: learning then stops for the
# rest of the stream, and the engine stops asking (an event then costs nothing more than without
# templates: a stream of logprobs on every chunk reads as fast as the full path alone).
_FREE_COST = 8
_PLAN_COST = 1
_LEARN_COST = 5
_FIRST_WAIT = 8
_LAST_WAIT = 1024
# The most digits a number hole holds: well under the smallest limit on the digits of an int
# that the interpreter accepts (640).
_MAX_DIGITS = 18
# What may follow a number in a template's text: a number ends before any of them, so the
# scanner reads the hole's digits and nothing more.
_AFTER_NUMBER = frozenset(",}] \t\n\r")


class Leaf(NamedTuple):
    """What reading a leaf does, as the full path does it: its text appended to ``pieces`` (an
    empty one too when ``keeps_empty``), and a non-empty one reported by ``update`` (when not
    None, and when the caller wants updates)."""

    pieces: list[str]
    update: Callable[[str], ChatUpdate] | None
    keeps_empty: bool


class Plan(NamedTuple):
    """Where a template's holes are in an event's payload (``pad`` None when it has none, and
    ``number`` None when it has no number hole), and what reading its leaf does: a dialect's
    answer for an event it has just applied.

    A number hole is a non-negative int before the leaf in the text whose value the engine
    never reads (the ``sequence_number`` of a Responses event, which only strict mode checks):
    a template reads it as any run of ASCII digits the scanner reads as an int (no leading zero,
    at most ``_MAX_DIGITS``, so that no limit on the digits an int may have can refuse it)."""

    leaf: Path
    into: Leaf
    pad: Path | None = None
    number: Path | None = None


class Template:
    """The text of an event with one or two string values cut out (see the module).

    Built by :func:`learn`, never directly.
    """

    __slots__ = ("_pad", "_reading")

    def __init__(
        self,
        name: str,
        head: str,
        joint: str | None,
        tail: str,
        leaf: Leaf,
        pad: tuple[dict[str, Any], str] | None,
        lead: str | None = None,
    ) -> None:
        # head ends with a hole's opening quote, joint (between two holes) starts with the first
        # one's closing quote and ends with the second's opening one, tail starts with the last
        # hole's closing quote: a hole ends where the text after it begins, quote included.
        # With a number hole (lead not None), head ends where the number begins and lead runs
        # from just after the number to the leaf's opening quote.
        # A tail ending in a brace fits any run of spaces before that brace (Anthropic pads its
        # events so, by a random length): whitespace between two tokens changes no parse. It is
        # kept without them (bare), and whole: what an event without them ends with exactly.
        spaced = tail.endswith("}")
        bare = tail[:-1].rstrip(" ") if spaced else tail
        whole = bare + "}" if spaced else tail
        # Everything read() needs, in one tuple: a read of a few events (tiny reads bring one)
        # loads one attribute instead of a dozen.
        pieces, update, keeps_empty = leaf
        self._reading = (
            name,
            head,
            len(head),
            joint,
            whole,
            spaced,
            bare,
            len(bare) - 1,
            pieces.append,
            update,
            keeps_empty,
            lead,
        )
        self._pad = pad

    def read(
        self, events: Iterator[Any], updates: list[ChatUpdate] | None, texts: bool = False
    ) -> tuple[Any, int]:
        """Read the events of ``events`` this template's text fits, applying each leaf (and
        keeping the last pad) as :class:`Leaf` says; stop at the first one it does not fit.
        ``events`` holds :class:`ServerSentEvent` objects, or with ``texts`` the data of
        ``"message"`` events (:meth:`~sseproto.wire.decoder.SSEDecoder._texts_feed`).

        Returns:
            That first event (taken from ``events``, for the caller's full path), or None when
            ``events`` ran out; and how many events were read.

        An event is not fitted when its name or its text around the holes differs, or when a
        hole holds what the JSON scanner would refuse (a raw control character, a bad escape, a
        missing closing quote): the full path then says why.
        """
        (
            name,
            head,
            start,
            joint,
            whole,
            spaced,
            bare,
            after,
            append,
            update,
            keeps_empty,
            lead,
        ) = self._reading
        scan = scan_string
        found: Any = None
        pad: str | None = None
        # Texts stand for "message" events: only a template of that name is given them.
        assert not texts or name == "message"
        # Counted from what is left in the iterator, not per event.
        before = length_hint(events)
        # One loop per shape of holes: this is the hottest code of the engines. The text after
        # the last hole is compared whole with one slice (an event ends there); only when that
        # fails is it tried as the bare tail, spaces and the final brace.
        if lead is not None:
            # A number hole, the leaf and maybe a pad (Responses deltas): the number ends at
            # the first character of lead, which no number holds, and its digits must be what
            # the scanner reads as an int.
            ends = lead[0]
            leading = len(lead)
            skip = 0 if joint is None else len(joint) - 1
            for event in events:
                text = event if texts else event.data
                if (texts or event.event == name) and text.startswith(head):
                    stop = text.find(ends, start)
                    digits = text[start:stop]
                    if (
                        0 < stop - start <= _MAX_DIGITS
                        and digits.isdigit()
                        and digits.isascii()
                        and (digits[0] != "0" or stop - start == 1)
                        and text.startswith(lead, stop)
                    ):
                        held = None
                        try:
                            value, end = scan(text, stop + leading)
                            if joint is not None:
                                if not text.startswith(joint, end - 1):
                                    found = event
                                    break
                                held, end = scan(text, end + skip)
                        except ValueError:
                            found = event
                            break
                        if text[end - 1 :] == whole or (spaced and _spaced(text, end, bare, after)):
                            if held is not None:
                                pad = held
                            if value:
                                append(value)
                                if updates is not None and update is not None:
                                    updates.append(update(value))
                            elif keeps_empty:
                                append(value)
                            continue
                found = event
                break
        elif joint is None:
            for event in events:
                text = event if texts else event.data
                if (texts or event.event == name) and text.startswith(head):
                    try:
                        value, end = scan(text, start)
                    except ValueError:
                        found = event
                        break
                    if text[end - 1 :] == whole or (spaced and _spaced(text, end, bare, after)):
                        if value:
                            append(value)
                            if updates is not None and update is not None:
                                updates.append(update(value))
                        elif keeps_empty:
                            append(value)
                        continue
                found = event
                break
        else:
            skip = len(joint) - 1
            for event in events:
                text = event if texts else event.data
                if (texts or event.event == name) and text.startswith(head):
                    try:
                        value, end = scan(text, start)
                        if not text.startswith(joint, end - 1):
                            found = event
                            break
                        held, end = scan(text, end + skip)
                    except ValueError:
                        found = event
                        break
                    if text[end - 1 :] == whole or (spaced and _spaced(text, end, bare, after)):
                        pad = held
                        if value:
                            append(value)
                            if updates is not None and update is not None:
                                updates.append(update(value))
                        elif keeps_empty:
                            append(value)
                        continue
                found = event
                break
        if pad is not None and self._pad is not None:
            # Only the last pad is kept, as the full path keeps it; set before the caller's
            # full path runs, which may fail and take a snapshot.
            into, key = self._pad
            into[key] = pad
        return found, before - length_hint(events) - (found is not None)


def _spaced(text: str, end: int, bare: str, after: int) -> bool:
    """Whether ``text``, whose last hole ends at ``end``, ends with the ``bare`` tail (of
    length ``after`` + 1), any run of spaces and a brace."""
    rest = end + after
    last = len(text) - 1
    return (
        text.startswith(bare, end - 1)
        and text.endswith("}")
        and text.count(" ", rest, last) == last - rest
    )


class FastPath:
    """An engine's template, if it has one, and what learning templates has cost so far.

    The engine reads with :meth:`read` while :attr:`template` is set; learns with :meth:`learn`
    after applying an event the usual way; and drops the template (:meth:`drop`) whenever the
    full path applies an event, or the stream moves on, so that the template is only used while
    nothing else has changed the state since the event it was learned from.
    """

    __slots__ = ("_cost", "_planned", "_wait", "_waited", "reads", "template")

    def __init__(self) -> None:
        self.template: Template | None = None
        self._cost = 0
        # How many events templates have read so far: :meth:`read` counts them, as does an
        # engine that calls :meth:`Template.read` itself.
        self.reads = 0
        # The plan of the last event the full path applied, if it had one.
        self._planned: Plan | None = None
        # While learning does not pay: how many events to let pass before trying again, and how
        # many have passed.
        self._wait = _FIRST_WAIT
        self._waited = 0

    @property
    def gave_up(self) -> bool:
        """Whether learning has stopped for good (see ``_LAST_WAIT``): the engine need not ask
        :meth:`worth_learning` again."""
        return self._wait > _LAST_WAIT

    def drop(self) -> None:
        """Forget the template."""
        self.template = None

    def worth_learning(self) -> bool:
        """Whether learning is likely to be repaid (see ``_FREE_COST``); the engine asks before
        it plans."""
        cost = self._cost
        if cost < _FREE_COST or cost <= self.reads:
            return True
        self._waited += 1
        if self._waited < self._wait:
            return False
        self._waited = 0
        self._wait *= 2
        return True

    def learn(
        self,
        name: str,
        text: str,
        payload: Mapping[str, Any],
        plan: Plan | None,
        pad_into: dict[str, Any] | None = None,
    ) -> None:
        """Learn the template of an event as the dialect planned it (see :func:`learn`) and read
        with it from now on, when the event before was planned alike; count what it cost."""
        self._cost += _PLAN_COST
        planned = self._planned
        self._planned = plan
        if (
            plan is not None
            and planned is not None
            and plan.into.pieces is planned.into.pieces
            and plan.leaf == planned.leaf
        ):
            self._cost += _LEARN_COST
            self.template = learn(
                name, text, payload, plan.leaf, plan.into, plan.pad, pad_into, plan.number
            )

    def read(
        self, events: Iterator[Any], updates: list[ChatUpdate] | None, texts: bool = False
    ) -> Any:
        """:meth:`Template.read` with the template (which must be set): the first event (or
        text) it does not fit, or None."""
        assert self.template is not None
        found, count = self.template.read(events, updates, texts)
        self.reads += count
        return found


def learn(
    name: str,
    text: str,
    payload: Mapping[str, Any],
    leaf: Path,
    into: Leaf,
    pad: Path | None = None,
    pad_into: dict[str, Any] | None = None,
    number: Path | None = None,
) -> Template | None:
    """The template of an event named ``name`` whose data ``text`` parsed to ``payload`` (already
    applied), with holes at the string ``leaf``, when given at the string ``pad`` after it in
    the text, and when given at the int ``number`` before it (see :class:`Plan`); or None when
    the holes cannot be found and proved (see the module). Reading a leaf does what ``into``
    says; the last pad read is kept in ``pad_into`` (when given) under the last key of ``pad``.

    Costs about two parses of ``text``: call it when the template is likely to be used.
    """
    value = _at(payload, leaf)
    if type(value) is not str:
        return None
    holes: list[tuple[Path, Any, Any]] = [(leaf, _SENTINEL_VALUES[0], value)]
    held: Any = None
    if pad is not None:
        held = _at(payload, pad)
        if type(held) is not str:
            return None
        holes.append((pad, _SENTINEL_VALUES[1], held))
    # Where the number hole may be: without one, a single empty span that the loops below take
    # as none.
    numbers: list[tuple[int, int]] = [(0, 0)]
    probed = ""
    if number is not None:
        count = _at(payload, number)
        if type(count) is not int or not 0 <= count < 10**_MAX_DIGITS - 1:
            return None
        numbers = _number_places(text, number, count)
        # Another value in the probe, so that only the hole at its path can hold it.
        probed = str(count + 1)
        holes.append((number, count + 1, count))
    sink = None if pad_into is None or pad is None else (pad_into, str(pad[-1]))
    for start, end in _places(text, leaf, value):
        for number_start, number_end in numbers:
            if number is None:
                head, lead, probe = text[:start], None, text[:start]
            elif number_end < start and text[number_end] in _AFTER_NUMBER:
                head, lead = text[:number_start], text[number_end:start]
                probe = head + probed + lead
            else:
                continue
            if pad is None:
                tail = text[end - 1 :]
                if _proved(probe + _SENTINELS[0] + tail, payload, holes):
                    return Template(name, head, None, tail, into, None, lead)
                continue
            for pad_start, pad_end in _places(text, pad, held):
                if pad_start <= end:
                    continue
                joint, tail = text[end - 1 : pad_start], text[pad_end - 1 :]
                if _proved(probe + _SENTINELS[0] + joint + _SENTINELS[1] + tail, payload, holes):
                    return Template(name, head, joint, tail, into, sink, lead)
    return None


def _at(payload: Any, path: Path) -> Any:
    """The value at ``path`` in ``payload``, or None when there is none."""
    for step in path:
        if type(step) is int:
            if type(payload) is not list or not 0 <= step < len(payload):
                return None
            payload = payload[step]
        elif type(payload) is dict:
            payload = payload.get(step)
        else:
            return None
    return payload


def _key_pattern(key: str, opening: str) -> re.Pattern[str]:
    """The pattern of ``key`` as the text spells it, in any JSON whitespace around the colon,
    followed by ``opening``; a key written with escapes is not found (no template, never a wrong
    one). Keys come from the dialects' code, a handful: each is compiled once."""
    pattern = _KEYS.get((key, opening))
    if pattern is None:
        pattern = re.compile(rf'"{re.escape(key)}"[ \t\n\r]*:[ \t\n\r]*{opening}')
        _KEYS[key, opening] = pattern
    return pattern


def _places(text: str, path: Path, value: str) -> list[tuple[int, int]]:
    """Where a string equal to ``value`` is the value of a key named like the last step of
    ``path``: the span from just after its opening quote to just after its closing one."""
    key = path[-1]
    if type(key) is not str:
        return []
    found: list[tuple[int, int]] = []
    for spot in _key_pattern(key, '"').finditer(text):
        start = spot.end()
        try:
            held, end = scan_string(text, start)
        except ValueError:
            continue
        if held == value:
            found.append((start, end))
            if len(found) == _MAX_CANDIDATES:
                break
    return found


def _number_places(text: str, path: Path, value: int) -> list[tuple[int, int]]:
    """Where ``value``, written in plain digits, is the value of a key named like the last step
    of ``path``: the span of its digits."""
    key = path[-1]
    if type(key) is not str:
        return []
    digits = str(value)
    found: list[tuple[int, int]] = []
    for spot in _key_pattern(key, "").finditer(text):
        start = spot.end()
        end = start + len(digits)
        if text.startswith(digits, start) and text[end : end + 1] in _AFTER_NUMBER:
            found.append((start, end))
            if len(found) == _MAX_CANDIDATES:
                break
    return found


def _proved(probe: str, payload: Mapping[str, Any], holes: list[tuple[Path, Any, Any]]) -> bool:
    """Whether ``probe``, a template's text with sentinels in its holes, parses to ``payload``
    with each hole's sentinel at its path, where ``payload`` holds the hole's original value:
    then the template puts its holes exactly there (see the module)."""
    try:
        parsed = parse_json(probe)
    except InvalidChunkError:
        return False
    for path, sentinel, original in holes:
        parent = _at(parsed, path[:-1])
        if type(parent) is not dict:
            return False
        found = parent.get(path[-1])
        if type(found) is not type(sentinel) or found != sentinel:
            return False
        # Restored, so that the comparison below covers every other value.
        parent[path[-1]] = original
    return bool(parsed == payload)
