"""Tell the operator when the local runtime restarted: its state is in memory, so a restart resets it.

The runtime tags the stack it registers with a boot id and its start time (``vidpipe.local.defaults``). The
CLI remembers, per endpoint, the boot ids it has seen (``$XDG_STATE_HOME/vidpipe/local-runtimes.json``,
default ``~/.local/state``). The first command that meets a new boot prints one line about the restart on
stderr; after a restart, a lookup that finds nothing says that the state was reset instead of suggesting the
object was never uploaded. Nothing is stored for AWS targets.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vidpipe.local.defaults import BOOT_ID_TAG, STARTED_AT_TAG

KEPT_BOOTS = 5  # per endpoint


def state_path() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "vidpipe" / "local-runtimes.json"


@dataclass(frozen=True)
class LocalBoot:
    """The local runtime the CLI talks to, and whether it has restarted since the CLI first saw it."""

    endpoint: str
    boot_id: str
    started_at: str
    restarted: bool  # an earlier boot was seen at this endpoint: state from before it is gone
    first_contact: bool  # this command is the first to see this boot

    def notice(self) -> str:
        return (
            f"the local runtime at {self.endpoint} was restarted at {self.started_at} and its state reset "
            "(it keeps everything in memory: jobs, executions and uploads from before are gone)"
        )

    def not_found(self, what: str) -> str:
        """The message for a lookup of ``what`` that found nothing after a restart."""
        return f"no {what}: {self.notice()}; upload the video again"


def _load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def observe(endpoint: str, stack: Mapping[str, Any], path: Path | None = None) -> LocalBoot | None:
    """Record the boot of the runtime whose stack is ``stack`` (a DescribeStacks entry); None when untagged.

    A state file that cannot be written is not an error: the notice is only a courtesy.
    """
    tags = {t.get("Key"): t.get("Value") for t in stack.get("Tags", []) or []}
    boot_id, started_at = tags.get(BOOT_ID_TAG), tags.get(STARTED_AT_TAG)
    if not boot_id:
        return None
    path = path or state_path()
    data = _load(path)
    seen: list[str] = [str(b) for b in data.get(endpoint, [])]
    first_contact = boot_id not in seen
    boot = LocalBoot(
        endpoint, str(boot_id), str(started_at or "?"), restarted=any(b != boot_id for b in seen),
        first_contact=first_contact and bool(seen),
    )  # fmt: skip
    if first_contact:
        data[endpoint] = [*seen, boot_id][-KEPT_BOOTS:]
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(data, indent=2), "utf-8")
        except OSError:
            pass
    return boot
