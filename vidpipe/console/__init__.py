"""The vidpipe web console: executions drawn as graphs, jobs with their results as pictures, replay, the
dead-letter queue and uploads, in a browser, for the local runtime and a deployed stack alike.

Every rule is the CLI's (:mod:`vidpipe.cli`): the console calls the same functions and adds rendering.
This module stays light (the CLI imports it at ``--help`` time); the web stack loads in :mod:`.app`.
"""

from __future__ import annotations

from typing import Final

HOST: Final = "127.0.0.1"  # the console never listens anywhere else
DEFAULT_PORT: Final = 8040
