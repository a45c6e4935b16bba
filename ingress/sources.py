"""The sources file: which URL path belongs to which provider, with which credentials.

Webhook sources are read here for the ingress; pull sources (of a provider fleetwire
polls, `fleetwire poll`, see poll/sources.py) share the file and its names but are
skipped here, their credentials unread.

Values are `env:NAME` (read from the environment), `file:PATH` (read from a file) or a
literal (for local development only). Secrets are wrapped in `Secret` so that no repr,
log line or error message can show them.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fleetwire.errors import ConfigError
from fleetwire.secret import Secret

SOURCE_KEYS = frozenset(
    {"name", "provider", "secrets", "basic_auth", "api_key_header", "api_keys", "authorization"}
)
NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_.")
# Providers whose sources are polled rather than posted to the ingress.


@dataclass(frozen=True)
class Source:
    """One webhook subscription: `POST /webhooks/{name}` from `provider`."""

    name: str
    provider: str
    secrets: tuple[Secret, ...] = ()
    basic_auth: tuple[Secret, ...] = ()
    api_key_header: str | None = None
    api_keys: tuple[Secret, ...] = ()
    authorization: tuple[Secret, ...] = ()

    @property
    def where(self) -> str:
        return f"source {self.name!r}"

    def credentials(self) -> frozenset[str]:
        """The names of the credential keys this source sets in the sources file."""
        given = {
            "secrets": bool(self.secrets),
            "basic_auth": bool(self.basic_auth),
            "api_key_header": self.api_key_header is not None,
            "api_keys": bool(self.api_keys),
            "authorization": bool(self.authorization),
        }
        return frozenset(key for key, present in given.items() if present)


def load_sources(
    path: Path,
    providers: Collection[str],
    env: Mapping[str, str] | None = None,
    *,
    polled: Collection[str] = (),
) -> dict[str, Source]:
    """The webhook sources of the file, of `providers`; the sources of a `polled` provider
    are passed over. Raise ConfigError naming the entry at fault."""
    env = os.environ if env is None else env
    sources: dict[str, Source] = {}
    for index, entry in enumerate(read_entries(path)):
        if entry.get("provider") in polled:
            continue  # polled by `fleetwire poll`, never posted here
        source = _source(path, index, entry, providers, env)
        sources[source.name] = source
    return sources


def read_entries(path: Path) -> list[dict[str, Any]]:
    """The `[[sources]]` tables of the file, each with a valid name, names unique."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"FLEETWIRE_SOURCES: {path} does not exist; point FLEETWIRE_SOURCES at a sources file"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"FLEETWIRE_SOURCES: cannot read {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    entries = document.get("sources")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{path}: no [[sources]] entries; define at least one source")
    names: set[str] = set()
    for index, entry in enumerate(entries):
        name = entry_name(path, index, entry)
        if name in names:
            raise ConfigError(f"{path}: duplicate source name {name!r}; names must be unique")
        names.add(name)
    return entries


def entry_name(path: Path, index: int, entry: Any) -> str:
    where = f"{path}: sources[{index}]"
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: must be a table")
    name = entry.get("name")
    if not isinstance(name, str) or not name or not set(name) <= NAME_CHARS:
        raise ConfigError(
            f"{where}: 'name' must be a non-empty string of lowercase letters, digits, "
            "'-', '_' and '.'"
        )
    return name


def _source(
    path: Path, index: int, entry: Any, providers: Collection[str], env: Mapping[str, str]
) -> Source:
    name = entry_name(path, index, entry)
    where = f"{path}: source {name!r}"
    unknown = set(entry) - SOURCE_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    provider = entry.get("provider")
    if not isinstance(provider, str) or provider not in providers:
        raise ConfigError(
            f"{where}: unknown provider {provider!r} (no such provider is installed); "
            f"installed providers: {', '.join(sorted(providers))}"
        )
    header = entry.get("api_key_header")
    if header is not None and (not isinstance(header, str) or not header.strip()):
        raise ConfigError(f"{where}: 'api_key_header' must be a header name")
    return Source(
        name=name,
        provider=provider,
        secrets=_secrets(where, "secrets", entry.get("secrets"), env),
        basic_auth=_secrets(where, "basic_auth", entry.get("basic_auth"), env),
        api_key_header=header.strip() if isinstance(header, str) else None,
        api_keys=_secrets(where, "api_keys", entry.get("api_keys"), env),
        authorization=_secrets(where, "authorization", entry.get("authorization"), env),
    )


def _secrets(where: str, key: str, values: Any, env: Mapping[str, str]) -> tuple[Secret, ...]:
    if values is None:
        return ()
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ConfigError(f"{where}: {key!r} must be a list of strings")
    return tuple(resolve(f"{where}: {key}[{i}]", v, env) for i, v in enumerate(values))


def resolve(where: str, reference: str, env: Mapping[str, str]) -> Secret:
    if reference.startswith("env:"):
        name = reference[4:]
        if name not in env:
            raise ConfigError(f"{where}: environment variable {name} is not set")
        value = env[name]
    elif reference.startswith("file:"):
        try:
            value = Path(reference[5:]).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"{where}: cannot read secret file: {exc.strerror}") from None
    else:
        value = reference
    if not value.strip():
        raise ConfigError(f"{where}: the secret is empty")
    return Secret(value)
