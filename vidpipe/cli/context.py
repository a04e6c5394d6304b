"""Access to the invocation's :class:`~vidpipe.cli.target.Target` from a Typer command."""

from __future__ import annotations

import typer

from vidpipe.cli.target import Target, TargetOptions, resolve_options


def target(ctx: typer.Context) -> Target:
    """The target built by the root callback (a default one when a command is invoked on its own)."""
    root = ctx.find_root()
    if not isinstance(root.obj, Target):
        root.obj = Target(resolve_options(TargetOptions()))
    return root.obj
