"""The TaskStore contract, run against every implementation: in memory, and a real redis-server.

Each test drives a store through its async methods only, as the task
handlers do. Expiry is driven by an injected clock for the in-memory store
and by a short TTL (waited on as a condition, never slept on) for Redis.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import pytest

from mcpcore import Client, Context, Server
from mcpcore.errors import INTERNAL_ERROR, RpcError
from mcpcore.loop import run as run_loop
from mcpcore.stores import open_task_store
from mcpcore.stores.memory import InMemoryTaskStore
from mcpcore.stores.redis import RedisTaskStore
from mcpcore.stores.tasks import TERMINAL, TRANSITIONS, WORKER_DIED, TaskLimits, TaskStore
from tests.redis_server import admin_client

T = TypeVar("T")
STATUSES = ["working", "input_required", "completed", "failed", "cancelled"]
ALICE = "m:alice"
BOB = "m:bob"
ELICIT = {"method": "elicitation/create", "params": {"message": "?", "requestedSchema": {"type": "object"}}}
ACCEPT = {"action": "accept", "content": {"ok": True}}
DEADLINE = 15.0


class Clock:
    """A monotonic clock the in-memory tests move by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def monotonic(self) -> float:
        return self.now


Factory = Callable[..., TaskStore]


@pytest.fixture(params=["memory", "redis"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make(kind: str, request: pytest.FixtureRequest) -> Iterator[Factory]:
    """A function making a fresh store of this kind (Redis: on an emptied database)."""
    url = request.getfixturevalue("redis_url") if kind == "redis" else ""

    def factory(**limits: Any) -> TaskStore:
        if kind == "memory":
            return InMemoryTaskStore(TaskLimits(**limits))
        return RedisTaskStore.from_url(url, TaskLimits(**limits))

    yield factory


def run(coro_fn: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await coro_fn()

    return asyncio.run(main())


async def closing(store: TaskStore, body: Callable[[], Awaitable[T]]) -> T:
    try:
        return await body()
    finally:
        await store.close()


async def drive_to(store: TaskStore, task_id: str, status: str) -> None:
    """Move a working task to ``status`` through allowed transitions only."""
    if status == "input_required":
        assert await store.ask(task_id, {"q": ELICIT})
    elif status != "working":
        assert await store.transition(task_id, status) is not None


# ------------------------------------------------------------------ the machine


@pytest.mark.parametrize("source", STATUSES)
@pytest.mark.parametrize("target", STATUSES)
def test_transitions_follow_exactly_the_machine(make: Factory, source: str, target: str) -> None:
    store = make()

    async def body() -> None:
        task = await store.create(ALICE)
        await drive_to(store, task.task_id, source)
        moved = await store.transition(task.task_id, target, "why")
        now = await store.get(task.task_id, ALICE)
        assert now is not None
        if target in TRANSITIONS[source]:
            assert moved is not None and moved.status == target and moved.status_message == "why"
            assert now.status == target
        else:
            assert moved is None
            assert now.status == source

    run(lambda: closing(store, body))


def test_the_first_terminal_write_wins_and_carries_its_outcome(make: Factory) -> None:
    store = make()

    async def body() -> None:
        task = await store.create(ALICE)
        result = {"content": [{"type": "text", "text": "hé"}], "structuredContent": {"n": 2**40}}
        done = await store.transition(task.task_id, "completed", result=result)
        assert done is not None and done.result == result and done.terminal
        assert await store.transition(task.task_id, "cancelled", "too late") is None
        failed = await store.create(ALICE)
        error = {"code": -32603, "message": "boom", "data": {"x": [1]}}
        await store.transition(failed.task_id, "failed", "boom", error=error)
        again = await store.get(failed.task_id, ALICE)
        assert again is not None and again.error == error and again.status_message == "boom"
        assert again.result is None

    run(lambda: closing(store, body))


# ------------------------------------------------------------ ids, owners, TTL


def test_ids_are_random_unique_and_readable_at_once(make: Factory) -> None:
    store = make()

    async def body() -> None:
        ids = {(await store.create(ALICE)).task_id for _ in range(100)}
        assert len(ids) == 100 and all(len(i) >= 20 for i in ids)
        some = next(iter(ids))
        found = await store.get(some, ALICE)
        assert found is not None and found.status == "working" and found.owner == ALICE

    run(lambda: closing(store, body))


def test_another_owner_sees_nothing(make: Factory) -> None:
    store = make()

    async def body() -> None:
        mine = await store.create(ALICE)
        assert await store.get(mine.task_id, BOB) is None
        assert await store.list(BOB) == []
        assert [t.task_id for t in await store.list(ALICE)] == [mine.task_id]
        assert await store.get("no-such-task", ALICE) is None

    run(lambda: closing(store, body))


def test_listing_is_oldest_first(make: Factory) -> None:
    store = make()

    async def body() -> None:
        created = [(await store.create(ALICE)).task_id for _ in range(5)]
        await store.create(BOB)
        assert [t.task_id for t in await store.list(ALICE)] == created

    run(lambda: closing(store, body))


@pytest.mark.parametrize(("requested", "expected"), [(None, 3_600_000), (1_000, 1_000), (10**12, 86_400_000)])
def test_ttl_defaults_and_is_capped(make: Factory, requested: int | None, expected: int) -> None:
    store = make()

    async def body() -> None:
        task = await store.create(ALICE, ttl_ms=requested)
        assert task.ttl_ms == expected
        found = await store.get(task.task_id, ALICE)
        assert found is not None and found.ttl_ms == expected

    run(lambda: closing(store, body))


def test_an_expired_task_is_gone(kind: str, make: Factory) -> None:
    if kind == "memory":
        clock = Clock()
        store: TaskStore = InMemoryTaskStore(clock=clock.monotonic)

        async def body() -> None:
            task = await store.create(ALICE, ttl_ms=2_000)
            clock.now += 1.999
            assert await store.get(task.task_id, ALICE) is not None
            clock.now += 0.002
            assert await store.get(task.task_id, ALICE) is None
            assert await store.list(ALICE) == []
            assert await store.heartbeat([task.task_id]) == {task.task_id}

        run(body)
        return
    store = make()

    async def redis_body() -> None:
        task = await store.create(ALICE, ttl_ms=100)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DEADLINE
        while await store.get(task.task_id, ALICE) is not None:  # Redis expires it: a condition
            assert loop.time() < deadline, "the task never expired"
            await asyncio.sleep(0.02)
        assert await store.list(ALICE) == []

    run(lambda: closing(store, redis_body))


# ------------------------------------------------------------------------ caps


def test_a_full_store_evicts_the_oldest_finished_task(make: Factory) -> None:
    store = make(max_tasks=3)

    async def body() -> None:
        running = await store.create(ALICE)
        done = await store.create(ALICE)
        later = await store.create(ALICE)
        await store.transition(later.task_id, "completed", result={"content": []})
        await store.transition(done.task_id, "completed", result={"content": []})
        fourth = await store.create(ALICE)  # room made by dropping the oldest finished one
        assert await store.get(done.task_id, ALICE) is None
        listed = {t.task_id for t in await store.list(ALICE)}
        assert listed == {running.task_id, later.task_id, fourth.task_id}

    run(lambda: closing(store, body))


def test_a_store_full_of_running_tasks_refuses_another(make: Factory) -> None:
    store = make(max_tasks=2)

    async def body() -> None:
        await store.create(ALICE)
        await store.create(ALICE)
        with pytest.raises(RpcError) as raised:
            await store.create(ALICE)
        assert raised.value.code == INTERNAL_ERROR
        assert "limit is 2" in raised.value.message
        assert len(await store.list(ALICE)) == 2

    run(lambda: closing(store, body))


def test_forget_drops_only_that_owners_tasks(make: Factory) -> None:
    store = make()

    async def body() -> None:
        mine = await store.create(ALICE)
        theirs = await store.create(BOB)
        await store.forget(ALICE)
        assert await store.get(mine.task_id, ALICE) is None
        assert await store.get(theirs.task_id, BOB) is not None

    run(lambda: closing(store, body))


def test_heartbeat_names_the_tasks_that_must_stop(make: Factory) -> None:
    store = make()

    async def body() -> None:
        alive = await store.create(ALICE)
        cancelled = await store.create(ALICE)
        await store.transition(cancelled.task_id, "cancelled", "by another replica")
        stop = await store.heartbeat([alive.task_id, cancelled.task_id, "gone"])
        assert stop == {cancelled.task_id, "gone"}

    run(lambda: closing(store, body))


@pytest.mark.parametrize(
    "options",
    [
        {"max_tasks": 0},
        {"default_ttl_ms": 0},
        {"max_ttl_ms": -1},
        {"poll_interval_ms": 0},
        {"default_ttl_ms": 10, "max_ttl_ms": 5},
    ],
)
def test_bad_limits_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        TaskLimits(**options)


# ---------------------------------------------------------------- input answers


def test_partial_answers_keep_input_required_and_unknown_keys_are_ignored(make: Factory) -> None:
    store = make()

    async def body() -> None:
        task = await store.create(ALICE)
        assert await store.ask(task.task_id, {"a": ELICIT, "b": ELICIT}) == {"a": "a", "b": "b"}
        asked = await store.get(task.task_id, ALICE)
        assert asked is not None and asked.status == "input_required"
        assert asked.input_requests == {"a": ELICIT, "b": ELICIT}
        assert await store.answer(task.task_id, {"a": ACCEPT, "unknown": {"x": 1}}) == 1
        partial = await store.get(task.task_id, ALICE)
        assert partial is not None and partial.status == "input_required"
        assert set(partial.input_requests) == {"b"}
        assert await store.answer(task.task_id, {"a": ACCEPT}) == 0  # already answered
        assert await store.answer(task.task_id, {"b": {"action": "decline"}}) == 1
        back = await store.get(task.task_id, ALICE)
        assert back is not None and back.status == "working" and back.input_requests == {}
        taken = await store.take_answers(task.task_id, ["a", "b"])
        assert taken == {"a": ACCEPT, "b": {"action": "decline"}}
        assert await store.take_answers(task.task_id, ["a", "b"]) == {}  # taken once

    run(lambda: closing(store, body))


def test_wire_keys_are_never_reused_within_a_task(make: Factory) -> None:
    store = make()

    async def body() -> None:
        task = await store.create(ALICE)
        assert await store.ask(task.task_id, {"confirm": ELICIT}) == {"confirm": "confirm"}
        await store.answer(task.task_id, {"confirm": ACCEPT})
        assert await store.ask(task.task_id, {"confirm": ELICIT}) == {"confirm": "confirm-2"}
        assert await store.answer(task.task_id, {"confirm": ACCEPT}) == 0  # the old key answers nothing
        assert await store.answer(task.task_id, {"confirm-2": ACCEPT}) == 1

    run(lambda: closing(store, body))


def test_a_terminal_task_drops_its_input_and_takes_no_more(make: Factory) -> None:
    store = make()

    async def body() -> None:
        task = await store.create(ALICE)
        await store.ask(task.task_id, {"a": ELICIT})
        cancelled = await store.transition(task.task_id, "cancelled", "stop")
        assert cancelled is not None and cancelled.input_requests == {}
        assert await store.ask(task.task_id, {"b": ELICIT}) == {}
        assert await store.answer(task.task_id, {"a": ACCEPT}) == 0

    run(lambda: closing(store, body))


# ------------------------------------------------------------------ Redis only


def test_every_redis_key_has_a_ttl(redis_url: str) -> None:
    store = RedisTaskStore.from_url(redis_url, TaskLimits(default_ttl_ms=None, max_ttl_ms=None))

    async def body() -> None:
        task = await store.create(ALICE)  # no TTL asked, none configured: still bounded in Redis
        assert task.ttl_ms is not None
        await store.ask(task.task_id, {"a": ELICIT})
        await store.answer(task.task_id, {"a": ACCEPT})
        other = await store.create(BOB, ttl_ms=5_000)
        await store.transition(other.task_id, "completed", result={"content": []})
        await store.heartbeat([task.task_id])
        client = admin_client(redis_url)
        try:
            keys = [key async for key in client.scan_iter("*")]
            assert len(keys) >= 4  # two tasks, a lease, two owner indexes
            for key in keys:
                assert await client.pttl(key) > 0, key
        finally:
            await client.aclose()

    run(lambda: closing(store, body))


def test_a_task_whose_runner_stopped_renewing_its_lease_is_failed(redis_url: str) -> None:
    runner = RedisTaskStore.from_url(redis_url, lease_ms=200)
    reader = RedisTaskStore.from_url(redis_url)  # another replica

    async def body() -> None:
        task = await runner.create(ALICE)
        assert await runner.heartbeat([task.task_id]) == set()  # alive while renewed
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DEADLINE
        while True:  # the runner stops renewing (its process died): wait for the lease to lapse
            found = await reader.get(task.task_id, ALICE)
            assert found is not None
            if found.status == "failed":
                break
            assert found.status == "working"
            assert loop.time() < deadline, "the dead runner's task was never failed"
            await asyncio.sleep(0.05)
        assert found.error == WORKER_DIED
        assert found.status_message == WORKER_DIED["message"]
        assert await runner.heartbeat([task.task_id]) == {task.task_id}  # a late runner learns to stop
        assert await runner.transition(task.task_id, "completed", result={"content": []}) is None
        await reader.close()

    run(lambda: closing(runner, body))


def test_another_replica_reads_lists_answers_and_cancels(redis_url: str) -> None:
    """Two stores on one Redis are two replicas: what one writes, the other reads and changes."""
    a = RedisTaskStore.from_url(redis_url)
    b = RedisTaskStore.from_url(redis_url)

    async def body() -> None:
        first = await a.create(ALICE)
        second = await a.create(ALICE)
        assert [t.task_id for t in await b.list(ALICE)] == [first.task_id, second.task_id]
        wire = await a.ask(first.task_id, {"q": ELICIT})
        assert await b.answer(first.task_id, {wire["q"]: ACCEPT}) == 1
        assert await a.take_answers(first.task_id, [wire["q"]]) == {"q": ACCEPT}
        assert await b.transition(second.task_id, "cancelled", "from b") is not None
        assert await a.heartbeat([first.task_id, second.task_id]) == {second.task_id}
        done = await a.transition(first.task_id, "completed", result={"content": []})
        assert done is not None
        seen = await b.get(first.task_id, ALICE)
        assert seen is not None and seen.status == "completed" and seen.result == {"content": []}
        await b.close()

    run(lambda: closing(a, body))


def test_an_unreachable_redis_is_a_clear_error_not_a_hang() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here once the probe closes
    store = open_task_store(f"redis://127.0.0.1:{port}/0", TaskLimits())

    async def body() -> None:
        with pytest.raises(RpcError) as raised:
            await asyncio.wait_for(store.create(ALICE), DEADLINE)
        assert raised.value.code == INTERNAL_ERROR
        assert "task store is unavailable" in raised.value.message

    run(lambda: closing(store, body))


def test_the_store_option_parses_in_one_place(redis_url: str) -> None:
    memory = open_task_store(None, TaskLimits())
    assert isinstance(memory, InMemoryTaskStore)
    assert open_task_store(memory, TaskLimits()) is memory
    shared = open_task_store(redis_url, TaskLimits(), lease_ms=3_000)
    assert isinstance(shared, RedisTaskStore) and shared.heartbeat_interval == 1.0
    with pytest.raises(ValueError, match="unsupported store URL"):
        open_task_store("postgres://x/y", TaskLimits())
    asyncio.run(shared.close())


def test_terminal_statuses_have_no_way_out() -> None:
    assert {status for status, nexts in TRANSITIONS.items() if not nexts} == TERMINAL


# ------------------------------------------------------------ the running side


def test_work_of_a_task_that_expired_while_running_is_stopped(loop_name: str) -> None:
    """In memory: the sweep finds the expired task and cancels its work, as the store dropped it."""
    clock = Clock()
    store = InMemoryTaskStore(TaskLimits(default_ttl_ms=1_000), clock=clock.monotonic)
    store.heartbeat_interval = 0.01  # sweep often (the default is every LOCAL_SWEEP_S)
    server = Server("expiry", store=store)
    stopped = asyncio.Event()

    @server.tool(task_support="optional")
    async def hold(ctx: Context) -> str:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            stopped.set()
            raise
        return "never"

    async def main() -> None:
        extension = {"extensions": {"io.modelcontextprotocol/tasks": {}}}
        async with Client(server, capabilities=extension) as client:
            assert client.session is not None  # a raw send: Client.request refuses resultType "task"
            created = await client.session.send_request(
                "tools/call", {"name": "hold", "arguments": {}}, modern_version="2026-07-28"
            )
            assert created["status"] == "working"
            clock.now += 1.001  # past its TTL
            await asyncio.wait_for(stopped.wait(), DEADLINE)
            assert await store.get(created["taskId"], "m:") is None

    run_loop(main(), loop=loop_name)  # type: ignore[arg-type]


def test_the_status_hook_sees_every_change_made_here(loop_name: str) -> None:
    """``Tasks.on_status``: where a cross-replica bus takes over legacy status notifications."""
    server = Server("hooked")
    seen: list[tuple[str, str]] = []
    finished = asyncio.Event()

    def hook(data: Any) -> None:
        seen.append((data.owner[:2], data.status))
        if data.terminal:
            finished.set()

    server.tasks.on_status = hook

    @server.tool(task_support="optional")
    async def ask_then_finish(ctx: Context) -> str:
        answer = await ctx.elicit("Go?", {"type": "object", "properties": {"go": {"type": "boolean"}}})
        return str(answer["action"])

    async def accept(params: Any) -> dict[str, Any]:
        return {"action": "accept", "content": {"go": True}}

    async def main() -> None:
        async with Client(server, mode="legacy", elicitation=accept) as client:
            assert client.session is not None
            call = {"name": "ask_then_finish", "arguments": {}, "task": {}}
            await client.session.send_request("tools/call", call)
            await asyncio.wait_for(finished.wait(), DEADLINE)

    run_loop(main(), loop=loop_name)  # type: ignore[arg-type]
    assert seen == [("c:", "input_required"), ("c:", "working"), ("c:", "completed")]
