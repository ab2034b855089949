"""A deliberately broken Streamable HTTP server for testing ``mcpcore check URL``.

mcpcore's example calculator on the built-in server, with an endpoint that
gets exactly these HTTP matters wrong (everything else, MCP included, is
right, so only ``http.*`` checks may fail):

* a legacy notification is answered ``200`` with an empty body, not ``202``;
* a request naming an unknown (or deleted) session gets ``400``, not ``404``,
  so a client cannot tell that it must re-initialize;
* the ``Origin`` header is ignored: no DNS-rebinding protection.

Run: ``python tests/check/broken_http_server.py PORT`` (serves ``/mcp`` on 127.0.0.1).
"""

from __future__ import annotations

import asyncio
import dataclasses
import signal
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from mcpcore.examples.calculator import server
from mcpcore.loop import run
from mcpcore.transport.http import start_http
from mcpcore.transport.streamable import Exchange, Headers, StreamableHTTP
from mcpcore.wire.http11 import Request


class _Rewriting:
    """An exchange that changes the status of whole responses on their way out."""

    def __init__(self, inner: Exchange, rewrite: Callable[[int], int]) -> None:
        self._inner = inner
        self._rewrite = rewrite

    @property
    def closed(self) -> bool:
        return self._inner.closed

    @property
    def on_close(self) -> Callable[[], None] | None:
        return self._inner.on_close

    @on_close.setter
    def on_close(self, callback: Callable[[], None] | None) -> None:
        self._inner.on_close = callback

    def respond(self, status: int, headers: Headers, body: bytes) -> None:
        self._inner.respond(self._rewrite(status), headers, body)

    def start_stream(self, status: int, headers: Headers) -> None:
        self._inner.start_stream(status, headers)

    def send(self, data: bytes) -> None:
        self._inner.send(data)

    def end(self) -> None:
        self._inner.end()

    def pending_bytes(self) -> int:
        return self._inner.pending_bytes()

    def abort(self) -> None:
        self._inner.abort()


class BrokenEndpoint(StreamableHTTP):
    def handle(self, request: Request, exchange: Exchange) -> None:
        headers = {k: v for k, v in request.headers.items() if k != "origin"}  # no Origin check
        legacy = "mcp-method" not in headers
        with_session = "mcp-session-id" in headers

        def rewrite(status: int) -> int:
            if legacy and status == 202:
                return 200  # a notification's 202 becomes 200
            if legacy and with_session and status == 404:
                return 400  # an unknown session's 404 becomes 400
            return status

        request = dataclasses.replace(request, headers=headers)
        super().handle(request, _Rewriting(exchange, rewrite))  # type: ignore[arg-type]


async def main(port: int) -> None:
    http = await start_http(server, "127.0.0.1", port)
    http.endpoint = BrokenEndpoint(server, http.endpoint.options)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await http.close()


if __name__ == "__main__":
    run(main(int(sys.argv[1])))
