"""EventBridge event-pattern matching, for the pipe's filter criteria and the status-change rule.

moto's :class:`moto.events.models.EventPattern` implements the comparison operators (exact values, prefix,
suffix, anything-but, exists, numeric, wildcard, $or) but flattens only nested *objects*: a pattern field
under an array of objects (``body.Records.eventName`` of an S3 notification) never matches. EventBridge
flattens arrays too (a field matches when any element's value matches), so this module reuses moto's
operators with an array-aware flattening.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from moto.events.models import EventPattern as _MotoEventPattern


def _flatten(node: Any, prefix: str, out: dict[str, Any]) -> None:
    """Collect leaf values by dotted path; values reached through arrays accumulate into lists."""
    if isinstance(node, Mapping) and node:
        for key, value in node.items():
            _flatten(value, f"{prefix}.{key}" if prefix else key, out)
    elif isinstance(node, list) and any(isinstance(item, Mapping) for item in node):
        for item in node:
            _flatten(item, prefix, out)
    else:
        values = node if isinstance(node, list) else [node]
        existing = out.get(prefix)
        if existing is None and prefix not in out:
            out[prefix] = node
        else:
            merged = existing if isinstance(existing, list) else [existing]
            out[prefix] = [*merged, *values]


class EventPattern(_MotoEventPattern):
    """An EventBridge pattern whose fields may sit under arrays of objects."""

    def matches_event(self, event: Any) -> bool:
        if not self._pattern:
            return True
        flat: dict[str, Any] = {}
        _flatten(json.loads(json.dumps(event)), "", flat)
        return bool(self._does_event_match(flat, self._pattern))


def compile_pattern(pattern: str | Mapping[str, Any]) -> EventPattern:
    """Parse and validate a pattern given as JSON text or as a mapping."""
    text = pattern if isinstance(pattern, str) else json.dumps(pattern)
    compiled = EventPattern.load(text)
    assert isinstance(compiled, EventPattern)
    return compiled


def matches_any(patterns: Iterable[EventPattern], event: Any) -> bool:
    """True when ``event`` matches one of ``patterns`` (no patterns: everything matches, like an unfiltered pipe)."""
    compiled = list(patterns)
    return not compiled or any(p.matches_event(event) for p in compiled)
