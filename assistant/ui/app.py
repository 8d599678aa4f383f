"""The Gradio chat page, mounted at ``/`` of the API's FastAPI app. Gradio is imported only in ``ui/``.

The page is laid out in ``assistant.ui.page`` and its events wired in ``assistant.ui.events``; behaviour
lives in ``assistant.ui.session`` as plain functions; what happens only in the browser (preview cards,
the bottom sheet, copy, export, keeping the questions per tab) in ``static/chat.js``.

The chat component is an output only: what it shows lives in server-side ``gr.State``, so no event
ever takes a chat history from the client (Gradio would read files named in one). A reloaded tab
sends only the text of its questions, which the server answers again. ``ui_guard`` closes every
other route and refuses file references in what clients send.

No ``from __future__ import annotations`` here: Gradio reads the real annotations of the ``/chat``
handler to describe its API.
"""

import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import AssistantError, public_message
from assistant.pipeline import Assistant
from assistant.settings import Settings
from assistant.suggestions import Suggestions
from assistant.ui.articles import ArticleSessions
from assistant.ui.calls import EventRules
from assistant.ui.events import chosen_article, one_article, wire_conversation, wire_ratings
from assistant.ui.guard import GradioGuard
from assistant.ui.page import lay_out
from assistant.ui.session import ChatSession

if TYPE_CHECKING:
    import gradio as gr
    from fastapi import FastAPI

    from assistant.feedback import FeedbackStore
    from assistant.library.shelf import Shelf

STATIC_DIR = Path(__file__).resolve().parent / "static"
logger = logging.getLogger(__name__)


def build_ui(
    assistant: Assistant,
    settings: Settings,
    feedback: "FeedbackStore | None" = None,
    shelf: "Shelf | None" = None,
) -> "gr.Blocks":
    """The chat page as Gradio Blocks, with an explicit, bounded queue. ``feedback`` None: no ratings.

    With a ``shelf``, an article picker under the header (see ``events.chosen_article``), shown while
    the shelf holds more than one article: each page load reads the shelf again, so an article added
    while the server runs is offered to the next page opened, and the picker hides when one article
    is left. Without one, the page serves the default article alone.
    """
    import gradio as gr

    session = ChatSession(assistant, Suggestions(assistant))
    sessions = ArticleSessions(shelf, session) if shelf is not None else None
    opening = session.start()  # also builds the suggestions once
    with gr.Blocks(
        title=f"Ask: {assistant.article.title}", analytics_enabled=False, fill_height=True
    ) as demo:
        page = lay_out(assistant.article, settings, opening, sessions=sessions, ratings=feedback is not None)
        scope = one_article(page, session) if sessions is None else chosen_article(page, sessions)
        wire_conversation(demo, page, scope)
        if feedback is not None:
            wire_ratings(page, scope, feedback)
        gr.api(_chat_api(session), api_name="chat")  # always the default article
    demo.queue(default_concurrency_limit=settings.ui_concurrency_limit, max_size=settings.ui_queue_size)
    demo.state_session_capacity = settings.chat_max_sessions  # read when the app is mounted
    return demo


def _chat_api(session: ChatSession) -> Callable[[str, list[dict]], str]:
    """The ``/chat`` endpoint: a refused question is a Gradio error with its message, logged in one line."""
    import gradio as gr

    def chat(question: str, history: list[dict]) -> str:
        """Answer a question about the article; history is a list of {role, content} messages."""
        try:
            return session.answer_text(question, history)
        except AssistantError as error:
            logger.warning("chat endpoint refused a question: %s", error)
            raise gr.Error(public_message(error), print_exception=False) from None

    return chat


def static_text(suffix: str) -> str:
    """Every ``static/*.<suffix>`` file, in name order: each concern of the page keeps its own file."""
    return "\n".join(path.read_text() for path in sorted(STATIC_DIR.glob(f"*.{suffix}")))


def private_gradio_cache() -> Path:
    """A fresh cache directory for this process's Gradio, readable by nobody else, removed at exit.

    The chat writes no files, so it stays empty; a shared ``/tmp/gradio`` could hold other apps' files.
    """
    import atexit

    cache = Path(tempfile.mkdtemp(prefix="assistant-gradio-"))
    atexit.register(shutil.rmtree, cache, ignore_errors=True)
    os.environ["GRADIO_TEMP_DIR"] = str(cache)
    return cache


def mount_ui(app: "FastAPI", assistant: Assistant, settings: Settings, shelf: "Shelf | None" = None) -> None:
    """Serve the chat page at ``/``: no share link, no flagging, errors not shown to users, local assets,
    no uploads or files, and only the routes the page uses. ``shelf``: the articles the picker offers."""
    import gradio as gr
    from gradio.routes import App
    from starlette.routing import Mount

    private_gradio_cache()  # before any component exists: each one records the cache directory
    blocks = build_ui(assistant, settings, getattr(app.state, "feedback", None), shelf)
    gr.mount_gradio_app(
        app,
        blocks,
        path="/",
        allowed_paths=[],
        max_file_size=0,
        root_path=settings.public_url,  # None: Gradio derives it from the (trusted) request
        show_error=False,
        footer_links=[],  # readers need no "Use via API"; the API is documented at /docs
        ssr_mode=False,
        mcp_server=False,
        pwa=False,
        enable_monitoring=False,
        css=static_text("css"),
        head=f"<script>{static_text('js')}</script>",
    )
    # Defence in depth: Gradio checks client-supplied file paths only once launch() has set this flag,
    # and mounting never does. The guard already refuses them; this keeps Gradio's own check on too.
    blocks.has_launched = True
    gradio_mount = next(r for r in app.router.routes if isinstance(r, Mount) and isinstance(r.app, App))
    gradio_mount.app = GradioGuard(gradio_mount.app, EventRules(blocks))
