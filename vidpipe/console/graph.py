"""The state machine as a picture: a simple layered layout of the ASL itself, drawn as SVG by a template.

Nothing here knows the pipeline's state names: any definition lays out the same way. States are placed in
layers by their longest path from ``StartAt`` (back edges of loops ignored), in columns by their branch: a
state reached by ``Next`` (or the first Choice) stays in its parent's column, a Catch, Default or other
Choice target opens a column to the right. A Map (``ItemProcessor`` or the older ``Iterator``) or Parallel
state is a box holding its nested graph(s), laid out the same way. The layout is cached per definition.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

NODE_HEIGHT = 50.0
NODE_MIN_WIDTH = 170.0  # room for the outcome line ("↻ retried · 2 retries")
CHAR_WIDTH = 7.6  # of the 13 px UI font, generously
GAP_X, GAP_Y = 36.0, 34.0
PAD, HEADER = 16.0, 38.0  # inside a Map/Parallel box: padding, and the header with its name
TERMINAL_SIZE = 30.0
START, END = "__start__", "__end__"


@dataclass
class Node:
    """One state (or the Start/End marks), in absolute SVG coordinates."""

    id: str
    name: str
    type: str  # the ASL Type, or "Start"/"End"
    x: float = 0.0
    y: float = 0.0
    w: float = NODE_MIN_WIDTH
    h: float = NODE_HEIGHT
    parent: str | None = None  # the Map/Parallel state it runs inside
    resource: str | None = None
    container: bool = False

    @property
    def cx(self) -> float:
        return self.x + self.w / 2


@dataclass
class Edge:
    source: str
    target: str
    kind: str  # next, choice, default, catch
    d: str = ""  # the SVG path


@dataclass
class Graph:
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    width: float = 0.0
    height: float = 0.0

    def node(self, node_id: str) -> Node | None:
        return next((n for n in self.nodes if n.id == node_id), None)

    def parents(self) -> dict[str, str | None]:
        """State name -> the Map/Parallel state it runs inside (None at the top level)."""
        return {n.id: n.parent for n in self.nodes if n.type not in ("Start", "End")}


def successors(state: dict[str, Any]) -> list[tuple[str, str]]:
    """A state's outgoing transitions, primary first: (target, kind); END for the end of its graph."""
    out: list[tuple[str, str]] = []
    if isinstance(state.get("Next"), str):
        out.append((state["Next"], "next"))
    for choice in state.get("Choices") or []:
        if isinstance(choice, dict) and isinstance(choice.get("Next"), str):
            out.append((choice["Next"], "choice"))
    if isinstance(state.get("Default"), str):
        out.append((state["Default"], "default"))
    for catch in state.get("Catch") or []:
        if isinstance(catch, dict) and isinstance(catch.get("Next"), str):
            out.append((catch["Next"], "catch"))
    if state.get("End") is True or state.get("Type") in ("Succeed", "Fail"):
        out.append((END, "next"))
    return list(dict.fromkeys(out))  # a Catch and a Next to the same state draw one edge each kind


def nested_graphs(state: dict[str, Any]) -> list[dict[str, Any]]:
    """The state machines inside a Map (ItemProcessor/Iterator) or Parallel (Branches) state."""
    if state.get("Type") == "Map":
        inner = state.get("ItemProcessor") or state.get("Iterator")
        return [inner] if isinstance(inner, dict) else []
    if state.get("Type") == "Parallel":
        return [b for b in state.get("Branches") or [] if isinstance(b, dict)]
    return []


@dataclass
class _Block:
    """A laid-out graph in local coordinates, before it is placed inside its parent."""

    nodes: list[Node]
    edges: list[Edge]
    width: float
    height: float


def _layers(
    states: dict[str, Any], start: str, with_marks: bool
) -> tuple[dict[str, int], set[tuple[str, str]]]:
    """Longest-path layer of every state reachable from ``start``; back edges (loops) are returned apart."""
    order: list[str] = []
    back: set[tuple[str, str]] = set()
    on_stack: set[str] = set()
    done: set[str] = set()

    def visit(name: str) -> None:  # iterative would be longer; ASL graphs are small
        on_stack.add(name)
        for target, _kind in successors(states.get(name, {})):
            if target == END or target not in states:
                continue
            if target in on_stack:
                back.add((name, target))
            elif target not in done:
                visit(target)
        on_stack.discard(name)
        done.add(name)
        order.append(name)

    roots = [start] + [n for n in states if n != start]  # unreachable states still get a place
    for root in roots:
        if root in states and root not in done:
            visit(root)
    first = 1 if with_marks else 0
    layer = {name: first for name in states}
    for name in reversed(order):  # reverse post-order is a topological order of the forward edges
        for target, _kind in successors(states[name]):
            if target in states and (name, target) not in back:
                layer[target] = max(layer[target], layer[name] + 1)
    return layer, back


def _columns(states: dict[str, Any], start: str, layer: dict[str, int]) -> dict[str, int]:
    """Primary successors keep their parent's column; the others take the next free column to the right."""
    column: dict[str, int] = {}
    taken: set[tuple[int, int]] = set()

    def place(name: str, wanted: int) -> None:
        col = wanted
        while (layer[name], col) in taken:
            col += 1
        column[name] = col
        taken.add((layer[name], col))

    for root in [start, *states]:
        if root not in states or root in column:
            continue
        place(root, 0)
        stack = [root]
        while stack:
            name = stack.pop()
            targets = [t for t, _kind in successors(states[name]) if t in states and t not in column]
            for index, target in enumerate(targets):
                place(target, column[name] + (0 if index == 0 else 1))
            stack.extend(reversed(targets))  # the primary successor on top: the main path is placed first
    return column


def _layout(definition: dict[str, Any], parent: str | None, with_marks: bool) -> _Block:
    states: dict[str, Any] = {
        k: v for k, v in (definition.get("States") or {}).items() if isinstance(v, dict)
    }
    start = str(definition.get("StartAt", ""))
    layer, back = _layers(states, start, with_marks)
    column = _columns(states, start, layer)
    nodes: dict[str, Node] = {}
    inner: dict[str, list[_Block]] = {}
    for name, state in states.items():
        node = Node(
            name,
            name,
            str(state.get("Type", "?")),
            parent=parent,
            resource=state.get("Resource") if isinstance(state.get("Resource"), str) else None,
        )
        node.w = max(NODE_MIN_WIDTH, CHAR_WIDTH * len(name) + 40)
        blocks = [_layout(g, name, False) for g in nested_graphs(state)]
        if blocks:
            inner[name] = blocks
            node.container = True
            node.w = max(node.w, sum(b.width for b in blocks) + GAP_X * (len(blocks) - 1) + 2 * PAD)
            node.h = HEADER + max(b.height for b in blocks) + PAD
        nodes[name] = node
    if with_marks:
        last = max(layer.values(), default=0) + 1
        layer[START], layer[END], column[START], column[END] = 0, last, 0, 0
        nodes[START] = Node(START, "Start", "Start", w=TERMINAL_SIZE, h=TERMINAL_SIZE, parent=parent)
        nodes[END] = Node(END, "End", "End", w=TERMINAL_SIZE, h=TERMINAL_SIZE, parent=parent)
    # Grid: each column as wide as its widest node, each layer as tall as its tallest.
    widths: dict[int, float] = {}
    heights: dict[int, float] = {}
    for name, node in nodes.items():
        widths[column[name]] = max(widths.get(column[name], 0.0), node.w)
        heights[layer[name]] = max(heights.get(layer[name], 0.0), node.h)
    col_x = _offsets(widths, GAP_X)
    row_y = _offsets(heights, GAP_Y)
    for name, node in nodes.items():
        node.x = col_x[column[name]] + (widths[column[name]] - node.w) / 2
        node.y = row_y[layer[name]] + (heights[layer[name]] - node.h) / 2
    placed: list[Node] = []
    edges: list[Edge] = []
    for name, node in nodes.items():
        placed.append(node)
        x = node.x + PAD
        for block in inner.get(name, []):
            dx = x + (0 if len(inner[name]) > 1 else (node.w - 2 * PAD - block.width) / 2)
            for child in block.nodes:
                child.x += dx
                child.y += node.y + HEADER
            for edge in block.edges:
                edge.d = _shift(edge.d, dx, node.y + HEADER)
            placed += block.nodes
            edges += block.edges
            x += block.width + GAP_X
    if with_marks and start in nodes:
        edges.append(Edge(START, start, "next"))
    for name, state in states.items():
        for target, kind in successors(state):
            if target == END and not with_marks:
                continue
            if target in nodes:
                edges.append(Edge(name, target, kind))
    own = {n.id for n in nodes.values()}
    obstacles = list(nodes.values())
    for edge in edges:
        if edge.source in own and edge.target in own:
            edge.d = _route(
                nodes[edge.source], nodes[edge.target], (edge.source, edge.target) in back, obstacles
            )
    width = max((n.x + n.w for n in nodes.values()), default=0.0)
    height = max((n.y + n.h for n in nodes.values()), default=0.0)
    return _Block(placed, edges, width, height)


def _offsets(sizes: dict[int, float], gap: float) -> dict[int, float]:
    offsets, at = {}, 0.0
    for index in range(max(sizes, default=-1) + 1):
        offsets[index] = at
        at += sizes.get(index, 0.0) + (gap if index in sizes else 0.0)
    return offsets


def _route(a: Node, b: Node, back: bool, obstacles: list[Node]) -> str:
    """An SVG path from ``a`` to ``b``: down and into the top, around the right for loops and blockers."""
    if back or b.y <= a.y:  # up the right side, clear of every node between the two
        top, bottom = min(a.y, b.y), max(a.y + a.h, b.y + b.h)
        between = [n.x + n.w for n in obstacles if n.y < bottom and n.y + n.h > top]
        right = max([a.x + a.w, b.x + b.w, *between]) + GAP_X / 2
        ay, by = a.y + a.h / 2, b.y + b.h / 2
        return f"M{a.x + a.w:.1f},{ay:.1f} H{right:.1f} V{by:.1f} H{b.x + b.w:.1f}"
    x1, y1, x2, y2 = a.cx, a.y + a.h, b.cx, b.y
    lo, hi = min(x1, x2), max(x1, x2)
    blockers = [
        n
        for n in obstacles
        if n is not a and n is not b and n.y < y2 and n.y + n.h > y1 and n.x < hi and n.x + n.w > lo
    ]
    if blockers:  # run down beside the nodes in the way
        side = max(n.x + n.w for n in blockers) + GAP_X / 3
        return (
            f"M{x1:.1f},{y1:.1f} V{y1 + GAP_Y / 3:.1f} H{side:.1f} V{y2 - GAP_Y / 3:.1f} H{x2:.1f} V{y2:.1f}"
        )
    if abs(x1 - x2) < 0.5:
        return f"M{x1:.1f},{y1:.1f} V{y2:.1f}"
    mid = (y1 + y2) / 2
    return f"M{x1:.1f},{y1:.1f} C{x1:.1f},{mid:.1f} {x2:.1f},{mid:.1f} {x2:.1f},{y2:.1f}"


def _shift(d: str, dx: float, dy: float) -> str:
    """Move a path made of absolute M/H/V/C commands and x,y pairs (all that :func:`_route` writes)."""
    out: list[str] = []
    for token in d.split(" "):
        command, numbers = (token[0], token[1:]) if token[0].isalpha() else ("", token)
        if command == "H":
            out.append(f"H{float(numbers) + dx:.1f}")
        elif command == "V":
            out.append(f"V{float(numbers) + dy:.1f}")
        else:
            x, y = numbers.split(",")
            out.append(f"{command}{float(x) + dx:.1f},{float(y) + dy:.1f}")
    return " ".join(out)


@lru_cache(maxsize=32)
def layout(definition_text: str) -> Graph:
    """The graph of an ASL definition (JSON text), with Start and End marks at the top level.

    Raises:
        ValueError: when the text is not a JSON object with ``States``.
    """
    definition = json.loads(definition_text)
    if not isinstance(definition, dict) or not isinstance(definition.get("States"), dict):
        raise ValueError("not an ASL definition: no States")
    block = _layout(definition, None, True)
    margin = 8.0
    for node in block.nodes:
        node.x += margin
        node.y += margin
    for edge in block.edges:
        edge.d = _shift(edge.d, margin, margin)
    return Graph(block.nodes, block.edges, block.width + 2 * margin + GAP_X, block.height + 2 * margin)


def is_analysis(node: Node) -> bool:
    """States that run the worker on ECS (their details show the worker's log)."""
    return bool(node.resource and node.resource.startswith("arn:aws:states:::ecs:runTask"))
