"""Faults the local runtime can inject, so that tests see the failures AWS produces and moto does not.

A fault is ``NAME[@SCOPE][:COUNT]`` (``vidpipe local up --fault``, repeatable) or
``runtime.faults.add(NAME, scope=..., count=...)``: COUNT is how many times it fires (default: every time
until cleared); SCOPE narrows where it applies:

================== ====================================================== ===============================
name               what happens                                           scope
================== ====================================================== ===============================
worker-crash       the worker exits 1 at start (``VIDPIPE_FAULT=crash``)   capacity provider
worker-hang        the worker waits for SIGTERM (``VIDPIPE_FAULT=hang``)   capacity provider
spot-interruption  the task is reclaimed: SIGTERM, exit 143, StopCode     FARGATE_SPOT (the default;
                   ``SpotInterruption`` (AWS's 2-minute warning,           only Spot tasks are reclaimed)
                   shortened)
runtask-failure    RunTask answers with ``failures`` (RESOURCE:<provider>, capacity provider
                   "Capacity is unavailable at this time"): a ``.sync``
                   state fails with ``AmazonECS.Unknown``
ecs-throttle       RunTask fails with ThrottlingException "Rate           capacity provider
                   exceeded": ``ECS.AmazonECSException``
ddb-applied-then-  a DynamoDB write is applied, then the call fails with  ``job`` or ``slot`` (the table
error              HTTP 500 InternalServerError (state machine and         by purpose), optionally
                   Lambda handlers alike)                                  ``/OPERATION`` (``slot/
                                                                           TransactWriteItems``)
drop-status-event  a Step Functions Execution Status Change event is not  the status (``ABORTED``...)
                   delivered
================== ====================================================== ===============================

Capacity providers: ``FARGATE`` (on-demand) and ``FARGATE_SPOT``. ``runtask-failure@FARGATE:2`` fails the next
two on-demand RunTasks. A fault whose COUNT is used up is removed; :meth:`FaultSet.fired` counts firings.
"""

from __future__ import annotations

import enum
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

CAPACITY_PROVIDERS = ("FARGATE", "FARGATE_SPOT")
TABLE_PURPOSES = ("job", "slot")
DDB_OPERATIONS = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem")
EXECUTION_STATUSES = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")


class FaultError(ValueError):
    """A fault specification that cannot be used (unknown name, bad scope or count); one line."""


class FaultName(enum.StrEnum):
    WORKER_CRASH = "worker-crash"
    WORKER_HANG = "worker-hang"
    SPOT_INTERRUPTION = "spot-interruption"
    RUNTASK_FAILURE = "runtask-failure"
    ECS_THROTTLE = "ecs-throttle"
    DDB_APPLIED_THEN_ERROR = "ddb-applied-then-error"
    DROP_STATUS_EVENT = "drop-status-event"


ECS_FAULTS = frozenset(
    {
        FaultName.WORKER_CRASH,
        FaultName.WORKER_HANG,
        FaultName.SPOT_INTERRUPTION,
        FaultName.RUNTASK_FAILURE,
        FaultName.ECS_THROTTLE,
    }
)
DEFAULT_SCOPES = {FaultName.SPOT_INTERRUPTION: "FARGATE_SPOT"}
_SPEC = re.compile(r"^(?P<name>[a-z-]+)(?:@(?P<scope>[A-Za-z0-9_/]+))?(?::(?P<count>\S+))?$")


def _check_scope(name: FaultName, scope: str | None) -> str | None:
    """The normalised scope of ``name`` (None: everywhere). Raises FaultError for a scope that cannot match."""
    scope = scope if scope is not None else DEFAULT_SCOPES.get(name)
    if scope is None:
        return None
    if name in ECS_FAULTS:
        provider = scope.upper()
        if provider not in CAPACITY_PROVIDERS:
            raise FaultError(
                f"{name}: scope {scope!r} is not a capacity provider ({', '.join(CAPACITY_PROVIDERS)})"
            )
        if name is FaultName.SPOT_INTERRUPTION and provider != "FARGATE_SPOT":
            raise FaultError("spot-interruption: only FARGATE_SPOT tasks are reclaimed")
        return provider
    if name is FaultName.DDB_APPLIED_THEN_ERROR:
        table, _, operation = scope.partition("/")
        if table not in TABLE_PURPOSES:
            raise FaultError(f"{name}: scope table {table!r} is not one of {', '.join(TABLE_PURPOSES)}")
        if operation and operation not in DDB_OPERATIONS:
            raise FaultError(
                f"{name}: scope operation {operation!r} is not one of {', '.join(DDB_OPERATIONS)}"
            )
        return scope
    status = scope.upper()
    if status not in EXECUTION_STATUSES:
        raise FaultError(
            f"{name}: scope {scope!r} is not an execution status ({', '.join(EXECUTION_STATUSES)})"
        )
    return status


def _check_count(name: str, count: int | None) -> int | None:
    if count is not None and count < 1:
        raise FaultError(f"{name}: count must be at least 1 (leave it out for every time), got {count}")
    return count


@dataclass
class Fault:
    """One active fault: where it applies, how many firings are left (None: until cleared), how many fired."""

    name: FaultName
    scope: str | None = None
    remaining: int | None = None
    fired: int = 0

    @property
    def spec(self) -> str:
        return f"{self.name}{'@' + self.scope if self.scope else ''}{':' + str(self.remaining) if self.remaining else ''}"


def parse_fault(text: str) -> Fault:
    """``NAME[@SCOPE][:COUNT]`` -> a :class:`Fault`.

    Raises:
        FaultError: naming what is wrong, in one line.
    """
    match = _SPEC.match(text.strip())
    if not match:
        raise FaultError(f"bad fault {text!r}: expected NAME[@SCOPE][:COUNT], e.g. runtask-failure@FARGATE:2")
    try:
        name = FaultName(match["name"])
    except ValueError:
        raise FaultError(f"unknown fault {match['name']!r}: one of {', '.join(FaultName)}") from None
    count: int | None = None
    if match["count"] is not None:
        try:
            count = int(match["count"])
        except ValueError:
            raise FaultError(f"{name}: count {match['count']!r} is not a whole number") from None
    return Fault(name, _check_scope(name, match["scope"]), _check_count(name, count))


@dataclass
class FaultSet:
    """The runtime's active faults (thread-safe): the pipeline's parts ask :meth:`take` whether one fires.

    ``validate_scope`` lets the runtime refuse a scope it cannot resolve (e.g. ``slot`` in a stack without a
    slot table) when the fault is added rather than silently never firing.
    """

    validate_scope: Callable[[Fault], None] | None = None
    _faults: list[Fault] = field(default_factory=list)
    _fired: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: FaultName | str, scope: str | None = None, count: int | None = None) -> Fault:
        """Activate a fault (``count`` None: every time until cleared); returns it (its ``fired`` counts)."""
        try:
            fault_name = FaultName(name)
        except ValueError:
            raise FaultError(f"unknown fault {name!r}: one of {', '.join(FaultName)}") from None
        fault = Fault(fault_name, _check_scope(fault_name, scope), _check_count(fault_name, count))
        return self._activate(fault)

    def add_spec(self, text: str) -> Fault:
        """Activate ``NAME[@SCOPE][:COUNT]``."""
        return self._activate(parse_fault(text))

    def extend(self, specs: Iterable[str | Fault]) -> None:
        for spec in specs:
            self._activate(spec if isinstance(spec, Fault) else parse_fault(spec))

    def _activate(self, fault: Fault) -> Fault:
        if self.validate_scope is not None:
            self.validate_scope(fault)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self, name: FaultName | str | None = None) -> None:
        """Remove every active fault (or those named ``name``); the firing counts stay."""
        with self._lock:
            self._faults = [f for f in self._faults if name is not None and f.name != FaultName(name)]

    def active(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def fired(self, name: FaultName | str) -> int:
        """How often faults of ``name`` fired since the runtime started."""
        with self._lock:
            return self._fired[FaultName(name)]

    def take(self, name: FaultName, matches: Callable[[str], bool] = lambda scope: True) -> Fault | None:
        """Fire the first active fault ``name`` whose scope ``matches`` (None scopes match everything)."""
        with self._lock:
            for fault in self._faults:
                if fault.name is not name or not (fault.scope is None or matches(fault.scope)):
                    continue
                fault.fired += 1
                self._fired[name] += 1
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                return fault
        return None


def ddb_scope_matches(scope: str, purpose: str, operation: str) -> bool:
    """``job`` matches every write to the job table; ``slot/TransactWriteItems`` only that operation."""
    table, _, wanted = scope.partition("/")
    return table == purpose and (not wanted or wanted == operation)
