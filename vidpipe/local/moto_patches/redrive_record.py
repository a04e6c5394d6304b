"""What an execution's states did, kept for RedriveExecution (moto 5.2.5 records nothing it could resume from).

AWS: a redrive "continues the failed execution from the unsuccessful step and uses the same input"; successful
steps are not re-run, and an inline Map or Parallel state "reschedules and redrives only the iterations and
branches that failed or aborted" (RedriveExecution API reference). A state is unsuccessful when its
``<stateType>Entered`` event has no matching ``Exited`` event (Step Functions developer guide, "Redriving Map
Runs").

Every evaluation frame (the execution itself, each inline Map iteration, each Parallel branch) carries a
:class:`FrameRecord`: the state it entered last, with that state's input and the variables of its scope. States
run one at a time within a frame, so when a frame did not end, its last entered state is the unsuccessful one.
A Map or Parallel state entered in a frame adds a :class:`BranchRun` with one :class:`ItemRecord` per iteration
or branch (its own frame record, and its output when it succeeded).

A frame succeeded only when one of its own states ended it (``End``, ``Succeed``): moto ends the frames of a
Map's other iterations when one fails (``set_ended`` on the Map's timeout frame), and its iteration worker then
reports those aborted iterations as succeeded with whatever input they had reached.

A redriven frame gets the previous attempt's record as ``resume``: its program starts at the recorded state
with the recorded input; a Map or Parallel state entered there reuses the outputs of the succeeded
iterations/branches and resumes the others the same way. The docs do not say whether a failed inline-Map
iteration resumes at its failed state or at its first state: :func:`set_iteration_start` selects either
(default :attr:`IterationStart.FAILED_STATE`).

Applied by :func:`vidpipe.local.moto_patches.apply` (the redrive API is :mod:`.redrive`).
"""

from __future__ import annotations

import copy
import enum
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

RECORD_ATTR = "_vidpipe_record"  # the FrameRecord of an Environment (frames inherit their parent's)


class IterationStart(enum.StrEnum):
    """Where a redriven Map iteration or Parallel branch that did not succeed starts again."""

    FAILED_STATE = "failed-state"  # the state that failed or was aborted, with its original input
    FIRST_STATE = "first-state"  # the iteration's first state, with the iteration's input


@dataclass
class FrameRecord:
    """One evaluation frame: the state it entered last and the Map/Parallel runs started in it."""

    state: str | None = None
    input: Any = None
    variables: dict[str, Any] = field(default_factory=dict)
    runs: dict[str, BranchRun] = field(default_factory=dict)  # by state name: the latest run of that state
    resume: FrameRecord | None = None  # the previous attempt of this frame; consumed by its first state
    completed: bool = False  # a state of this frame ended it (End: true, Succeed)


@dataclass
class ItemRecord:
    """One Map iteration or Parallel branch."""

    frame: FrameRecord
    succeeded: bool = False
    output: Any = None


@dataclass
class BranchRun:
    """One run of a Map or Parallel state: its iterations/branches by index."""

    kind: str  # "map", "distributed-map" or "parallel"
    previous: BranchRun | None = None  # the run this one redrives
    items: dict[int, ItemRecord] = field(default_factory=dict)

    def previous_item(self, index: int) -> ItemRecord | None:
        return self.previous.items.get(index) if self.previous is not None else None


_SETTINGS_LOCK = threading.Lock()
_iteration_start = IterationStart.FAILED_STATE


def set_iteration_start(start: IterationStart | str) -> None:
    """Choose where redriven Map iterations and Parallel branches that did not succeed start again."""
    global _iteration_start
    with _SETTINGS_LOCK:
        _iteration_start = IterationStart(start)


def iteration_start() -> IterationStart:
    with _SETTINGS_LOCK:
        return _iteration_start


def record_of(env: Any) -> FrameRecord | None:
    record: FrameRecord | None = getattr(env, RECORD_ATTR, None)
    return record


def unsuccessful_path(record: FrameRecord) -> list[tuple[str, BranchRun | None]]:
    """The unsuccessful states a redrive would enter, outermost first, through the runs that did not succeed."""
    path: list[tuple[str, BranchRun | None]] = []
    pending = [record]
    while pending:
        frame = pending.pop()
        if frame.state is None:
            continue
        run = frame.runs.get(frame.state)
        path.append((frame.state, run))
        if run is not None:
            pending.extend(item.frame for item in run.items.values() if not item.succeeded)
    return path


def _start_item(run: BranchRun, index: int) -> ItemRecord:
    """The record of a (re)started iteration/branch, resuming the previous attempt where one exists."""
    previous = run.previous_item(index)
    frame = FrameRecord()
    if previous is not None and iteration_start() is IterationStart.FAILED_STATE:
        frame.resume = previous.frame
    item = run.items[index] = ItemRecord(frame)
    return item


# ---------------------------------------------------------------------------------------------------------
# patches
# ---------------------------------------------------------------------------------------------------------


def _patch_frames_inherit_the_record() -> None:
    """Frames (a state's timeout frame, Map workers) see the record of the frame that opened them."""
    from moto.stepfunctions.parser.asl.eval.environment import Environment

    original = Environment.as_inner_frame_of.__func__

    def as_inner_frame_of(
        cls: Any, env: Any, variable_store: Any, event_history_frame_cache: Any = None
    ) -> Any:
        frame = original(cls, env, variable_store, event_history_frame_cache)
        record = record_of(env)
        if record is not None:
            setattr(frame, RECORD_ATTR, record)
        return frame

    Environment.as_inner_frame_of = classmethod(as_inner_frame_of)  # type: ignore[assignment]


def _patch_execution_gets_a_record() -> None:
    """Every execution's environment starts with an empty record (a redrive's worker sets its own)."""
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    original = ExecutionWorker._get_evaluation_environment

    def _get_evaluation_environment(self: Any) -> Any:
        env = original(self)
        if record_of(env) is None:
            setattr(env, RECORD_ATTR, FrameRecord())
        return env

    ExecutionWorker._get_evaluation_environment = _get_evaluation_environment


def _patch_state_entry() -> None:
    """Record each state entry: name, input and variables; a Map/Parallel state also opens a BranchRun."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.distributed_iteration_component import (
        DistributedIterationComponent,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.state_map import StateMap
    from moto.stepfunctions.parser.asl.component.state.exec.state_parallel.state_parallel import StateParallel
    from moto.stepfunctions.parser.asl.component.state.state import CommonStateField

    original = CommonStateField._eval_body

    def _eval_body(self: Any, env: Any) -> None:
        record = record_of(env)
        if record is not None:
            resumed = record.resume
            record.resume = None
            record.state = self.name
            record.input = copy.deepcopy(env.states.get_input())
            record.variables = copy.deepcopy(env.variable_store._inner_scope)
            previous = resumed.runs.get(self.name) if resumed is not None else None
            if isinstance(self, StateMap):
                distributed = isinstance(self.iteration_component, DistributedIterationComponent)
                record.runs[self.name] = BranchRun("distributed-map" if distributed else "map", previous)
            elif isinstance(self, StateParallel):
                record.runs[self.name] = BranchRun("parallel", previous)
        original(self, env)

    CommonStateField._eval_body = _eval_body


def _patch_frame_completion() -> None:
    """Mark a frame completed when one of its states ends it (not when moto ends it from outside)."""
    from moto.stepfunctions.parser.asl.component.state.state import CommonStateField
    from moto.stepfunctions.parser.asl.component.state.state_continue_with import ContinueWithEnd

    original = CommonStateField._set_next

    def _set_next(self: Any, env: Any) -> None:
        record = record_of(env)
        ends = isinstance(self.continue_with, ContinueWithEnd) and env.next_state_name == self.name
        original(self, env)
        if record is not None and ends:
            record.completed = True

    CommonStateField._set_next = _set_next


def _patch_program_resumes() -> None:
    """A frame with a previous attempt starts at that attempt's last state, with its input and variables."""
    from moto.stepfunctions.parser.asl.component.common.flow.start_at import StartAt
    from moto.stepfunctions.parser.asl.component.program.program import Program

    original = Program.eval

    def eval(self: Any, env: Any) -> None:
        record = record_of(env)
        resume = record.resume if record is not None else None
        if resume is None or resume.state not in self.states.states:
            original(self, env)
            return
        env.states.reset(input_value=copy.deepcopy(resume.input))
        env.variable_store._inner_scope.update(copy.deepcopy(resume.variables))
        resumed = copy.copy(self)
        resumed.start_at = StartAt(start_at_name=resume.state)
        original(resumed, env)

    Program.eval = eval


def _patch_map_iterations() -> None:
    """An inline Map iteration: recorded; on a redrive a succeeded one returns its output without running."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.iteration_worker import (
        IterationWorker,
    )

    original = IterationWorker._eval_job

    def _eval_job(self: Any, env: Any, job: Any) -> None:
        parent = record_of(self._env)
        run = parent.runs.get(self._work_name) if parent is not None else None
        if run is None:
            original(self, env, job)
            return
        previous = run.previous_item(job.job_index)
        if previous is not None and previous.succeeded:
            run.items[job.job_index] = previous
            job.job_output = copy.deepcopy(previous.output)
            return
        item = _start_item(run, job.job_index)
        setattr(env, RECORD_ATTR, item.frame)
        original(self, env, job)
        if item.frame.completed and not isinstance(job.job_output, Exception):
            item.succeeded, item.output = True, copy.deepcopy(job.job_output)

    IterationWorker._eval_job = _eval_job


_PARALLEL = threading.local()  # the Parallel state whose branches the current thread is starting


@dataclass
class _ParallelStart:
    run: BranchRun
    next_index: int = 0


def _patch_parallel_branches() -> None:
    """A Parallel branch: recorded; on a redrive a succeeded one returns its output without running.

    moto starts the branches of one Parallel state in order from the state's thread (``BranchesDecl``), so the
    n-th ``BranchWorker.start`` of that thread is branch n.
    """
    from moto.stepfunctions.parser.asl.component.state.exec.state_parallel.branch_worker import BranchWorker
    from moto.stepfunctions.parser.asl.component.state.exec.state_parallel.state_parallel import StateParallel
    from moto.stepfunctions.parser.asl.eval.program_state import ProgramEnded

    original_execution = StateParallel._eval_execution

    def _eval_execution(self: Any, env: Any) -> None:
        record = record_of(env)
        run = record.runs.get(self.name) if record is not None else None
        _PARALLEL.start = _ParallelStart(run) if run is not None else None
        try:
            original_execution(self, env)
        finally:
            _PARALLEL.start = None

    original_start = BranchWorker.start

    def start(self: Any) -> None:
        starting: _ParallelStart | None = getattr(_PARALLEL, "start", None)
        if starting is None:
            original_start(self)
            return
        index, starting.next_index = starting.next_index, starting.next_index + 1
        previous = starting.run.previous_item(index)
        if previous is not None and previous.succeeded:
            starting.run.items[index] = previous
            self.env.states.reset(input_value=copy.deepcopy(previous.output))
            self.env.set_ended()
            self._branch_worker_comm.on_terminated(env=self.env)
            return
        item = _start_item(starting.run, index)
        setattr(self.env, RECORD_ATTR, item.frame)
        self._vidpipe_item = item
        original_start(self)

    def _thread_routine(self: Any) -> None:
        self._program.eval(self.env)
        item: ItemRecord | None = getattr(self, "_vidpipe_item", None)
        if item is not None and item.frame.completed and isinstance(self.env.program_state(), ProgramEnded):
            item.succeeded, item.output = True, copy.deepcopy(self.env.states.get_input())
        self._branch_worker_comm.on_terminated(env=self.env)

    StateParallel._eval_execution = _eval_execution
    BranchWorker.start = start
    BranchWorker._thread_routine = _thread_routine


PATCHES: tuple[Callable[[], None], ...] = (
    _patch_frames_inherit_the_record,
    _patch_execution_gets_a_record,
    _patch_state_entry,
    _patch_frame_completion,
    _patch_program_resumes,
    _patch_map_iterations,
    _patch_parallel_branches,
)
