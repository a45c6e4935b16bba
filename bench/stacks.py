"""Sampled call stacks (py-spy's collapsed "raw" format) and where their time goes.

One line per distinct stack: `frame;frame;...;frame COUNT`, outermost first, each frame
`function (file:line)`. Only samples where the thread was on CPU are recorded, so the
shares below are shares of CPU time.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")
PROJECT_PACKAGES = ("fleetwire", "ingress", "processors", "schemas", "bench")
# Functions that run the event loop; with uvloop, whatever runs inside its C code
# (polling, transports, scheduling) is charged to them.
LOOP_FUNCTIONS = frozenset(
    {
        "Runner.run",
        "run_app",
        "BaseEventLoop.run_forever",
        "BaseEventLoop.run_until_complete",
        "BaseEventLoop._run_once",
        "Handle._run",
    }
)
_PROJECT_FILE = re.compile(rf"(?:^|/)(?:{'|'.join(PROJECT_PACKAGES)})/[^/]+\.py$")


@dataclass(frozen=True)
class Stack:
    frames: tuple[str, ...]  # outermost first, `function (file)` without the line
    count: int


def function_of(frame: str) -> str:
    """`function (file)`: the frame without its line number, so lines of one function add up."""
    found = FRAME.match(frame.strip())
    if found is None:
        return frame.strip()
    return f"{found['function']} ({found['file']})"


def parse(text: str) -> list[Stack]:
    stacks = []
    for line in text.splitlines():
        body, _, count = line.rstrip().rpartition(" ")
        if not body or not count.isdigit():
            continue
        stacks.append(Stack(tuple(function_of(f) for f in body.split(";")), int(count)))
    return stacks


def file_of(function: str) -> str:
    found = FRAME.match(function)
    return found["file"] if found else ""


def is_project(function: str) -> bool:
    path = file_of(function)
    return "site-packages" not in path and bool(_PROJECT_FILE.search(path))


def _top_module(path: str) -> str:
    """`aiohttp` of `aiohttp/web.py` (py-spy's short form) or of `.../site-packages/aiohttp/...`."""
    if "site-packages/" in path:
        path = path.split("site-packages/", 1)[1]
    elif "/lib/python" in path:
        path = path.split("/lib/python", 1)[1].partition("/")[2]
    first = path.lstrip("/").split("/", 1)[0]
    return first.removesuffix(".py") or "?"


def area(function: str) -> str:
    """Where a function lives: a project module, a third-party package, or the stdlib."""
    path = file_of(function)
    if is_project(function):
        return path[path.rfind("/", 0, path.rfind("/")) + 1 :].removesuffix(".py")
    top = _top_module(path)
    if top in sys.stdlib_module_names or top.startswith("<"):
        return f"stdlib {top}"
    return top


def kind(function: str) -> str:
    """ "project", "stdlib" or "library": what a frame's colour in a flame graph says."""
    if is_project(function):
        return "project"
    return "stdlib" if area(function).startswith("stdlib") else "library"


def self_time(stacks: Iterable[Stack]) -> Counter[str]:
    """Samples whose innermost frame is the function."""
    counts: Counter[str] = Counter()
    for stack in stacks:
        if stack.frames:
            counts[stack.frames[-1]] += stack.count
    return counts


def inclusive_time(stacks: Iterable[Stack]) -> Counter[str]:
    """Samples with the function anywhere on the stack (once per stack, recursion or not)."""
    counts: Counter[str] = Counter()
    for stack in stacks:
        for function in set(stack.frames):
            counts[function] += stack.count
    return counts


def by_area(stacks: Iterable[Stack]) -> Counter[str]:
    """Self time by where the innermost frame lives (project module, package, stdlib)."""
    counts: Counter[str] = Counter()
    for stack in stacks:
        if stack.frames:
            leaf = stack.frames[-1]
            counts["event loop (uvloop, in C)" if _is_loop(leaf) else area(leaf)] += stack.count
    return counts


def _is_loop(function: str) -> bool:
    found = FRAME.match(function)
    return found is not None and found["function"] in LOOP_FUNCTIONS


def by_task(stacks: Iterable[Stack]) -> Counter[str]:
    """Inclusive time by what the event loop was running: the frame just above it.

    That separates the request handling (aiohttp's `_handle_request`), the Kafka client's
    background work (aiokafka's sender and connection readers) and the loop's own time.
    """
    counts: Counter[str] = Counter()
    for stack in stacks:
        inside = [i for i, f in enumerate(stack.frames) if _is_loop(f)]
        if not inside:
            counts["(outside the event loop)"] += stack.count
        elif inside[-1] + 1 == len(stack.frames):
            counts["(the event loop itself: I/O polling, callbacks, in C)"] += stack.count
        else:
            counts[stack.frames[inside[-1] + 1]] += stack.count
    return counts


def report(title: str, stacks: Sequence[Stack], top: int = 25) -> str:
    total = sum(s.count for s in stacks)
    if not total:
        return f"{title}: no samples\n"

    def table(heading: str, counts: Counter[str], only_project: bool = False) -> list[str]:
        lines = [heading]
        chosen = [(f, n) for f, n in counts.most_common() if not only_project or is_project(f)]
        for function, count in chosen[:top]:
            lines.append(f"  {100 * count / total:5.1f}%  {count:7d}  {function}")
        return [*lines, ""]

    lines = [f"{title}: {total} samples on CPU", ""]
    lines += table("self time (innermost frame):", self_time(stacks))
    lines += table("project functions, inclusive time:", inclusive_time(stacks), True)
    lines += table("what the event loop was running, inclusive time:", by_task(stacks))
    lines += table("self time by area:", by_area(stacks))
    return "\n".join(lines)
