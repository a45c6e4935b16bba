"""docs/events.md and the README's domain table are current, and what they say is true."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from commands import eventsdoc
from schemas.catalog import DOMAINS, EVENT_TYPES
from tests.support.golden import GOLDEN
from tests.support.providers import REGISTRY


def test_the_events_document_is_up_to_date() -> None:
    assert eventsdoc.DOC.read_text() == eventsdoc.render(), (
        "docs/events.md is out of date: run `make docs` and commit it"
    )


def test_the_readme_domain_table_is_up_to_date() -> None:
    readme = eventsdoc.README.read_text()
    assert readme == eventsdoc.readme_with_domains(readme), (
        "README.md's domain table is out of date: run `make docs` and commit it"
    )


def test_check_reports_a_stale_document_and_table(tmp_path: Path) -> None:
    doc, readme = tmp_path / "events.md", tmp_path / "README.md"
    readme.write_text(f"# x\n{eventsdoc.README_BEGIN}\n| old |\n{eventsdoc.README_END}\n")
    assert len(eventsdoc.stale(doc, readme)) == 2
    doc.write_text(eventsdoc.render())
    readme.write_text(eventsdoc.readme_with_domains(readme.read_text()))
    assert eventsdoc.stale(doc, readme) == []
    assert "| old |" not in readme.read_text()


def test_a_readme_without_the_markers_is_an_error() -> None:
    with pytest.raises(ValueError, match="markers"):
        eventsdoc.readme_with_domains("# no table here\n")


def golden_events() -> list[dict[str, object]]:
    return [event for path in GOLDEN.glob("*/*.json") for event in json.loads(path.read_text())]


ORIGINS = REGISTRY.origins()


def test_every_type_has_provider_events_and_every_domain_a_guide() -> None:
    assert ORIGINS.keys() == EVENT_TYPES.keys()
    assert all(ORIGINS.values())
    assert eventsdoc.DOMAIN_GUIDE.keys() == set(DOMAINS)
    assert {o.provider for origins in ORIGINS.values() for o in origins} == set(REGISTRY.names)


def test_every_type_is_documented_with_a_real_event_of_that_type() -> None:
    chosen = eventsdoc.examples()
    assert chosen.keys() == EVENT_TYPES.keys()
    document = eventsdoc.DOC.read_text()
    for name, example in chosen.items():
        assert example.event["type"] == name
        assert example.event in golden_events()
        assert json.dumps(example.event, indent=2, ensure_ascii=False) in document
        assert f"#### `{name}`" in document


def test_a_type_without_a_golden_event_cannot_be_documented(tmp_path: Path) -> None:
    (tmp_path / "zubie").mkdir()
    (tmp_path / "zubie" / "trip_end.json").write_text(
        (GOLDEN / "zubie" / "trip_end.json").read_text()
    )
    with pytest.raises(ValueError, match=r"no golden event of type .*vehicle\.trip\.started"):
        eventsdoc.examples(tmp_path)


def test_every_data_object_a_type_links_to_is_described() -> None:
    objects = eventsdoc.data_objects()
    assert {t.data.__name__ for t in EVENT_TYPES.values()} <= objects.keys()
    document = eventsdoc.DOC.read_text()
    for name in objects:
        assert f'<a id="{eventsdoc.anchor(name)}"></a>' in document
    for target in ("Vehicle", "Location"):
        assert f"](#{eventsdoc.anchor(target)})" in document


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "string"}, "string"),
        ({"anyOf": [{"type": "number"}, {"type": "null"}]}, "number or null"),
        ({"$ref": "#/$defs/Trip"}, "[Trip](#data-trip)"),
        ({"type": "array", "items": {"$ref": "#/$defs/Signal"}}, "array of [Signal](#data-signal)"),
        ({"enum": ["normal", "severe"]}, '`"normal"` or `"severe"`'),
        ({"type": "object", "additionalProperties": {}}, "object"),
        ({}, "any JSON value"),
    ],
)
def test_json_types_read_as_a_person_would_say_them(
    schema: dict[str, object], expected: str
) -> None:
    assert eventsdoc.json_type(schema) == expected
