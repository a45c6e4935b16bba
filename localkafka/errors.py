"""The one exception the launcher raises for anything a user can fix."""

from __future__ import annotations


class LauncherError(Exception):
    """Shown to the user as one line (plus a log tail where there is one); exit status 1."""
