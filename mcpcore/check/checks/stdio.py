"""stdio: framing on the server's stdin and its exit when stdin closes (HTTP targets: n/a)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from mcpcore import jsonrpc
from mcpcore.check.checks.common import SPEC_2025, liveness, stdio_only
from mcpcore.check.registry import Fail, check

if TYPE_CHECKING:
    from mcpcore.check.battery import Battery

STDIO = f"{SPEC_2025}/basic/transports#stdio"


@check(
    "stdio.crlf",
    "a request ending in CRLF is accepted",
    level="INFO",
    url=STDIO,
    clause="Messages are delimited by newlines; a CR before the newline is JSON whitespace, and "
    "accepting it is interop advice (clients on Windows write CRLF).",
)
async def _crlf(b: Battery) -> str | None:
    stdio_only(b)
    probe = await b.connected("stdio.crlf")
    try:
        request_id = probe.new_id()
        probe.send_raw(jsonrpc.encode(liveness(probe, request_id))[:-1] + b"\r\n")
        reply = await probe.answer_to(request_id)
        if reply is None or "result" not in reply:
            raise Fail("no result for a CRLF-terminated request", reply)
    finally:
        await probe.__aexit__(None, None, None)
    return None


@check(
    "stdio.eof-exit",
    "the server exits promptly when its stdin closes",
    level="INFO",
    url=f"{SPEC_2025}/basic/lifecycle#stdio",
    clause="The client SHOULD initiate shutdown by closing the input stream to the server and "
    "waiting for it to exit (before SIGTERM): a server that exits on EOF shuts down cleanly.",
)
async def _eof(b: Battery) -> str | None:
    stdio_only(b)
    async with b.probe("stdio.eof-exit") as probe:
        if b.facts.legacy:
            await probe.legacy()
        else:
            await probe.modern()
        started = time.monotonic()
        probe.stdio.close_stdin()
        code = await probe.stdio.wait(5.0)
        if code is None:
            raise Fail("still running 5 s after stdin closed")
        return f"exited with status {code} after {(time.monotonic() - started) * 1000:.0f} ms"
