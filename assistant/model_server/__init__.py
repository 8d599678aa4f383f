"""Local model servers for the optional LLM answerer: packaged GGUF models run by llama.cpp."""

from assistant.model_server.models import MODELS, ModelNotInstalled, PackagedModel, gguf_path, packaged_model
from assistant.model_server.server import (
    RunningServer,
    ServerOptions,
    ServerUnavailable,
    serve_forever,
    start,
)

__all__ = [
    "MODELS",
    "ModelNotInstalled",
    "PackagedModel",
    "RunningServer",
    "ServerOptions",
    "ServerUnavailable",
    "gguf_path",
    "packaged_model",
    "serve_forever",
    "start",
]
