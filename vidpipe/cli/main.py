"""The ``vidpipe`` console script: the Typer app, the global target options and the command registry.

Adding a command or a command group is one line in the registry at the bottom of this file:
``app.command("name")(module.command)`` for a command, ``app.add_typer(module.app, name="name")`` for a
group. Commands read the :class:`~vidpipe.cli.target.Target` with :func:`vidpipe.cli.context.target`.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from vidpipe.cli import (
    analyze,
    demo,
    dlq,
    executions,
    jobs,
    local,
    logs,
    replay,
    results,
    sample,
    status,
    upload,
)
from vidpipe.cli.errors import translate
from vidpipe.cli.target import Target, TargetOptions, resolve_options
from vidpipe.console import command as console_command

if TYPE_CHECKING:
    from typer import _click  # Typer vendors Click; its Context is what TyperGroup.invoke receives


class _VidpipeGroup(TyperGroup):
    """Turns expected failures anywhere below the root into one line on stderr and their exit status
    (1, or 2 for a usage error); Ctrl-C exits 130 (Typer's handling of KeyboardInterrupt)."""

    def invoke(self, ctx: _click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:  # Typer's own exits and usage errors are not translated: they pass through
            target = ctx.obj if isinstance(ctx.obj, Target) else None
            error = translate(exc, target.endpoint_url if target else None)
            if error is None:
                raise  # a bug: keep the traceback
            from vidpipe.cli.render import error_line

            error_line(str(error))
            raise typer.Exit(error.exit_code) from None


app = typer.Typer(
    name="vidpipe",
    cls=_VidpipeGroup,
    help="Operate vidpipe: upload videos, follow jobs and executions, read results, replay failures.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals can hold credentials
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def main(
    ctx: typer.Context,
    stack: Annotated[
        str | None, typer.Option(help="Stack name (env VIDPIPE_STACK, config file, default Vidpipe).")
    ] = None,
    profile: Annotated[
        str | None, typer.Option(help="AWS profile (env AWS_PROFILE; ignored by the local runtime).")
    ] = None,
    region: Annotated[
        str | None, typer.Option(help="AWS region (env AWS_REGION, then AWS_DEFAULT_REGION).")
    ] = None,
    endpoint_url: Annotated[
        str | None,
        typer.Option(
            "--endpoint-url",
            help="Endpoint of the local runtime (http://127.0.0.1:4566; env AWS_ENDPOINT_URL).",
        ),
    ] = None,
) -> None:
    """Target options shared by every command (AWS CLI conventions)."""
    ctx.obj = Target(resolve_options(TargetOptions(stack, profile, region, endpoint_url)))


def run() -> None:  # pragma: no cover - `python -m vidpipe.cli.main`
    app(prog_name="vidpipe")
    sys.exit(0)


# --------------------------------------------------------------------------------------------------------
# Command registry: one line per command or group.
# --------------------------------------------------------------------------------------------------------
app.command("upload")(upload.command)
app.command("jobs")(jobs.command)
app.command("status")(status.command)
app.command("executions")(executions.list_command)
app.command("show")(executions.show_command)
app.command("replay")(replay.command)
app.command("results")(results.command)
app.command("logs")(logs.command)
app.add_typer(dlq.app, name="dlq")
app.command("analyze")(analyze.command)
app.add_typer(local.app, name="local")
app.command("demo")(demo.command)
app.command("sample")(sample.command)
app.command("console")(console_command.command)

if __name__ == "__main__":  # pragma: no cover
    run()
