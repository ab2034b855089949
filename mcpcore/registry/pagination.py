"""Opaque cursors over an ordered list, shared by every ``*/list`` method.

A cursor is the base64url text of the next offset: opaque to the client (the
spec forbids it to parse one), cheap to check here. Anything that does not
decode to an offset inside the list is -32602. The empty string is a valid
cursor and means the start, as the spec allows it to be sent.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import orjson

from mcpcore import versions
from mcpcore.errors import INVALID_PARAMS, RpcError

if TYPE_CHECKING:
    from mcpcore.context import Context

__all__ = ["CachedPages", "Paginator"]

T = TypeVar("T")


def _encode(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o{offset}".encode()).decode("ascii")


def _decode(cursor: object) -> int:
    if cursor is None or cursor == "":
        return 0
    if type(cursor) is not str:
        raise RpcError(INVALID_PARAMS, "Invalid params: cursor must be a string")
    try:
        raw = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("ascii")
        if raw[:1] != "o" or not raw[1:].isdigit():
            raise ValueError(raw)
        return int(raw[1:])
    except (ValueError, UnicodeError, binascii.Error):
        raise RpcError(INVALID_PARAMS, f"Invalid params: unknown cursor {cursor!r}") from None


class Paginator:
    """Cuts a list into pages of ``page_size`` items (``None``: everything in one page)."""

    __slots__ = ("page_size",)

    def __init__(self, page_size: int | None = None) -> None:
        if page_size is not None and page_size < 1:
            raise ValueError("page_size must be at least 1 (or None for no pagination)")
        self.page_size = page_size

    def page(self, items: Sequence[T], cursor: object) -> tuple[Sequence[T], str | None]:
        """The page starting at ``cursor`` and the cursor of the next page (``None`` at the end)."""
        offset = _decode(cursor)
        if offset > len(items) or (offset == len(items) and offset != 0):
            raise RpcError(INVALID_PARAMS, f"Invalid params: cursor {cursor!r} is past the end of the list")
        if self.page_size is None:
            return items[offset:], None
        end = offset + self.page_size
        return items[offset:end], (_encode(end) if end < len(items) else None)


class CachedPages:
    """One ``*/list`` method's pages, serialized once per (protocol version, cursor).

    List results change only when the registry does, so each page is built,
    shaped for its version (and for 2026-07-28, given ``resultType``,
    serverInfo and cache hints) and serialized once; later requests embed the
    bytes as an ``orjson.Fragment``. The registry calls :meth:`clear` on every
    change. Only cursors that decode are cached, so clients cannot grow it.
    """

    __slots__ = ("_cache", "_paginator", "key")

    def __init__(self, key: str, page_size: int | None) -> None:
        self.key = key
        self._paginator = Paginator(page_size)
        self._cache: dict[tuple[str, str | None], orjson.Fragment] = {}

    def clear(self) -> None:
        """Forget every page (the registry changed)."""
        self._cache.clear()

    def serve(
        self,
        items: Callable[[], Sequence[T]],
        render: Callable[[T, str], dict[str, Any]],
        params: dict[str, Any],
        context: Context,
    ) -> orjson.Fragment:
        """The page ``params["cursor"]`` names, rendering ``items()`` only on a cache miss."""
        cursor = params.get("cursor")  # a string or None: shape checked by mcpcore.inbound
        version = context.protocol_version or versions.LATEST_LEGACY
        cached = self._cache.get((version, cursor))
        if cached is None:
            page, next_cursor = self._paginator.page(items(), cursor)
            result: dict[str, Any] = {self.key: [render(item, version) for item in page]}
            if next_cursor is not None:
                result["nextCursor"] = next_cursor
            if version in versions.MODERN_VERSIONS:
                result = context.connection.server.modern_result(result, cacheable=True)
            cached = self._cache[(version, cursor)] = orjson.Fragment(orjson.dumps(result))
        return cached
