"""The task store and status machine, without I/O: transitions, TTL expiry, the bound, input answers."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from mcpcore.errors import INTERNAL_ERROR, INVALID_PARAMS, RpcError
from mcpcore.registry.tasks import TERMINAL, TRANSITIONS, InvalidTransition, TaskRecord, TaskStore

STATUSES = ["working", "input_required", "completed", "failed", "cancelled"]
ALLOWED = {
    ("working", "input_required"),
    ("working", "completed"),
    ("working", "failed"),
    ("working", "cancelled"),
    ("input_required", "working"),
    ("input_required", "completed"),
    ("input_required", "failed"),
    ("input_required", "cancelled"),
}
OWNER = object()


class Clock:
    """A monotonic clock and a wall clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        return 1_764_000_000.0 + self.now


def make_store(**options: Any) -> tuple[TaskStore, Clock]:
    clock = Clock()
    return TaskStore(clock=clock.monotonic, wall=clock.wall, **options), clock


def record_in(status: str) -> TaskRecord:
    """A record driven into ``status`` through allowed transitions only."""
    record = TaskRecord("t", OWNER, ttl_ms=None, poll_interval_ms=100, now=0.0, wall=0.0)
    if status == "input_required":
        record.transition("input_required")
    elif status != "working":
        record.transition(status)
    return record


# ----------------------------------------------------------------- the machine


@pytest.mark.parametrize("source", STATUSES)
@pytest.mark.parametrize("target", STATUSES)
def test_transition_table_allows_exactly_the_spec_edges(source: str, target: str) -> None:
    record = record_in(source)
    if (source, target) in ALLOWED:
        record.transition(target, wall=5.0)
        assert record.status == target
        assert record.updated_at == 5.0
    else:
        with pytest.raises(InvalidTransition):
            record.transition(target)
        assert record.status == source


def test_terminal_statuses_have_no_way_out() -> None:
    assert {status for status, nexts in TRANSITIONS.items() if not nexts} == TERMINAL


@pytest.mark.parametrize("terminal", sorted(TERMINAL))
def test_complete_fail_and_cancel_are_no_ops_once_terminal(terminal: str) -> None:
    record = record_in(terminal)
    assert record.complete({"content": []}) is False
    assert record.fail({"code": -32603, "message": "x"}) is False
    assert record.cancel() is False
    assert record.status == terminal


def test_failed_task_keeps_its_error_and_message() -> None:
    record = record_in("working")
    assert record.fail({"code": -32603, "message": "boom"})
    assert record.legacy_view()["statusMessage"] == "boom"
    assert record.modern_view(detailed=True)["error"] == {"code": -32603, "message": "boom"}
    assert "result" not in record.modern_view(detailed=True)


def test_status_callback_sees_every_change() -> None:
    seen: list[str] = []
    record = record_in("working")
    record.on_change = lambda r: seen.append(r.status)
    record.transition("input_required")
    record.transition("working")
    record.complete({"content": []})
    assert seen == ["input_required", "working", "completed"]


# ----------------------------------------------------------------------- views


def test_legacy_view_has_2025_11_25_field_names() -> None:
    record = TaskRecord("abc", OWNER, ttl_ms=60_000, poll_interval_ms=250, now=0.0, wall=1_764_000_000.5)
    assert record.legacy_view() == {
        "taskId": "abc",
        "status": "working",
        "createdAt": "2025-11-24T16:00:00.500Z",
        "lastUpdatedAt": "2025-11-24T16:00:00.500Z",
        "ttl": 60_000,
        "pollInterval": 250,
    }


def test_modern_view_uses_ms_names_and_inlines_the_result_only_when_detailed() -> None:
    record = TaskRecord("abc", OWNER, ttl_ms=None, poll_interval_ms=250, now=0.0, wall=0.0)
    record.complete({"content": [{"type": "text", "text": "hi"}], "isError": True})
    brief = record.modern_view(detailed=False)
    assert brief["ttlMs"] is None and brief["pollIntervalMs"] == 250
    assert "ttl" not in brief and "pollInterval" not in brief and "result" not in brief
    detailed = record.modern_view(detailed=True)
    assert detailed["result"] == {
        "resultType": "complete",
        "content": [{"type": "text", "text": "hi"}],
        "isError": True,
    }


# ----------------------------------------------------------------------- store


def test_ids_are_random_unique_and_readable_at_once() -> None:
    store, _ = make_store()
    ids = {store.create(OWNER).task_id for _ in range(200)}
    assert len(ids) == 200
    assert all(len(task_id) >= 20 for task_id in ids)
    some = next(iter(ids))
    record = store.get(some, OWNER)
    assert record is not None and record.status == "working"


def test_tasks_are_scoped_to_their_owner() -> None:
    store, _ = make_store()
    record = store.create(OWNER)
    assert store.get(record.task_id, object()) is None
    assert store.get(record.task_id, OWNER) is record
    assert store.get(12345, OWNER) is None


@pytest.mark.parametrize(("requested", "expected"), [(None, 3_600_000), (1_000, 1_000), (10**12, 86_400_000)])
def test_ttl_defaults_and_is_capped(requested: int | None, expected: int) -> None:
    store, _ = make_store()
    assert store.create(OWNER, ttl_ms=requested).ttl_ms == expected


def test_task_is_kept_for_its_ttl_and_dropped_after() -> None:
    store, clock = make_store()
    record = store.create(OWNER, ttl_ms=2_000)
    clock.now += 1.999
    assert store.get(record.task_id, OWNER) is record
    clock.now += 0.002
    assert store.get(record.task_id, OWNER) is None
    assert record.status == "cancelled"  # its work is stopped too
    assert len(store) == 0


def test_unlimited_ttl_never_expires() -> None:
    store, clock = make_store(default_ttl_ms=None, max_ttl_ms=None)
    record = store.create(OWNER)
    clock.now += 10**9
    assert store.get(record.task_id, OWNER) is record
    assert record.legacy_view()["ttl"] is None


def test_purge_drops_only_expired_tasks() -> None:
    store, clock = make_store()
    short = store.create(OWNER, ttl_ms=1_000)
    long = store.create(OWNER, ttl_ms=5_000)
    clock.now += 2
    assert store.purge() == 1
    assert store.get(short.task_id, OWNER) is None
    assert store.get(long.task_id, OWNER) is long
    assert store.owned_by(OWNER) == [long]


def test_full_store_evicts_expired_then_oldest_terminal() -> None:
    store, clock = make_store(max_tasks=3)
    expiring = store.create(OWNER, ttl_ms=1_000)
    done = store.create(OWNER)
    done.complete({"content": []})
    running = store.create(OWNER)
    clock.now += 2
    fourth = store.create(OWNER)  # room made by dropping the expired one
    assert store.get(expiring.task_id, OWNER) is None
    fifth = store.create(OWNER)  # then by dropping the oldest terminal one
    assert store.get(done.task_id, OWNER) is None
    assert {r.task_id for r in store.owned_by(OWNER)} == {running.task_id, fourth.task_id, fifth.task_id}


def test_full_store_of_running_tasks_refuses_another() -> None:
    store, _ = make_store(max_tasks=2)
    store.create(OWNER)
    store.create(OWNER)
    with pytest.raises(RpcError) as raised:
        store.create(OWNER)
    assert raised.value.code == INTERNAL_ERROR
    assert "limit is 2" in raised.value.message
    assert len(store) == 2


def test_forget_cancels_and_drops_an_owners_tasks() -> None:
    store, _ = make_store()
    mine = store.create(OWNER)
    other_owner = object()
    theirs = store.create(other_owner)
    store.forget(OWNER)
    assert mine.status == "cancelled" and store.get(mine.task_id, OWNER) is None
    assert store.get(theirs.task_id, other_owner) is theirs


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
        TaskStore(**options)


# ---------------------------------------------------------------- input answers

ELICIT = {"method": "elicitation/create", "params": {"message": "?", "requestedSchema": {"type": "object"}}}
ACCEPT = {"action": "accept", "content": {"ok": True}}


def test_ask_waits_for_every_answer_and_partial_answers_keep_input_required() -> None:
    async def scenario() -> None:
        record = record_in("working")
        asking = asyncio.ensure_future(record.ask({"a": ELICIT, "b": ELICIT}))
        await asyncio.sleep(0)
        assert record.status == "input_required"
        assert set(record.input_requests) == {"a", "b"}
        assert record.answer({"a": ACCEPT, "unknown": {"x": 1}}) == 1
        assert record.status == "input_required"
        assert set(record.input_requests) == {"b"}
        assert record.answer({"a": ACCEPT}) == 0  # already answered: ignored
        assert record.answer({"b": {"action": "decline"}}) == 1
        assert await asking == {"a": ACCEPT, "b": {"action": "decline"}}
        assert record.status == "working"
        assert record.input_requests == {}

    asyncio.run(scenario())


def test_a_malformed_answer_is_refused_and_nothing_is_applied() -> None:
    async def scenario() -> None:
        record = record_in("working")
        asking = asyncio.ensure_future(record.ask({"a": ELICIT, "b": ELICIT}))
        await asyncio.sleep(0)
        with pytest.raises(RpcError) as raised:
            record.answer({"a": ACCEPT, "b": {"action": "maybe"}})
        assert raised.value.code == INVALID_PARAMS
        assert set(record.input_requests) == {"a", "b"}
        record.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asking

    asyncio.run(scenario())


def test_input_keys_are_never_reused_within_a_task() -> None:
    async def scenario() -> None:
        record = record_in("working")
        first = asyncio.ensure_future(record.ask({"confirm": ELICIT}))
        await asyncio.sleep(0)
        record.answer({"confirm": ACCEPT})
        await first
        second = asyncio.ensure_future(record.ask({"confirm": ELICIT}))
        await asyncio.sleep(0)
        assert list(record.input_requests) == ["confirm-2"]
        assert record.answer({"confirm": ACCEPT}) == 0  # the old key answers nothing
        record.answer({"confirm-2": ACCEPT})
        assert await second == {"confirm": ACCEPT}  # the tool sees its own key

    asyncio.run(scenario())


def test_wait_returns_once_terminal() -> None:
    async def scenario() -> None:
        record = record_in("working")
        waiter = asyncio.ensure_future(record.wait())
        await asyncio.sleep(0)
        assert not waiter.done()
        record.complete({"content": []})
        await asyncio.wait_for(waiter, 5)
        await asyncio.wait_for(record.wait(), 5)  # already terminal: immediate

    asyncio.run(scenario())
