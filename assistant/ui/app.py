"""The Gradio chat page, mounted at ``/`` of the API's FastAPI app. Gradio is imported only here.

Layout: header (title, byline, note), the chat (opening on the article's cited overview, suggested
questions under the last answer, 👍/👎 when feedback is on) and beside it the whole article with cited
spans highlighted (on a phone, below it). Behaviour lives in ``assistant.ui.session`` as plain
functions; what happens only in the browser (preview cards, the bottom sheet, copy, export, keeping
the questions per tab) in ``static/chat.js``.

The chat component is an output only: what it shows lives in server-side ``gr.State``, so no event
ever takes a chat history from the client (Gradio would read files named in one). A reloaded tab
sends only the text of its questions, which the server answers again. ``ui_guard`` closes every
other route and refuses file references in what clients send.

No ``from __future__ import annotations`` here: Gradio reads the real ``gr.SelectData``,
``gr.LikeData`` and ``gr.Request`` annotations of the handlers to know what to pass them.
"""

import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.answer.suggestions import Suggestions
from assistant.errors import AssistantError
from assistant.pipeline import Assistant
from assistant.settings import Settings
from assistant.ui import html as chat_html
from assistant.ui.guard import GradioGuard
from assistant.ui.session import ChatSession, Message, Rating, Update, asked_json

if TYPE_CHECKING:
    import gradio as gr
    from fastapi import FastAPI

    from assistant.feedback import FeedbackStore

STATIC_DIR = Path(__file__).resolve().parent / "static"
logger = logging.getLogger(__name__)

Shown = tuple[str, list[Message], list[Message], list[Message], str, str]
"""(textbox value, chat component, the same messages kept server-side, turns, article view HTML,
the questions asked as JSON: all a tab keeps, in its sessionStorage, to rebuild the chat on reload)."""

# JavaScript run in the page (static/chat.js defines ``window.aaChat``): what a tab saved, read before
# the opening event; the questions kept after every change; the article following a new answer.
SAVED_QUESTIONS_JS = "() => [window.aaChat ? window.aaChat.saved() : '[]']"
AFTER_CHANGE_JS = "(asked) => { if (window.aaChat) window.aaChat.changed(asked); return []; }"
EXPORT_JS = "() => { if (window.aaChat) window.aaChat.exportMarkdown(); return []; }"


def _shown(update: Update) -> Shown:
    textbox, messages, turns, article = update
    return textbox, messages, messages, turns, article, asked_json(turns)


def _streamed(handler: Callable[..., Iterator[Update]]) -> Callable[..., Iterator[Shown]]:
    def stream(*args: Any) -> Iterator[Shown]:
        for update in handler(*args):
            yield _shown(update)

    return stream


def build_ui(
    assistant: Assistant, settings: Settings, feedback: "FeedbackStore | None" = None
) -> "gr.Blocks":
    """The chat page as Gradio Blocks, with an explicit, bounded queue. ``feedback`` None: no ratings."""
    import gradio as gr

    session = ChatSession(assistant, Suggestions(assistant))
    _, opening, opening_turns, opening_view = session.start()  # also builds the suggestions once
    private = {"api_visibility": "private", "show_progress": "hidden"}
    with gr.Blocks(
        title=f"Ask: {assistant.article.title}", analytics_enabled=False, fill_height=True
    ) as demo:
        turns = gr.State(opening_turns)
        shown = gr.State(opening)
        rated = gr.State(None)
        header = gr.HTML(chat_html.header_html(assistant.article), elem_id="aa-header")
        with gr.Row(equal_height=False, elem_id="aa-main"):
            with gr.Column(scale=3, elem_id="aa-chat-column"):
                export = gr.Button("Export", size="sm", elem_id="aa-export")
                chatbot = gr.Chatbot(
                    opening,
                    elem_id="aa-chat",
                    label="Conversation",
                    height=560,
                    sanitize_html=True,
                    buttons=["copy", "copy_all", export],
                    feedback_options=("Like", "Dislike") if feedback else None,
                    placeholder="Ask anything about the article.",
                    allow_file_downloads=False,
                    autoscroll=False,  # static/chat.js puts each new question at the top instead
                )
                textbox = gr.Textbox(
                    placeholder="Ask a question about the article and press Enter",
                    show_label=False,
                    submit_btn=True,
                    max_lines=6,
                    max_length=settings.max_question_chars,
                    elem_id="aa-question",
                )
                with gr.Row(visible=False, elem_id="aa-rating-note", equal_height=True) as note_row:
                    note = gr.Textbox(
                        label="Add a note to your rating (optional)",
                        max_lines=3,
                        max_length=settings.feedback_max_note_chars,
                        scale=4,
                        elem_id="aa-rating-note-text",
                    )
                    send_note = gr.Button("Send note", size="sm", scale=1, elem_id="aa-rating-note-send")
                rating_status = gr.HTML("", elem_id="aa-rating-status")
            with gr.Column(scale=2, elem_id="aa-article-panel"):
                gr.Markdown("**The article** — cited passages are highlighted; a [n] shows its quote.")
                article = gr.HTML(opening_view, elem_id="aa-article-view")
        asked = gr.Textbox(asked_json(opening_turns), visible=False, elem_id="aa-asked")
        saved = gr.Textbox("[]", visible=False, elem_id="aa-saved")

        outputs = [textbox, chatbot, shown, turns, article, asked]
        after_change = {"fn": None, "inputs": [asked], "outputs": None, "js": AFTER_CHANGE_JS}

        def opened(questions: str) -> tuple[str, list[Message], list[Message], list[Message], str, str]:
            # Read again on every page load: a page opened after an index swap shows the new article.
            _, messages, kept, view = session.replay(questions)
            return chat_html.header_html(assistant.article), messages, messages, kept, view, asked_json(kept)

        demo.load(
            opened, [saved], [header, chatbot, shown, turns, article, asked], js=SAVED_QUESTIONS_JS, **private
        ).then(**after_change)
        respond = _streamed(session.respond)
        submitted = textbox.submit(respond, [textbox, shown, turns], outputs, **private)
        submitted.then(**after_change)

        def pick_option(event: gr.SelectData) -> str:
            return str(event.value)

        picked = chatbot.option_select(pick_option, None, textbox, api_visibility="private").then(
            respond, [textbox, shown, turns], outputs, **private
        )
        picked.then(**after_change)
        # Undo and clear stop an answer still streaming in, or it would write itself back afterwards.
        streaming = [submitted, picked]
        chatbot.undo(
            lambda *a: _shown(session.undo(*a)),
            [shown, turns],
            outputs,
            api_visibility="private",
            cancels=streaming,
        ).then(**after_change)
        chatbot.clear(
            lambda: _shown(session.clear()), None, outputs, api_visibility="private", cancels=streaming
        ).then(**after_change)
        export.click(None, None, None, js=EXPORT_JS)
        if feedback is not None:
            _wire_ratings(session, feedback, chatbot, turns, rated, note_row, note, send_note, rating_status)
        gr.api(_chat_api(session), api_name="chat")
    demo.queue(default_concurrency_limit=settings.ui_concurrency_limit, max_size=settings.ui_queue_size)
    return demo


def _wire_ratings(
    session: ChatSession,
    store: "FeedbackStore",
    chatbot: "gr.Chatbot",
    turns: "gr.State",
    rated: "gr.State",
    note_row: "gr.Row",
    note: "gr.Textbox",
    send_note: "gr.Button",
    status: "gr.HTML",
) -> None:
    """👍/👎 under each answer, stored with the question, answer and citations the server recorded for
    that message (the client only says which message); then an optional note, attached to that rating."""
    import gradio as gr

    def client_of(request: gr.Request) -> str:
        return request.client.host if request and request.client else "unknown"

    def rate(kept: list[Message], event: gr.LikeData, request: gr.Request) -> tuple[Any, ...]:
        if event.liked not in (True, False):  # a thumb clicked again: nothing new to store
            return None, gr.update(visible=False), "", ""
        rating = "up" if event.liked else "down"
        feedback = session.feedback(kept, event.index, rating)
        if feedback is None:
            return None, gr.update(visible=False), "", chat_html.status_html("Only answers can be rated.")
        try:
            row = store.record(feedback, session.assistant.article, client=client_of(request))
        except AssistantError as error:
            logger.warning("a chat rating was not stored: %s", error)
            problem = f"Your rating was not saved: {error}"
            return None, gr.update(visible=False), "", chat_html.status_html(problem, alert=True)
        kind = "helpful" if event.liked else "not helpful"
        if not store.max_note_chars:  # notes are switched off
            saved = f"Thanks: your rating ({kind}) is saved."
            return None, gr.update(visible=False), "", chat_html.status_html(saved)
        thanks = f"Thanks: your rating ({kind}) is saved. Add a note below if you like."
        kept_rating: Rating = {"index": event.index, "rating": rating, "row": row}
        return kept_rating, gr.update(visible=True), "", chat_html.status_html(thanks)

    def send(rating: Rating | None, note_text: str, request: gr.Request) -> tuple[Any, ...]:
        if rating is None or not (note_text or "").strip():
            return rating, gr.update(visible=rating is not None), note_text, ""
        try:
            store.add_note(rating["row"], note_text.strip(), client=client_of(request))
        except AssistantError as error:
            logger.warning("a chat note was not stored: %s", error)
            problem = f"Your note was not saved: {error}"
            return rating, gr.update(visible=True), note_text, chat_html.status_html(problem, alert=True)
        return None, gr.update(visible=False), "", chat_html.status_html("Thanks for the note: it is saved.")

    chatbot.like(rate, [turns], [rated, note_row, note, status], api_visibility="private")
    outputs = [rated, note_row, note, status]
    send_note.click(send, [rated, note], outputs, api_visibility="private")
    note.submit(send, [rated, note], outputs, api_visibility="private")


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
    blocks = build_ui(assistant, settings, getattr(app.state, "feedback", None))
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
    gradio_mount.app = GradioGuard(gradio_mount.app)
