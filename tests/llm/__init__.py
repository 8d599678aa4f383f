"""Tests of `assistant llm serve` (assistant/model_server/), and the model servers other tests talk to."""
