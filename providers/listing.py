"""What `fleetwire providers` prints: one block per installed provider."""

from __future__ import annotations

from providers.registry import Registry


def listing(registry: Registry) -> str:
    lines: list[str] = []
    for entry in registry.entries():
        provider = entry.provider
        kind = "webhook" if provider.verifier is not None else "pull"
        lines += [
            f"{provider.name}  ({provider.title}, {kind})",
            f"  from:    {entry.distribution} {entry.version}",
            f"  signs:   {provider.scheme}",
            f"  types:   {', '.join(provider.types) or 'none'}",
            "",
        ]
    return "\n".join(lines)
