"""vidpipe: video analysis on every upload, with AWS Step Functions and ECS Fargate (or locally on moto).

This package holds the shared contracts (:mod:`vidpipe.contract`), the operator CLI (:mod:`vidpipe.cli`)
and the local runtime (:mod:`vidpipe.local`). Keep this module free of imports: the Lambda handlers and the
worker import the contracts and must not pay for the CLI.
"""

__version__ = "0.1.0"
