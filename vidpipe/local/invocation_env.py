"""``os.environ`` per Lambda invocation, so that in-process handlers run concurrently, as Lambda runs them.

On AWS every concurrent invocation has an execution environment (a process) of its own, with its function's
variables. The local runtime runs every handler in its own process, in the thread that invokes it, and
``os.environ`` is process-wide: setting a function's variables there for the length of a call forced calls
to run one at a time. That queued every Record behind a burst of Prepare and AcquireSlot calls (a freed slot
reached its waiter up to 94 s late in the slot benchmark) and hid every race between concurrent handlers.

Instead, :func:`install` replaces ``os.environ`` with :class:`InvocationEnviron`: the process's environment,
overlaid in the calling context with the variables of the invocation it runs (:func:`invocation`). Code
outside an invocation (the runtime, moto, the Fargate agent) sees and changes the process's environment only,
so nothing a handler sets leaks into a worker or into another call. ``os.getenv`` reads ``os.environ``, and
botocore's and Powertools' configuration providers read it at call time, so they see the overlay.

Limits: the overlay lives in a context variable, so a thread that a handler starts (a new thread has a fresh
context) sees the process's environment; the handlers start none. C code (``getenv(3)``, a subprocess
started with ``env=None``) sees the process's environment; a handler starts no subprocess.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator, Mapping, MutableMapping
from contextvars import ContextVar

_DELETED = None  # an overlay value: the variable is unset in this invocation
_OVERLAY: ContextVar[dict[str, str | None] | None] = ContextVar("vidpipe_invocation_env", default=None)
_INSTALL_LOCK = threading.Lock()


class InvocationEnviron(MutableMapping[str, str]):
    """The process's environment (``process``) as the current invocation sees it (see the module doc)."""

    def __init__(self, process: MutableMapping[str, str]) -> None:
        self.process = process

    def __getitem__(self, key: str) -> str:
        overlay = _OVERLAY.get()
        if overlay is not None and key in overlay:
            value = overlay[key]
            if value is _DELETED:
                raise KeyError(key)
            return value
        return self.process[key]

    def __setitem__(self, key: str, value: str) -> None:
        if not isinstance(key, str) or not isinstance(value, str):  # as os.environ refuses
            raise TypeError(f"str expected, not {type(key if not isinstance(key, str) else value).__name__}")
        overlay = _OVERLAY.get()
        if overlay is None:
            self.process[key] = value
        else:
            overlay[key] = value

    def __delitem__(self, key: str) -> None:
        overlay = _OVERLAY.get()
        if overlay is None:
            del self.process[key]
            return
        if key not in self:
            raise KeyError(key)
        overlay[key] = _DELETED

    def __iter__(self) -> Iterator[str]:
        overlay = _OVERLAY.get() or {}
        yield from (key for key in list(self.process) if key not in overlay)
        yield from (key for key, value in list(overlay.items()) if value is not _DELETED)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def copy(self) -> dict[str, str]:
        """A plain dict of what the caller sees (as ``os.environ.copy()``)."""
        return dict(self)

    def __repr__(self) -> str:
        return f"InvocationEnviron({self.copy()!r})"


def install() -> InvocationEnviron:
    """Make ``os.environ`` an :class:`InvocationEnviron` (once; later calls return the installed one)."""
    with _INSTALL_LOCK:
        current = os.environ
        if isinstance(current, InvocationEnviron):
            return current
        installed = InvocationEnviron(current)
        setattr(os, "environ", installed)  # noqa: B010 (os.environ is typed as os._Environ)
        return installed


def process_environ() -> dict[str, str]:
    """A copy of the process's environment, without the variables of any invocation (any thread's)."""
    environ = os.environ
    return dict(environ.process if isinstance(environ, InvocationEnviron) else environ)


@contextlib.contextmanager
def invocation(variables: Mapping[str, str]) -> Iterator[None]:
    """Run the block with ``variables`` over the process's environment, in this context only (nested calls
    see the outer invocation's variables under their own). Requires :func:`install`."""
    install()
    outer = _OVERLAY.get() or {}
    token = _OVERLAY.set({**outer, **variables})
    try:
        yield
    finally:
        _OVERLAY.reset(token)
