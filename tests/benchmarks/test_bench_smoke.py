"""The benchmark harness in tiny configurations: results parse and have the right shape (never timings).

Servers are real subprocesses (the floor and the calculator, on both loops);
the HTTP response parser, the table, the plot and the runner's report are
checked on what those runs produce.
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import orjson
import pytest

from benchmarks import plot
from benchmarks.peers import ROOT, free_port
from mcpcore.bench import (
    BenchResult,
    HttpResponse,
    ResponseReader,
    bench_http,
    bench_stdio,
    format_table,
    hold_http,
    median_result,
)

PY = sys.executable
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
FLOOR_STDIO = [PY, "-m", "benchmarks.servers.floor"]
CALCULATOR = [PY, "-m", "mcpcore.examples.calculator"]


def _assert_shape(result: BenchResult, levels: tuple[int, ...], samples: int, transport: str) -> None:
    assert result.transport == transport
    assert result.samples == samples
    assert sorted(result.throughput) == sorted(levels)
    assert all(value > 0 for value in result.throughput.values())
    assert 0 < result.p50_us <= result.p90_us <= result.p99_us <= result.max_us
    assert result.cold_start_ms > 0
    assert result.cpu_us_per_request >= 0
    assert result.rss_after_mib > 0
    assert result.errors == 0
    assert BenchResult.from_json(orjson.loads(orjson.dumps(result.to_json()))) == result


# ------------------------------------------------------------------ HTTP response parser

_JSON = b'{"jsonrpc":"2.0","id":1,"result":{}}'
_SSE = (
    b'event: message\r\ndata: {"jsonrpc":"2.0","method":"notifications/progress"}\r\n\r\ndata: '
    + _JSON
    + b"\r\n\r\n"
)
RESPONSES = [
    pytest.param(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
        % (len(_JSON), _JSON),
        200,
        _JSON,
        id="content-length",
    ),
    pytest.param(
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"%x\r\n%s\r\n" % (len(_SSE[:20]), _SSE[:20])
        + b"%x;ext=1\r\n%s\r\n" % (len(_SSE[20:]), _SSE[20:])
        + b"0\r\n\r\n",
        200,
        _SSE,
        id="chunked-sse",
    ),
    pytest.param(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n",
        200,
        b"hello",
        id="chunked-trailer",
    ),
    pytest.param(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n", 202, b"", id="accepted"),
    pytest.param(b"HTTP/1.1 204 No Content\r\n\r\n", 204, b"", id="no-content"),
]


@pytest.mark.parametrize(("raw", "status", "body"), RESPONSES)
@pytest.mark.parametrize("bytewise", [False, True], ids=["whole", "bytewise"])
def test_response_reader_parses_each_framing(raw: bytes, status: int, body: bytes, bytewise: bool) -> None:
    reader = ResponseReader()
    pieces = [raw[i : i + 1] for i in range(len(raw))] if bytewise else [raw, raw]
    found: list[HttpResponse] = []
    for piece in pieces:
        found += reader.feed(piece)
    if bytewise:
        found += reader.feed(raw)
    assert [(r.status, r.body) for r in found] == [(status, body), (status, body)]


def test_response_message_picks_the_response_out_of_an_sse_body() -> None:
    response = HttpResponse(200, {"content-type": "text/event-stream"}, _SSE)
    assert response.message() == orjson.loads(_JSON)
    assert HttpResponse(202, {}, b"").message() is None


def test_a_body_delimited_by_close_ends_at_close() -> None:
    reader = ResponseReader()
    assert reader.feed(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n" + _JSON) == []
    final = reader.close()
    assert final is not None and final.body == _JSON


# ------------------------------------------------------------------ stdio


def test_stdio_bench_against_the_floor() -> None:
    result = bench_stdio("floor", FLOOR_STDIO, requests=40, inflight=(1, 4), warmup=5, env=ENV)
    _assert_shape(result, (1, 4), 40, "stdio")


def test_stdio_bench_against_the_calculator(loop_name: str) -> None:
    env = {**ENV, "MCPCORE_LOOP": loop_name}
    runs = [
        bench_stdio("calc", CALCULATOR, requests=30, inflight=(2, 8), warmup=5, env=env) for _ in range(2)
    ]
    _assert_shape(runs[0], (2, 8), 30, "stdio")
    median = median_result(runs)
    assert median.samples == 60 and sorted(median.throughput) == [2, 8]
    table = format_table([median, runs[0]], baseline="calc").splitlines()
    assert len(table) == 4 and "p50 / calc" in table[0] and table[2].endswith("1.00x |")


def test_cli_json_output_parses() -> None:
    done = subprocess.run(
        [PY, "-m", "mcpcore", "bench", "--json", "--requests", "20", "--inflight", "1,3", "--", *FLOOR_STDIO],
        env=ENV,
        capture_output=True,
        timeout=60,
        check=True,
    )
    data: dict[str, Any] = orjson.loads(done.stdout)
    assert data["samples"] == 20 and set(data["throughput"]) == {"1", "3"}
    assert data["transport"] == "stdio"


# ------------------------------------------------------------------ HTTP


def _floor_http(port: int) -> list[str]:
    return [PY, "-m", "benchmarks.servers.floor_http", "--port", str(port)]


def test_http_bench_against_the_floor() -> None:
    port = free_port()
    result = bench_http(
        "floor",
        f"http://127.0.0.1:{port}/mcp",
        argv=_floor_http(port),
        env=ENV,
        requests=30,
        clients=(1, 3),
        warmup=5,
    )
    _assert_shape(result, (1, 3), 30, "http")


def test_http_bench_against_the_calculator(loop_name: str) -> None:
    port = free_port()
    argv = [*CALCULATOR, "--http", "--port", str(port)]
    env = {**ENV, "MCPCORE_LOOP": loop_name}
    result = bench_http(
        "calc", f"http://127.0.0.1:{port}/mcp", argv=argv, env=env, requests=30, clients=(1, 4), warmup=5
    )
    _assert_shape(result, (1, 4), 30, "http")


def test_hold_counts_every_client_and_call() -> None:
    port = free_port()
    process = subprocess.Popen(
        _floor_http(port), env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        url = f"http://127.0.0.1:{port}/mcp"
        bench_http("warm", url, requests=5, clients=(1,), warmup=0)  # waits until it listens
        held = hold_http(url, clients=12, rounds=3, pid=process.pid, progress=lambda *_: None)
    finally:
        process.terminate()
        process.wait(10)
    assert (held.clients, held.connected, held.requests, held.errors) == (12, 12, 36, 0)
    assert held.rss_before_mib > 0 and held.rss_after_mib > 0


def test_hold_counts_refused_connections_as_errors() -> None:
    held = hold_http(f"http://127.0.0.1:{free_port()}/mcp", clients=3, rounds=1, progress=lambda *_: None)
    assert (held.connected, held.requests, held.errors) == (0, 0, 3)


# ------------------------------------------------------------------ plot and runner


def test_plot_is_well_formed_svg_with_a_bar_per_value() -> None:
    panel = plot.Panel(
        "p50", "us", [("stdio", [plot.Bar("floor", 15, "floor"), plot.Bar("mcpcore", 20, "mcpcore")])]
    )
    svg = plot.render([panel, panel], "caption")
    root = ET.fromstring(svg)
    bars = [rect for rect in root.iter("{http://www.w3.org/2000/svg}rect") if rect.get("height") != "12"]
    assert len(bars) == 1 + 4  # the background, then two bars per panel


def test_runner_writes_results_and_targets(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            PY,
            "-m",
            "benchmarks.runner",
            "--only",
            "floor,uvloop",
            "--rounds",
            "1",
            "--requests",
            "20",
            "--seconds",
            "0.2",
            "--warmup",
            "3",
            "--number",
            "20",
            "--repeat",
            "1",
            "--hold",
            "8",
            "--no-npm",
            "--profile-requests",
            "50",
            "--write",
            "--out",
            str(tmp_path),
            "--json",
            str(tmp_path / "out.json"),
        ],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    data = orjson.loads((tmp_path / "out.json").read_bytes())
    assert [r["name"] for r in data["stdio"]["medians"]] == ["floor", "mcpcore (uvloop)"]
    assert [r["name"] for r in data["http"]["medians"]] == ["floor", "mcpcore (uvloop)"]
    assert {row["layer"] for row in data["micro"]} == {"framing", "messages", "dispatch", "validation"}
    assert data["hold"]["connected"] == 8 and data["hold"]["errors"] == 0
    assert set(data["profiles"]) == {"stdio", "HTTP"}
    assert all("| function |" in table for table in data["profiles"].values())
    statuses = [target["status"] for target in data["targets"]]
    assert len(statuses) == 8 and set(statuses) <= {"PASS", "MISS", "n/a"}
    results = (tmp_path / "RESULTS.md").read_text()
    assert "## Targets (issue 5)" in results and "results.svg" in results
    ET.fromstring((tmp_path / "results.svg").read_text())
    assert b"| floor |" in done.stdout


@pytest.mark.skipif(
    not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs"
)
def test_pinned_run_restores_the_clients_cpus() -> None:
    before = os.sched_getaffinity(0)
    result = bench_stdio("floor", FLOOR_STDIO, requests=20, inflight=(4,), warmup=5, env=ENV, pin=True)
    _assert_shape(result, (4,), 20, "stdio")
    assert os.sched_getaffinity(0) == before
