"""Canonical `data` structs, one module per family of event types."""
