"""fleetwire: vehicle-telematics webhooks in, one canonical event stream out."""

__version__ = "0.1.0"
