"""Start one worker and make sure it does not outlive the local runtime, even one killed by SIGKILL.

``python -m vidpipe.local.task_launcher --watch-fd FD --grace SECONDS -- COMMAND...`` runs COMMAND as its child,
in its own process group (the Fargate agent starts the launcher in a new session), and exits with COMMAND's
exit code (128 + N when a signal N killed it, as Docker reports).

The runtime holds the write end of a pipe whose read end is FD; no other process holds the write end (the
pipe is not inheritable). When the runtime dies, however it dies, the kernel closes the write end and the
read returns EOF: the launcher then stops its process group (SIGTERM, SIGKILL after ``--grace``). Why a pipe
rather than ``PR_SET_PDEATHSIG``: setting it needs ``preexec_fn``, which Python documents as unsafe in a
process with threads (the runtime has dozens), and the signal follows the *thread* that forked the child
rather than the process; a pipe is plain POSIX and has neither problem.

The launcher survives SIGTERM (a no-op handler, which exec resets to the default in the worker): StopTask
and shutdown signal the whole group, so the worker gets the signal and the launcher stays to report the
worker's exit code. Standard library only: it starts fast.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time


def _stop_group(grace: float, child: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group (the worker and this launcher), SIGKILL it after ``grace`` seconds."""
    group = os.getpgrp()
    try:
        os.killpg(group, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(group, signal.SIGKILL)  # the launcher too: the runtime that would read its exit code is gone


def _watch(fd: int, grace: float, child: subprocess.Popen[bytes]) -> None:
    """Block until the runtime's end of the pipe closes, then stop everything."""
    try:
        while os.read(fd, 1):
            pass
    except OSError:
        pass
    _stop_group(grace, child)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vidpipe.local.task_launcher")
    parser.add_argument("--watch-fd", type=int, required=True)
    parser.add_argument("--grace", type=float, default=10.0)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command to run")
    signal.signal(signal.SIGTERM, lambda signum, frame: None)  # caught, not ignored: exec resets it
    child = subprocess.Popen(command)
    threading.Thread(target=_watch, args=(args.watch_fd, args.grace, child), daemon=True).start()
    returncode = child.wait()
    return 128 - returncode if returncode < 0 else returncode


if __name__ == "__main__":
    sys.exit(main())
