"""Lambda handlers of the state machine's Task states and of the execution status-change rule.

One module per handler, named for its state (``prepare``, ``record``) or its rule (``status_change``); each
has a thin ``handler(event, context)`` that builds clients and calls a plain function taking the event and
its clients, which is what the unit tests call.
"""
