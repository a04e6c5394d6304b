"""Patches of moto 5.2.5's DynamoDB: error names as Step Functions gives them (defect 20), operations atomic
with respect to each other (defect 26), transactions that cost the same in a big table as in a small one
(defect 30), and a write gate that fails a write after applying it (fault injection: a lost response, a 500
after the write).

Applied by :func:`vidpipe.local.moto_patches.apply`.
"""

from __future__ import annotations

import copy
import functools
import threading
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# ---------------------------------------------------------------------------------------------------------
# (20) DynamoDB error names of the optimized integration
# ---------------------------------------------------------------------------------------------------------


def dynamodb_error_name(error_code: str) -> str:
    """Step Functions' name for a DynamoDB API error code.

    Step Functions names integration errors after the AWS SDK for Java's exception classes
    (``DynamoDB.AmazonDynamoDBException`` for unmodelled ones, ``DynamoDB.ConditionalCheckFailedException``).
    The Java SDK appends ``Exception`` to the two DynamoDB error codes that lack it: ``InternalServerError``
    is ``com.amazonaws.services.dynamodbv2.model.InternalServerErrorException`` and ``RequestLimitExceeded``
    is ``RequestLimitExceededException``.
    """
    return f"DynamoDB.{error_code if error_code.endswith('Exception') else error_code + 'Exception'}"


def _patch_dynamodb_error_names() -> None:
    """Defect 20: moto names a DynamoDB error ``DynamoDB.<wire code>``: an HTTP 500 is
    ``DynamoDB.InternalServerError``, which a Retry on AWS's ``DynamoDB.InternalServerErrorException`` misses.

    Patch: :func:`dynamodb_error_name` in moto's ``_error_cause_from_client_error`` (the Cause is unchanged:
    ``<message> (Service: AmazonDynamoDBv2; Status Code: 500; Error Code: InternalServerError; ...)``).
    """
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_dynamodb import (
        StateTaskServiceDynamoDB,
    )

    original = StateTaskServiceDynamoDB._error_cause_from_client_error

    def _error_cause_from_client_error(client_error: Any) -> tuple[str, str]:
        _, cause = original(client_error)
        return dynamodb_error_name(client_error.response["Error"]["Code"]), cause

    StateTaskServiceDynamoDB._error_cause_from_client_error = staticmethod(_error_cause_from_client_error)


# ---------------------------------------------------------------------------------------------------------
# write gate: a write applied, then the call fails with HTTP 500
# ---------------------------------------------------------------------------------------------------------

INTERNAL_SERVER_ERROR = "InternalServerError"
WRITE_OPERATIONS = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem")


@dataclass(frozen=True)
class WriteRequest:
    """A DynamoDB write that was just applied, as a gate sees it."""

    operation: str  # one of WRITE_OPERATIONS
    tables: tuple[str, ...]


#: True: answer the applied write with an HTTP 500 InternalServerError.
WriteGate = Callable[[WriteRequest], bool]

_LOCK = threading.Lock()
_write_gate: WriteGate | None = None


def set_write_gate(gate: WriteGate | None) -> None:
    """Consult ``gate`` after every applied DynamoDB write (None: no gate). Thread-safe."""
    global _write_gate
    with _LOCK:
        _write_gate = gate


def _tables_of(operation: str, params: Any) -> tuple[str, ...]:
    if operation == "TransactWriteItems":
        items = params("TransactItems") or []
        names = [body.get("TableName") for item in items for body in item.values() if isinstance(body, dict)]
        return tuple(dict.fromkeys(str(n) for n in names if n))
    if operation == "BatchWriteItem":
        return tuple(str(name) for name in (params("RequestItems") or {}))
    return (str(params("TableName")),)


def internal_server_error() -> Exception:
    """DynamoDB's HTTP 500 (``InternalServerError``), as a client sees it after a lost write response."""
    from moto.dynamodb.exceptions import ERROR_TYPE_PREFIX, DynamodbException

    error = DynamodbException(ERROR_TYPE_PREFIX + INTERNAL_SERVER_ERROR, "Internal server error")
    error.code = 500
    return error


def _patch_write_gate() -> None:
    """Each write operation of moto's DynamoDB handler asks the gate after it applied the write."""
    from moto.dynamodb.responses import DynamoHandler

    def gated(operation: str, original: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def handler(self: Any) -> Any:
            result = original(self)  # raises (nothing applied) on a failed condition or a bad request
            with _LOCK:
                gate = _write_gate
            if gate is not None and gate(WriteRequest(operation, _tables_of(operation, self._get_param))):
                raise internal_server_error()
            return result

        return handler

    for operation in WRITE_OPERATIONS:
        method = {"PutItem": "put_item", "UpdateItem": "update_item", "DeleteItem": "delete_item",
                  "TransactWriteItems": "transact_write_items", "BatchWriteItem": "batch_write_item"}[operation]  # fmt: skip
        setattr(DynamoHandler, method, gated(operation, getattr(DynamoHandler, method)))


# ---------------------------------------------------------------------------------------------------------
# (26) one operation at a time
# ---------------------------------------------------------------------------------------------------------

#: Held for the whole of each DynamoDB request moto serves (re-entrant: a gate may read the table).
OPERATION_LOCK = threading.RLock()


def _patch_atomic_operations() -> None:
    """Defect 26: moto's DynamoDB has no locking. Concurrent requests (the server's threads, the concurrent
    Lambda handlers) interleave: a condition one request checked can be broken by another before it applies
    its write, a Query can see half a transaction, and a TransactWriteItems whose condition fails restores
    the deep copies of its tables taken when it began, undoing every write other requests made meanwhile.

    AWS: every item write is atomic, and transactions are serializable with respect to other writes
    ([isolation levels](https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-isolation)).
    Patch: one lock around each request of moto's DynamoDB handler (moto answers each in well under a
    millisecond to a few milliseconds, so serialising them costs little here).
    """
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.call_action

    def call_action(self: Any) -> Any:
        with OPERATION_LOCK:
            return original(self)

    DynamoHandler.call_action = call_action  # type: ignore[method-assign]


# ---------------------------------------------------------------------------------------------------------
# (30) a transaction's rollback copy
# ---------------------------------------------------------------------------------------------------------

_UNDO = threading.local()  # .active: moto's rollback copy of a Table is the table itself (the patch undoes)

ItemKey = tuple[str, Any, Any]  # (table name, hash key, range key or None), moto's DynamoTypes


def _no_table_copy(value: Any, memo: dict[int, Any] | None = None) -> Any:
    """``copy.deepcopy`` as moto's DynamoDB models module calls it, except for the rollback copy of a
    table inside a patched transaction, which is the table itself."""
    from moto.dynamodb.models.table import Table

    if isinstance(value, Table) and getattr(_UNDO, "active", False):
        return value
    return copy.deepcopy(value, memo)


def _written_keys(backend: Any, transact_items: list[dict[str, Any]]) -> list[ItemKey]:
    """The item of each Put, Update and Delete, as moto's transaction finds it (a write it cannot key, moto
    refuses before writing anything of it)."""
    keys: list[ItemKey] = []
    for entry in transact_items:
        for op_type, op in entry.items():
            table = backend.tables.get(op.get("TableName")) if isinstance(op, dict) else None
            if table is None or op_type not in ("Put", "Update", "Delete"):
                continue
            attrs = op.get("Item") if op_type == "Put" else op.get("Key")
            try:
                hash_key, range_key = backend.get_keys_value(table, attrs or {})
            except Exception:  # moto fails this write the same way, before it writes anything of it
                continue
            keys.append((table.name, hash_key, range_key))
    return keys


def _restore(backend: Any, saved: dict[ItemKey, Any]) -> None:
    """Put each item back as it was before the transaction (absent: removed)."""
    for (table_name, hash_key, range_key), item in saved.items():
        table = backend.tables[table_name]
        if range_key is None:
            if item is None:
                table.items.pop(hash_key, None)
            else:
                table.items[hash_key] = item
        elif item is None:
            table.items[hash_key].pop(range_key, None)
        else:
            table.items[hash_key][range_key] = item


def _patch_transaction_undo() -> None:
    """Defect 30: TransactWriteItems deep-copies the table of each item it writes (a table with two items in
    the transaction, twice) before it starts, to roll back on a failed condition; the cost grows with the
    table. Measured here: 6.6 ms per two-item transaction in a table
    of 10 items, 35 ms at 600 and 71 ms at 1,200, all of it under the DynamoDB lock (defect 26). The slot
    table holds a member and a waiter per waiting execution, so with 300 waiters every enqueue and every
    hand-off took about 35 ms and held up every other DynamoDB call of the runtime meanwhile.

    AWS: a transaction's cost depends on its items, not on the table
    ([TransactWriteItems](https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html)).
    Patch: the rollback copy is of the items the transaction writes (at most 100), taken before moto's own
    logic runs; moto's table copy is the table itself, so that its rollback changes nothing and the patch's
    restores those items. Every other DynamoDB call waits on the lock meanwhile, so nothing else sees or
    changes those items in between. A table with a stream keeps moto's full copy (the stream's records of
    the undone writes are rolled back with it); the stack's tables have none.
    """
    from moto.dynamodb import models
    from moto.dynamodb.models import DynamoDBBackend

    original = DynamoDBBackend.transact_write_items
    models.copy = types.SimpleNamespace(deepcopy=_no_table_copy)  # type: ignore[assignment]

    @functools.wraps(original)
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        keys = _written_keys(self, transact_items)
        if any(self.tables[name].stream_shard is not None for name, _, _ in keys):
            return original(self, transact_items)
        saved = {key: copy.deepcopy(self.tables[key[0]].get_item(key[1], key[2])) for key in keys}
        _UNDO.active = True
        try:
            original(self, transact_items)
        except Exception:
            _restore(self, saved)
            raise
        finally:
            _UNDO.active = False

    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


PATCHES: tuple[Callable[[], None], ...] = (
    _patch_dynamodb_error_names,
    _patch_atomic_operations,
    _patch_transaction_undo,
    _patch_write_gate,
)
