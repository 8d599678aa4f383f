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

from assistant.errors import AssistantError
from assistant.pipeline import Assistant
from assistant.settings import Settings
from assistant.suggestions import Suggestions
from assistant.ui import html as chat_html
from assistant.ui.articles import ArticleSessions, Chosen
from assistant.ui.guard import GradioGuard
from assistant.ui.session import ChatSession, Message, Rating, Update, asked_json

if TYPE_CHECKING:
    import gradio as gr
    from fastapi import FastAPI

    from assistant.feedback import FeedbackStore
    from assistant.library.shelf import Shelf

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
# With the article picker: the article a tab chose is kept beside its questions (validated on load).
SAVED_CHOICE_JS = "() => window.aaChat ? [window.aaChat.saved(), window.aaChat.savedArticle()] : ['[]', '']"
AFTER_CHOICE_JS = "(asked, id) => { if (window.aaChat) window.aaChat.changed(asked, id); return []; }"


def _shown(update: Update) -> Shown:
    textbox, messages, turns, article = update
    return textbox, messages, messages, turns, article, asked_json(turns)


def _streamed(handler: Callable[..., Iterator[Update]]) -> Callable[..., Iterator[Shown]]:
    def stream(*args: Any) -> Iterator[Shown]:
        for update in handler(*args):
            yield _shown(update)

    return stream


def build_ui(
    assistant: Assistant,
    settings: Settings,
    feedback: "FeedbackStore | None" = None,
    shelf: "Shelf | None" = None,
) -> "gr.Blocks":
    """The chat page as Gradio Blocks, with an explicit, bounded queue. ``feedback`` None: no ratings.

    With a ``shelf``, an article picker under the header (see ``_wire_picker``), shown while the shelf
    holds more than one article: each page load reads the shelf again, so an article added while the
    server runs is offered to the next page opened, and the picker hides when one article is left.
    Without one, the page serves the default article alone.
    """
    import gradio as gr

    session = ChatSession(assistant, Suggestions(assistant))
    sessions = ArticleSessions(shelf, session) if shelf is not None else None
    _, opening, opening_turns, opening_view = session.start()  # also builds the suggestions once
    with gr.Blocks(
        title=f"Ask: {assistant.article.title}", analytics_enabled=False, fill_height=True
    ) as demo:
        turns = gr.State(opening_turns)
        shown = gr.State(opening)
        rated = gr.State(None)
        header = gr.HTML(chat_html.header_html(assistant.article), elem_id="aa-header")
        if sessions is not None:
            choices = sessions.choices()
            picker = gr.Dropdown(
                choices,
                value=sessions.default_id,
                label="Article",
                info="Choosing another article starts a new conversation about it.",
                elem_id="aa-picker",
                visible=len(choices) > 1,
                # Until the page's load event sets it: a choice made before would be undone by it.
                interactive=False,
            )
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

        if sessions is not None:
            parts = (header, chatbot, textbox, export, shown, turns, article, asked, saved)
            chosen = _wire_picker(demo, sessions, picker, *parts)
            if feedback is not None:
                rating_parts = (chatbot, turns, rated, note_row, note, send_note, rating_status)
                _wire_ratings(session, feedback, *rating_parts, sessions=sessions, chosen=chosen)
        else:
            _wire_default(
                demo, session, header, chatbot, textbox, export, shown, turns, article, asked, saved
            )
            if feedback is not None:
                _wire_ratings(
                    session, feedback, chatbot, turns, rated, note_row, note, send_note, rating_status
                )
        gr.api(_chat_api(session), api_name="chat")  # always the default article
    demo.queue(default_concurrency_limit=settings.ui_concurrency_limit, max_size=settings.ui_queue_size)
    return demo


def _wire_default(
    demo: "gr.Blocks",
    session: ChatSession,
    header: "gr.HTML",
    chatbot: "gr.Chatbot",
    textbox: "gr.Textbox",
    export: "gr.Button",
    shown: "gr.State",
    turns: "gr.State",
    article: "gr.HTML",
    asked: "gr.Textbox",
    saved: "gr.Textbox",
) -> None:
    """The page's events when it serves one article: opening (or replaying a reloaded tab), questions,
    suggested questions, undo, clear and export."""
    import gradio as gr

    private = {"api_visibility": "private", "show_progress": "hidden"}
    outputs = [textbox, chatbot, shown, turns, article, asked]
    after_change = {"fn": None, "inputs": [asked], "outputs": None, "js": AFTER_CHANGE_JS}

    def opened(questions: str) -> tuple[str, list[Message], list[Message], list[Message], str, str]:
        # Read again on every page load: a page opened after an index swap shows the new article.
        _, messages, kept, view = session.replay(questions)
        header_html = chat_html.header_html(session.assistant.article)
        return header_html, messages, messages, kept, view, asked_json(kept)

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


def _wire_picker(
    demo: "gr.Blocks",
    sessions: ArticleSessions,
    picker: "gr.Dropdown",
    header: "gr.HTML",
    chatbot: "gr.Chatbot",
    textbox: "gr.Textbox",
    export: "gr.Button",
    shown: "gr.State",
    turns: "gr.State",
    article: "gr.HTML",
    asked: "gr.Textbox",
    saved: "gr.Textbox",
) -> "gr.State":
    """The page's events with an article picker: as ``_wire_default``, each answered by the session of
    the article the tab chose. The choice is a ``gr.State`` (returned), checked against the shelf on
    every event (``ArticleSessions.choose``); choosing starts a new conversation on that article; a
    tab whose article was removed is told so and put back on the default article. A hidden textbox
    mirrors the choice for the tab's sessionStorage, so a reload reopens it (validated again)."""
    import gradio as gr

    private = {"api_visibility": "private", "show_progress": "hidden"}
    chosen = gr.State(sessions.default_id)
    chosen_box = gr.Textbox(sessions.default_id, visible=False, elem_id="aa-chosen")
    saved_choice = gr.Textbox("", visible=False, elem_id="aa-saved-article")
    outputs = [textbox, chatbot, shown, turns, article, asked, header, chosen, chosen_box, picker]
    after_change = {"fn": None, "inputs": [asked, chosen_box], "outputs": None, "js": AFTER_CHOICE_JS}
    unchanged = (gr.skip(), gr.skip(), gr.skip(), gr.skip())

    def scope(choice: Chosen) -> tuple[Any, ...]:
        """The header, the choice and the picker for ``choice`` (the picker's list read again: shown
        while there is more than one article to choose from)."""
        header_html = chat_html.header_html(choice.session.assistant.article)
        choices = sessions.choices()
        picked = gr.update(
            choices=choices, value=choice.article_id, visible=len(choices) > 1, interactive=True
        )
        return header_html, choice.article_id, choice.article_id, picked

    def fresh(choice: Chosen, textbox_value: str = "") -> tuple[Any, ...]:
        return (*_shown(sessions.opening(choice, textbox_value)), *scope(choice))

    def opened(questions: str, article_id: str) -> tuple[Any, ...]:
        choice = sessions.choose(article_id or None)
        if choice.problem:
            shown = fresh(choice)
        else:
            shown = (*_shown(choice.session.replay(questions)), *scope(choice))
        return (gr.skip(), *shown[1:])  # a question typed while the page loaded stays in the box

    def pick(article_id: str, current: str) -> tuple[Any, ...]:
        if article_id == current:  # the server set the picker (on load, or back to the default)
            return tuple(gr.skip() for _ in outputs)
        return fresh(sessions.choose(article_id))

    def respond(
        question: str, messages: list[Message], kept: list[Message], article_id: str
    ) -> Iterator[tuple[Any, ...]]:
        choice = sessions.choose(article_id)
        if choice.problem:
            yield fresh(choice, question)
            return
        for update in choice.session.respond(question, messages, kept):
            yield (*_shown(update), *unchanged)

    def undo(messages: list[Message], kept: list[Message], article_id: str) -> tuple[Any, ...]:
        choice = sessions.choose(article_id)
        if choice.problem:
            return fresh(choice)
        return (*_shown(choice.session.undo(messages, kept)), *unchanged)

    def clear(article_id: str) -> tuple[Any, ...]:
        return fresh(sessions.choose(article_id))

    demo.load(opened, [saved, saved_choice], outputs, js=SAVED_CHOICE_JS, **private).then(**after_change)
    submitted = textbox.submit(respond, [textbox, shown, turns, chosen], outputs, **private)
    submitted.then(**after_change)

    def pick_option(event: gr.SelectData) -> str:
        return str(event.value)

    picked = chatbot.option_select(pick_option, None, textbox, api_visibility="private").then(
        respond, [textbox, shown, turns, chosen], outputs, **private
    )
    picked.then(**after_change)
    streaming = [submitted, picked]
    # On any change, the keyboard's too (Gradio's ``input`` misses a choice made with Enter); an answer
    # still streaming in about the previous article stops.
    picker.change(pick, [picker, chosen], outputs, cancels=streaming, **private).then(**after_change)
    chatbot.undo(undo, [shown, turns, chosen], outputs, api_visibility="private", cancels=streaming).then(
        **after_change
    )
    chatbot.clear(clear, [chosen], outputs, api_visibility="private", cancels=streaming).then(**after_change)
    export.click(None, None, None, js=EXPORT_JS)
    return chosen


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
    *,
    sessions: ArticleSessions | None = None,
    chosen: "gr.State | None" = None,
) -> None:
    """👍/👎 under each answer, stored with the question, answer and citations the server recorded for
    that message (the client only says which message); then an optional note, attached to that rating.
    With the article picker, the rating is stored against the article the tab has chosen."""
    import gradio as gr

    def client_of(request: gr.Request) -> str:
        return request.client.host if request and request.client else "unknown"

    def rate(kept: list[Message], event: gr.LikeData, request: gr.Request) -> tuple[Any, ...]:
        return rate_in(session, kept, event, request)

    def rate_chosen(
        kept: list[Message], article_id: str, event: gr.LikeData, request: gr.Request
    ) -> tuple[Any, ...]:
        assert sessions is not None
        choice = sessions.choose(article_id)
        if choice.problem:
            problem = f"Your rating was not saved: {choice.problem}"
            return None, gr.update(visible=False), "", chat_html.status_html(problem, alert=True)
        return rate_in(choice.session, kept, event, request)

    def rate_in(
        session: ChatSession, kept: list[Message], event: gr.LikeData, request: gr.Request
    ) -> tuple[Any, ...]:
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

    if chosen is None:
        chatbot.like(rate, [turns], [rated, note_row, note, status], api_visibility="private")
    else:
        chatbot.like(rate_chosen, [turns, chosen], [rated, note_row, note, status], api_visibility="private")
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
    gradio_mount.app = GradioGuard(gradio_mount.app)
