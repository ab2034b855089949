"""mcpcore's asyncio Redis client against a real redis-server (and, for faults, real sockets that misbehave).

Every test runs on uvloop and on asyncio. redis-py (dev extra) is the
independent witness where a test needs one.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest

from mcpcore.loop import run
from mcpcore.stores.redis_client import (
    RedisClient,
    RedisConnectionError,
    RedisSubscriber,
    RedisTimeoutError,
    connect,
    parse_url,
)
from mcpcore.stores.resp import RedisReplyError
from tests.redis_server import admin_client, free_port

T = TypeVar("T")
DEADLINE = 10.0


def _run(loop_name: str, scenario: Callable[[], Awaitable[T]]) -> T:
    async def bounded() -> T:
        return await asyncio.wait_for(scenario(), DEADLINE)

    return run(bounded(), loop=loop_name)  # type: ignore[arg-type]


def test_urls_name_host_port_db_credentials_tls_and_unix_sockets() -> None:
    plain = parse_url("redis://h.example:6380/2")
    assert (plain.host, plain.port, plain.db, plain.tls) == ("h.example", 6380, 2, False)
    assert plain.password is None
    secure = parse_url("rediss://user:p%40ss@h.example/0")
    assert (secure.username, secure.password, secure.tls, secure.port) == ("user", "p@ss", True, 6379)
    assert parse_url("redis://:only@h/1").password == "only"
    assert parse_url("redis://h?db=5").db == 5
    local = parse_url("unix:///run/redis.sock?db=3")
    assert (local.path, local.db) == ("/run/redis.sock", 3)
    with pytest.raises(ValueError, match="not a Redis URL"):
        parse_url("http://h/0")
    with pytest.raises(ValueError, match="database number"):
        parse_url("redis://h/zero")


def test_calls_answer_in_order_and_an_error_reply_raises_without_breaking_the_connection(
    loop_name: str, redis_url: str
) -> None:
    async def scenario() -> None:
        client = connect(redis_url)
        try:
            counts = await asyncio.gather(*(client.call("INCR", "n") for _ in range(200)))
            assert counts == list(range(1, 201))  # issued in one iteration: pipelined, matched in order
            with pytest.raises(RedisReplyError, match="WRONGTYPE"):
                await client.call("LPUSH", "n", "x")
            assert await client.call("GET", "n") == b"200"
            commands: list[tuple[str, ...]] = [("SET", "k", "v"), ("LPUSH", "k", "x"), ("GET", "k")]
            with pytest.raises(RedisReplyError, match="WRONGTYPE"):
                await client.pipeline(commands)
            replies = await client.pipeline(commands, raise_errors=False)
            assert replies[0] == "OK" and replies[2] == b"v"
            assert isinstance(replies[1], RedisReplyError)  # asked for: an error in a pipeline is a value
            assert await client.call("GET", "k") == b"v"  # the connection is still in step
            assert await client.pipeline([]) == []
        finally:
            await client.aclose()

    _run(loop_name, scenario)


def test_auth_and_select_happen_on_connect(loop_name: str, redis_url: str) -> None:
    db = parse_url(redis_url).db + 1
    port = parse_url(redis_url).port

    async def scenario() -> None:
        admin = admin_client(redis_url)
        await admin.execute_command("ACL", "SETUSER", "mcpcore-test", "on", ">s3cret", "~*", "+@all")
        client = connect(f"redis://mcpcore-test:s3cret@127.0.0.1:{port}/{db}")
        wrong = connect(f"redis://mcpcore-test:wrong@127.0.0.1:{port}/{db}")
        try:
            await client.call("SET", "where", "here")
            assert await client.call("ACL", "WHOAMI") == b"mcpcore-test"
            other = admin_client(f"redis://127.0.0.1:{port}/{db}")
            try:
                assert await other.get("where") == b"here"
            finally:
                await other.execute_command("FLUSHDB")
                await other.aclose()
            with pytest.raises(RedisReplyError, match="WRONGPASS"):
                await wrong.call("PING")
        finally:
            await client.aclose()
            await wrong.aclose()
            await admin.execute_command("ACL", "DELUSER", "mcpcore-test")
            await admin.aclose()

    _run(loop_name, scenario)


def test_a_script_runs_by_sha_and_is_sent_whole_only_when_redis_forgot_it(
    loop_name: str, redis_url: str
) -> None:
    async def scenario() -> None:
        client = connect(redis_url)
        try:
            double = client.script("return tonumber(ARGV[1]) * 2 + #KEYS")
            assert await double(["a"], [20]) == 41  # NOSCRIPT at first: EVAL, which caches it
            assert await client.call("SCRIPT", "EXISTS", double.sha) == [1]
            assert await double.many([(["a"], [1]), ([], [2])]) == [3, 4]
            await client.call("SCRIPT", "FLUSH")
            assert await double.many([(["a"], [1]), ([], [2])]) == [3, 4]  # reloaded, then retried
            with pytest.raises(RedisReplyError):
                await client.script("return redis.call('NOPE')")([])
        finally:
            await client.aclose()

    _run(loop_name, scenario)


def test_a_lost_connection_fails_what_is_in_flight_and_the_next_call_reconnects(
    loop_name: str, redis_url: str
) -> None:
    async def scenario() -> None:
        client, admin = connect(redis_url), admin_client(redis_url)
        try:
            my_id = await client.call("CLIENT", "ID")
            blocked = asyncio.ensure_future(client.call("BLPOP", "never", 0))
            while not any(c["id"] == str(my_id) and c["cmd"] == "blpop" for c in await admin.client_list()):
                await asyncio.sleep(0.01)  # polling Redis for a state, bounded by DEADLINE
            assert await admin.execute_command("CLIENT", "KILL", "ID", my_id) == 1
            with pytest.raises(RedisConnectionError) as lost:
                await blocked
            assert isinstance(lost.value, ConnectionError)
            assert await client.call("PING") == "PONG"
            assert await client.call("CLIENT", "ID") != my_id
        finally:
            await client.aclose()
            await admin.aclose()

    _run(loop_name, scenario)


def test_nothing_listening_is_a_connection_error(loop_name: str) -> None:
    async def scenario() -> None:
        client = connect(f"redis://127.0.0.1:{free_port()}/0")
        results = await asyncio.gather(client.call("PING"), client.call("PING"), return_exceptions=True)
        assert all(isinstance(result, RedisConnectionError) for result in results), results
        assert all(isinstance(result, OSError) for result in results)

    _run(loop_name, scenario)


async def _fake_redis(answer: Callable[[bytes], bytes | None]) -> tuple[asyncio.AbstractServer, int]:
    """A loopback server that answers each chunk it reads with ``answer(chunk)`` (None: stays silent)."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            reply = answer(data)
            if reply is not None:
                writer.write(reply)
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def test_a_redis_that_never_answers_times_out_and_drops_the_connection(loop_name: str) -> None:
    async def scenario() -> None:
        server, port = await _fake_redis(lambda data: None)
        client = RedisClient(parse_url(f"redis://127.0.0.1:{port}", timeout=0.2))
        try:
            with pytest.raises(RedisTimeoutError) as raised:
                await client.call("PING")
            assert isinstance(raised.value, (ConnectionError, TimeoutError))
        finally:
            await client.aclose()
            server.close()

    _run(loop_name, scenario)


def test_a_reply_over_the_bound_is_refused_and_the_connection_dropped(loop_name: str) -> None:
    async def scenario() -> None:
        server, port = await _fake_redis(lambda data: b"$99999999999\r\n")
        client = connect(f"redis://127.0.0.1:{port}")
        try:
            with pytest.raises(RedisConnectionError, match="reply refused"):
                await client.call("GET", "k")
        finally:
            await client.aclose()
            server.close()

    _run(loop_name, scenario)


def test_a_unix_socket_url_connects_there(loop_name: str) -> None:
    async def scenario() -> None:
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "redis.sock")

            async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
                while await reader.read(65536):
                    writer.write(b"+PONG\r\n")

            server = await asyncio.start_unix_server(serve, path)
            client = connect(f"unix://{path}")
            try:
                assert await client.call("PING") == "PONG"
            finally:
                await client.aclose()
                server.close()

    _run(loop_name, scenario)


def test_a_subscriber_hears_pattern_messages_and_learns_when_its_connection_is_lost(
    loop_name: str, redis_url: str
) -> None:
    async def scenario() -> None:
        heard: asyncio.Queue[tuple[bytes, bytes]] = asyncio.Queue()
        subscriber = RedisSubscriber(parse_url(redis_url), lambda c, d: heard.put_nowait((c, d)))
        client, admin = connect(redis_url), admin_client(redis_url)
        try:
            await subscriber.psubscribe("bus:*")
            await subscriber.subscribe("direct")
            assert await client.call("PUBLISH", "bus:a", b"one") == 1
            assert await client.call("PUBLISH", "elsewhere", b"no") == 0
            assert await client.call("PUBLISH", "direct", b"two") == 1
            assert [await heard.get(), await heard.get()] == [(b"bus:a", b"one"), (b"direct", b"two")]
            await admin.execute_command("CLIENT", "KILL", "TYPE", "pubsub")
            reason: Any = await subscriber.wait_closed()
            assert isinstance(reason, RedisConnectionError)
        finally:
            await subscriber.aclose()
            await client.aclose()
            await admin.aclose()

    _run(loop_name, scenario)
