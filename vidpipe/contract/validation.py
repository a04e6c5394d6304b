"""JSON Schema validation of the contracts, with one domain error that tests can inspect field by field."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
from jsonschema.validators import validator_for
from referencing import Registry, Resource

SCHEMA_NAMES = ("job", "job_record", "results", "summary", "worker_env")


class ContractError(ValueError):
    """An instance does not satisfy its JSON Schema.

    Attributes:
        schema: the schema's name (``job``, ``results``...).
        path: JSON path of the offending value (``$.job.size``).
        rule: the schema keyword that failed (``required``, ``type``...).
        value: the offending value (truncated in the message).
    """

    def __init__(self, schema: str, path: str, rule: str, value: Any, message: str) -> None:
        super().__init__(f"{schema}: {path}: {message}")
        self.schema = schema
        self.path = path
        self.rule = rule
        self.value = value


@cache
def load_schema(name: str) -> dict[str, Any]:
    """The parsed JSON Schema ``schemas/<name>.schema.json``."""
    if name not in SCHEMA_NAMES:
        raise KeyError(f"unknown schema {name!r}; known: {', '.join(SCHEMA_NAMES)}")
    text = resources.files(__package__).joinpath("schemas", f"{name}.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _registry() -> Registry:
    """All schemas by ``$id``, so that one schema can ``$ref`` another (the job record uses the summary)."""
    schemas = [load_schema(n) for n in SCHEMA_NAMES]
    return Registry().with_resources((s["$id"], Resource.from_contents(s)) for s in schemas)


@cache
def _validator(name: str) -> jsonschema.protocols.Validator:
    schema = load_schema(name)
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, registry=_registry(), format_checker=cls.FORMAT_CHECKER)


def validate(instance: Any, name: str) -> None:
    """Validate ``instance`` against the schema ``name``.

    Raises:
        ContractError: with the most relevant failure (``jsonschema.exceptions.best_match``).
    """
    error = jsonschema.exceptions.best_match(_validator(name).iter_errors(instance))
    if error is None:
        return
    path = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    raise ContractError(name, path, str(error.validator), error.instance, error.message[:300])


def is_valid(instance: Any, name: str) -> bool:
    """True when ``instance`` satisfies the schema ``name``."""
    return _validator(name).is_valid(instance)
