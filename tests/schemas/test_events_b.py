"""The canonical data structs of the pairing, charging, connectivity and state families."""

from __future__ import annotations

import inspect

import msgspec
import pytest

from schemas.catalog import EVENT_TYPES
from schemas.events import charging, connectivity, pairing, state

MODULES = (pairing, charging, connectivity, state)
STRUCTS = [
    obj
    for module in MODULES
    for obj in vars(module).values()
    if inspect.isclass(obj)
    and issubclass(obj, msgspec.Struct)
    and obj.__module__ == module.__name__
]


@pytest.mark.parametrize("struct", STRUCTS, ids=lambda s: s.__name__)
def test_every_canonical_struct_is_frozen_and_keyword_only(struct: type[msgspec.Struct]) -> None:
    assert struct.__struct_config__.frozen
    positional = [None] * max(1, len(msgspec.structs.fields(struct)))
    with pytest.raises(TypeError, match="positional"):
        struct(*positional)


@pytest.mark.parametrize(
    ("name", "domain"),
    [
        ("device.paired", "devices"),
        ("device.pairing_failed", "devices"),
        ("device.unpaired", "devices"),
        ("charger.command.completed", "charging"),
        ("vehicle.command.completed", "charging"),
        ("vehicle.charging.changed", "charging"),
        ("vehicle.plug.changed", "charging"),
        ("vehicle.battery.soc_reached", "charging"),
        ("vehicle.connected", "connectivity"),
        ("vehicle.disconnected", "connectivity"),
        ("vehicle.connection.failed", "connectivity"),
        ("vehicle.connection.restored", "connectivity"),
        ("vehicle.state.reported", "state"),
    ],
)
def test_the_contract_types_are_registered_with_their_domain(name: str, domain: str) -> None:
    assert EVENT_TYPES[name].domain == domain
    assert EVENT_TYPES[name].data.__module__.startswith("schemas.events.")
