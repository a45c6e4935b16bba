"""The `data` structs of the canonical event types, one module per domain."""
