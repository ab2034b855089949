"""The 2026-07-28 response cache: results the server marked cacheable, kept for their ``ttlMs``.

A result of a cacheable method (:data:`CACHEABLE_METHODS`) that carries a
positive ``ttlMs`` is kept under its method and the params that select it
(``cursor``, ``uri``); a later identical request is answered from here until
it expires. The server's list-changed and resource-updated notifications
make the matching entries stale at once (:meth:`ResponseCache.invalidated_by`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Final

import orjson

__all__ = ["CACHEABLE_METHODS", "ResponseCache"]

#: 2026-07-28 results that carry ``ttlMs``/``cacheScope`` and may be served from the cache.
CACHEABLE_METHODS: Final = frozenset(
    {
        "server/discover",
        "tools/list",
        "prompts/list",
        "resources/list",
        "resources/templates/list",
        "resources/read",
    }
)
#: Which cached methods each list_changed / updated notification makes stale.
_INVALIDATES: Final = {
    "notifications/tools/list_changed": ("tools/list",),
    "notifications/prompts/list_changed": ("prompts/list",),
    "notifications/resources/list_changed": ("resources/list", "resources/templates/list"),
    "notifications/resources/updated": ("resources/read",),
}

CacheKey = tuple[str, bytes]


@dataclass(slots=True)
class _Cached:
    expires: float
    result: dict[str, Any]


class ResponseCache:
    """Cacheable results by method and selecting params, each until its ``ttlMs`` runs out."""

    __slots__ = ("_entries", "enabled")

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._entries: dict[CacheKey, _Cached] = {}

    def key(self, method: str, params: dict[str, Any] | None) -> CacheKey | None:
        """Where a request's result would be kept; None when it is not cached at all."""
        if not self.enabled or method not in CACHEABLE_METHODS:
            return None
        relevant = {k: v for k, v in (params or {}).items() if k in ("cursor", "uri")}
        return (method, orjson.dumps(relevant, option=orjson.OPT_SORT_KEYS))

    def get(self, key: CacheKey) -> dict[str, Any] | None:
        """The kept result, if it has not expired."""
        cached = self._entries.get(key)
        if cached is not None and cached.expires > time.monotonic():
            return cached.result
        return None

    def store(self, key: CacheKey, result: dict[str, Any]) -> None:
        """Keep ``result`` for its ``ttlMs`` (a result without a positive one is not kept)."""
        ttl = result.get("ttlMs")
        if type(ttl) is int and ttl > 0:
            self._entries[key] = _Cached(time.monotonic() + ttl / 1000.0, result)

    def invalidated_by(self, notification: str) -> None:
        """Drop what the server's ``notification`` (a list change, a resource update) made stale."""
        for method in _INVALIDATES.get(notification, ()):
            for key in [key for key in self._entries if key[0] == method]:
                del self._entries[key]

    def clear(self) -> None:
        self._entries.clear()
