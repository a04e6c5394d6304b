"""The stack's Lambda functions, run in-process: each function's ``Handler`` imported from this checkout.

The functions exist in moto with the environment the template gives them (see :mod:`.provision`); the moto
patch runs the registered Python handler whenever moto's Lambda is invoked (by the state machine's
``lambda:invoke`` tasks, or by the status-change rule), with that environment plus the variables that point
boto3 at the local endpoint.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

from vidpipe.local import moto_patches

Handler = Callable[[dict[str, Any], Any], Any]


def import_handler(spec: str) -> Handler:
    """``tasks.prepare.handler`` -> the function (Lambda's module.attribute handler notation).

    Raises:
        ImportError: when the module or the attribute does not exist in this checkout.
    """
    module_name, _, attribute = spec.rpartition(".")
    module = importlib.import_module(module_name)
    try:
        handler: Handler = getattr(module, attribute)
    except AttributeError:
        raise ImportError(f"{module_name} has no handler {attribute!r}") from None
    return handler


def register_functions(
    functions: Mapping[str, Mapping[str, Any]], environment: Mapping[str, str]
) -> list[str]:
    """Register every provisioned function's handler; returns the function names.

    ``functions`` maps a function name to its resolved template properties (``Handler``, ``FunctionArn``);
    ``environment`` is added to each call (endpoint, region, dummy credentials).
    """
    for name, properties in functions.items():
        moto_patches.register_lambda_handler(
            name, import_handler(str(properties["Handler"])), dict(environment)
        )
    return list(functions)


def unregister_functions(names: list[str]) -> None:
    """Undo :func:`register_functions` (a later runtime in the same process starts clean)."""
    for name in names:
        moto_patches.unregister_lambda_handler(name)
