"""Patch of moto 5.2.5's Step Functions interpreter: how an execution gets its program from the definition.
Defect 29. Applied by :func:`vidpipe.local.moto_patches.apply`.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

#: Definitions whose parse tree is kept (the local runtime has one state machine; tests create a few hundred).
MAX_KEPT_DEFINITIONS = 64


def _patch_parse_each_definition_once() -> None:
    """Defect 29: every execution parses its state machine's definition again with the ANTLR grammar.

    ``ExecutionWorker._get_evaluation_entrypoint`` lexes and parses the definition (pure-Python ANTLR) and
    turns the parse tree into evaluation components, for each execution. Measured with py-spy on the slot
    benchmark (60 uploads, cap 2; pipeline.asl.json): 10.5% of the runtime process's busy samples, 8.3% of
    them the ANTLR parse. AWS has no such per-execution cost that a caller can see.
    Patch: keep the parse tree of each definition (a tree is only read once built: the components are made
    from it by a fresh ``Preprocessor`` per execution, so no execution shares a component with another).
    Parsed under a lock: a burst of executions starts at once, and each would parse before the first had
    kept its tree (py-spy with ``--gil``: 15% of the interpreter time in the 60-upload burst).
    """
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    @functools.lru_cache(maxsize=MAX_KEPT_DEFINITIONS)
    def parse_tree(definition: str) -> Any:
        return AmazonStateLanguageParser.parse(definition)[1]

    original = ExecutionWorker._get_evaluation_entrypoint
    lock = threading.Lock()

    @functools.wraps(original)
    def _get_evaluation_entrypoint(self: Any) -> Any:
        with lock:
            tree = parse_tree(self._evaluation_details.state_machine_details.definition)
        return Preprocessor().visit(tree)

    ExecutionWorker._get_evaluation_entrypoint = _get_evaluation_entrypoint  # type: ignore[method-assign]


PATCHES: tuple[Callable[[], None], ...] = (_patch_parse_each_definition_once,)
