"""The chat page's components, laid out once and held by name, for the events to read and write.

Layout: header (title, byline, note), the article picker when the page has a shelf, the chat (opening
on the article's cited overview, suggested questions under the last answer, 👍/👎 when feedback is on,
a note row under them) and beside it the whole article with cited spans highlighted (on a phone, below
it); then the hidden parts a tab keeps in its sessionStorage. Gradio numbers components in the order
they are made here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.article import Article
from assistant.settings import Settings
from assistant.ui import html as chat_html
from assistant.ui.articles import ArticleSessions
from assistant.ui.session import Update, asked_json

if TYPE_CHECKING:
    import gradio as gr


@dataclass(frozen=True)
class Picker:
    """The article picker and the tab's choice: kept server-side (``chosen``, checked against the shelf
    on every event), mirrored for the tab's sessionStorage (``chosen_box``), and what a reloaded tab
    sends back (``saved_choice``, validated again)."""

    dropdown: gr.Dropdown
    chosen: gr.State
    chosen_box: gr.Textbox
    saved_choice: gr.Textbox


@dataclass(frozen=True)
class Page:
    """The components the page's events read and write. What the chat shows lives server-side:
    ``shown`` (the messages) and ``turns`` (what was really said); ``asked`` mirrors the questions for
    the tab's sessionStorage and ``saved`` brings them back on reload. ``picker`` is None on the page of
    one article."""

    header: gr.HTML
    chatbot: gr.Chatbot
    textbox: gr.Textbox
    export: gr.Button
    shown: gr.State
    turns: gr.State
    article: gr.HTML
    asked: gr.Textbox
    saved: gr.Textbox
    rated: gr.State
    note_row: gr.Row
    note: gr.Textbox
    send_note: gr.Button
    rating_status: gr.HTML
    picker: Picker | None


def lay_out(
    article: Article,
    settings: Settings,
    opening: Update,
    *,
    sessions: ArticleSessions | None,
    ratings: bool,
) -> Page:
    """The page's components, inside the open ``gr.Blocks``: opening on ``opening`` (the default
    article's overview), with a picker of the shelf's articles when there are ``sessions`` (shown
    while there is more than one) and 👍/👎 under answers when ``ratings``."""
    import gradio as gr

    _, messages, opening_turns, opening_view = opening
    # A tab's conversation is dropped from the server once idle this long (Gradio then hands its next
    # event the opening again); its size is bounded by assistant.ui.bounds.
    idle = {"time_to_live": settings.chat_idle_seconds}
    turns = gr.State(opening_turns, **idle)
    shown = gr.State(messages, **idle)
    rated = gr.State(None, **idle)
    header = gr.HTML(chat_html.header_html(article), elem_id="aa-header")
    dropdown = None
    if sessions is not None:
        choices = sessions.choices()
        dropdown = gr.Dropdown(
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
                messages,
                elem_id="aa-chat",
                label="Conversation",
                height=560,
                sanitize_html=True,
                buttons=["copy", "copy_all", export],
                feedback_options=("Like", "Dislike") if ratings else None,
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
            article_view = gr.HTML(opening_view, elem_id="aa-article-view")
    asked = gr.Textbox(asked_json(opening_turns), visible=False, elem_id="aa-asked")
    saved = gr.Textbox("[]", visible=False, elem_id="aa-saved")
    picker = None
    if sessions is not None and dropdown is not None:
        picker = Picker(
            dropdown,
            chosen=gr.State(sessions.default_id, **idle),
            chosen_box=gr.Textbox(sessions.default_id, visible=False, elem_id="aa-chosen"),
            saved_choice=gr.Textbox("", visible=False, elem_id="aa-saved-article"),
        )
    return Page(
        header=header,
        chatbot=chatbot,
        textbox=textbox,
        export=export,
        shown=shown,
        turns=turns,
        article=article_view,
        asked=asked,
        saved=saved,
        rated=rated,
        note_row=note_row,
        note=note,
        send_note=send_note,
        rating_status=rating_status,
        picker=picker,
    )
