"""Delivery: how an answer reaches a surface. Bounded in time (``deadline``: a 503 or a chat message, never
a hung connection) and sent as it grows (``streaming``). Below both surfaces: the HTTP API (``web/``) and
the chat page (``ui/``) use it, neither through the other."""
