"""The chat page's events, wired once for both pages: the one of a single article and the one with the
article picker differ only in their ``Scope`` (which session answers, and what beyond the conversation
an event reads and writes).

Events: opening (or replaying a reloaded tab), questions, suggested questions, choosing an article (with
the picker), undo, clear and export; then 👍/👎 and their notes. Gradio numbers events in the order they
are registered here; nothing outside depends on those numbers.

No ``from __future__ import annotations`` here: Gradio reads the real ``gr.SelectData``,
``gr.LikeData`` and ``gr.Request`` annotations of the handlers to know what to pass them.
"""

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assistant.errors import AssistantError, public_message
from assistant.ui import html as chat_html
from assistant.ui.articles import ArticleSessions, Chosen
from assistant.ui.page import Page
from assistant.ui.session import ChatSession, Message, Rating, Update, asked_json

if TYPE_CHECKING:
    import gradio as gr

    from assistant.feedback import FeedbackStore

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


@dataclass(frozen=True)
class Scope:
    """Which article a page's events are about, and what they read and write beyond the conversation.

    ``choose`` takes the values of ``inputs`` and gives the session that answers (or the reason a tab's
    choice was dropped); ``show`` gives the values of ``outputs`` for a choice. ``saved``/``saved_js``:
    what a reloaded tab sends; ``kept``/``kept_js``: what a tab keeps after every change.
    ``header_on_load``: no event writes the header, so the page load writes it in the textbox's place
    (a page opened after an index swap shows the new article)."""

    choose: Callable[..., Chosen]
    show: Callable[[Chosen], tuple[Any, ...]]
    inputs: list["gr.components.Component"]
    outputs: list["gr.components.Component"]
    saved: list["gr.components.Component"]
    saved_js: str
    kept: list["gr.components.Component"]
    kept_js: str
    header_on_load: bool


def one_article(page: Page, session: ChatSession) -> Scope:
    """The page of the default article alone: every event is answered by its session."""
    return Scope(
        choose=lambda: Chosen("", session),  # no id: this page keeps no choice
        show=lambda choice: (),
        inputs=[],
        outputs=[],
        saved=[page.saved],
        saved_js=SAVED_QUESTIONS_JS,
        kept=[page.asked],
        kept_js=AFTER_CHANGE_JS,
        header_on_load=True,
    )


def chosen_article(page: Page, sessions: ArticleSessions) -> Scope:
    """The page with the article picker: each event is answered by the session of the article the tab
    chose. The choice is a ``gr.State``, checked against the shelf on every event
    (``ArticleSessions.choose``); a tab whose article was removed is told so and put back on the
    default article. Every event writes the header, the choice, its mirror for the tab's
    sessionStorage (a reload reopens it, validated again) and the picker, whose list is read again:
    an article added while the server runs is offered, and the picker hides when one is left."""
    import gradio as gr

    picker = page.picker
    assert picker is not None

    def show(choice: Chosen) -> tuple[Any, ...]:
        header_html = chat_html.header_html(choice.session.assistant.article)
        choices = sessions.choices()
        picked = gr.update(
            choices=choices, value=choice.article_id, visible=len(choices) > 1, interactive=True
        )
        return header_html, choice.article_id, choice.article_id, picked

    return Scope(
        choose=sessions.choose,
        show=show,
        inputs=[picker.chosen],
        outputs=[page.header, picker.chosen, picker.chosen_box, picker.dropdown],
        saved=[page.saved, picker.saved_choice],
        saved_js=SAVED_CHOICE_JS,
        kept=[page.asked, picker.chosen_box],
        kept_js=AFTER_CHOICE_JS,
        header_on_load=False,
    )


def _shown(update: Update) -> Shown:
    textbox, messages, turns, article = update
    return textbox, messages, messages, turns, article, asked_json(turns)


def wire_conversation(demo: "gr.Blocks", page: Page, scope: Scope) -> None:
    """The page's events: opening (or replaying a reloaded tab), questions, suggested questions,
    choosing an article (with the picker), undo, clear and export."""
    import gradio as gr

    private = {"api_visibility": "private", "show_progress": "hidden"}
    conversation = [page.textbox, page.chatbot, page.shown, page.turns, page.article, page.asked]
    outputs = [*conversation, *scope.outputs]
    after_change = {"fn": None, "inputs": scope.kept, "outputs": None, "js": scope.kept_js}
    unchanged = tuple(gr.skip() for _ in scope.outputs)

    def fresh(choice: Chosen, textbox_value: str = "") -> tuple[Any, ...]:
        return (*_shown(ArticleSessions.opening(choice, textbox_value)), *scope.show(choice))

    def opened(questions: str, *saved_choice: str) -> tuple[Any, ...]:
        # Read again on every page load: a page opened after an index swap shows the new article.
        choice = scope.choose(*(saved or None for saved in saved_choice))
        if choice.problem:
            shown = fresh(choice)
        else:
            shown = (*_shown(choice.session.replay(questions)), *scope.show(choice))
        # A question typed while the page loaded stays in the box.
        first = chat_html.header_html(choice.session.assistant.article) if scope.header_on_load else gr.skip()
        return (first, *shown[1:])

    def respond(question: str, messages: list[Message], kept: list[Message], *chosen: str) -> Iterator[Any]:
        choice = scope.choose(*chosen)
        if choice.problem:
            yield fresh(choice, question)
            return
        for update in choice.session.respond(question, messages, kept):
            yield (*_shown(update), *unchanged)

    def undo(messages: list[Message], kept: list[Message], *chosen: str) -> tuple[Any, ...]:
        choice = scope.choose(*chosen)
        if choice.problem:
            return fresh(choice)
        return (*_shown(choice.session.undo(messages, kept)), *unchanged)

    def clear(*chosen: str) -> tuple[Any, ...]:
        return fresh(scope.choose(*chosen))

    load_outputs = [page.header if scope.header_on_load else page.textbox, *outputs[1:]]
    demo.load(opened, scope.saved, load_outputs, js=scope.saved_js, **private).then(**after_change)
    asking = [page.textbox, page.shown, page.turns, *scope.inputs]
    submitted = page.textbox.submit(respond, asking, outputs, **private)
    submitted.then(**after_change)

    def pick_option(event: gr.SelectData) -> str:
        return str(event.value)

    picked = page.chatbot.option_select(pick_option, None, page.textbox, api_visibility="private").then(
        respond, asking, outputs, **private
    )
    picked.then(**after_change)
    # Undo, clear and choosing another article stop an answer still streaming in, or it would write
    # itself back afterwards.
    streaming = [submitted, picked]
    if page.picker is not None:  # choosing an article starts a new conversation about it
        picker = page.picker

        def pick(article_id: str, current: str) -> tuple[Any, ...]:
            if article_id == current:  # the server set the picker (on load, or back to the default)
                return tuple(gr.skip() for _ in outputs)
            return fresh(scope.choose(article_id))

        # On any change, the keyboard's too (Gradio's ``input`` misses a choice made with Enter).
        picker.dropdown.change(
            pick, [picker.dropdown, picker.chosen], outputs, cancels=streaming, **private
        ).then(**after_change)
    page.chatbot.undo(undo, asking[1:], outputs, api_visibility="private", cancels=streaming).then(
        **after_change
    )
    page.chatbot.clear(clear, scope.inputs, outputs, api_visibility="private", cancels=streaming).then(
        **after_change
    )
    page.export.click(None, None, None, js=EXPORT_JS)


def wire_ratings(page: Page, scope: Scope, store: "FeedbackStore") -> None:
    """👍/👎 under each answer, stored with the question, answer and citations the server recorded for
    that message (the client only says which message); then an optional note, attached to that rating.
    With the article picker, the rating is stored against the article the tab has chosen."""
    import gradio as gr

    def client_of(request: gr.Request) -> str:
        return request.client.host if request and request.client else "unknown"

    # Two handlers, not one with ``*chosen``: Gradio passes ``gr.LikeData`` and ``gr.Request`` by position.
    def rate(kept: list[Message], event: gr.LikeData, request: gr.Request) -> tuple[Any, ...]:
        return rate_as(scope.choose(), kept, event, request)

    def rate_chosen(
        kept: list[Message], article_id: str, event: gr.LikeData, request: gr.Request
    ) -> tuple[Any, ...]:
        return rate_as(scope.choose(article_id), kept, event, request)

    def rate_as(
        choice: Chosen, kept: list[Message], event: gr.LikeData, request: gr.Request
    ) -> tuple[Any, ...]:
        if choice.problem:
            problem = f"Your rating was not saved: {choice.problem}"
            return None, gr.update(visible=False), "", chat_html.status_html(problem, alert=True)
        session = choice.session
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
            problem = f"Your rating was not saved: {public_message(error)}"
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
            problem = f"Your note was not saved: {public_message(error)}"
            return rating, gr.update(visible=True), note_text, chat_html.status_html(problem, alert=True)
        return None, gr.update(visible=False), "", chat_html.status_html("Thanks for the note: it is saved.")

    outputs = [page.rated, page.note_row, page.note, page.rating_status]
    rating = rate_chosen if scope.inputs else rate
    page.chatbot.like(rating, [page.turns, *scope.inputs], outputs, api_visibility="private")
    page.send_note.click(send, [page.rated, page.note], outputs, api_visibility="private")
    page.note.submit(send, [page.rated, page.note], outputs, api_visibility="private")
