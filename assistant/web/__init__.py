"""The HTTP surface: JSON and OpenAI-compatible APIs, /embed, /healthz, and the server that runs them."""
