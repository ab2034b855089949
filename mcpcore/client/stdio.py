"""The client's stdio transport: spawn a server command and talk to it over its pipes.

Bytes only move here. The child's stdout feeds a :class:`LineFramer` whose
frames go straight to the :class:`~mcpcore.client.session.ClientSession`;
the session's frames go straight to the child's stdin pipe. The child's
stderr is free-form logging (the spec says a client must not treat it as a
failure): it is passed through, captured (bounded), or discarded.

Closing follows the spec's order (CHECKLIST §2.1): close the child's stdin,
wait ``close_timeout`` seconds for it to exit, then SIGTERM, wait again,
then SIGKILL. When the child's stdout ends, every pending request fails
with :class:`~mcpcore.errors.ConnectionClosedError` at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import subprocess
from collections.abc import Mapping, Sequence
from typing import Literal, cast

from mcpcore.client.session import ClientSession
from mcpcore.wire.lines import DEFAULT_MAX_FRAME_BYTES, LineFramer

__all__ = ["StderrMode", "StdioTransport"]

_log = logging.getLogger("mcpcore.client.stdio")

StderrMode = Literal["inherit", "capture", "discard"]
#: Captured stderr keeps at most this many trailing bytes (a chatty server cannot fill memory).
STDERR_CAPTURE_LIMIT = 256 * 1024


class _ChildProtocol(asyncio.SubprocessProtocol):
    """Receives the child's stdout (frames) and stderr (log), and learns when it exits."""

    def __init__(self, framer: LineFramer, stderr_mode: StderrMode) -> None:
        self.framer = framer
        self.stderr_mode = stderr_mode
        self.session: ClientSession | None = None
        self.stderr = bytearray()
        self.stdout_closed = asyncio.get_running_loop().create_future()
        self.exited = asyncio.get_running_loop().create_future()
        self._writable: asyncio.Event | None = None

    def pipe_data_received(self, fd: int, data: bytes) -> None:
        if fd == 1:
            frames = self.framer.feed(data)
            if frames and self.session is not None:
                self.session.receive_frames(frames)
        elif self.stderr_mode == "capture":
            self.stderr += data
            if len(self.stderr) > STDERR_CAPTURE_LIMIT:
                del self.stderr[: len(self.stderr) - STDERR_CAPTURE_LIMIT]

    def pipe_connection_lost(self, fd: int, exc: Exception | None) -> None:
        if fd == 1:
            self._stdout_ended("the server closed its stdout")
        elif fd == 0 and self.session is not None and not self.session.closed:
            _log.debug("the server's stdin closed")

    def process_exited(self) -> None:
        if not self.exited.done():
            self.exited.set_result(None)
        self._stdout_ended("the server process exited")

    def _stdout_ended(self, reason: str) -> None:
        if not self.stdout_closed.done():
            self.stdout_closed.set_result(None)
        if self.session is not None:
            self.session.connection_lost(reason)
        if self._writable is not None:
            self._writable.set()

    def pause_writing(self) -> None:
        self._writable = asyncio.Event()

    def resume_writing(self) -> None:
        if self._writable is not None:
            self._writable.set()
            self._writable = None

    async def drain(self) -> None:
        if self._writable is not None:
            await self._writable.wait()


class StdioTransport:
    """A spawned MCP server and the pipes to it; ``write`` is the session's sink."""

    def __init__(
        self,
        transport: asyncio.SubprocessTransport,
        protocol: _ChildProtocol,
        *,
        close_timeout: float,
    ) -> None:
        self._transport = transport
        self._protocol = protocol
        # Spawned with stdin=PIPE, so pipe 0 exists (uvloop's pipe classes do not subclass asyncio's).
        self._stdin = cast(asyncio.WriteTransport, transport.get_pipe_transport(0))
        self.close_timeout = close_timeout
        self.closing = False

    @classmethod
    async def spawn(
        cls,
        command: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        stderr: StderrMode = "inherit",
        max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES,
        close_timeout: float = 2.0,
    ) -> StdioTransport:
        """Start ``command`` (argv list; no shell). ``env`` replaces the environment when given."""
        if not command:
            raise ValueError("command must name a program")
        loop = asyncio.get_running_loop()
        protocol = _ChildProtocol(LineFramer(max_frame_bytes), stderr)
        stderr_target = {"inherit": None, "capture": subprocess.PIPE, "discard": subprocess.DEVNULL}[stderr]
        transport, _ = await loop.subprocess_exec(
            lambda: protocol,
            *command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr_target,
            env=dict(env) if env is not None else None,
            cwd=cwd,
        )
        return cls(transport, protocol, close_timeout=close_timeout)

    def attach(self, session: ClientSession) -> None:
        """Route the child's messages to ``session``."""
        self._protocol.session = session
        if self._protocol.stdout_closed.done():
            session.connection_lost("the server closed its stdout")

    # ------------------------------------------------------------------ sink

    def write(self, data: bytes) -> None:
        if not self._stdin.is_closing():
            self._stdin.write(data)

    async def drain(self) -> None:
        """Wait while the child's stdin pipe buffer is full."""
        await self._protocol.drain()

    # ------------------------------------------------------------ inspection

    @property
    def pid(self) -> int:
        return int(self._transport.get_pid())

    @property
    def returncode(self) -> int | None:
        return self._transport.get_returncode()

    @property
    def stderr(self) -> bytes:
        """The tail of what the child wrote to stderr (``stderr="capture"`` only)."""
        return bytes(self._protocol.stderr)

    def close_stdin(self) -> None:
        """Send EOF to the server (the first step of the spec's shutdown)."""
        if not self._stdin.is_closing():
            self._stdin.close()

    async def wait(self, timeout: float | None = None) -> int | None:
        """Wait for the child to exit; ``None`` if it is still running after ``timeout``."""
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._protocol.exited), timeout)
        return self.returncode

    async def close(self) -> int | None:
        """Close stdin, wait, SIGTERM, wait, SIGKILL; return the exit status."""
        self.closing = True
        self.close_stdin()
        code = await self.wait(self.close_timeout)
        for step in ("terminate", "kill"):
            if code is not None:
                break
            _log.debug("server did not exit after stdin closed; sending %s", step)
            with contextlib.suppress(ProcessLookupError):
                getattr(self._transport, step)()
            code = await self.wait(self.close_timeout)
        self._transport.close()
        if self._protocol.session is not None:
            self._protocol.session.connection_lost("the client closed the connection")
        return code
