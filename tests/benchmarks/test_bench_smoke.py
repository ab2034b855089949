"""``mcpcore bench`` in tiny configurations against real servers: results have the right shape.

Never timings (the self-check in test_bench_selfcheck.py is the one exception).

Servers are real subprocesses: the floor, the calculator on both loops, and
tests/benchmarks/sleepy_server.py for calls that fail. The outputs (JSON on
stdout or in a file, CSV, HTML) are parsed back.
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import pytest

from mcpcore.bench import (
    Call,
    HttpBenchClient,
    PhaseResult,
    Settings,
    Target,
    add_call,
    free_port,
    hold_http,
    run_target,
)
from mcpcore.bench.run import connect_when_ready

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PY = sys.executable
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
FLOOR_STDIO = [PY, "-m", "benchmarks.servers.floor"]
CALCULATOR = [PY, "-m", "mcpcore.examples.calculator"]
SLEEPY = [PY, str(HERE / "sleepy_server.py")]
LATENCY_KEYS = {"p50", "p90", "p99", "p999", "max", "mean"}


def _assert_shape(result: PhaseResult, requests: int, transport: str) -> None:
    assert result.transport == transport
    assert (result.requests, result.errors) == (requests, 0), result.error_samples
    lat = result.latency_ms
    assert set(lat) == LATENCY_KEYS
    assert 0 < lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["p999"] <= lat["max"]
    assert result.histogram.count == requests
    assert result.throughput_rps > 0 and result.duration_s > 0
    assert result.cold_start_ms > 0 and result.rss_mib > 0
    assert sum(point["requests"] for point in result.timeline) == requests
    assert PhaseResult.from_json(orjson.loads(orjson.dumps(result.to_json()))).to_json() == result.to_json()


def _settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {"calls": lambda: [add_call()], "requests": 30, "warmup_requests": 5}
    values.update(overrides)
    return Settings(**values)


def _cli(*arguments: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [PY, "-m", "mcpcore", "bench", *arguments],
        env=env or ENV,
        capture_output=True,
        timeout=120,
        check=False,
    )


# ------------------------------------------------------------------ stdio


def test_stdio_phases_against_the_floor() -> None:
    results = run_target(Target("floor", FLOOR_STDIO, env=ENV), _settings(concurrency=(1, 4)))
    assert [r.phase for r in results] == ["c=1", "c=4"]
    for result in results:
        _assert_shape(result, 30, "stdio")


@pytest.mark.parametrize("protocol", ["2025-11-25", "2026-07-28"])
def test_stdio_both_eras_against_the_calculator(loop_name: str, protocol: str) -> None:
    env = {**ENV, "MCPCORE_LOOP": loop_name}
    results = run_target(Target("calc", CALCULATOR, env=env), _settings(concurrency=(2,), protocol=protocol))
    _assert_shape(results[0], 30, "stdio")
    assert results[0].protocol == protocol


def test_open_loop_sends_at_the_rate_for_the_duration() -> None:
    results = run_target(
        Target("floor", FLOOR_STDIO, env=ENV),
        _settings(concurrency=(8,), rates=(200.0,), requests=None, duration=0.5, warmup_requests=0),
    )
    (result,) = results
    assert (result.mode, result.rate, result.phase) == ("open", 200.0, "r=200/s")
    assert result.requests == 100 and result.errors == 0  # the schedule, not the server, sets the count


def test_errors_and_is_error_results_are_counted_not_timed() -> None:
    calls = lambda: [  # noqa: E731
        add_call("no_such_tool"),
    ]
    (unknown,) = run_target(
        Target("s", SLEEPY, env=ENV), _settings(calls=calls, requests=10, warmup_requests=0)
    )
    (failing,) = run_target(
        Target("s", SLEEPY, env=ENV),
        _settings(calls=lambda: [add_call("fail")], requests=10, warmup_requests=0),
    )
    for result in (unknown, failing):
        assert (result.requests, result.errors, result.histogram.count) == (0, 10, 0)
        assert sum(result.error_samples.values()) == 10
    assert any("isError" in text for text in failing.error_samples), failing.error_samples


@pytest.mark.parametrize("level", [1, 4])
def test_a_server_that_dies_mid_run_fails_its_calls_and_the_run_ends(level: int) -> None:
    settings = _settings(calls=lambda: [Call("tools/call", {"name": "die", "arguments": {"at": 6}})])
    settings = replace(settings, concurrency=(level,), requests=50, warmup_requests=0)
    (result,) = run_target(Target("s", SLEEPY, env=ENV), settings)
    assert result.requests <= 5  # at most the calls before call six, which ends the server
    assert 1 <= result.errors <= level
    assert any("connection failed" in text for text in result.error_samples), result.error_samples


# ------------------------------------------------------------------ HTTP


def _http_target(argv_before_port: list[str], env: dict[str, str]) -> Target:
    port = free_port()
    return Target("http", [*argv_before_port, str(port)], url=f"http://127.0.0.1:{port}/mcp", env=env)


def test_http_against_the_floor() -> None:
    target = _http_target([PY, "-m", "benchmarks.servers.floor_http", "--port"], ENV)
    for result in run_target(target, _settings(concurrency=(1, 3))):
        _assert_shape(result, 30, "http")


@pytest.mark.parametrize(
    ("session", "protocol"),
    [("reuse", "2025-11-25"), ("per-call", "2025-11-25"), ("stateless", "2026-07-28")],
)
def test_http_session_modes_against_the_calculator(loop_name: str, session: str, protocol: str) -> None:
    target = _http_target([*CALCULATOR, "--http", "--port"], {**ENV, "MCPCORE_LOOP": loop_name})
    results = run_target(target, _settings(concurrency=(1, 3), session=session, protocol=protocol))
    for result in results:
        _assert_shape(result, 30, "http")
        assert result.session == session


def test_hold_counts_every_client_and_call() -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    process = subprocess.Popen(
        [PY, "-m", "benchmarks.servers.floor_http", "--port", str(port)],
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        connect_when_ready(url, "2025-11-25", time.perf_counter() + 30, process).close()
        held = hold_http(url, clients=12, rounds=3, pid=process.pid, progress=lambda *_: None)
    finally:
        process.terminate()
        process.wait(10)
    assert (held.clients, held.connected, held.requests, held.errors) == (12, 12, 36, 0)
    assert held.rss_before_mib > 0 and held.rss_after_mib > 0


def test_hold_counts_refused_connections_as_errors() -> None:
    held = hold_http(f"http://127.0.0.1:{free_port()}/mcp", clients=3, rounds=1, progress=lambda *_: None)
    assert (held.connected, held.requests, held.errors) == (0, 0, 3)


def test_http_client_reads_sse_and_json_answers_with_the_wire_parser() -> None:
    port = free_port()
    process = subprocess.Popen(
        [*CALCULATOR, "--http", "--port", str(port)],
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        import time

        client = connect_when_ready(
            f"http://127.0.0.1:{port}/mcp", "2025-11-25", time.perf_counter() + 30, process
        )
        client.initialize()
        answer = client.call(7, "add", 41)
        assert answer is not None and answer["id"] == 7
        assert answer["result"]["content"][0]["text"] == "42"
        assert client.delete() in (200, 202, 204)
        client.close()
        assert isinstance(client, HttpBenchClient)
    finally:
        process.terminate()
        process.wait(10)


# ------------------------------------------------------------------ the command line and its outputs


def test_cli_json_alone_prints_the_results_document() -> None:
    done = _cli("--json", "--requests", "20", "--inflight", "1,3", "--", *FLOOR_STDIO)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    data: dict[str, Any] = orjson.loads(done.stdout)
    results = data["results"]
    assert [r["phase"] for r in results] == ["c=1", "c=3"]
    for entry in results:
        assert {"name", "requests", "errors", "duration_s", "throughput_rps", "latency_ms"} <= set(entry)
        assert set(entry["latency_ms"]) >= {"p50", "p90", "p99", "p999", "max"}
        assert entry["requests"] == 20 and entry["transport"] == "stdio"
        assert "p50_us" not in entry


def test_cli_spawns_an_http_server_and_json_before_the_url_still_prints() -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    floor_http = [PY, "-m", "benchmarks.servers.floor_http", "--port", str(port)]
    done = _cli("--requests", "10", "--clients", "1,2", "--json", url, "--", *floor_http)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    results = orjson.loads(done.stdout)["results"]
    assert [(r["phase"], r["transport"], r["session"], r["errors"]) for r in results] == [
        ("c=1", "http", "reuse", 0),
        ("c=2", "http", "reuse", 0),
    ]
    assert results[0]["cold_start_ms"] > 0 and results[0]["body_types"] == {"application/json": 10}


def test_cli_call_method_and_workload(tmp_path: Path) -> None:
    workload = tmp_path / "mix.json"
    workload.write_bytes(
        orjson.dumps(
            {
                "calls": [
                    {
                        "tool": "add",
                        "arguments": {"a": {"$counter": 5}, "b": {"$choice": [1, 2]}},
                        "weight": 3,
                    },
                    {"method": "resources/read", "params": {"uri": "calc://constants"}},
                    {"method": "tools/list", "params": {}},
                ]
            }
        )
    )
    for options in (
        ["--call", "add", '{"a": 1, "b": 2}'],
        ["--method", "resources/read", '{"uri": "calc://constants"}'],
        ["--workload", str(workload)],
    ):
        done = _cli(*options, "--requests", "15", "--concurrency", "2", "--json", "--", *CALCULATOR)
        assert done.returncode == 0, done.stderr.decode()[-2000:]
        (entry,) = orjson.loads(done.stdout)["results"]
        assert (entry["requests"], entry["errors"]) == (15, 0), entry["error_samples"]


def test_cli_writes_json_csv_and_html_files_and_still_prints_the_table(tmp_path: Path) -> None:
    out_json, out_csv, out_html = tmp_path / "r.json", tmp_path / "r.csv", tmp_path / "r.html"
    done = _cli(
        "--requests", "20", "--seconds", "5", "--concurrency", "1,2",
        "--json", str(out_json), "--csv", str(out_csv), "--html", str(out_html),
        "--", *FLOOR_STDIO,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert b"p50" in done.stdout and b"c=2" in done.stdout
    assert len(orjson.loads(out_json.read_bytes())["results"]) == 2
    rows = list(csv.DictReader(io.StringIO(out_csv.read_text())))
    assert [row["phase"] for row in rows] == ["c=1", "c=2"] and float(rows[0]["p50_ms"]) > 0
    page = out_html.read_text()
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")  # nothing fetched
    svgs = re.findall(r"<svg.*?</svg>", page, re.S)
    assert len(svgs) == 1 + 2 * 2  # throughput, then distribution and timeline per phase
    for svg in svgs:
        ET.fromstring(svg)


def test_cli_compare_reports_medians_and_ratios_to_the_first() -> None:
    calculator = " ".join(CALCULATOR)
    done = _cli(
        "--requests", "20", "--concurrency", "1,2", "--rounds", "2", "--json",
        "--compare", f"floor={PY} -m benchmarks.servers.floor", f"calc={calculator}",
        f"calc-http={calculator} --http --port {{port}}",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    results = orjson.loads(done.stdout)["results"]
    assert [(r["phase"], r["server"]) for r in results] == [
        (phase, server) for phase in ("c=1", "c=2") for server in ("floor", "calc", "calc-http")
    ]
    for entry in results:
        assert entry["rounds"] == 2 and entry["requests"] == 40 and entry["errors"] == 0
        assert set(entry["ratio"]) == {"p50", "throughput"}
    assert [r["ratio"]["p50"] for r in results if r["server"] == "floor"] == [1.0, 1.0]
    assert {r["transport"] for r in results if r["server"] == "calc-http"} == {"http"}


def test_cli_refuses_bad_options() -> None:
    for options in (
        ["--call", "add", "not json", "--", *FLOOR_STDIO],
        ["--compare", "no-equals-sign"],
        ["--json", "--csv", "--", *FLOOR_STDIO],
        ["--session", "per-call", "--protocol", "2026-07-28", "http://127.0.0.1:9/mcp"],
        ["--session", "stateless", "--protocol", "2025-11-25", "http://127.0.0.1:9/mcp"],
        [],
    ):
        done = _cli(*options)
        assert done.returncode == 2, (options, done.stderr.decode()[-500:])


# ------------------------------------------------------------------ pinning


@pytest.mark.skipif(
    not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs"
)
def test_pinned_run_restores_the_clients_cpus() -> None:
    before = os.sched_getaffinity(0)
    results = run_target(Target("floor", FLOOR_STDIO, env=ENV), _settings(concurrency=(1, 4), pin=True))
    _assert_shape(results[0], 30, "stdio")
    assert os.sched_getaffinity(0) == before
