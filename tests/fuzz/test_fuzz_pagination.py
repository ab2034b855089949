"""Cursors and sealed requestState under hostile values.

Invariants: any cursor value yields a page or -32602 (never another
exception, never -32603 with a logged traceback); following the cursors the
server hands out visits every item exactly once, in order; any requestState
token other than the one sealed for this very call is refused with -32602.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mcpcore.errors import INVALID_PARAMS, RpcError
from mcpcore.registry.input_required import StateSealer
from mcpcore.registry.pagination import Paginator
from tests.fuzz._support import fuzz, json_values

_cursors = st.one_of(
    json_values,
    st.text(max_size=40),
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=", max_size=40),
    st.integers(min_value=0, max_value=10**6).map(
        lambda n: base64.urlsafe_b64encode(f"o{n}".encode()).decode()
    ),
)


@fuzz
@given(
    items=st.integers(min_value=0, max_value=30),
    page_size=st.one_of(st.none(), st.integers(1, 7)),
    cursor=_cursors,
)
def test_any_cursor_yields_a_page_or_invalid_params(items: int, page_size: int | None, cursor: Any) -> None:
    paginator = Paginator(page_size)
    data = list(range(items))
    try:
        page, next_cursor = paginator.page(data, cursor)
    except RpcError as exc:
        assert exc.code == INVALID_PARAMS
        return
    if page:  # a contiguous run of the list, never anything invented
        assert list(page) == data[page[0] : page[0] + len(page)]
    assert next_cursor is None or type(next_cursor) is str


@fuzz
@given(items=st.integers(min_value=0, max_value=50), page_size=st.one_of(st.none(), st.integers(1, 9)))
def test_following_cursors_visits_every_item_once_in_order(items: int, page_size: int | None) -> None:
    paginator = Paginator(page_size)
    data = list(range(items))
    seen: list[int] = []
    cursor: str | None = None
    for _ in range(items + 2):
        page, cursor = paginator.page(data, cursor)
        seen.extend(page)
        if cursor is None:
            break
    assert seen == data


_SEALER = StateSealer(b"k" * 32, ttl=60)


@fuzz
@given(
    token=st.one_of(json_values, st.text(max_size=80), st.text(alphabet="AaBb09-_.=", max_size=80)),
    state=json_values,
)
def test_a_forged_request_state_is_refused_with_invalid_params(token: Any, state: Any) -> None:
    genuine = _SEALER.seal("tools/call", {"name": "t"}, state, now=1000)
    if token == genuine:
        return
    with pytest.raises(RpcError) as caught:
        _SEALER.open("tools/call", {"name": "t"}, token, now=1000)
    assert caught.value.code == INVALID_PARAMS


@fuzz
@given(state=json_values, flip=st.integers(min_value=0, max_value=10_000), bit=st.integers(0, 7))
def test_any_altered_byte_of_a_sealed_state_is_detected(state: Any, flip: int, bit: int) -> None:
    genuine = _SEALER.seal("tools/call", {"name": "t"}, state, now=1000)
    assert _SEALER.open("tools/call", {"name": "t"}, genuine, now=1000) == state
    raw = bytearray(genuine.encode())
    index = flip % len(raw)
    raw[index] ^= 1 << bit
    altered = raw.decode("latin-1")
    if altered == genuine:
        return
    with pytest.raises(RpcError) as caught:  # non-canonical base64 included: one token per state
        _SEALER.open("tools/call", {"name": "t"}, altered, now=1000)
    assert caught.value.code == INVALID_PARAMS
    # Sealed for one call, it is refused for another and after it expires.
    with pytest.raises(RpcError):
        _SEALER.open("tools/call", {"name": "other"}, genuine, now=1000)
    with pytest.raises(RpcError):
        _SEALER.open("tools/call", {"name": "t"}, genuine, now=1000 + 61)


@pytest.mark.parametrize(
    "method", ["tools/list", "resources/list", "resources/templates/list", "prompts/list"]
)
@pytest.mark.parametrize("cursor", [[], {}, ["a"], {"o": 1}])
def test_a_non_string_cursor_is_invalid_params_without_a_logged_traceback(
    method: str, cursor: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.fuzz.test_fuzz_connection import _drive, _initialize, _request

    with caplog.at_level(logging.ERROR):
        output, _ = asyncio.run(_drive([_initialize("2025-11-25"), _request(1, method, {"cursor": cursor})]))
    reply = orjson.loads(output[-1])
    assert reply["error"]["code"] == INVALID_PARAMS
    assert not [record for record in caplog.records if record.exc_info]
