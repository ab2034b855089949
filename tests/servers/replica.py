"""One replica of a scaled-out server: ``python -m tests.servers.replica REDIS_URL PORT``.

Several of these on different ports share one Redis: the event store (so any
replica can resume a stream another wrote) and the subscription bus (so a
change made on one reaches listeners on all).
"""

from __future__ import annotations

import sys

from mcpcore import Context, RedisBus, RedisEventStore, Server


def build(redis_url: str) -> Server:
    server = Server("replica", bus=RedisBus(redis_url))

    @server.tool()
    async def touch(uri: str) -> str:
        """Change a resource and the tool list (as a deployment or an admin would, on one replica)."""
        server.resource_updated(uri)
        server.notify_list_changed("tools")
        return "touched"

    @server.tool()
    async def chatty(steps: int, ctx: Context) -> int:
        """Report progress ``steps`` times, then answer: events a client may need to resume."""
        for step in range(steps):
            await ctx.report_progress(step + 1, steps, f"step {step + 1}")
        return steps

    @server.resource("demo://item")
    def item() -> str:
        return "item"

    return server


if __name__ == "__main__":
    url, port = sys.argv[1], int(sys.argv[2])
    build(url).run("http", port=port, event_store=RedisEventStore(url), keepalive_interval=0)
