"""The bench checks itself against a server whose timing is known (the issue's "Done when").

These are the only tests in the suite that assert timings, with wide
margins: a tool that sleeps 50 ms must come out at 50 ms ± 10% at p50, and
in open-loop mode a single 500 ms stall must reach p99. If either fails,
the bench's clock or its coordinated-omission correction is wrong, and every
figure it prints is suspect.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SERVER = [sys.executable, str(HERE / "sleepy_server.py")]


def _bench(loop_name: str, *options: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "mcpcore", "bench", *options, "--json", "--", *SERVER],
        env={**os.environ, "PYTHONPATH": str(ROOT), "MCPCORE_LOOP": loop_name},
        capture_output=True,
        timeout=90,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    results: list[dict[str, Any]] = orjson.loads(done.stdout)["results"]
    assert len(results) == 1
    return results[0]


def test_a_known_sleep_is_reported_at_p50(loop_name: str) -> None:
    result = _bench(
        loop_name, "--call", "nap", '{"ms": 50}', "--concurrency", "1", "--requests", "40", "--warmup", "3"
    )
    assert (result["requests"], result["errors"]) == (40, 0)
    assert 45.0 <= result["latency_ms"]["p50"] <= 55.0, result["latency_ms"]


def test_an_open_loop_shows_a_single_stall_at_p99(loop_name: str) -> None:
    # 200 calls/s for 3 s; call 200 (about 1 s in) blocks the server for 500 ms. About 100 calls are
    # due during the stall and wait for it, so p99 must be far above the server's usual answer time.
    result = _bench(
        loop_name,
        "--call",
        "stall",
        '{"ms": 500, "at": 200}',
        "--rate",
        "200",
        "--duration",
        "3",
        "--warmup",
        "0",
    )
    assert result["errors"] == 0 and result["mode"] == "open"
    assert result["latency_ms"]["p99"] >= 250.0, result["latency_ms"]
    assert result["latency_ms"]["max"] >= 400.0, result["latency_ms"]
