"""Keep every library we use from reaching the internet (model hubs, telemetry, analytics)."""

import os

OFFLINE_ENVIRONMENT = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "TOKENIZERS_PARALLELISM": "false",
}


def enforce_offline() -> None:
    """Set the offline switches before any of those libraries is imported."""
    for name, value in OFFLINE_ENVIRONMENT.items():
        os.environ[name] = value
