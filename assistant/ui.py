"""The Gradio chat page, mounted at ``/`` of the API's FastAPI app. Gradio is imported only here.

Layout: header (title, byline, note), the chat with example questions, and beside it the whole
article with cited spans highlighted. Behaviour lives in ``assistant.chat`` as plain functions.

No ``from __future__ import annotations`` here: Gradio reads the real ``gr.SelectData`` annotation of
the example handler to know it must pass the selection event.
"""

from pathlib import Path
from typing import TYPE_CHECKING

from assistant import chat_html
from assistant.article import BlockKind
from assistant.chat import ChatSession
from assistant.pipeline import Assistant
from assistant.settings import Settings

if TYPE_CHECKING:
    import gradio as gr
    from fastapi import FastAPI

STATIC_DIR = Path(__file__).resolve().parent / "static"


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
        gr.HTML(chat_html.header_html(assistant.article), elem_id="aa-header")
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

        outputs = [textbox, chatbot, turns, article]
        submitted = textbox.submit(
            session.respond,
            [textbox, chatbot, turns],
            outputs,
            api_visibility="private",
            show_progress="hidden",
        )

        def pick_example(event: gr.SelectData) -> str:
            return event.value["text"]

        picked = chatbot.example_select(pick_example, None, textbox, api_visibility="private").then(
            session.respond,
            [textbox, chatbot, turns],
            outputs,
            api_visibility="private",
            show_progress="hidden",
        )
        retried = chatbot.retry(
            session.retry, [chatbot, turns], outputs, api_visibility="private", show_progress="hidden"
        )
        # Undo and clear stop an answer still streaming in, or it would write itself back afterwards.
        streaming = [submitted, picked, retried]
        chatbot.undo(session.undo, [chatbot, turns], outputs, api_visibility="private", cancels=streaming)
        chatbot.clear(session.clear, None, outputs, api_visibility="private", cancels=streaming)
        gr.api(session.answer_text, api_name="chat")
    demo.queue(default_concurrency_limit=settings.ui_concurrency_limit, max_size=settings.ui_queue_size)
    return demo


def mount_ui(app: "FastAPI", assistant: Assistant, settings: Settings) -> None:
    """Serve the chat page at ``/``: no share link, no flagging, errors not shown to users, local assets."""
    import gradio as gr

    gr.mount_gradio_app(
        app,
        build_ui(assistant, settings),
        path="/",
        show_error=False,
        footer_links=["api"],
        ssr_mode=False,
        mcp_server=False,
        pwa=False,
        enable_monitoring=False,
        css=(STATIC_DIR / "chat.css").read_text(),
        head=f"<script>{(STATIC_DIR / 'chat.js').read_text()}</script>",
    )
