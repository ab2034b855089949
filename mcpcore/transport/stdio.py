"""The stdio transport: newline-delimited JSON over a pair of pipes.

Bytes only move here. ``data_received`` feeds the :class:`LineFramer` and
hands whole frames to the :class:`~mcpcore.router.Connection`; the
connection writes frames straight to the stdout pipe transport. Flow control
runs both ways: a full stdout buffer or a full in-flight table pauses reading
stdin.

stdout carries only protocol frames. When serving the process's own stdio,
the real stdout descriptor is kept for frames and descriptor 1 (and
``sys.stdout``) is pointed at stderr, so a stray ``print`` in a tool, or a C
library writing to fd 1, lands in the log instead of corrupting the protocol.

Shutdown: on stdin EOF, SIGTERM or SIGINT the transport stops reading, gives
running handlers ``shutdown_grace`` seconds, cancels the rest, flushes stdout
and returns; the process then exits with status 0.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import stat
import sys
import threading
from typing import TYPE_CHECKING, Any

from mcpcore.router import Connection
from mcpcore.wire.lines import LineFramer

if TYPE_CHECKING:
    from mcpcore.server import Server

__all__ = ["serve_stdio"]

_log = logging.getLogger("mcpcore.stdio")
_READ_CHUNK = 256 * 1024
#: Corked answers beyond this many bytes are written without waiting for the end of the chunk.
#: Small on purpose: the cork is there to save system calls, and about 20 small answers per write
#: saves nearly all of them. Holding a whole chunk's answers (the limit was 64 KiB) leaves the
#: client idle until the server has answered everything, then the server idle while the client
#: catches up. Limits of 8 KiB and more measured about half the throughput of 1-4 KiB at 64 calls in
#: flight, at the same CPU per call (benchmarks/RESULTS.md has the current figures).
CORK_LIMIT = 2 * 1024


class _CorkedOutput:
    """The connection's sink: frames answered while one chunk is processed leave in one write.

    A pipelined chunk of N requests answered inline would otherwise cost N
    ``write`` system calls; corking turns them into one. Frames written
    outside a chunk (by handler tasks) go straight through. Once
    ``CORK_LIMIT`` bytes wait, they are written at once, so the transport's
    write-buffer flow control (which pauses the connection) still sees large
    answers as they are made instead of after the whole chunk.
    """

    __slots__ = ("corked", "pending", "pending_bytes", "sink")

    def __init__(self, sink: Any) -> None:
        self.sink = sink
        self.pending: list[bytes] = []
        self.pending_bytes = 0
        self.corked = False

    def write(self, data: bytes) -> None:
        if self.sink.is_closing():
            return  # the reader went away (EPIPE): the connection learns it on the next loop turn
        if not self.corked:
            self.sink.write(data)
            return
        self.pending.append(data)
        self.pending_bytes += len(data)
        if self.pending_bytes >= CORK_LIMIT:
            self.flush()

    def flush(self) -> None:
        pending = self.pending
        if pending:
            if not self.sink.is_closing():
                self.sink.write(pending[0] if len(pending) == 1 else b"".join(pending))
            pending.clear()
            self.pending_bytes = 0

    def uncork(self) -> None:
        self.corked = False
        self.flush()


class _InputProtocol(asyncio.Protocol):
    """Reads stdin: frames in, EOF noted; also the connection's read flow control."""

    def __init__(self, framer: LineFramer, stopped: asyncio.Event) -> None:
        self.framer = framer
        self.stopped = stopped
        self.connection: Connection | None = None
        self.output: _CorkedOutput | None = None
        self.transport: asyncio.ReadTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        frames = self.framer.feed(data)
        connection = self.connection
        output = self.output
        if frames and connection is not None and output is not None:
            output.corked = True
            try:
                connection.receive_frames(frames)
            finally:
                output.uncork()

    def eof_received(self) -> bool | None:
        self.stopped.set()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.stopped.set()

    def pause_reading(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.pause_reading()

    def resume_reading(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.resume_reading()


class _OutputProtocol(asyncio.Protocol):
    """Watches stdout: write flow control, and the reader going away."""

    def __init__(self, stopped: asyncio.Event) -> None:
        self.stopped = stopped
        self.connection: Connection | None = None
        self.closed = asyncio.get_running_loop().create_future()

    def pause_writing(self) -> None:
        if self.connection is not None:
            self.connection.pause_writing()

    def resume_writing(self) -> None:
        if self.connection is not None:
            self.connection.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.connection is not None:
            self.connection.close()  # nobody reads our answers any more
        self.stopped.set()
        if not self.closed.done():
            self.closed.set_result(None)


class _BlockingWriter:
    """Sink for an stdout that is a regular file: plain blocking writes (files never block long)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def is_closing(self) -> bool:
        return False

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view) :]


def _is_pipe_like(fd: int) -> bool:
    mode = os.fstat(fd).st_mode
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or stat.S_ISCHR(mode)


def _protect_stdout() -> int:
    """Keep the real stdout for frames; send fd 1 and ``sys.stdout`` to stderr from now on."""
    sys.stdout.flush()
    protocol_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return protocol_fd


async def _read_in_thread(fd: int, protocol: _InputProtocol) -> None:
    """Fallback reader for an stdin that is not a pipe, socket or terminal (e.g. a regular file)."""
    loop = asyncio.get_running_loop()
    paused = threading.Event()
    paused.set()

    def pump() -> None:
        while True:
            paused.wait()
            chunk = os.read(fd, _READ_CHUNK)
            if not chunk:
                loop.call_soon_threadsafe(protocol.eof_received)
                return
            loop.call_soon_threadsafe(protocol.data_received, chunk)

    protocol.pause_reading = paused.clear  # type: ignore[method-assign]
    protocol.resume_reading = paused.set  # type: ignore[method-assign]
    threading.Thread(target=pump, name="mcpcore-stdin", daemon=True).start()


async def serve_stdio(
    server: Server,
    *,
    stdin_fd: int | None = None,
    stdout_fd: int | None = None,
    handle_signals: bool = True,
) -> None:
    """Serve one MCP connection over stdin/stdout until EOF, a signal, or stdout closing.

    With no descriptors given this serves the process's own stdio (and
    protects stdout, see the module doc); tests may pass pipe descriptors.
    """
    loop = asyncio.get_running_loop()
    if stdin_fd is None:
        stdin_fd = sys.stdin.fileno()
    if stdout_fd is None:
        stdout_fd = _protect_stdout()
    stopped = asyncio.Event()
    framer = LineFramer(server.max_frame_bytes)
    input_protocol = _InputProtocol(framer, stopped)
    output_protocol = _OutputProtocol(stopped)

    out_file = os.fdopen(stdout_fd, "wb", buffering=0, closefd=False)
    output_transport: asyncio.WriteTransport | None = None
    sink: Any
    if _is_pipe_like(stdout_fd):
        output_transport, _ = await loop.connect_write_pipe(lambda: output_protocol, out_file)
        sink = output_transport
    else:
        sink = _BlockingWriter(stdout_fd)

    output = _CorkedOutput(sink)
    connection = server.connect(output, input_protocol)
    input_protocol.connection = connection
    input_protocol.output = output
    output_protocol.connection = connection

    in_file = os.fdopen(stdin_fd, "rb", buffering=0, closefd=False)
    input_transport: asyncio.ReadTransport | None = None
    if _is_pipe_like(stdin_fd):
        input_transport, _ = await loop.connect_read_pipe(lambda: input_protocol, in_file)
    else:
        await _read_in_thread(stdin_fd, input_protocol)

    signals: list[signal.Signals] = []
    if handle_signals and threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            try:
                loop.add_signal_handler(signum, stopped.set)
                signals.append(signum)
            except (NotImplementedError, RuntimeError):  # Windows, or a loop without signal support
                pass
    try:
        await stopped.wait()
        if input_transport is not None:
            input_transport.pause_reading()
        await connection.shutdown(server.shutdown_grace)
    finally:
        for signum in signals:
            loop.remove_signal_handler(signum)
        server.disconnect(connection)
        if input_transport is not None:
            input_transport.close()
        if output_transport is not None and not output_transport.is_closing():
            output_transport.close()  # flushes what is buffered, then closes
            try:
                await asyncio.wait_for(asyncio.shield(output_protocol.closed), server.shutdown_grace)
            except asyncio.TimeoutError:
                _log.warning("stdout not drained after %.1f s; dropping the rest", server.shutdown_grace)
                output_transport.abort()
        _log.debug("stdio connection closed")
