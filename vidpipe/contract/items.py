"""Job records in their DynamoDB form: plain JSON values to attribute values and back.

Shared by the Lambda handlers (writes) and the CLI (reads) so that both see the same record.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_attribute_values(values: dict[str, Any]) -> dict[str, Any]:
    """Plain JSON values (floats included: DynamoDB wants Decimals) to DynamoDB attribute values."""
    as_decimals = json.loads(json.dumps(values), parse_float=Decimal)
    return {k: _serializer.serialize(v) for k, v in as_decimals.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | set | frozenset):
        return [_plain(v) for v in value]
    return value


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    """A DynamoDB item to plain JSON values (integers stay int, other numbers become float)."""
    return {k: _plain(_deserializer.deserialize(v)) for k, v in item.items()}
