"""`fleetwire provider new NAME`: a new provider as a plugin distribution, ready to install.

`files(NAME)` is the whole distribution as relative path -> text, from the templates in
providers/template/ (`$name`, `$package`, ... filled in). Its golden file is not a
template: it is what the generated normalizer makes of the generated sample, by the
golden convention (providers.golden), so the two agree by construction. `write` puts the
files on disk, refusing a name already installed or a directory that is not empty.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from string import Template
from types import ModuleType

from fleetwire.errors import ConfigError, FleetwireError
from providers import golden
from providers.spec import NAME, Provider

TEMPLATE = Path(__file__).resolve().parent / "template"
SUFFIX = ".tmpl"


@dataclass(frozen=True)
class Names:
    """Every spelling of a provider's name that the distribution uses."""

    name: str  # acme-fleet

    @property
    def parts(self) -> list[str]:
        return [part for part in self.name.split("-") if part]

    @property
    def package(self) -> str:
        return f"fleetwire_provider_{self.name.replace('-', '_')}"

    @property
    def distribution(self) -> str:
        return f"fleetwire-provider-{self.name}"

    @property
    def title(self) -> str:
        return " ".join(part.capitalize() for part in self.parts)

    @property
    def cls(self) -> str:
        return "".join(part.capitalize() for part in self.parts)

    @property
    def header(self) -> str:
        return f"X-{'-'.join(part.capitalize() for part in self.parts)}-Signature"

    @property
    def env(self) -> str:
        return f"{self.name.upper().replace('-', '_')}_SECRET"

    def substitutions(self) -> dict[str, str]:
        return {
            "name": self.name,
            "package": self.package,
            "dist": self.distribution,
            "title": self.title,
            "cls": self.cls,
            "header": self.header,
            "env": self.env,
            # The plugin needs at least the fleetwire whose API it was written against.
            "fleetwire_version": version("fleetwire"),
        }


def check_name(name: str) -> None:
    if not NAME.fullmatch(name):
        raise ConfigError(
            f"provider name {name!r}: use 1 to 40 lowercase letters, digits and '-', "
            "starting with a letter (it names the sources file's provider and the topics)"
        )


def default_directory(name: str) -> Path:
    return Path(Names(name).distribution)


def files(name: str) -> dict[str, str]:
    """The distribution for provider `name`: relative path -> file text."""
    check_name(name)
    names = Names(name)
    values = names.substitutions()
    tree = {
        _target(relative, names): Template(text).substitute(values)
        for relative, text in _templates()
    }
    tree.update(_golden_files(names, tree))
    return dict(sorted(tree.items()))


def write(name: str, out: Path | None, installed: Mapping[str, str]) -> Path:
    """Write the distribution into `out` (default ./fleetwire-provider-NAME); return it.

    `installed` maps the installed providers' names to where each comes from.
    """
    check_name(name)
    if name in installed:
        raise ConfigError(
            f"provider {name!r} is already installed (from {installed[name]}); choose another name"
        )
    directory = default_directory(name) if out is None else out
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise FleetwireError(
            f"{directory} already exists and is not an empty directory; nothing was written: "
            "remove it or choose another --out"
        )
    for relative, text in files(name).items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return directory


def _templates() -> Iterator[tuple[str, str]]:
    for path in sorted(TEMPLATE.rglob(f"*{SUFFIX}")):
        yield path.relative_to(TEMPLATE).as_posix(), path.read_text(encoding="utf-8")


def _target(relative: str, names: Names) -> str:
    """`package/verifier.py.tmpl` -> `fleetwire_provider_acme/verifier.py`."""
    path = relative.removesuffix(SUFFIX)
    first, _, rest = path.partition("/")
    return f"{names.package}/{rest}" if first == "package" else path


def _golden_files(names: Names, tree: Mapping[str, str]) -> dict[str, str]:
    provider = _provider(names, tree)
    samples = f"{names.package}/samples/"
    return {
        f"{names.package}/golden/{path.removeprefix(samples)}": golden.text(
            golden.canonical_events(provider, text.encode())
        )
        for path, text in tree.items()
        if path.startswith(samples) and ".invalid." not in path
    }


def _provider(names: Names, tree: Mapping[str, str]) -> Provider:
    """The generated `PROVIDER`, imported from `tree` without writing it anywhere.

    It is imported under a private package name that is removed again afterwards, so
    nothing of it outlives the call, whatever is installed under the real name.
    """
    alias = f"_fleetwire_scaffold_{names.package}"
    prefix = f"{names.package}/"
    modules = {
        path.removeprefix(prefix).removesuffix(".py").replace("/", "."): text
        for path, text in tree.items()
        if path.startswith(prefix) and path.endswith(".py")
    }
    finder = _InMemory(alias, modules)
    sys.meta_path.insert(0, finder)
    try:
        provider = importlib.import_module(alias).PROVIDER
    finally:
        sys.meta_path.remove(finder)
        for loaded in [m for m in sys.modules if m == alias or m.startswith(f"{alias}.")]:
            del sys.modules[loaded]
    if not isinstance(provider, Provider):
        raise TypeError(f"the template's PROVIDER is a {type(provider).__name__}")
    return provider


class _InMemory(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports one package whose modules' sources are given as text."""

    def __init__(self, package: str, modules: Mapping[str, str]) -> None:
        self._package = package
        self._modules = modules  # "__init__", "verifier", ...

    def find_spec(
        self, fullname: str, path: object = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        key = self._key(fullname)
        if key not in self._modules:
            return None
        spec = importlib.machinery.ModuleSpec(
            fullname, self, origin=f"{key}.py", is_package=key == "__init__"
        )
        spec.has_location = True
        return spec

    def exec_module(self, module: ModuleType) -> None:
        key = self._key(module.__name__)
        code = compile(self._modules[key], f"<scaffold {key}.py>", "exec")
        exec(code, module.__dict__)  # noqa: S102 - the code of our own templates

    def _key(self, fullname: str) -> str:
        """The module's key in `modules`; "" (no module's) for a name outside the package."""
        if fullname == self._package:
            return "__init__"
        if fullname.startswith(f"{self._package}."):
            return fullname.removeprefix(f"{self._package}.")
        return ""
