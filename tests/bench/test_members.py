"""A consumer group's members as their logs tell it: the last assignment, and when."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.members import Member, member, parse, sharing_since

PREFIX = "bench20261207t204820.drain-exactly-2p-r1.raw"


def text(at: str, message: str, logger: str = "processors.worker") -> str:
    return f"{at} INFO    {logger}: {message}"


def assigned(*partitions: str) -> str:
    return "partitions assigned: " + (", ".join(partitions) or "none")


def test_the_last_assignment_is_what_the_member_held() -> None:
    log = [
        text("2026-12-07 20:49:30,039", "partitions revoked: none"),
        text("2026-12-07 20:49:30,259", assigned(*(f"{PREFIX}.azuga[{n}]" for n in range(6)))),
        text(
            "2026-12-07 20:49:33,363",
            "processing " + f"{PREFIX}.zubie[3] from offset 838",
            "processors.partitions",
        ),
        text("2026-12-07 20:49:33,397", assigned(f"{PREFIX}.azuga[1]", f"{PREFIX}.zf-scalar[4]")),
        text("2026-12-07 20:49:44,989", "processor stopped"),
    ]
    found = member(log)
    assert found.partitions == 2
    assert found.assignments == 2
    assert found.assigned_at == datetime(2026, 12, 7, 20, 49, 33, 397_000).timestamp()


def test_a_member_that_was_never_assigned_holds_nothing() -> None:
    found = member([text("2026-12-07 20:49:30,039", "partitions revoked: none")])
    assert found == Member(0, 0, None)


def test_an_assignment_of_none_is_no_partition() -> None:
    found = member([text("2026-12-07 20:49:30,259", assigned())])
    assert (found.partitions, found.assignments) == (0, 1)


def test_json_lines_carry_their_own_time() -> None:
    line = json.dumps(
        {
            "time": "2026-12-07T20:49:33.397+00:00",
            "level": "info",
            "logger": "processors.worker",
            "message": assigned(f"{PREFIX}.enode[0]", f"{PREFIX}.enode[5]", f"{PREFIX}.motive[2]"),
        }
    )
    found = member([line])
    assert found.partitions == 3
    assert found.assigned_at == datetime.fromisoformat("2026-12-07T20:49:33.397+00:00").timestamp()


def test_a_line_without_a_time_still_counts() -> None:
    assert parse("partitions assigned: a[0]").at is None
    assert member(["partitions assigned: a[0]"]).partitions == 1


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["azuga", "zubie", "zf-scalar", "smartcar"]),
            st.integers(min_value=0, max_value=11),
        ),
        unique=True,
        max_size=48,
    )
)
def test_every_partition_listed_is_counted(partitions: list[tuple[str, int]]) -> None:
    listed = [f"{PREFIX}.{topic}[{n}]" for topic, n in partitions]
    found = member([text("2026-12-07 20:49:30,259", assigned(*listed))])
    assert found.partitions == len(partitions)


def test_the_group_shares_from_the_last_members_assignment() -> None:
    group = [Member(27, 2, 100.0), Member(27, 1, 103.5)]
    assert sharing_since(group) == pytest.approx(103.5)


def test_a_member_left_without_partitions_means_no_sharing() -> None:
    assert sharing_since([Member(54, 1, 100.0), Member(0, 1, 103.5)]) is None
    assert sharing_since([Member(54, 1, 100.0), Member(0, 0, None)]) is None
    assert sharing_since([]) is None
