"""The HTTP process of ``canipost serve`` (see :mod:`bot.server.app`)."""

from __future__ import annotations

from bot.server.app import (
    ServerContext,
    build_app,
    configured_platforms,
    context_of,
    register_platform,
)

__all__ = ["ServerContext", "build_app", "configured_platforms", "context_of", "register_platform"]
