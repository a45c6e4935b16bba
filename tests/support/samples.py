"""The providers' sample payloads, copied into tests/samples (see its README)."""

from __future__ import annotations

from pathlib import Path

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def sample(provider: str, name: str) -> bytes:
    return (SAMPLES / provider / f"{name}.json").read_bytes()


def valid_samples(provider: str) -> list[Path]:
    """Samples that are JSON and vehicle events (not `.invalid.json`, not `.ping.json`)."""
    return sorted(
        p
        for p in (SAMPLES / provider).glob("*.json")
        if not p.name.endswith((".invalid.json", ".ping.json"))
    )


def ping_samples(provider: str) -> list[Path]:
    """A provider's test deliveries and heartbeats: authentic, but no vehicle event."""
    return sorted((SAMPLES / provider).glob("*.ping.json"))


def invalid_samples(provider: str) -> list[Path]:
    return sorted((SAMPLES / provider).glob("*.invalid.json"))
