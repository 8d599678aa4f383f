"""When a client leaves before its answer is ready, the answer stops being computed.

Once FastAPI has read a request's body, the server's next ASGI message for it is ``http.disconnect``,
sent when the client closes the connection (or after the response is complete). ``client_left``
waits for it; ``delivery.deadline.within`` stops waiting for the answer then, and cancels its work.
"""

from __future__ import annotations

from starlette.requests import Request


async def client_left(request: Request) -> None:
    """Return once the client of ``request`` (whose body has been read) has closed its connection."""
    while (await request.receive())["type"] != "http.disconnect":
        pass
