"""Redaction over-redacts: every credential form a client, a server or an error message can show
is gone from the sidecar, whatever its spelling."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import given
from hypothesis import strategies as st

import sseproto
from sseproto.fixtures.format import load_fixture, sidecar_path
from sseproto.fixtures.record import Headers
from sseproto.fixtures.redact import REDACTED, is_secret_name, redact, redact_headers

SECRET = "s3cr3t-Value_0123456789"
KEY = "sk-proj-AbCdEf0123456789xyz"


def record_one(
    path: Path,
    failure: Exception | None = None,
    *,
    url: str | None = None,
    headers: Headers | None = None,
) -> str:
    """Record a one-read stream of that exchange and return the sidecar's text."""

    def reads() -> Iterator[bytes]:
        yield b"data: x\n\n"
        if failure is not None:
            raise failure

    recorder = sseproto.record(reads(), path, url=url, headers=headers)
    if failure is None:
        list(recorder)
    else:
        with pytest.raises(type(failure)):
            list(recorder)
    return sidecar_path(path).read_text(encoding="utf-8")


# -- URLs -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url,redacted",
    [
        (f"https://{KEY}@api.example.com/v1", "https://<redacted>@api.example.com/v1"),
        (f"https://user:{SECRET}@h/v1", "https://<redacted>@h/v1"),
        (f"https://h/v1#access_token={SECRET}", "https://h/v1#<redacted>"),
        (f"https://h/v1#{SECRET}", "https://h/v1#<redacted>"),
        (f"https://h/v1?alt=sse;key={SECRET}", "https://h/v1?alt=sse;key=<redacted>"),
        (f"https://h/v1?alt=sse;key={SECRET};n=1", "https://h/v1?alt=sse;key=<redacted>;n=1"),
        (f"https://h/v1?accessToken={SECRET}&n=1", "https://h/v1?accessToken=<redacted>&n=1"),
        (f"https://h/v1?auth={SECRET}", "https://h/v1?auth=<redacted>"),
        (f"https://h/v1?token={SECRET}", "https://h/v1?token=<redacted>"),
        (f"https://h/v1?sig={SECRET}/x%2B==&se=2030", "https://h/v1?sig=<redacted>&se=2030"),
        (f"https://h/v1?X-Amz-Signature={SECRET}", "https://h/v1?X-Amz-Signature=<redacted>"),
        (f"https://h/v1?api%5Fkey={SECRET}", "https://h/v1?api%5Fkey=<redacted>"),
        (f"https://h/app;jsessionid={SECRET}/x", "https://h/app;jsessionid=<redacted>"),
        (f"/v1/chat?key={SECRET}", "/v1/chat?key=<redacted>"),
    ],
)
def test_every_credential_form_in_a_url_is_redacted(url: str, redacted: str) -> None:
    assert redact(url) == redacted


def test_a_recorded_url_keeps_no_credential(tmp_path: Path) -> None:
    url = f"https://{KEY}@h/v1?alt=sse;accessToken={SECRET}#sig={SECRET}"
    text = record_one(tmp_path / "s.sse", url=url)
    assert SECRET not in text and KEY not in text
    recording = load_fixture(tmp_path / "s.sse").recording
    assert recording is not None
    # An unquoted value runs to the next separator: the fragment goes with the token.
    assert recording.url == "https://<redacted>@h/v1?alt=sse;accessToken=<redacted>"


# -- headers ----------------------------------------------------------------------------------

SECRET_HEADERS = [
    "Authorization", "X-Authorization", "X-Forwarded-Authorization", "Authentication",
    "Proxy-Authorization", "X-ApiKey", "X-Api-Key", "api_key", "x-goog-api-key", "Cookie",
    "Set-Cookie", "X-Session-Id", "X-Auth-Token", "X-Amz-Security-Token", "X-Signature",
    "Client-Secret", "X-Credential", "Password",
]  # fmt: skip


@pytest.mark.parametrize("name", SECRET_HEADERS)
def test_every_credential_header_is_redacted(name: str) -> None:
    assert redact_headers([(name, SECRET)]) == ((name, "<redacted>"),)


def test_headers_given_as_raw_bytes_are_decoded_then_redacted(tmp_path: Path) -> None:
    # httpx's response.headers.raw is a list of byte pairs, aiohttp's raw_headers a tuple of them.
    raw = [(b"Content-Type", b"text/event-stream"), (b"Authorization", f"Bearer {KEY}".encode())]
    for headers in (raw, tuple(raw)):
        path = tmp_path / "s.sse"
        text = record_one(path, headers=headers)
        assert KEY not in text and "b'" not in text
        recording = load_fixture(path).recording
        assert recording is not None
        assert recording.headers == (
            ("Content-Type", "text/event-stream"),
            ("Authorization", "<redacted>"),
        )


def test_a_credential_inside_a_harmless_headers_value_is_redacted() -> None:
    headers = [
        ("Link", f"<https://h/next?token={SECRET}>; rel=next"),
        ("X-Debug", f"Bearer {KEY}"),
        ("Content-Type", "text/event-stream; charset=utf-8"),
    ]
    assert redact_headers(headers) == (
        ("Link", "<https://h/next?token=<redacted>>; rel=next"),
        ("X-Debug", "Bearer <redacted>"),
        ("Content-Type", "text/event-stream; charset=utf-8"),
    )


# -- names in any spelling --------------------------------------------------------------------

# The words a secret name may contain, as the redaction promises them.
WORDS = [
    "key", "token", "auth", "secret", "password", "signature", "sig", "credential", "session",
    "cookie",
]  # fmt: skip
SEPARATORS = st.sampled_from(["", "-", "_", ".", " "])
AFFIX = st.text(alphabet="abcxyz019-_.", max_size=8)


@st.composite
def spellings(draw: st.DrawFn) -> str:
    """A secret word in any case, with separators anywhere in it, inside any other name."""
    word = draw(st.sampled_from(WORDS))
    letters = [
        (letter.upper() if draw(st.booleans()) else letter) + draw(SEPARATORS) for letter in word
    ]
    return draw(AFFIX) + "".join(letters) + draw(AFFIX)


@given(name=spellings())
def test_a_name_containing_a_secret_word_in_any_spelling_is_secret(name: str) -> None:
    assert is_secret_name(name)
    assert redact(f"?{name.replace(' ', '+')}={SECRET}") == f"?{name.replace(' ', '+')}=<redacted>"
    assert redact_headers([(name, SECRET)]) == ((name, "<redacted>"),)


@pytest.mark.parametrize(
    "name", ["Content-Type", "X-Request-Id", "OpenAI-Organization", "openai-processing-ms", "alt"]
)
def test_harmless_names_are_kept(name: str) -> None:
    assert not is_secret_name(name)


# -- free text: a transport error's message ---------------------------------------------------


@pytest.mark.parametrize(
    "message,redacted",
    [
        (
            f"Client error '401 Unauthorized' for url 'https://h/v1?key={SECRET}&alt=sse'",
            "Client error '401 Unauthorized' for url 'https://h/v1?key=<redacted>&alt=sse'",
        ),
        (
            f"Max retries exceeded with url: /v1/chat?api_key={SECRET} (Caused by X)",
            "Max retries exceeded with url: /v1/chat?api_key=<redacted> (Caused by X)",
        ),
        (f"rejected Bearer {KEY} for h", "rejected Bearer <redacted> for h"),
        (f"Authorization: Bearer {KEY}", "Authorization: <redacted>"),
        (f"{{'authorization': 'Bearer {KEY}', 'n': 1}}", "{'authorization': '<redacted>', 'n': 1}"),
        (f'{{"password": "two words {SECRET}"}}', '{"password": "<redacted>"}'),
        (f"cannot connect to https://{KEY}@h:443", "cannot connect to https://<redacted>@h:443"),
        (f"invalid key {KEY} given", "invalid key <redacted> given"),
        (f"key AIza{SECRET}0123456789", "key <redacted>"),
        ("peer closed connection without sending complete message body", None),
        (
            f'body \'{{\\"api_key\\": \\"{SECRET}\\"}}\'',
            'body \'{\\"api_key\\": \\"<redacted>\\"}\'',
        ),
        (f"headers [('x-api-key', '{SECRET}')]", "headers [('x-api-key', '<redacted>')]"),
        (f"{{b'x-api-key': b'{SECRET}'}}", "{b'x-api-key': b'<redacted>'}"),
        (f'{{"keys": ["{SECRET}", "{KEY}"], "n": 1}}', '{"keys": <redacted>, "n": 1}'),
        (f'{{"auth": {{"value": "{SECRET}"}}, "n": 1}}', '{"auth": <redacted>, "n": 1}'),
        (f"api_key: [{SECRET}", "api_key: <redacted>"),
        (f"Bearer: {SECRET}", "Bearer: <redacted>"),
    ],
)
def test_credentials_in_free_text_are_redacted(message: str, redacted: str | None) -> None:
    assert redact(message) == (message if redacted is None else redacted)


def test_a_transport_errors_message_is_redacted_in_the_sidecar(tmp_path: Path) -> None:
    failure = ConnectionError(f"lost https://h/v1?key={SECRET} (Authorization: Bearer {KEY})")
    text = record_one(tmp_path / "s.sse", failure)
    assert SECRET not in text and KEY not in text
    recording = load_fixture(tmp_path / "s.sse").recording
    assert recording is not None
    assert recording.ending.error_message == (
        "lost https://h/v1?key=<redacted> (Authorization: <redacted>)"
    )


@given(text=st.text(max_size=80))
def test_redaction_is_idempotent(text: str) -> None:
    once = redact(text)
    assert redact(once) == once


# The shapes a secret-named pair takes in an error's message: a query or header line, JSON (also
# inside a JSON string, its quotes escaped), a Python repr of a dict or of header pairs (as str or
# as bytes), a list or an object as the value.
PAIR_SHAPES = [
    "{name}={value}",
    "{name}: {value}",
    '"{name}": "{value}"',
    "'{name}': '{value}'",
    '\\"{name}\\": \\"{value}\\"',
    "('{name}', '{value}')",
    "(b'{name}', b'{value}')",
    '"{name}": ["x", "{value}"]',
    '"{name}": {{"value": "{value}"}}',
    "{name}: Bearer {value}",
]


@given(
    shape=st.sampled_from(PAIR_SHAPES),
    name=st.sampled_from(["api_key", "Authorization", "x-goog-api-key", "accessToken", "Cookie"]),
    value=st.from_regex(r"[A-Za-z0-9_-]{12,30}", fullmatch=True),
    around=st.tuples(*[st.text(alphabet=" .,;:()[]{}'\"=&?/\n", max_size=8)] * 2),
)
def test_a_secret_named_value_is_redacted_in_every_shape(
    shape: str, name: str, value: str, around: tuple[str, str]
) -> None:
    text = f"{around[0]} {shape.format(name=name, value=value)} {around[1]}"
    assert value not in redact(text)


# -- percent-encoded pairs inside another value ------------------------------------------------


@pytest.mark.parametrize(
    "text,redacted",
    [
        (
            f"https://h/p?next=https%3A%2F%2Fg%2Fx%3Fkey%3D{SECRET}",
            "https://h/p?next=https%3A%2F%2Fg%2Fx%3Fkey%3D<redacted>",
        ),
        (f"url=https://h/?key%3D{SECRET}", "url=https://h/?key%3D<redacted>"),
        # The escaped "&" ends the name: the pair is "key" and the secret, not "key%3D...%26a".
        (f"?u=key%3D{SECRET}%26a%3Db", "?u=key%3D<redacted>%26a%3Db"),
        (f"?u=key%253D{SECRET}%2526a%253Db", "?u=key%253D<redacted>%2526a%253Db"),
        (f"?u=x%3Fapi%5Fkey%3D{SECRET}/x&n=1", "?u=x%3Fapi%5Fkey%3D<redacted>&n=1"),
        (f"?u=%3Fto%6Ben%3D{SECRET}%2B%3D%3B%3D1", "?u=%3Fto%6Ben%3D<redacted>%3B%3D1"),
        (f"moved to g%2Fx%3Fsig%3D{SECRET} (302)", "moved to g%2Fx%3Fsig%3D<redacted> (302)"),
        (f"?u=AccessToken%253d{SECRET}%2522", "?u=AccessToken%253d<redacted>%2522"),
        # Three encodings, and more: each is undone in turn.
        (f"?u=key%25253D{SECRET}%252526a", "?u=key%25253D<redacted>%252526a"),
        (f"?u=key%2525252525253D{SECRET}", "?u=key%2525252525253D<redacted>"),
        # A header line or a JSON pair, encoded: what decodes to a shape is read as that shape.
        (
            f"?h=Authorization%3A%20Bearer%20{KEY}%0Ax%3A1",
            "?h=Authorization%3A%20<redacted>%0Ax%3A1",
        ),
        (
            f"?j=%7B%22api_key%22%3A%20%22{SECRET}%22%7D",
            "?j=%7B%22api_key%22%3A%20%22<redacted>%22%7D",
        ),
        (f"?u=x%3FBearer%2520{SECRET}", "?u=x%3FBearer%2520<redacted>"),
        (f"?u=https%3A%2F%2F{KEY}%40h%2Fv1", "?u=https%3A%2F%2F<redacted>%40h%2Fv1"),
        # A nested URL's fragment, encoded once or twice, is a fragment.
        (f"?u=https%3A%2F%2Fh%2Fcb%23{SECRET}", "?u=https%3A%2F%2Fh%2Fcb%23<redacted>"),
        (f"?u=https%253A%252F%252Fh%2523{SECRET}", "?u=https%253A%252F%252Fh%2523<redacted>"),
        # An escape of a token's own characters: decoded, it is a key's shape.
        (f"k=sk-proj%2D{SECRET}", "k=<redacted>"),
    ],
)
def test_a_percent_encoded_pair_is_redacted(text: str, redacted: str) -> None:
    assert redact(text) == redacted


@pytest.mark.parametrize(
    "text",
    [
        "?next=https%3A%2F%2Fg%2Fx%3Fq%3Dmonkey%26page%3D2",
        "?next=%2Fv1%2Fmodels%3Falt%3Dsse",
        "50% off, 100%25 sure: a%3Db%26c%3Dd",
        # An encoded "#" in a URL's own value, the URL plain or nested, starts no fragment.
        "https://h/p?lang=C%23&x=1&y=2",
        "?next=https%3A%2F%2Fh%2Fp%3Flang%3DC%2523%26x%3D1",
        "https://h/p?lang=C%2523&x=1",
    ],
)
def test_a_harmless_percent_encoded_pair_is_kept(text: str) -> None:
    assert redact(text) == text


@given(
    name=st.sampled_from(["key", "api_key", "x-goog-api-key", "accessToken", "sig", "auth"]),
    value=st.from_regex(r"[A-Za-z0-9_-]{12,30}", fullmatch=True),
    before=st.text(alphabet="abc=&;?/:#%+.-_ ", max_size=8),
    after=st.text(alphabet="abc=&;?/:#%+.-_ ", max_size=8),
    times=st.integers(1, 4),
    around=st.tuples(*[st.text(alphabet=" .,;:()[]{}'\"=&?/%\n", max_size=8)] * 2),
)
def test_a_percent_encoded_secret_pair_in_a_url_never_keeps_its_secret(
    name: str,
    value: str,
    before: str,
    after: str,
    times: int,
    around: tuple[str, str],
) -> None:
    inner = f"https://g/x?{before}&{name}={value}&{after}"
    for _ in range(times):
        inner = quote(inner, safe="")
    text = f"{around[0]}https://h/p?next={inner}&n=1{around[1]}"
    assert value not in redact(text)


@given(
    shape=st.sampled_from(PAIR_SHAPES),
    name=st.sampled_from(["api_key", "Authorization", "x-goog-api-key", "accessToken", "Cookie"]),
    value=st.from_regex(r"[A-Za-z0-9_-]{12,30}", fullmatch=True),
    times=st.integers(1, 4),
    plus=st.booleans(),
    around=st.tuples(*[st.text(alphabet=" .,;:()[]{}'\"=&?/%\n", max_size=8)] * 2),
)
def test_a_secret_pair_of_any_shape_quoted_up_to_four_times_keeps_no_secret_and_nothing_else(
    shape: str,
    name: str,
    value: str,
    times: int,
    plus: bool,
    around: tuple[str, str],
) -> None:
    """Whatever the shape (a header line, JSON, a repr), quoted 1 to 4 times as a parameter's
    value: the secret is gone, and the redaction, mapped back onto the encoded text, replaces
    a part of it only (the parameter's name and what follows the encoded pair are kept)."""
    encoded = shape.format(name=name, value=value)
    for _ in range(times):
        encoded = quote_plus(encoded, safe="") if plus else quote(encoded, safe="")
    text = f"{around[0]} ?next={encoded}&n=1{around[1]}"
    redacted = redact(text)
    assert value not in redacted
    assert f" ?next={encoded[:3]}" in redacted
    assert redacted.count(REDACTED) == 1 + around[0].count(REDACTED) + around[1].count(REDACTED)


@pytest.mark.parametrize(
    "unit",
    ["key%3D", "%3Fkey%3Da", "key%253D%2526", "a%41", "key%3D%", "%25", "%" * 7 + "3d"],
)
def test_redacting_encoded_pairs_is_linear(unit: str) -> None:
    """A 10x longer text may cost at most 40x more CPU time (linear: ~10x; quadratic: ~100x),
    plus 1 ms of slack; the longer text is retried only while it looks too slow."""

    def cost(count: int) -> float:
        text = unit * count
        started = time.process_time()
        redact(text)
        return time.process_time() - started

    small = min(cost(2_000) for _ in range(3))
    bound = 40 * small + 0.001
    assert any(cost(20_000) < bound for _ in range(3))
