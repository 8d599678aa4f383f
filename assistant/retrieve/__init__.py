"""Retrieve: the question (and the chat so far) becomes a search query; hybrid search finds the passages."""
