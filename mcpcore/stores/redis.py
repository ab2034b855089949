"""Redis stores (``pip install mcpcore[redis]``): shared state for replicas behind a load balancer.

This is the only module that imports ``redis``, and it does so when a Redis
store is first configured, so the core install never needs it. Every key a
store writes carries a TTL or a length bound, so Redis memory stays bounded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - typing only
    from redis.asyncio import Redis

__all__ = ["connect"]


def connect(url: str, **options: Any) -> Redis:
    """An asyncio Redis client for ``url`` (``redis://host:port/db``); fails clearly without the extra."""
    try:
        from redis.asyncio import Redis
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise RuntimeError(
            f"a Redis store ({url}) needs the redis extra: pip install 'mcpcore[redis]'"
        ) from exc
    return Redis.from_url(url, **options)


# --- tasks ---------------------------------------------------------------------------------------

# --- events, subscription bus --------------------------------------------------------------------
