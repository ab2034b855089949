"""``add`` with ``task_support="optional"``: the scale-out section's server for the store costs.

One tool serves all three measured calls: a legacy-session ``tools/call``
answers directly (the client asks for no task); a 2026-07-28 ``tools/call``
from a client declaring the tasks extension creates a task; ``tasks/get``
reads that task back. ``mcpcore run benchmarks.servers.task_add:server --http
--port N [--redis URL]`` serves it in memory or on Redis.

``max_tasks`` is raised so that no store reaches its cap during the run: the
bench measures the cost of a call, not of evicting old tasks at the cap.
"""

from __future__ import annotations

from mcpcore import Server

#: More tasks than one ``make bench`` run creates per server.
MAX_TASKS = 100_000

server = Server("task-add", version="1.0.0", max_tasks=MAX_TASKS)


@server.tool(task_support="optional")
async def add(a: int, b: int) -> int:
    """Add two integers (as a task when the client asks for one)."""
    return a + b
