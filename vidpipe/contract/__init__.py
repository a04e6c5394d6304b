"""Contracts shared by the state machine, the Lambda handlers, the worker, the CLI and the local runtime.

Names (environment variables, statuses, stack outputs, table layout) live in :mod:`.names`; JSON Schemas in
``schemas/`` are loaded and applied by :mod:`.validation`; object identity and job ids in :mod:`.identity`.
"""
