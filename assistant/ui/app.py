"""The Gradio chat page, mounted at ``/`` of the API's FastAPI app. Gradio is imported only here.

Layout: header (title, byline, note), the chat with example questions, and beside it the whole
article with cited spans highlighted. Behaviour lives in ``assistant.ui.session`` as plain functions.

The chat component is an output only: what it shows lives in server-side ``gr.State``, so no event
ever takes a chat history from the client (Gradio would read files named in one). ``ui_guard`` closes
every other route and refuses file references in what clients send.

No ``from __future__ import annotations`` here: Gradio reads the real ``gr.SelectData`` annotation of
the example handler to know it must pass the selection event.
"""

import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.article import BlockKind
from assistant.errors import AssistantError
from assistant.pipeline import Assistant
from assistant.settings import Settings
from assistant.ui import html as chat_html
from assistant.ui.guard import GradioGuard
from assistant.ui.session import ChatSession, Message, Update

if TYPE_CHECKING:
    import gradio as gr
    from fastapi import FastAPI

STATIC_DIR = Path(__file__).resolve().parent / "static"
logger = logging.getLogger(__name__)

Shown = tuple[str, list[Message], list[Message], list[Message], str]
"""(textbox value, chat component, the same messages kept server-side, turns, article view HTML)."""


def _shown(update: Update) -> Shown:
    textbox, messages, turns, article = update
    return textbox, messages, messages, turns, article


def _streamed(handler: Callable[..., Iterator[Update]]) -> Callable[..., Iterator[Shown]]:
    def stream(*args: Any) -> Iterator[Shown]:
        for update in handler(*args):
            yield _shown(update)

    return stream


def example_questions(assistant: Assistant, limit: int = 4) -> list[str]:
    """Questions any article answers (author, date), then ones drawn from its section headings."""
    examples = ["Who wrote this article?", "When was the article published?"]
    headings = [
        assistant.article.block_text(b) for b in assistant.article.blocks if b.kind == BlockKind.HEADING
    ]
    examples += [h for h in headings if h.endswith("?")]
    examples += [
        f"What does the article say about {h.split(':')[0]}?" for h in headings if not h.endswith("?")
    ]
    return examples[:limit]


def build_ui(assistant: Assistant, settings: Settings) -> "gr.Blocks":
    """The chat page as Gradio Blocks, with an explicit, bounded queue."""
    import gradio as gr

    session = ChatSession(assistant)
    with gr.Blocks(
        title=f"Ask: {assistant.article.title}", analytics_enabled=False, fill_height=True
    ) as demo:
        turns = gr.State([])
        shown = gr.State([])
        header = gr.HTML(chat_html.header_html(assistant.article), elem_id="aa-header")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(
                    elem_id="aa-chat",
                    label="Conversation",
                    height=560,
                    sanitize_html=True,
                    buttons=["copy", "copy_all"],
                    feedback_options=None,
                    examples=[{"text": q} for q in example_questions(assistant)],
                    placeholder="Ask anything about the article; click an example to start.",
                    allow_file_downloads=False,
                )
                textbox = gr.Textbox(
                    placeholder="Ask a question about the article and press Enter",
                    show_label=False,
                    submit_btn=True,
                    autofocus=True,
                    max_lines=6,
                    max_length=settings.max_question_chars,
                    elem_id="aa-question",
                )
            with gr.Column(scale=2, elem_id="aa-article-panel"):
                gr.Markdown("**The article** — cited passages are highlighted; click a [n] to jump to it.")
                article = gr.HTML(session.article_view(), elem_id="aa-article-view")

        # Read again on every page load: a page opened after an index swap shows the new article.
        demo.load(
            lambda: (chat_html.header_html(assistant.article), session.article_view()),
            None,
            [header, article],
            api_visibility="private",
            show_progress="hidden",
        )
        outputs = [textbox, chatbot, shown, turns, article]
        respond = _streamed(session.respond)
        submitted = textbox.submit(
            respond,
            [textbox, shown, turns],
            outputs,
            api_visibility="private",
            show_progress="hidden",
        )

        def pick_example(event: gr.SelectData) -> str:
            return event.value["text"]

        picked = chatbot.example_select(pick_example, None, textbox, api_visibility="private").then(
            respond,
            [textbox, shown, turns],
            outputs,
            api_visibility="private",
            show_progress="hidden",
        )
        retried = chatbot.retry(
            _streamed(session.retry),
            [shown, turns],
            outputs,
            api_visibility="private",
            show_progress="hidden",
        )
        # Undo and clear stop an answer still streaming in, or it would write itself back afterwards.
        streaming = [submitted, picked, retried]
        chatbot.undo(
            lambda *a: _shown(session.undo(*a)),
            [shown, turns],
            outputs,
            api_visibility="private",
            cancels=streaming,
        )
        chatbot.clear(
            lambda: _shown(session.clear()), None, outputs, api_visibility="private", cancels=streaming
        )
        gr.api(_chat_api(session), api_name="chat")
    demo.queue(default_concurrency_limit=settings.ui_concurrency_limit, max_size=settings.ui_queue_size)
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
            raise gr.Error(str(error), print_exception=False) from None

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


def mount_ui(app: "FastAPI", assistant: Assistant, settings: Settings) -> None:
    """Serve the chat page at ``/``: no share link, no flagging, errors not shown to users, local assets,
    no uploads or files, and only the routes the page uses."""
    import gradio as gr
    from gradio.routes import App
    from starlette.routing import Mount

    private_gradio_cache()  # before any component exists: each one records the cache directory
    blocks = build_ui(assistant, settings)
    gr.mount_gradio_app(
        app,
        blocks,
        path="/",
        allowed_paths=[],
        max_file_size=0,
        root_path=settings.public_url,  # None: Gradio derives it from the (trusted) request
        show_error=False,
        footer_links=["api"],
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
    gradio_mount.app = GradioGuard(gradio_mount.app)
