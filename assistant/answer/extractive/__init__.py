"""The default answerer: picks, attributes and cites sentences of the article. No LLM."""
