"""An in-memory client for a :class:`mcpcore.Server`: frames in, frames out, no process, no pipe.

Used by the registry tests to drive the real router and registries through the wire format.
Handlers that return coroutines need a running loop, so ``call`` runs one per request batch.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from mcpcore import Server
from tests.helpers import LEGACY_VERSION, modern_meta


class MemoryPeer:
    """The client end of one in-memory connection."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.frames: list[dict[str, Any]] = []
        self.connection = server.connect(self)
        self._ids = 0

    def write(self, data: bytes) -> None:
        self.frames.append(orjson.loads(data))

    def _send(self, method: str, params: dict[str, Any] | None) -> int:
        self._ids += 1
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": self._ids, "method": method}
        if params is not None:
            message["params"] = params
        self.connection.receive_frame(orjson.dumps(message))
        return self._ids

    def request(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send one request and return its response (running the loop until it arrives)."""

        async def run() -> dict[str, Any]:
            request_id = self._send(method, params)
            for _ in range(1000):
                for frame in self.frames:
                    if frame.get("id") == request_id and "method" not in frame:
                        self.frames.remove(frame)
                        return frame
                await asyncio.sleep(0)
            raise AssertionError(f"no response to {method}")

        return asyncio.run(run())

    def result(self, method: str, params: dict[str, Any] | None = None) -> Any:
        reply = self.request(method, params)
        assert "result" in reply, reply
        return reply["result"]

    def error(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        reply = self.request(method, params)
        assert "error" in reply, reply
        return reply["error"]  # type: ignore[no-any-return]

    def initialize(self, version: str = LEGACY_VERSION, capabilities: dict[str, Any] | None = None) -> Any:
        result = self.result(
            "initialize",
            {
                "protocolVersion": version,
                "capabilities": capabilities or {},
                "clientInfo": {"name": "m", "version": "0"},
            },
        )
        self.connection.receive_frame(b'{"jsonrpc":"2.0","method":"notifications/initialized"}')
        return result

    @staticmethod
    def modern(
        params: dict[str, Any] | None = None, capabilities: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        return {**(params or {}), "_meta": modern_meta(capabilities)}
