"""Defaults of the local runtime, in a module light enough for the CLI to import at ``--help`` time."""

from __future__ import annotations

from pathlib import Path
from typing import Final

DEFAULT_PORT: Final = 4566  # the port AWS tools conventionally use for a local AWS
DEFAULT_MAX_TASKS: Final = 2  # worker processes at once: each decodes video, so a laptop runs few
DEFAULT_LOG_DIR: Final = Path(".vidpipe") / "logs"
# Tags of the stack the runtime registers: which run of the runtime the CLI talks to (state is in memory).
BOOT_ID_TAG: Final = "vidpipe:local-boot-id"
STARTED_AT_TAG: Final = "vidpipe:local-started-at"
