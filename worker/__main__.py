"""Container entry point: ``python -m worker`` (job from the environment, exit code per the contract)."""

from __future__ import annotations

import sys

from worker.job import run_job_from_env

if __name__ == "__main__":
    sys.exit(run_job_from_env())
