"""Patches of moto 5.2.5's server: the dispatcher that routes each request of ``ThreadedMotoServer`` to its
service's backend. Defect 27. Applied by :func:`vidpipe.local.moto_patches.apply`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

#: Hosts whose backend is remembered, at most (the hosts are ``<service>.<region>.amazonaws.com`` and the
#: like: a few dozen; the bound only keeps a stream of unusual Host headers from growing the map).
MAX_REMEMBERED_HOSTS = 1024


def _patch_backend_lookup_per_request() -> None:
    """Defect 27: the server finds each request's backend anew, under one lock that every request takes.

    ``DomainDispatcherApplication.get_application`` infers a host from the request's signature
    (``<service>.<region>.amazonaws.com``), then ``get_backend_for_host`` lists moto's package directory
    (``os.listdir`` and one ``isdir`` per entry, about 180) and tries each service's URL pattern in turn
    (183 regular expressions) until one matches. Measured with py-spy on the slot benchmark (60 uploads,
    cap 2): 27% of the runtime process's busy samples were this lookup, and requests of all threads queued
    for its lock meanwhile. AWS has no such cost (a request's endpoint names its service).
    Patch: remember the backend found for each host. The answer depends only on the host and on moto's
    installed package (its directory and its patterns), which do not change while the process runs.
    """
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    original = DomainDispatcherApplication.get_backend_for_host

    @functools.wraps(original)
    def get_backend_for_host(self: Any, host: str | None) -> Any:
        # Called under the dispatcher's lock (get_application), so the map needs no lock of its own.
        remembered: dict[str | None, Any] = self.__dict__.setdefault("_vidpipe_backends", {})
        if host in remembered:
            return remembered[host]
        backend = original(self, host)
        if len(remembered) < MAX_REMEMBERED_HOSTS:
            remembered[host] = backend
        return backend

    DomainDispatcherApplication.get_backend_for_host = get_backend_for_host  # type: ignore[method-assign]


PATCHES: tuple[Callable[[], None], ...] = (_patch_backend_lookup_per_request,)
