"""Everyday command-line tools around a running pipeline."""
