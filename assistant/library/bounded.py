"""An HTML page's extraction in a process of its own, stopped once its time is up.

trafilatura's time grows faster than the page: 10,000 inline elements in one paragraph take it 7 s
here, 100,000 many minutes, and no cheap look at the bytes tells every such page from a big real one.
So ``extract_page`` runs in a spawned child that is killed when ``seconds`` pass (the caller's byte and
tag caps bound the memory it may take), and the refusal says so in one line.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing.connection import Connection

from assistant.library.html import ExtractedPage, extract_page


class ExtractionFailed(Exception):
    """The child gave no page: it died or raised (``str`` says which, for a reader)."""


class ExtractionTooSlow(ExtractionFailed):
    """The child was still reading the page when its time was up (it was stopped)."""


def extract_within(data: bytes, fallback_title: str, seconds: float) -> ExtractedPage | None:
    """``extract_page(data, fallback_title)`` run in a child process given ``seconds`` in all."""
    context = multiprocessing.get_context("spawn")  # no threads or locks of this process carried over
    receiving, sending = context.Pipe(duplex=False)
    child = context.Process(
        target=_extract, args=(data, fallback_title, sending), name="assistant-add-html", daemon=True
    )
    child.start()
    sending.close()
    try:
        if not receiving.poll(seconds):
            raise ExtractionTooSlow(f"reading the page took longer than {seconds:g} s")
        kind, value = receiving.recv()
    except EOFError:
        raise ExtractionFailed("the process reading the page stopped without an answer") from None
    finally:
        receiving.close()
        if child.is_alive():
            child.kill()
        child.join()
    if kind == "error":
        raise ExtractionFailed(f"the page could not be read ({value})")
    return value


def _extract(data: bytes, fallback_title: str, sending: Connection) -> None:
    """In the child: the page, or what went wrong in one line (never a traceback on the terminal)."""
    try:
        sending.send(("page", extract_page(data, fallback_title)))
    except Exception as error:  # noqa: BLE001 - handed to the parent, which refuses the file
        sending.send(("error", " ".join(f"{type(error).__name__}: {error}".split())[:200]))
    finally:
        sending.close()
