"""Replicas given a Redis store and no ``--state-key`` agree on one ``requestState`` key through Redis."""

from __future__ import annotations

import asyncio
import logging

import pytest

from mcpcore import Server
from tests.redis_server import free_port

PARAMS = {"name": "tool", "arguments": {}}


async def _sealed_on_a_opened_on_b(a: Server, b: Server) -> object:
    async with a.running(), b.running():
        token = a.state_sealer.seal("tools/call", PARAMS, {"step": 2})
        return b.state_sealer.open("tools/call", PARAMS, token)


def test_replicas_with_a_store_and_no_key_share_one(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MCPCORE_STATE_KEY", raising=False)
    a, b = Server("a", store=redis_url), Server("b", store=redis_url)
    assert asyncio.run(_sealed_on_a_opened_on_b(a, b)) == {"step": 2}


def test_a_key_given_is_kept(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MCPCORE_STATE_KEY", raising=False)
    a, b = Server("a", store=redis_url), Server("b", store=redis_url)
    b.use_state_key("a key of our own, 32 bytes long!")
    with pytest.raises(Exception, match="requestState"):
        asyncio.run(_sealed_on_a_opened_on_b(a, b))


def test_redis_down_at_start_serves_with_its_own_key_and_says_so(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("MCPCORE_STATE_KEY", raising=False)
    server = Server("a", store=f"redis://127.0.0.1:{free_port()}/0")

    async def start() -> None:
        async with server.running():
            pass

    with caplog.at_level(logging.WARNING, logger="mcpcore.server"):
        asyncio.run(start())
    assert any("could not agree on a requestState key" in r.getMessage() for r in caplog.records)
