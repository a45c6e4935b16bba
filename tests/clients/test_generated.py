"""The client's canonical structs are copies of schemas/, kept in step by `make schemas`."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest

from fleetwire_events import TYPES
from schemas import client
from schemas.catalog import EVENT_TYPES
from schemas.jsonschema import schema


def test_the_client_copies_match_schemas() -> None:
    assert client.drift() == [], "run `make schemas` and commit the result"


def test_a_copy_that_drifted_is_reported(tmp_path: Path) -> None:
    client.write(tmp_path)
    assert client.drift(tmp_path) == []
    charging = tmp_path / "events" / "charging.py"
    charging.write_text(charging.read_text().replace("soc_percent: float\n", "soc: float\n"))
    (tmp_path / "events" / "gone.py").write_text(f"{client.HEADER} from schemas/events/gone.py\n")
    (tmp_path / "canonical.py").unlink()
    assert client.drift(tmp_path) == [
        "canonical.py: missing",
        "events/gone.py: no longer in schemas/",
        "events/charging.py: differs from schemas/",
    ]
    client.write(tmp_path)
    assert client.drift(tmp_path) == []


def test_a_struct_module_importing_beyond_msgspec_cannot_be_copied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "events").mkdir()
    (tmp_path / "canonical.py").write_text("from fleetwire.settings import Settings\n")
    monkeypatch.setattr(client, "SCHEMAS", tmp_path)
    with pytest.raises(client.CopyError, match=r"imports fleetwire\.settings"):
        client.rendered()


@pytest.mark.parametrize("name", sorted(EVENT_TYPES))
def test_every_type_has_the_same_struct_domain_and_schema_in_the_client(name: str) -> None:
    ours, theirs = EVENT_TYPES[name], TYPES[name]
    assert theirs.data.__module__ == ours.data.__module__.replace("schemas.", "fleetwire_events.")
    assert theirs.data.__qualname__ == ours.data.__qualname__
    assert (theirs.domain, theirs.version, theirs.schema_file) == (
        ours.domain,
        ours.version,
        ours.schema_file,
    )
    generated = msgspec.json.schema(theirs.data)
    assert {k: v for k, v in schema(ours).items() if k in generated} == generated


def test_the_client_imports_without_fleetwire() -> None:
    """Installed on its own the client has msgspec only: fleetwire must not be needed."""
    code = (
        "import sys; sys.modules['fleetwire'] = None; sys.modules['schemas'] = None; "
        "sys.modules['aiokafka'] = None; import fleetwire_events, fleetwire_events.security; "
        "print(len(fleetwire_events.TYPES))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(len(EVENT_TYPES))
    assert importlib.import_module("fleetwire_events.consumer")  # with the kafka extra
