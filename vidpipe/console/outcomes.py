"""Each state's outcome in one execution (or one Map iteration of it), for colouring the graph.

The outcome of a visit is :attr:`vidpipe.cli.timeline.Step.outcome` (the CLI's ``vidpipe show`` rule); this
module only picks the visits that belong to the selected iteration and names the outcome for people. A
state visited several times there (a redrive re-ran it) shows its latest visit, with every visit listed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from vidpipe.cli.timeline import Step, Timeline
from vidpipe.console.graph import Graph

#: Step.outcome -> (CSS class, icon, words). Colour is never the only signal: icon and words go with it.
#: LEGEND says what each class means.
OUTCOMES: dict[str, tuple[str, str, str]] = {
    "OK": ("succeeded", "✓", "succeeded"),
    "RETRIED": ("retried", "↻", "retried"),  # succeeded after one or more retries
    "CAUGHT": ("caught", "⤳", "caught"),  # failed, and a Catch moved on
    "FAILED": ("failed", "✗", "failed"),
    "TIMED_OUT": ("failed", "⏱", "timed out"),
    "ABORTED": ("failed", "■", "aborted"),
    "RUNNING": ("running", "●", "running"),
    "SUCCEEDED": ("succeeded", "✓", "succeeded"),
}
NOT_REACHED = ("not-reached", "○", "not reached")
LEGEND = (
    ("succeeded", "✓", "succeeded"),
    ("retried", "↻", "retried, then succeeded"),
    ("caught", "⤳", "failed, caught (a Catch moved on)"),
    ("failed", "✗", "failed, timed out or aborted"),
    ("running", "●", "running"),
    NOT_REACHED,
)
_WORST = ["failed", "running", "caught", "retried", "succeeded", "not-reached"]


@dataclass
class StateView:
    """What the graph shows of one state: its outcome (class, icon, words), retries and its visits."""

    name: str
    css: str
    icon: str
    words: str
    retries: int = 0
    visits: list[Step] = field(default_factory=list)

    @property
    def label(self) -> str:
        text = f"{self.icon} {self.words}"
        if self.retries:
            text += f" · {self.retries} retr{'y' if self.retries == 1 else 'ies'}"
        if len(self.visits) > 1:
            text += f" · {len(self.visits)} visits"
        return text


@dataclass(frozen=True)
class Iteration:
    """One Map iteration: its index, what it processed (when its input says) and its worst outcome."""

    map_name: str
    index: int
    label: str
    css: str
    words: str


def view_of(name: str, visits: list[Step]) -> StateView:
    if not visits:
        return StateView(name, *NOT_REACHED)
    css, icon, words = OUTCOMES.get(visits[-1].outcome, ("failed", "?", visits[-1].outcome.lower()))
    return StateView(name, css, icon, words, sum(v.retries for v in visits), visits)


def iterations(timeline: Timeline) -> dict[str, list[Iteration]]:
    """Map state -> its iterations, in index order."""
    by_map: dict[tuple[str, int], list[Step]] = {}
    for step in timeline.steps:
        if step.iteration is not None:
            by_map.setdefault(step.iteration, []).append(step)
    result: dict[str, list[Iteration]] = {}
    for (map_name, index), steps in sorted(by_map.items(), key=lambda item: (item[0][0], item[0][1])):
        views = {
            name: view_of(name, [s for s in steps if s.name == name]) for name in {s.name for s in steps}
        }
        worst = min(views.values(), key=lambda v: _WORST.index(v.css)) if views else None
        css, words = (worst.css, worst.words) if worst else (NOT_REACHED[0], NOT_REACHED[2])
        result.setdefault(map_name, []).append(
            Iteration(map_name, index, _item_label(steps[0].input, index), css, words)
        )
    return result


def item_field(text: str | None, name: str) -> str | None:
    """A string field of a state's input, at the top or one level down (``{"job": {"job_id": ...}}``)."""
    try:
        document = json.loads(text or "")
    except ValueError:
        return None
    if isinstance(document, dict):
        for value in [document, *document.values()]:
            if isinstance(value, dict) and isinstance(value.get(name), str):
                return str(value[name])
    return None


def _item_label(text: str | None, index: int) -> str:
    """``#0 demo/clip.mp4`` when the iteration's input names a ``key``, else ``#0``."""
    key = item_field(text, "key")
    return f"#{index} {key}" if key else f"#{index}"


def default_iteration(found: dict[str, list[Iteration]]) -> int:
    """The iteration shown first: the first one that failed, else the first."""
    for items in found.values():
        for item in items:
            if item.css == "failed":
                return item.index
    return 0


def state_views(graph: Graph, timeline: Timeline, iteration: int) -> dict[str, StateView]:
    """Every state of the graph with its outcome in the execution, inside Maps in iteration ``iteration``."""
    parents = graph.parents()
    visits: dict[str, list[Step]] = {name: [] for name in parents}
    for step in timeline.steps:
        if step.name not in visits:
            continue  # a state of another definition (the history is older than the graph)
        inside = parents[step.name]
        if inside is None or step.iteration is None or step.iteration[1] == iteration:
            visits[step.name].append(step)
    return {name: view_of(name, steps) for name, steps in visits.items()}


def summary(views: dict[str, StateView]) -> dict[str, Any]:
    """How many states ended each way (the legend's counts)."""
    counts: dict[str, int] = {}
    for view in views.values():
        counts[view.css] = counts.get(view.css, 0) + 1
    return counts
