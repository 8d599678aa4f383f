"""Readers' 👍/👎 on answers, kept in a local SQLite database and exported to CSV or JSON lines."""

from assistant.feedback.export import export
from assistant.feedback.model import Feedback, FeedbackEntry
from assistant.feedback.store import FeedbackStore, open_feedback_store, read_entries

__all__ = ["Feedback", "FeedbackEntry", "FeedbackStore", "export", "open_feedback_store", "read_entries"]
