"""Opaque cursors over an ordered list, shared by every ``*/list`` method.

A cursor is the base64url text of the next offset: opaque to the client (the
spec forbids it to parse one), cheap to check here. Anything that does not
decode to an offset inside the list is -32602. The empty string is a valid
cursor and means the start, as the spec allows it to be sent.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import TypeVar

from mcpcore.errors import INVALID_PARAMS, RpcError

__all__ = ["Paginator"]

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
