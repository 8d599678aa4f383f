"""The optional LLM answerer: a model server words the answer, guardrails keep every citation honest."""

from assistant.answer.llm.answerer import LLMAnswerer
from assistant.answer.llm.backend import BackendFailure, ChatBackend
from assistant.answer.llm.prompt import AnswerPrompt

__all__ = ["AnswerPrompt", "BackendFailure", "ChatBackend", "LLMAnswerer"]
