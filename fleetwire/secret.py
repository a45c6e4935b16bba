"""Credentials that no repr, log line or error message can show."""

from __future__ import annotations


class Secret:
    """A credential. Its value is only reachable through `.value`; repr and str hide it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    @property
    def value(self) -> str:
        return self._value

    def encode(self) -> bytes:
        return self._value.encode()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__
