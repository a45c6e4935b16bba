"""The conformance suite over every installed provider, built in or a plugin."""

from providers.conformance.suite import *  # noqa: F403
