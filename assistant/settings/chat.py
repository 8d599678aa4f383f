"""What one chat conversation may hold on the server, and what reloading a tab may cost."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ChatSettings(BaseModel):
    """Bounds on a chat tab's server-side state and on the replay of a reloaded tab."""

    chat_max_questions: int = Field(
        30,
        ge=1,
        le=500,
        description="Questions a chat conversation keeps (older exchanges leave the server's state and "
        "the page); a reloaded tab replays at most this many.",
    )
    chat_max_chars: int = Field(
        150_000,
        ge=10_000,
        description="Characters a chat conversation keeps in the server's state (its messages and turns, "
        "as JSON); beyond it the oldest exchanges are dropped, the newest always stays.",
    )
    chat_restore_chars: int = Field(
        6_000,
        ge=100,
        description="Characters of questions a reloaded tab replays in all (its newest first; older ones "
        "are left out): with ASSISTANT_CHAT_MAX_QUESTIONS, what bounds the page load's work.",
    )
    chat_restore_seconds: float = Field(
        30.0,
        gt=0,
        description="Seconds a reloaded tab's replay may take in all (each question still within "
        "ASSISTANT_REQUEST_TIMEOUT); past it the rest is not restored, and the chat says so.",
    )
    chat_max_sessions: int = Field(
        1000,
        ge=1,
        description="Chat tabs whose conversation the server keeps at once (Gradio's session capacity); "
        "beyond it the least recently used is dropped, and its next question starts a new conversation.",
    )
    chat_idle_seconds: float = Field(
        3600.0,
        gt=0,
        description="Seconds a chat tab's conversation is kept on the server after its last event; "
        "after that its next question starts a new conversation.",
    )
