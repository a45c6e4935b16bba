"""The signed request mix: every known provider's samples, signed as the provider would.

Signing uses each source's own verifier (`sign()`), so the mix follows the ingress: a
provider whose verifier is merged joins the mix without a change here. Handshakes (a
verifier answers them with `challenge()` instead of publishing) are left out: they are
not deliveries.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from multidict import CIMultiDict

from ingress.sources import Source, load_sources
from ingress.verifier import Verifier
from providers.registry import installed

BENCH_SOURCES = Path(__file__).resolve().parent / "sources.toml"
SAMPLES = Path(__file__).resolve().parent.parent / "tests" / "samples"


@dataclass(frozen=True)
class SignedRequest:
    source: str
    path: str
    headers: dict[str, str]
    body: bytes


def known_entries(path: Path, providers: Collection[str]) -> list[dict[str, Any]]:
    """The `[[sources]]` entries of `path` whose provider the ingress knows."""
    document = tomllib.loads(path.read_text(encoding="utf-8"))
    return [entry for entry in document["sources"] if entry.get("provider") in providers]


def sources_toml(entries: Sequence[Mapping[str, Any]]) -> str:
    """Entries of strings and lists of strings as TOML (JSON's strings are TOML's)."""
    lines = []
    for entry in entries:
        lines.append("[[sources]]")
        lines.extend(f"{key} = {json.dumps(value)}" for key, value in entry.items())
        lines.append("")
    return "\n".join(lines)


def write_sources(dest: Path, template: Path = BENCH_SOURCES) -> dict[str, Source]:
    """Write the sources the ingress can load to `dest`; return them, loaded as it will."""
    dest.write_text(sources_toml(known_entries(template, installed().verifiers)), encoding="utf-8")
    return load_sources(dest, installed().verifiers, env={})


def sample_bodies(provider: str, samples: Path = SAMPLES) -> list[bytes]:
    """The provider's valid samples, byte for byte (the `*.invalid.json` ones are not)."""
    paths = sorted((samples / provider).glob("*.json"))
    return [p.read_bytes() for p in paths if not p.name.endswith(".invalid.json")]


def sign(verifier: Verifier, body: bytes, now: float) -> dict[str, str] | None:
    """Headers that authenticate `body`, or None if it is a handshake and not a delivery."""
    headers = verifier.sign(body, now)
    headers.setdefault("Content-Type", "application/json")
    view = CIMultiDict(headers)
    verifier.verify(view, body, now)  # a mix the ingress would refuse measures nothing
    if verifier.challenge(view, body) is not None:
        return None
    return headers


def signed_mix(
    sources: Mapping[str, Source], now: float, samples: Path = SAMPLES
) -> list[SignedRequest]:
    """Round-robin over sources, each cycling through its samples, every sample once at least.

    Providers weigh the same whatever their number of samples.
    """
    per_source: list[list[SignedRequest]] = []
    for name, source in sorted(sources.items()):
        verifier = installed().verifier(source)
        signed = []
        for body in sample_bodies(source.provider, samples):
            headers = sign(verifier, body, now)
            if headers is not None:
                signed.append(SignedRequest(name, f"/webhooks/{name}", headers, body))
        if signed:
            per_source.append(signed)
    if not per_source:
        raise ValueError("no source has a sample to send")
    rounds = max(len(requests) for requests in per_source)
    return [requests[i % len(requests)] for i in range(rounds) for requests in per_source]


# One provider's body at two sizes, so the servers' cost per byte shows: the compiled
# receiver verifies only Zubie's signature, so both are Zubie's.
BODY_PROVIDER = "zubie"
TYPICAL_SAMPLE = "trip_end.json"  # a provider's typical delivery, byte for byte


def small_body(samples: Path = SAMPLES) -> bytes:
    """The smallest of the provider's valid samples, without whitespace (360 bytes today)."""
    compact = [
        json.dumps(json.loads(body), separators=(",", ":")).encode()
        for body in sample_bodies(BODY_PROVIDER, samples)
    ]
    return min(compact, key=len)


def typical_body(samples: Path = SAMPLES) -> bytes:
    return (samples / BODY_PROVIDER / TYPICAL_SAMPLE).read_bytes()


BODIES = {"small": small_body, "typical": typical_body}


def signed_body(sources: Mapping[str, Source], body: bytes, now: float) -> list[SignedRequest]:
    """`body` as a delivery to the first source of BODY_PROVIDER."""
    name, source = next((n, s) for n, s in sorted(sources.items()) if s.provider == BODY_PROVIDER)
    headers = sign(installed().verifier(source), body, now)
    if headers is None:
        raise ValueError(f"the {BODY_PROVIDER} body is a handshake, not a delivery")
    return [SignedRequest(name, f"/webhooks/{name}", headers, body)]
