"""Sampled stacks: parsing py-spy's collapsed format, where the time goes, the flame graph."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from bench import flamegraph, stacks

LOOP = "Runner.run (asyncio/runners.py:118)"
COLLAPSED = f"""\
process 1:"python fleetwire ingress";main (fleetwire/cli.py:60);{LOOP};handle (ingress/app.py:52);\
publish (ingress/publisher.py:61);murmur2 (aiokafka/partitioner.py:70) 30
process 1:"python fleetwire ingress";main (fleetwire/cli.py:60);{LOOP};handle (ingress/app.py:55) 10
process 1:"python fleetwire ingress";main (fleetwire/cli.py:60);{LOOP};handle (ingress/app.py:53);\
uuid4 (uuid.py:721) 5
process 1:"python fleetwire ingress";main (fleetwire/cli.py:60);{LOOP} 15
process 1:"python fleetwire ingress";main (fleetwire/cli.py:60);{LOOP};\
Sender._send (/x/site-packages/aiokafka/producer/sender.py:288) 40
"""


def test_lines_of_a_function_add_up() -> None:
    parsed = stacks.parse(COLLAPSED)
    assert sum(s.count for s in parsed) == 100
    assert stacks.self_time(parsed)["handle (ingress/app.py)"] == 10
    assert stacks.inclusive_time(parsed)["handle (ingress/app.py)"] == 45


def test_project_frames_are_told_from_libraries() -> None:
    assert stacks.is_project("handle (ingress/app.py)")
    assert stacks.is_project("x (/work/repo/processors/zubie.py)")
    assert not stacks.is_project("murmur2 (aiokafka/partitioner.py)")
    assert not stacks.is_project("f (/v/lib/python3.11/site-packages/ingress/app.py)")
    assert stacks.area("f (/v/lib/python3.11/site-packages/aiohttp/web.py)") == "aiohttp"
    assert stacks.area("uuid4 (uuid.py)") == "stdlib uuid"
    assert stacks.area("murmur2 (aiokafka/partitioner.py)") == "aiokafka"
    assert stacks.area("f (/usr/lib/python3.11/asyncio/tasks.py)") == "stdlib asyncio"
    assert stacks.kind("murmur2 (aiokafka/partitioner.py)") == "library"
    assert stacks.area("handle (ingress/app.py)") == "ingress/app"


def test_time_is_split_by_what_the_loop_ran() -> None:
    tasks = stacks.by_task(stacks.parse(COLLAPSED))
    assert tasks["handle (ingress/app.py)"] == 45
    assert tasks["Sender._send (/x/site-packages/aiokafka/producer/sender.py)"] == 40
    assert sum(v for k, v in tasks.items() if k.startswith("(the event loop")) == 15


def test_the_report_names_the_hot_spots() -> None:
    text = stacks.report("ingress", stacks.parse(COLLAPSED))
    assert "100 samples" in text
    assert "murmur2 (aiokafka/partitioner.py)" in text
    assert "project functions, inclusive time:" in text
    assert stacks.report("nothing", []) == "nothing: no samples\n"


def test_lines_that_are_not_stacks_are_skipped() -> None:
    assert stacks.parse("\nnot a stack\nmain (a.py:1) x\n") == []


frames = st.sampled_from(["a (m/a.py:1)", "b (m/b.py:2)", "c (ingress/c.py:3)", "d (d.py:4)"])
sampled = st.lists(
    st.tuples(st.lists(frames, min_size=1, max_size=6), st.integers(1, 50)), max_size=30
)


@given(sampled)
def test_the_flame_graph_is_svg_and_children_fit_in_parents(
    data: list[tuple[list[str], int]],
) -> None:
    parsed = [stacks.Stack(tuple(map(stacks.function_of, f)), n) for f, n in data]
    root = flamegraph.tree(parsed)
    assert root.count == sum(n for _, n in data)

    def check(node: flamegraph.Node) -> None:
        assert sum(c.count for c in node.children.values()) <= node.count
        for child in node.children.values():
            check(child)

    check(root)
    document = ET.fromstring(flamegraph.svg(parsed, "t <&>"))
    assert document.tag.endswith("svg")
