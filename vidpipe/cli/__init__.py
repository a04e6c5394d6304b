"""The ``vidpipe`` operator CLI: one console script for AWS (a deployed stack) and the local runtime.

Layout: :mod:`.main` holds the Typer app and the global target options; :mod:`.target` turns them into boto3
clients and the stack's resources; :mod:`.errors` is the one place where expected failures become one-line
messages; every command or command group has its own module whose Typer function only forwards plain typed
arguments to a plain function holding the logic.
"""
