"""The signing rules: what a webhook provider's verifier accepts and what it refuses.

Every rule signs with the verifier's own `sign` (what `fleetwire send` posts) and
verifies with `verify`, over the provider's samples and a body that is not JSON (an
authenticated body is published whatever it holds).
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import chain

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict

from fleetwire.errors import AuthenticationError
from ingress.verifier import Verifier
from providers import golden
from providers.conformance.sources import NotApplicable, full, rotated, verifier_class
from providers.registry import installed
from providers.spec import Provider

# A fixed moment, so that a failure is the same on every run: 2025-10-31T07:39:10Z.
NOW = 1_761_896_350.0
NOT_JSON = b"\x00 not JSON \xff"
DAY_S = 24 * 60 * 60
# Headers any delivery may carry beside the provider's own.
COMMON_HEADERS = ("Authorization", "Content-Type", "Content-Encoding")


def bodies(provider: Provider, verifier: Verifier) -> list[bytes]:
    """The provider's samples that are deliveries (not handshakes), and a non-JSON body."""
    samples = [path.read_bytes() for path in golden.valid_samples(provider)]
    samples += [path.read_bytes() for path in golden.invalid_samples(provider)]
    return [*(body for body in samples if not handshake(verifier, body)), NOT_JSON]


def handshake(verifier: Verifier, body: bytes) -> bool:
    """Whether `body` is a handshake the ingress answers rather than publishes."""
    try:
        return verifier.challenge(CIMultiDict(verifier.sign(body, NOW)), body) is not None
    except AuthenticationError:
        return True  # a handshake, if a malformed one


def accepts(
    provider: Provider,
    verifier: Verifier,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float,
    what: str,
) -> None:
    try:
        verifier.verify(CIMultiDict(headers), body, now)
    except AuthenticationError as exc:
        raise AssertionError(
            f"{provider.name}: {what}: refused ({exc.reason}: {exc}), should be accepted"
        ) from None


def refuses(
    provider: Provider,
    verifier: Verifier,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float,
    what: str,
) -> None:
    try:
        verifier.verify(CIMultiDict(headers), body, now)
    except AuthenticationError:
        return
    except Exception as exc:
        raise AssertionError(
            f"{provider.name}: {what}: verify raised {type(exc).__name__}: {exc}; it must "
            "raise AuthenticationError"
        ) from None
    raise AssertionError(f"{provider.name}: {what}: accepted, should be refused")


def signs_and_verifies_with_every_secret(provider: Provider) -> None:
    """Each rotated credential signs; the source holding all of them verifies."""
    everyone = full(provider)
    for held in rotated(provider):
        for body in bodies(provider, everyone):
            signed = held.verifier.sign(body, NOW)
            what = f"signed with {held.what}"
            accepts(provider, held.verifier, signed, body, now=NOW, what=f"{what}, verified by it")
            accepts(
                provider,
                everyone,
                signed,
                body,
                now=NOW,
                what=f"{what}, verified by the source holding every credential",
            )
    _signs_any_body(provider, everyone)


def _signs_any_body(provider: Provider, verifier: Verifier, max_examples: int = 50) -> None:
    @settings(max_examples=max_examples, deadline=None, database=None)
    @given(body=st.binary(max_size=2000))
    def signed_and_verified(body: bytes) -> None:
        if not handshake(verifier, body):
            accepts(provider, verifier, verifier.sign(body, NOW), body, now=NOW, what="any body")

    signed_and_verified()


def refuses_a_tampered_body(provider: Provider) -> None:
    verifier = full(provider)
    if not provider.body_signed:
        raise NotApplicable(f"{provider.name}'s credential does not cover the body")
    for body in bodies(provider, verifier):
        signed = verifier.sign(body, NOW)
        for tampered in (_flipped(body), body + b" "):
            refuses(
                provider, verifier, signed, tampered, now=NOW, what="a body changed after signing"
            )


def refuses_a_wrong_secret(provider: Provider) -> None:
    """What one rotated credential signed, a source holding only another refuses."""
    verifier_class(provider)
    held = rotated(provider)
    for body in bodies(provider, full(provider)):
        for signer in held:
            signed = signer.verifier.sign(body, NOW)
            for other in held:
                if other.key == signer.key and other.index != signer.index:
                    refuses(
                        provider,
                        other.verifier,
                        signed,
                        body,
                        now=NOW,
                        what=f"signed with {signer.what}, verified by one holding {other.what}",
                    )


def refuses_a_missing_header(provider: Provider) -> None:
    """Without any one of the headers `sign` makes, or without all of them: refused."""
    verifier = full(provider)
    for body in bodies(provider, verifier):
        signed = verifier.sign(body, NOW)
        if not signed:
            raise AssertionError(f"{provider.name}: sign() made no header at all")
        refuses(
            provider, verifier, {}, body, now=NOW, what="a delivery without any credential header"
        )
        for name in signed:
            less = {key: value for key, value in signed.items() if key != name}
            refuses(provider, verifier, less, body, now=NOW, what=f"a delivery without {name}")


def keeps_its_replay_window(provider: Provider) -> None:
    """A timed scheme refuses a delivery signed outside its window, either way, and accepts
    one inside; an untimed one accepts it a day later or earlier (else declare the window)."""
    verifier = full(provider)
    window = provider.replay_window_s
    body = bodies(provider, verifier)[0]
    signed = verifier.sign(body, NOW)
    if window is None:
        for offset in (-DAY_S, DAY_S):
            try:
                verifier.verify(CIMultiDict(signed), body, NOW + offset)
            except AuthenticationError as exc:
                raise AssertionError(
                    f"{provider.name}: refuses a delivery verified {offset:+d} s after "
                    f"signing ({exc.reason}) but declares no replay_window_s"
                ) from None
        return
    margin = max(1, min(60, window // 2))
    for offset in (window - margin, -(window - margin)):
        accepts(
            provider,
            verifier,
            signed,
            body,
            now=NOW + offset,
            what=f"verified {offset:+d} s after signing, inside its {window} s window",
        )
    for offset in (window + margin, -(window + margin)):
        refuses(
            provider,
            verifier,
            signed,
            body,
            now=NOW + offset,
            what=f"verified {offset:+d} s after signing, outside its {window} s window",
        )


def only_ever_fails_authentication(provider: Provider, max_examples: int = 150) -> None:
    """Whatever headers and body arrive, a verifier accepts, or raises AuthenticationError."""
    verifier = full(provider)
    signed = verifier.sign(NOT_JSON, NOW)
    # Its own headers, and those of the other providers: a source may be sent anything.
    others = [p.delivery_headers for p in installed() if p.name != provider.name]
    names = sorted({*signed, *provider.delivery_headers, *COMMON_HEADERS, *chain(*others)})
    values = st.one_of(
        st.text(max_size=80),
        st.sampled_from(sorted(signed.values())),
        st.from_regex(r"(sha256=|v1,|v1a,|Basic |Bearer |)[A-Za-z0-9+/=_-]{0,70}", fullmatch=True),
        st.integers(0, 2_000_000_000).map(str),
    )
    samples = [path.read_bytes() for path in golden.valid_samples(provider)]
    body_strategy = st.binary(max_size=500) | st.sampled_from([NOT_JSON, *samples])

    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        report_multiple_bugs=False,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(
        headers=st.lists(st.tuples(st.sampled_from(names), values), max_size=6),
        body=body_strategy,
    )
    def attempt(headers: list[tuple[str, str]], body: bytes) -> None:
        received = CIMultiDict(headers)
        try:
            verifier.verify(received, body, NOW)
            verifier.challenge(received, body)
            verifier.delivery_id(received, body)
        except AuthenticationError:
            pass
        except Exception as exc:
            raise AssertionError(
                f"{provider.name}: the verifier raised {type(exc).__name__}: {exc}; it must "
                "accept or raise AuthenticationError"
            ) from None

    attempt()


def _flipped(body: bytes) -> bytes:
    if not body:
        return b"\x01"
    middle = len(body) // 2
    return body[:middle] + bytes([body[middle] ^ 0x01]) + body[middle + 1 :]
