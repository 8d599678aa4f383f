"""article-assistant: grounded, cited answers about a news article."""

from assistant.offline import enforce_offline

enforce_offline()

from assistant.pipeline import Assistant  # noqa: E402
from assistant.schema import Answer, Citation, Turn  # noqa: E402
from assistant.settings import Settings  # noqa: E402

__all__ = ["Answer", "Assistant", "Citation", "Settings", "Turn"]
