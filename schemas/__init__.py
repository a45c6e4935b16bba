"""msgspec structs: every provider's payloads and the canonical events."""
