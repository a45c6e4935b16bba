"""The field-coverage table of docs/normalization.md is what the golden files show."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from commands import coverage
from tests.support.providers import REGISTRY


def test_the_committed_table_is_current() -> None:
    doc = coverage.DOC.read_text(encoding="utf-8")
    assert doc == coverage.with_table(doc, REGISTRY), "run `make docs` and commit the result"


def test_a_field_counts_only_where_a_value_is() -> None:
    data = {"a": None, "b": {"c": 1, "d": None}, "e": [{"f": "x"}, {"f": None}], "g": []}
    assert sorted(coverage.filled_paths(data)) == ["b.c", "e[].f"]


def test_every_provider_with_golden_files_has_a_column_and_fills_something() -> None:
    fields = coverage.coverage(coverage.golden_events(REGISTRY))
    filling = set().union(*fields.values())
    assert filling == {p.name for p in REGISTRY if p.golden is not None}
    assert coverage.table(REGISTRY)[0].count("`") == 2 * (len(filling) + 1)


@given(st.recursive(st.none() | st.integers() | st.text(), st.lists))
def test_nothing_but_nulls_and_empty_lists_leaves_no_path(value: object) -> None:
    paths = list(coverage.filled_paths({"root": value}))
    holds_a_value = any(v is not None for v in _leaves(value))
    assert bool(paths) == holds_a_value


def _leaves(value: object) -> list[object]:
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]
