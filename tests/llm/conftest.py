"""The LLM tests' selection: the 1.5B model's tests run only when asked for (the server fixture,
``llm_server``, lives in tests/llm/server.py and is registered in tests/conftest.py)."""

from __future__ import annotations

import pytest

QUALITY = "llm_quality"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests of the 1.5B model (1.1 GB, ~2 GB of memory) run only when asked for: ``-m llm_quality``."""
    if QUALITY in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(
        reason="the 1.5B model runs only with -m llm_quality (pip install -e '.[llm-quality]')"
    )
    for item in items:
        if item.get_closest_marker(QUALITY):
            item.add_marker(skip)
