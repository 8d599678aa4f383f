"""What can go wrong, in words a user can act on. Surfaces translate these; nothing else leaks."""


class AssistantError(Exception):
    """Base class: something the user or operator can fix; the message says how."""


class InvalidQuestion(AssistantError):
    """The question is empty, too long or not text."""


class IndexUnavailable(AssistantError):
    """The index cannot be opened or built (missing, unreadable or read-only directory)."""


class IndexBusy(AssistantError):
    """Another process is building the index right now."""


class NotAuthorized(AssistantError):
    """The request has no valid API key: send ``Authorization: Bearer <key>``."""


class AnswerTimeout(AssistantError):
    """No answer within the request time limit: the index or the model is stuck or overloaded."""
