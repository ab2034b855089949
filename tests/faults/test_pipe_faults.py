"""Pipe-level faults over a real subprocess: kills, half-closes, signals, bursts, a reader that stops.

Every wait here is a failure deadline; the only time-based judgement is in the
backpressure test, where "the client could not write everything within a
second" can only pass spuriously on a very slow machine, never fail spuriously.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import threading
import time

import orjson
import pytest

from tests.faults._raw import call, initialize_frames, read_to_eof, rss_kib, spawn
from tests.helpers import StdioPeer

DEADLINE = 20.0

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc and POSIX pipes")


def _no_traceback(stderr: bytes) -> None:
    assert b"Traceback" not in stderr, stderr.decode(errors="replace")


def test_client_killed_mid_request_ends_the_server_cleanly(loop_name: str) -> None:
    process = spawn(loop_name, env={"FAULTY_SHUTDOWN_GRACE": "0.5"})
    assert process.stdin is not None and process.stdout is not None
    try:
        process.stdin.write(initialize_frames())
        process.stdin.write(call(1, "slow", {"seconds": 0.3, "value": 1}))
        process.stdin.write(call(2, "hang_async", {}))
        process.stdin.write(b'{"jsonrpc":"2.0","id":3,"method":"ping"}\n')
        assert b'"id":"init"' in process.stdout.readline()
        assert process.stdout.readline() == b'{"jsonrpc":"2.0","id":3,"result":{}}\n'
        # A killed client: both of its pipe ends vanish at once, with two requests in flight.
        process.stdout.close()
        process.stdin.close()
        assert process.wait(DEADLINE) == 0
        _no_traceback(process.stderr.read() if process.stderr else b"")
    finally:
        process.kill()
        process.wait()


def test_stdin_closed_with_answers_pending_still_delivers_them(faulty: StdioPeer) -> None:
    ids = [
        faulty.send_request("tools/call", {"name": "slow", "arguments": {"seconds": 0.2, "value": i}})
        for i in range(20)
    ]
    faulty.close_stdin()  # half-close: the client is done sending, not done reading
    answers = {faulty.response(request_id)["result"]["structuredContent"]["result"] for request_id in ids}
    assert answers == set(range(20))
    assert faulty.wait(DEADLINE) == 0
    _no_traceback(bytes(faulty.stderr))


def test_sigterm_drains_requests_in_flight_then_exits_zero(faulty: StdioPeer) -> None:
    ids = [
        faulty.send_request("tools/call", {"name": "slow", "arguments": {"seconds": 0.3, "value": i}})
        for i in range(10)
    ]
    assert faulty.result("ping") == {}  # every earlier request has been read and started
    faulty.process.send_signal(signal.SIGTERM)
    answers = [faulty.response(request_id)["result"]["structuredContent"]["result"] for request_id in ids]
    assert answers == list(range(10))
    assert faulty.wait(DEADLINE) == 0
    _no_traceback(bytes(faulty.stderr))


def test_a_burst_of_ten_thousand_pipelined_requests_is_answered_exactly(loop_name: str) -> None:
    process = spawn(loop_name)
    assert process.stdin is not None and process.stdout is not None
    count = 10_000
    payload = initialize_frames() + b"".join(
        call(i, "echo", {"value": i * 7})
        if i % 2
        else orjson.dumps({"jsonrpc": "2.0", "id": i, "method": "ping"}) + b"\n"
        for i in range(count)
    )
    writer = threading.Thread(target=process.stdin.write, args=(payload,), daemon=True)
    writer.start()  # written while we read: neither side may wait for the other
    try:
        seen: dict[object, dict[str, object]] = {}
        deadline = time.monotonic() + 60
        while len(seen) < count + 1 and time.monotonic() < deadline:
            line = process.stdout.readline()
            assert line, "server closed stdout early"
            message = orjson.loads(line)
            assert message["id"] not in seen, f"answered twice: {message['id']}"
            seen[message["id"]] = message
        assert set(seen) == {"init", *range(count)}
        for i in range(count):
            result = seen[i]["result"]
            assert result == (
                {"content": [{"type": "text", "text": str(i * 7)}], "structuredContent": {"result": i * 7}}
                if i % 2
                else {}
            )
        writer.join(DEADLINE)
        process.stdin.close()
        assert process.wait(DEADLINE) == 0
    finally:
        process.kill()
        process.wait()


def test_stdout_closed_by_the_client_ends_the_server_promptly_and_quietly(loop_name: str) -> None:
    process = spawn(loop_name)
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(initialize_frames())
    assert b'"id":"init"' in process.stdout.readline()
    process.stdout.close()  # the next write the server makes gets EPIPE
    try:
        for i in range(50):
            process.stdin.write(call(i, "blob", {"size": 10_000}))
    except BrokenPipeError:
        pass  # the server already went away: exactly what should happen
    try:
        assert process.wait(DEADLINE) == 0
        stderr = process.stderr.read() if process.stderr else b""
        _no_traceback(stderr)
        assert stderr.count(b"\n") < 5, stderr.decode(errors="replace")  # no error spam either
    finally:
        process.kill()
        process.wait()


def _write_until_stalled(
    fd: int, frames: list[bytes], stall: float, pid: int, batch: int = 1
) -> tuple[int, int]:
    """Write ``batch`` frames per write, never blocking, until the pipe stays full for ``stall`` s.

    Returns (frames written, peak RSS of the server in KiB).
    """
    sent = 0
    pending = memoryview(b"")
    peak = rss_kib(pid)
    last_progress = time.monotonic()
    while sent < len(frames) or pending:
        if not pending:
            pending = memoryview(b"".join(frames[sent : sent + batch]))
            sent = min(sent + batch, len(frames))
        try:
            written = os.write(fd, pending)
            pending = pending[written:]
            last_progress = time.monotonic()
        except BlockingIOError:
            peak = max(peak, rss_kib(pid))
            if time.monotonic() - last_progress > stall:
                break
            select.select([], [fd], [], 0.05)
    return sent, max(peak, rss_kib(pid))


def _stalled_server(
    loop_name: str, answer_bytes: int, batch: int
) -> tuple[subprocess.Popen[bytes], int, float]:
    """A server whose client asked for ``answer_bytes`` per request until it stopped reading.

    Returns (process, requests written, server RSS growth in MiB).
    """
    process = spawn(loop_name, env={"FAULTY_MAX_IN_FLIGHT": "64"})
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(initialize_frames())
    assert b'"id":"init"' in process.stdout.readline()
    baseline = rss_kib(process.pid)
    frames = [call(i, "blob", {"size": answer_bytes}) for i in range(20_000)]
    os.set_blocking(process.stdin.fileno(), False)
    sent, peak = _write_until_stalled(process.stdin.fileno(), frames, 1.0, process.pid, batch)
    assert sent < len(frames), "the server kept reading although nobody read its answers"
    return process, sent, (peak - baseline) / 1024


def test_a_client_that_stops_reading_pauses_the_server_with_bounded_memory(loop_name: str) -> None:
    """Every request asks for 64 KiB and the client never reads: the server must stop reading, not buffer."""
    process, sent, growth_mib = _stalled_server(loop_name, 65_536, batch=1)
    try:
        assert growth_mib < 96, f"server RSS grew by {growth_mib:.0f} MiB while the client did not read"
        # Now read: every request the server accepted is answered, in full, and it exits cleanly.
        assert process.stdin is not None and process.stdout is not None
        os.set_blocking(process.stdin.fileno(), True)
        process.stdin.close()
        lines = read_to_eof(process.stdout.fileno())
        for line in lines:
            assert line.endswith(b"\n"), "a frame was cut short"
            assert len(orjson.loads(line)["result"]["content"][0]["text"]) == 65_536
        assert len(lines) >= sent - 1  # the last frame may have been cut mid-write when we stopped
        assert process.wait(DEADLINE) == 0
    finally:
        process.kill()
        process.wait()


def test_answers_to_one_read_chunk_are_not_buffered_without_bound(loop_name: str) -> None:
    process, _, growth_mib = _stalled_server(loop_name, 131_072, batch=600)
    try:
        assert growth_mib < 96, f"server RSS grew by {growth_mib:.0f} MiB while the client did not read"
    finally:
        process.kill()
        process.wait()
