"""A flame graph (SVG) from sampled stacks, so a profile needs no other tool to view.

Width is the share of samples; the root is at the bottom. Project frames are orange,
third-party packages blue, the standard library grey. Hover a frame for its figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

from bench.stacks import Stack, kind

WIDTH = 1800
ROW = 17
CHAR_PX = 6.6
MIN_PX = 0.5


@dataclass
class Node:
    name: str
    count: int = 0
    children: dict[str, Node] = field(default_factory=dict)


def tree(stacks: Sequence[Stack]) -> Node:
    root = Node("all")
    for stack in stacks:
        root.count += stack.count
        node = root
        for frame in stack.frames:
            node = node.children.setdefault(frame, Node(frame))
            node.count += stack.count
    return root


def _depth(node: Node) -> int:
    return 1 + max((_depth(c) for c in node.children.values()), default=0)


COLORS = {"project": "#f4a259", "library": "#8ecae6", "stdlib": "#cfd2d6"}


def _color(name: str) -> str:
    return COLORS[kind(name)]


def svg(stacks: Sequence[Stack], title: str) -> str:
    root = tree(stacks)
    total = max(root.count, 1)
    height = (_depth(root) + 2) * ROW
    scale = WIDTH / total
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'font-family="monospace" font-size="11">',
        f'<text x="4" y="{ROW - 4}">{escape(title)}: {root.count} samples</text>',
    ]

    def draw(node: Node, x: float, level: int) -> None:
        width = node.count * scale
        if width < MIN_PX:
            return
        y = height - (level + 1) * ROW
        share = 100 * node.count / total
        label = node.name
        room = int((width - 4) / CHAR_PX)
        shown = label if len(label) <= room else (label[: room - 2] + ".." if room > 3 else "")
        parts.append(
            f"<g><title>{escape(label)}: {node.count} samples, {share:.1f}%</title>"
            f'<rect x="{x:.1f}" y="{y}" width="{width:.1f}" height="{ROW - 1}" '
            f'fill="{_color(label)}" stroke="#fff" stroke-width="0.3"/>'
            f'<text x="{x + 2:.1f}" y="{y + ROW - 5}">{escape(shown)}</text></g>'
        )
        offset = x
        for child in sorted(node.children.values(), key=lambda c: c.name):
            draw(child, offset, level + 1)
            offset += child.count * scale

    draw(root, 0.0, 0)
    parts.append("</svg>")
    return "\n".join(parts)
