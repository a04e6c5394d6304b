"""Where the runtime's faults (:mod:`.faults`) reach moto: the RunTask gate and the DynamoDB write gate.

The worker faults are applied by the Fargate agent and ``drop-status-event`` by the status-change watcher;
this module installs the two gates moto consults (``moto_patches.set_run_task_gate``/``set_write_gate``) and
resolves a ``ddb-applied-then-error`` scope (a table's purpose) to the table's local name through the stack
outputs, so that a scope the stack cannot serve is refused when the fault is added.
"""

from __future__ import annotations

from collections.abc import Mapping

from vidpipe.contract.names import Output
from vidpipe.local import moto_patches
from vidpipe.local.aws import ACCOUNT_ID, REGION
from vidpipe.local.faults import Fault, FaultError, FaultName, FaultSet, ddb_scope_matches

#: The stack output naming each table purpose a ddb fault can scope to.
TABLE_OUTPUTS: Mapping[str, str] = {"job": Output.JOB_TABLE, "slot": Output.SLOT_TABLE}


class FaultInjector:
    """Installs the gates for ``faults`` against a stack with ``outputs``; :meth:`uninstall` removes them."""

    def __init__(self, faults: FaultSet, outputs: Mapping[str, str]) -> None:
        self.faults = faults
        self._purposes = {outputs[key]: purpose for purpose, key in TABLE_OUTPUTS.items() if key in outputs}

    def check_scope(self, fault: Fault) -> None:
        """Refuse a ddb scope whose table this stack does not have.

        Raises:
            FaultError: naming the missing output.
        """
        if fault.name is not FaultName.DDB_APPLIED_THEN_ERROR or fault.scope is None:
            return
        purpose = fault.scope.partition("/")[0]
        if purpose not in self._purposes.values():
            raise FaultError(
                f"{fault.name}@{fault.scope}: the stack has no {TABLE_OUTPUTS[purpose]} output (no {purpose} table)"
            )

    def install(self) -> None:
        moto_patches.set_run_task_gate(self._run_task)
        moto_patches.set_write_gate(self._write)

    def uninstall(self) -> None:
        moto_patches.set_run_task_gate(None)
        moto_patches.set_write_gate(None)

    def _run_task(self, request: moto_patches.RunTaskRequest) -> list[dict[str, str]] | None:
        provider = request.capacity_provider or "FARGATE"
        if self.faults.take(FaultName.ECS_THROTTLE, lambda scope: scope == provider):
            raise moto_patches.throttling_error()
        if self.faults.take(FaultName.RUNTASK_FAILURE, lambda scope: scope == provider):
            return [moto_patches.capacity_failure(REGION, ACCOUNT_ID, provider)]
        return None

    def _write(self, request: moto_patches.WriteRequest) -> bool:
        purposes = [p for table in request.tables if (p := self._purposes.get(table)) is not None]

        def matches(scope: str) -> bool:
            return any(ddb_scope_matches(scope, purpose, request.operation) for purpose in purposes)

        return self.faults.take(FaultName.DDB_APPLIED_THEN_ERROR, matches) is not None
