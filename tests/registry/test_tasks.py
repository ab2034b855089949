"""Task views without I/O: the wire shapes of both eras.

The store itself (status machine, TTL, caps, input bookkeeping) has its own
contract tests against every implementation: ``tests/stores/test_task_store.py``; the running
side (asking, answering, cancelling) is driven end to end by ``tests/e2e/test_stdio_tasks.py``
and, across replicas, ``tests/stores/test_task_replicas.py``.
"""

from __future__ import annotations

from mcpcore.registry.tasks import legacy_view, modern_view
from mcpcore.stores.tasks import TaskData

ELICIT = {"method": "elicitation/create", "params": {"message": "?", "requestedSchema": {"type": "object"}}}


def test_legacy_view_has_2025_11_25_field_names() -> None:
    data = TaskData("abc", "c:x", "working", 1_764_000_000.5, 1_764_000_000.5, 60_000, 250)
    assert legacy_view(data) == {
        "taskId": "abc",
        "status": "working",
        "createdAt": "2025-11-24T16:00:00.500Z",
        "lastUpdatedAt": "2025-11-24T16:00:00.500Z",
        "ttl": 60_000,
        "pollInterval": 250,
    }


def test_modern_view_uses_ms_names_and_inlines_the_result_only_when_detailed() -> None:
    data = TaskData("abc", "m:", "completed", 0.0, 0.0, None, 250)
    data.result = {"content": [{"type": "text", "text": "hi"}], "isError": True}
    brief = modern_view(data, detailed=False)
    assert brief["ttlMs"] is None and brief["pollIntervalMs"] == 250
    assert "ttl" not in brief and "pollInterval" not in brief and "result" not in brief
    assert modern_view(data, detailed=True)["result"] == {
        "resultType": "complete",
        "content": [{"type": "text", "text": "hi"}],
        "isError": True,
    }


def test_a_failed_view_carries_its_error_and_message() -> None:
    data = TaskData("abc", "m:", "failed", 0.0, 0.0, None, 250, status_message="boom")
    data.error = {"code": -32603, "message": "boom"}
    assert legacy_view(data)["statusMessage"] == "boom"
    detailed = modern_view(data, detailed=True)
    assert detailed["error"] == {"code": -32603, "message": "boom"} and "result" not in detailed


def test_input_requests_show_only_while_input_required() -> None:
    data = TaskData("abc", "m:", "input_required", 0.0, 0.0, None, 250, input_requests={"a": ELICIT})
    assert modern_view(data, detailed=True)["inputRequests"] == {"a": ELICIT}
    assert "inputRequests" not in modern_view(data, detailed=False)
